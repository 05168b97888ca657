import CLua
import NIOCore
import WippyHTTP
import WippyLua
import WippyProcess

/// The Lua `http` module: the request a handler answers and the response it builds, both read
/// from and written to the call's ``HTTPExchange``.
public enum HTTPModule {
    /// Makes `http` available to the Lua states made from now on (idempotent).
    public static func register() {
        _ = registration
    }

    private static let registration: Void = BuiltinModule.register(BuiltinModule(
        name: "http", source: EmbeddedLua.files["http.lua"] ?? "",
        functions: [("http_get", get), ("http_set", set)]))

    /// The exchange the running function call answers; nil outside an HTTP handler.
    private static func exchange(_ L: OpaquePointer) -> HTTPExchange? {
        Builtins.owner(L).call?.attachment as? HTTPExchange
    }

    /// `http_get(field [, key])`: the request of the handler this process runs.
    static let get: BuiltinModule.Function = { L in
        let L = L!
        let field = Builtins.string(L, 1) ?? ""
        guard let exchange = exchange(L) else {
            lua_pushnil(L)
            return 1
        }
        let key = Builtins.string(L, 2)
        func push(_ text: String?) -> Int32 {
            Builtins.push(text, L)
            return 1
        }
        switch field {
        case "active": return Builtins.ok(L)
        case "method": return push(exchange.method)
        case "path": return push(exchange.path)
        case "param": return push(key.flatMap { exchange.parameters[$0] })
        case "params":
            Builtins.push(.object(exchange.parameters.map { ($0.key, .string($0.value)) }), L)
            return 1
        case "query": return push(key.flatMap(exchange.query))
        case "query_params":
            var values: [String: Payload] = [:]
            for (name, value) in exchange.query where values[name] == nil { values[name] = .string(value) }
            Builtins.push(.object(values.map { ($0.key, $0.value) }), L)
            return 1
        case "header": return push(key.flatMap(exchange.header))
        case "headers":
            var values: [String: Payload] = [:]
            exchange.forEachHeader { name, value in
                let name = name.lowercased()
                if values[name] == nil { values[name] = .string(value) }
            }
            Builtins.push(.object(values.map { ($0.key, $0.value) }), L)
            return 1
        case "body":
            exchange.withBody { _ = lua_pushlstring(L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
            return 1
        case "has_body":
            lua_pushboolean(L, exchange.withBody { $0.isEmpty } ? 0 : 1)
            return 1
        case "body_json":
            return exchange.withBody { body in
                body.isEmpty ? Builtins.failure(L, "the request has no body") : Builtins.pushJSON(decoding: body, L)
            }
        case "content_type": return push(exchange.header("Content-Type"))
        case "host": return push(exchange.host)
        case "remote_addr": return push(exchange.remoteAddress)
        default: return Builtins.raise(L, "internal: unknown request field \(field)")
        }
    }

    /// `http_set(op, ...)`: status, header, write.
    static let set: BuiltinModule.Function = { L in
        let L = L!
        guard let exchange = exchange(L) else { return Builtins.failure(L, "not in an HTTP handler") }
        switch Builtins.string(L, 1) {
        case "status":
            guard lua_type(L, 2) == LUA_TNUMBER, case let code = Int(lua_tointegerx(L, 2, nil)), (100...599).contains(code) else {
                return Builtins.raise(L, "set_status expects an HTTP status code (100-599)")
            }
            exchange.status = code
        case "header":
            guard let name = Builtins.string(L, 2), let value = Builtins.text(L, 3) else {
                return Builtins.raise(L, "set_header expects a name and a value")
            }
            exchange.setHeader(name, value)
        case "write":
            var length = 0
            guard lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER, let pointer = lua_tolstring(L, 2, &length) else {
                return Builtins.raise(L, "write expects a string")
            }
            guard Builtins.chargeCall(L, bytes: length) else {
                let limit = Builtins.memoryLimit(L)
                return Builtins.raise(L, "write: the response body would pass the handler's memory limit (\(limit >> 20) MiB)")
            }
            exchange.responseBody.writeBytes(UnsafeRawBufferPointer(start: pointer, count: length))
        default:
            return Builtins.raise(L, "internal: unknown response operation")
        }
        return Builtins.ok(L)
    }
}
