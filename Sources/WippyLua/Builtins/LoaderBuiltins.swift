import CLua
import WippyProcess

/// What `require` needs: the runtime's own module chunks and the code of imported libraries.
extension Builtins {
    static let loader: [(String, Builtin)] = [("module_chunk", moduleChunk), ("load_library", loadLibrary)]

    /// `module_chunk(name)` → the precompiled chunk of a built-in module.
    static let moduleChunk: Builtin = { L in
        let L = L!
        guard let name = string(L, 1),
              let bytes = PreludeCode.modules[name] ?? BuiltinModule.registered.withLock({ $0[name]?.bytes }) else {
            return raise(L, "internal: no built-in module \(string(L, 1) ?? "?")")
        }
        if let error = PreludeCode.load(bytes, L) { return raise(L, "internal: module \(name): \(error)") }
        return 1
    }

    /// `load_library(alias, id)` → the library's factory (a function of its globals), its allowed
    /// modules, imports and ID; or `nil, message`.
    static let loadLibrary: Builtin = { L in
        let L = L!, process = owner(L)
        guard let alias = string(L, 1), let id = string(L, 2), let library = process.context.services.library(id),
              let shared = process.thread.shared else {
            return failure(L, "library \(string(L, 2) ?? "?") not found")
        }
        if let error = shared.pushProgram(library.program, id: library.id, onto: L) {
            return failure(L, "cannot load library \(library.id) (imported as \(alias)): \(error)")
        }
        // Stack: factory, info.
        _ = lua_getfield(L, -1, "allowed")
        _ = lua_getfield(L, -2, "imports")
        _ = lua_getfield(L, -3, "id")
        wippy_remove(L, -4)
        return 4
    }
}
