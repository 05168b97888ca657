import CLua
import WippyManifest

/// The runtime's own Lua chunks (the prelude and the lazily loaded modules), compiled once per
/// runtime and stripped of debug information: every new process loads these bytes instead of
/// parsing source again, and its function prototypes are smaller.
enum PreludeBytecode {
    static let prelude = compile(Prelude.source, name: "=wippy")
    static let modules: [String: [UInt8]] = Prelude.modules.mapValues { compile($0, name: "=wippy") }

    private static func compile(_ source: String, name: String) -> [UInt8] {
        guard let L = luaL_newstate() else { return [] }
        defer { lua_close(L) }
        guard LuaState.load(L, source, chunkName: name) == nil else { return [] }
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
    static func load(_ bytes: [UInt8], _ L: OpaquePointer) -> String? {
        guard !bytes.isEmpty else { return "a built-in chunk does not compile" }
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { wippy_loadbytecode(L, $0.baseAddress, $0.count, "=wippy") }
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
    /// Pushes the program's chunk onto `L`: from its compiled bytes when a process compiled it
    /// already, else from the source text (then keeps the bytes, debug information included, so
    /// errors still name file and line). nil, or the compiler's message.
    func loadChunk(_ L: OpaquePointer, chunkName: String) -> String? {
        if let bytes = compiled.bytes, PreludeBytecode.load(bytes, L) == nil { return nil }
        if let error = LuaState.load(L, source, chunkName: chunkName) { return error }
        if let bytes = PreludeBytecode.dump(L, strip: false) { compiled.store(bytes) }
        return nil
    }
}
