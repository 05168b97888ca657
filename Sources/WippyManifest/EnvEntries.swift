/// `env.storage.*`: where the values of `env.variable` entries are kept.
public struct EnvStorage: Sendable, Equatable {
    public enum Backend: Sendable, Equatable {
        /// The runtime's OS environment (read-only).
        case os
        /// Values set at run time, lost when the runtime stops.
        case memory
        /// A `.env` file (`KEY=VALUE` lines, `#` comments), read at each access and rewritten by
        /// each set; `path` is absolute (a relative `file_path` is taken from the working folder).
        case file(path: String, autoCreate: Bool, fileMode: Int, directoryMode: Int)
        /// `values:` of the manifest (read-only).
        case fixed([String: String])
        /// `storages:` in order: a read takes the first that has the key; a set goes to the first.
        case router([Reference])
    }

    public var backend: Backend
}

/// `env.variable`: a named setting read with `env.get` (by its public name or its entry ID).
public struct EnvVariable: Sendable, Equatable {
    /// `variable:`, the public name (letters, digits, `_`); nil: reachable by entry ID only.
    public var name: String?
    public var storage: Reference
    /// What `env.get` gives when the storage has no value.
    public var defaultValue: String?
    /// `read_only` (or Wippy's `readonly`): `env.set` is refused.
    public var readOnly: Bool
}
