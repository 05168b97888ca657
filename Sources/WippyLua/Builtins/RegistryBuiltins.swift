import CLua
import WippyProcess

/// `registry`: reading the app's entries.
extension Builtins {
    static let registry: [(String, Builtin)] = [("registry_get", registryGet), ("registry_find", registryFind)]

    static let registryGet: Builtin = { L in
        let L = L!, process = owner(L)
        guard let id = string(L, 1) else { return failure(L, "registry.get expects an entry ID") }
        guard let entry = process.context.services.registryEntry(id) else { return failure(L, "no entry \"\(id)\"") }
        LuaBridge.push(entry, L)
        return 1
    }

    static let registryFind: Builtin = { L in
        let L = L!, process = owner(L)
        var criteria: [String: Payload] = [:]
        if case let .map(map)? = try? LuaBridge.payload(at: 1, L, limit: process.context.limits.message) {
            for (key, value) in map { criteria[key.description] = value }
        }
        LuaBridge.push(.array(process.context.services.registryFind(criteria)), L)
        return 1
    }
}
