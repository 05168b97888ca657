import CLua
import WippyProcess

/// `json`: encode and decode, bounded by the process's memory.
extension Builtins {
    static let json: [(String, Builtin)] = [("json_encode", jsonEncode), ("json_decode", jsonDecode)]

    static let jsonEncode: Builtin = { L in
        let L = L!
        do {
            // The text lands in this process's memory: its limit bounds what may be encoded.
            LuaBridge.pushString(try LuaBridge.payload(at: 1, L, limit: owner(L).context.memoryLimit).json, L)
            return 1
        } catch {
            return failure(L, "json.encode: \(error)")
        }
    }

    static let jsonDecode: Builtin = { L in
        let L = L!
        guard lua_type(L, 1) == LUA_TSTRING else { return failure(L, "json.decode expects a string") }
        var length = 0
        let text = Array(UnsafeRawBufferPointer(start: lua_tolstring(L, 1, &length), count: length))
        do {
            // Only what fits in the process's memory is built at all.
            let limit = max(0, remainingBytes(L, owner(L)))
            LuaBridge.push(try Payload.parseJSON(bytes: text, limit: limit), L)
            return 1
        } catch {
            return failure(L, "json.decode: \(error)")
        }
    }
}
