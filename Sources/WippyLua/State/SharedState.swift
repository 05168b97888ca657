import CLua
import CWippyPatterns
import WippyManifest

/// A scheduler thread's Lua state, ready for processes: the built-ins and the prelude are in, the
/// shared globals frozen, and each program's code compiled once into a factory that every
/// process of that program instantiates with private globals of its own.
final class SharedState {
    let lua: LuaState
    var L: OpaquePointer { lua.L }
    private var programs: [ObjectIdentifier: CompiledProgram] = [:]

    /// One program as compiled in this state.
    private struct CompiledProgram {
        /// Keeps the key's object alive, so that its identifier is never reused for other code.
        let compiled: CompiledCode
        /// The code's factory: a function of `_ENV`.
        let factoryRef: Int32
        /// `{id=, allowed={name=true}, imports={alias="ns:lib"}}` for `require`.
        let infoRef: Int32
    }

    struct SetupError: Error {
        var message: String
    }

    /// - Parameter hosted: the state runs on a host's thread (an event loop), whose other work
    ///   waits while one of its calls runs: a pattern call gets a tenth of the usual matching
    ///   steps there.
    init(hosted: Bool = false) throws(SetupError) {
        guard let lua = LuaState() else { throw SetupError(message: "out of memory: cannot create a Lua state") }
        self.lua = lua
        let L = lua.L
        if hosted { wippy_set_state_pattern_step_limit(L, WIPPY_EVENT_LOOP_PATTERN_STEP_LIMIT) }
        if let error = PreludeCode.load(PreludeCode.prelude, L) { throw SetupError(message: "internal: prelude: \(error)") }
        Builtins.push(L)
        guard wippy_pcall(L, 1, 0) == LUA_OK else {
            throw SetupError(message: "internal: prelude: \(LuaState.string(L, -1) ?? "error")")
        }
        lua.freezeGlobals()
    }

    /// Pushes the factory and the `require` information of `program` (the code of entry `id`) onto
    /// `L`, a thread of this state, compiling it on first use. nil, or the compiler's message
    /// (nothing pushed).
    func pushProgram(_ program: LuaProgram, id: String, onto L: OpaquePointer) -> String? {
        let key = ObjectIdentifier(program.compiled)
        if let known = programs[key] {
            _ = wippy_getref(L, known.factoryRef)
            _ = wippy_getref(L, known.infoRef)
            return nil
        }
        let chunkName = program.sourceFile.map { "@" + $0 } ?? "=\(id)"
        if let error = program.pushFactory(L, chunkName: chunkName) { return error }
        guard wippy_pcall(L, 0, 1) == LUA_OK else {
            let message = LuaState.string(L, -1) ?? "error"
            wippy_pop(L, 1)
            return message
        }
        lua_createtable(L, 0, 3)
        LuaBridge.pushString(id, L)
        lua_setfield(L, -2, "id")
        lua_createtable(L, 0, Int32(program.modules.count))
        for name in program.modules {
            lua_pushboolean(L, 1)
            lua_setfield(L, -2, name)
        }
        lua_setfield(L, -2, "allowed")
        lua_createtable(L, 0, Int32(program.imports.count))
        for item in program.imports {
            LuaBridge.pushString(item.library.target.description, L)
            lua_setfield(L, -2, item.alias)
        }
        lua_setfield(L, -2, "imports")
        lua_pushvalue(L, -2)
        let factoryRef = wippy_ref(L)
        lua_pushvalue(L, -1)
        let infoRef = wippy_ref(L)
        programs[key] = CompiledProgram(compiled: program.compiled, factoryRef: factoryRef, infoRef: infoRef)
        return nil
    }
}
