import CLua
import WippyManifest

/// The runtime's own Lua chunks (`Prelude/*.lua`, embedded at build time): the prelude each state
/// runs once, and the built-in modules loaded on first `require`. Compiled once per runtime and
/// stripped of debug information, so a new state loads bytes instead of parsing source.
enum PreludeCode {
    static let prelude = compile(EmbeddedLua.files["prelude.lua"] ?? "")
    static let modules: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: EmbeddedLua.files
        .filter { $0.key != "prelude.lua" }
        .map { (String($0.key.dropLast(4)), compile($0.value)) })

    /// The stripped bytecode of a chunk; empty when it does not compile.
    static func compile(_ source: String) -> [UInt8] {
        guard let L = luaL_newstate() else { return [] }
        defer { lua_close(L) }
        guard LuaState.load(L, source, chunkName: "=wippy") == nil else { return [] }
        return dump(L, strip: true) ?? []
    }

    /// The bytecode of the function on top of `L`'s stack (left there), with or without debug
    /// information; nil when Lua cannot dump it (out of memory).
    static func dump(_ L: OpaquePointer, strip: Bool) -> [UInt8]? {
        var buffer = wippy_buffer(data: nil, size: 0, capacity: 0)
        defer { free(buffer.data) }
        guard wippy_dump(L, &buffer, strip ? 1 : 0) == 0, let data = buffer.data else { return nil }
        return Array(UnsafeRawBufferPointer(start: data, count: buffer.size))
    }

    /// Loads precompiled `bytes` as a function onto `L`'s stack; nil, or a message on failure.
    static func load(_ bytes: [UInt8], _ L: OpaquePointer, chunkName: String = "=wippy") -> String? {
        guard !bytes.isEmpty else { return "a built-in chunk does not compile" }
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { wippy_loadbytecode(L, $0.baseAddress, $0.count, chunkName) }
        }
        guard status == LUA_OK else {
            let message = LuaState.string(L, -1) ?? "cannot load a built-in chunk"
            wippy_pop(L, 1)
            return message
        }
        return nil
    }
}

extension LuaProgram {
    /// Pushes the program's code factory onto `L`: a function of the private globals (`_ENV`)
    /// that runs the code (in Wippy's typed dialect or plain Lua) and returns what it returns. The source is wrapped on its first line, so
    /// line numbers stay the user's. Loaded from the compiled bytes when a state compiled them
    /// already (debug information kept, so errors still name file and line). nil, or the
    /// compiler's message.
    func pushFactory(_ L: OpaquePointer, chunkName: String) -> String? {
        if let bytes = compiled.bytes, PreludeCode.load(bytes, L, chunkName: chunkName) == nil {
            return nil
        }
        // Wippy's typed dialect is erased first, lines and columns kept (TypedLua).
        if let error = LuaState.load(L, "return function(_ENV, ...) " + TypedLua.erase(source) + "\nend", chunkName: chunkName) {
            return error
        }
        if let bytes = PreludeCode.dump(L, strip: false) { compiled.store(bytes) }
        return nil
    }
}
