import CLua
import WippyProcess

/// `env`: the app's `env.variable` entries, read and set through their storages.
extension Builtins {
    static let env: [(String, Builtin)] = [("env_get", envGet), ("env_set", envSet), ("env_all", envAll)]

    /// `env_get(name)` → the value | `nil, message` (`NOT_FOUND: …` when it has none).
    static let envGet: Builtin = { L in
        let L = L!
        guard let name = string(L, 1), !name.isEmpty else { return failure(L, "INVALID: env.get expects a variable name") }
        switch owner(L).context.services.envGet(name) {
        case let .success(value):
            push(value, L)
            return 1
        case let .failure(error): return failure(L, error.message)
        }
    }

    /// `env_set(name, value)` → `true` | `nil, message` (`PERMISSION_DENIED: …` when read-only).
    static let envSet: Builtin = { L in
        let L = L!
        guard let name = string(L, 1), !name.isEmpty else { return failure(L, "INVALID: env.set expects a variable name") }
        guard let value = text(L, 2) else { return failure(L, "INVALID: env.set expects a string value for \(name)") }
        if let error = owner(L).context.services.envSet(name, value: value) { return failure(L, error.message) }
        return ok(L)
    }

    /// `env_all()` → `{NAME = value}` of every public variable that has a value.
    static let envAll: Builtin = { L in
        let L = L!
        let values = owner(L).context.services.envAll()
        push(.object(values.sorted { $0.key < $1.key }.map { ($0.key, Payload.string($0.value)) }), L)
        return 1
    }
}
