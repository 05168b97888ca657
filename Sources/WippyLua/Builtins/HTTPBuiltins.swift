import CLua
import WippyProcess

/// `http`: the request a handler answers and the response it builds (``HTTPExchange``).
extension Builtins {
    static let http: [(String, Builtin)] = [("http_get", httpGet), ("http_set", httpSet)]

    /// `http_get(field [, key])`: the request of the handler this process runs.
    static let httpGet: Builtin = { L in
        let L = L!, process = owner(L)
        let field = string(L, 1) ?? ""
        guard let exchange = process.call?.exchange else {
            lua_pushnil(L)
            return 1
        }
        let key = string(L, 2)
        func push(_ text: String?) -> Int32 {
            if let text { LuaBridge.pushString(text, L) } else { lua_pushnil(L) }
            return 1
        }
        switch field {
        case "active": return ok(L)
        case "method": return push(exchange.method)
        case "path": return push(exchange.path)
        case "param": return push(key.flatMap { exchange.parameters[$0] })
        case "params":
            LuaBridge.push(.object(exchange.parameters.map { ($0.key, .string($0.value)) }), L)
            return 1
        case "query": return push(key.flatMap { name in exchange.query.first { $0.name == name }?.value })
        case "query_params":
            var values: [String: Payload] = [:]
            for (name, value) in exchange.query where values[name] == nil { values[name] = .string(value) }
            LuaBridge.push(.object(values.map { ($0.key, $0.value) }), L)
            return 1
        case "header": return push(key.flatMap(exchange.header))
        case "headers":
            var values: [String: Payload] = [:]
            for (name, value) in exchange.headers where values[name.lowercased()] == nil { values[name.lowercased()] = .string(value) }
            LuaBridge.push(.object(values.map { ($0.key, $0.value) }), L)
            return 1
        case "body":
            exchange.body.withUnsafeBufferPointer { _ = lua_pushlstring(L, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
            return 1
        case "content_type": return push(exchange.header("Content-Type"))
        case "host": return push(exchange.host)
        case "remote_addr": return push(exchange.remoteAddress)
        default: return raise(L, "internal: unknown request field \(field)")
        }
    }

    /// `http_set(op, ...)`: status, header, write.
    static let httpSet: Builtin = { L in
        let L = L!, process = owner(L)
        guard let handler = process.call, let exchange = handler.exchange else { return failure(L, "not in an HTTP handler") }
        switch string(L, 1) {
        case "status":
            guard lua_type(L, 2) == LUA_TNUMBER, case let code = Int(lua_tointegerx(L, 2, nil)), (100...599).contains(code) else {
                return raise(L, "set_status expects an HTTP status code (100-599)")
            }
            exchange.status = code
        case "header":
            guard let name = string(L, 2), let value = string(L, 3) ?? (lua_type(L, 3) == LUA_TNUMBER ? LuaState.string(L, 3) : nil) else {
                return raise(L, "set_header expects a name and a value")
            }
            exchange.setHeader(name, value)
        case "write":
            var length = 0
            guard lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER, let pointer = lua_tolstring(L, 2, &length) else {
                return raise(L, "write expects a string")
            }
            // The body is charged to the handler's memory budget, as if its Lua state held it.
            let limit = process.context.memoryLimit
            guard length <= remainingBytes(L, process) else {
                return raise(L, "write: the response body would pass the handler's memory limit (\(limit >> 20) MiB)")
            }
            wippy_account_charge(wippy_control_of(L), process.account, Int64(length))
            handler.chargedBytes += length
            exchange.responseBody.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: length))
        default:
            return raise(L, "internal: unknown response operation")
        }
        return ok(L)
    }
}
