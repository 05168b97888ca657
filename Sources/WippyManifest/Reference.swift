import WippySchema

/// A field of one entry that names another entry: a dependency edge of the app.
public struct Reference: Sendable, Hashable {
    /// The entry referred to, already resolved against the referring entry's namespace.
    public var target: EntryID
    /// The field it is written in, e.g. `process`, `meta.router`, `lifecycle.requires[0]`.
    public var field: String
    /// Where it is written; the referring entry's own location for defaults that are not written.
    public var location: SourceLocation
    /// The kinds the target may have.
    public var expectedKinds: Set<EntryKind>

    public init(target: EntryID, field: String, location: SourceLocation, expectedKinds: Set<EntryKind>) {
        self.target = target
        self.field = field
        self.location = location
        self.expectedKinds = expectedKinds
    }
}
