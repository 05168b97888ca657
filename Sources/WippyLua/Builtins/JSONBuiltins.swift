import CLua
import WippyProcess

/// `json`: encode and decode, bounded by the process's memory.
extension Builtins {
    static let json: [(String, Builtin)] = [("json_encode", jsonEncode), ("json_decode", jsonDecode)]

    static let jsonEncode: Builtin = { L in
        let L = L!
        do {
            // The text lands in this process's memory: its limit bounds what may be encoded.
            let text = try LuaBridge.json(at: 1, L, limit: owner(L).context.memoryLimit)
            text.withUnsafeBufferPointer { _ = lua_pushlstring(L, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
            return 1
        } catch {
            return failure(L, "json.encode: \(error)")
        }
    }

    static let jsonDecode: Builtin = { L in
        let L = L!
        guard lua_type(L, 1) == LUA_TSTRING else { return failure(L, "json.decode expects a string") }
        var length = 0
        let text = UnsafeRawBufferPointer(start: lua_tolstring(L, 1, &length), count: length)
        return pushJSON(decoding: text, L)  // the string stays on the stack while it is read
    }

    /// Decodes JSON `text` and pushes the value, or `nil, message` (2 results); only what fits in
    /// the running process's free memory is built at all.
    public static func pushJSON(decoding text: UnsafeRawBufferPointer, _ L: OpaquePointer) -> Int32 {
        do {
            let limit = max(0, remainingBytes(L, owner(L)))
            LuaBridge.push(try Payload.parseJSON(utf8: text, limit: limit), L)
            return 1
        } catch {
            return failure(L, "json.decode: \(error)")
        }
    }
}
