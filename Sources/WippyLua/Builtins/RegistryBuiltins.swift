import CLua
import WippyProcess

/// `registry`: the app's entries, read at a version (the current one by default), and the
/// change sets that make new versions (see the `registry` module's chunk).
extension Builtins {
    static let registry: [(String, Builtin)] = [
        ("registry_get", registryGet), ("registry_find", registryFind), ("registry_versions", registryVersions),
        ("registry_apply", registryApply), ("registry_revert", registryRevert),
    ]

    /// The version at `index`: nil for the current one.
    private static func version(_ L: OpaquePointer, _ index: Int32) -> Int? {
        lua_type(L, index) == LUA_TNUMBER ? Int(clamping: lua_tointegerx(L, index, nil)) : nil
    }

    /// `registry_get(id[, version])` → the entry | `nil, message`.
    static let registryGet: Builtin = { L in
        let L = L!, process = owner(L)
        guard let id = string(L, 1) else { return failure(L, "INVALID: registry.get expects an entry ID") }
        switch process.context.services.registryEntry(id, at: version(L, 2)) {
        case let .success(entry?):
            push(entry, L)
            return 1
        case .success(nil): return failure(L, "NOT_FOUND: no entry \"\(id)\"")
        case let .failure(error): return failure(L, error.message)
        }
    }

    /// `registry_find(criteria[, version])` → the entries that match | `nil, message`.
    static let registryFind: Builtin = { L in
        let L = L!, process = owner(L)
        var criteria: [String: Payload] = [:]
        if case let .map(map)? = try? LuaBridge.payload(at: 1, L, limit: process.context.limits.message) {
            for (key, value) in map { criteria[key.description] = value }
        }
        switch process.context.services.registryFind(criteria, at: version(L, 2)) {
        case let .success(entries):
            push(.array(entries), L)
            return 1
        case let .failure(error): return failure(L, error.message)
        }
    }

    /// `registry_versions()` → the kept version numbers, oldest first.
    static let registryVersions: Builtin = { L in
        let L = L!
        push(.array(owner(L).context.services.registryVersions().map { .int(Int64($0)) }), L)
        return 1
    }

    /// `registry_apply(operations)` → the new version's number | `nil, message`.
    static let registryApply: Builtin = { L in
        let L = L!, process = owner(L)
        let operations: [Payload]
        do throws(LuaBridge.Unsendable) {
            switch try LuaBridge.payload(at: 1, L, limit: process.context.limits.message) {
            case let .array(items): operations = items
            case .map(let map) where map.isEmpty: operations = []
            default: return failure(L, "INVALID: changes:apply() expects a list of changes")
            }
        } catch {
            return failure(L, "INVALID: the changes cannot be read: \(error.message)")
        }
        return pushVersion(process.context.services.registryApply(operations), L)
    }

    /// `registry_revert(version)` → the new version's number | `nil, message`.
    static let registryRevert: Builtin = { L in
        let L = L!
        guard let target = version(L, 1) else { return failure(L, "INVALID: registry.apply_version expects a version") }
        return pushVersion(owner(L).context.services.registryRevert(to: target), L)
    }

    private static func pushVersion(_ result: Result<Int, CallError>, _ L: OpaquePointer) -> Int32 {
        switch result {
        case let .success(number):
            lua_pushinteger(L, lua_Integer(number))
            return 1
        case let .failure(error): return failure(L, error.message)
        }
    }
}
