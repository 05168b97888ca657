import CLua
import WippyProcess

/// Converts between Lua values and ``Payload``s. Reading a value from one state and pushing it into
/// another is the deep copy of a message: the two processes share nothing.
///
/// Visible to the micro-benchmarks (`@_spi(Benchmarks)`), not part of the runtime's API.
@_spi(Benchmarks) public enum LuaBridge {
    /// Why a Lua value cannot become a payload.
    public struct Unsendable: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Pushes `payload` onto the stack (one value).
    public static func push(_ payload: Payload, _ L: OpaquePointer) {
        guard lua_checkstack(L, 4) != 0 else {
            lua_pushnil(L)
            return
        }
        switch payload {
        case .null: lua_pushnil(L)
        case let .bool(b): lua_pushboolean(L, b ? 1 : 0)
        case let .int(i): lua_pushinteger(L, lua_Integer(i))
        case let .double(d): lua_pushnumber(L, d)
        case let .string(s): pushString(s, L)
        case let .bytes(b): b.withUnsafeBufferPointer { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
        case let .array(items):
            lua_createtable(L, Int32(clamping: items.count), 0)
            for (i, item) in items.enumerated() {
                push(item, L)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
        case let .map(map):
            lua_createtable(L, 0, Int32(clamping: map.count))
            for (key, value) in map {
                switch key {
                case let .string(s): pushString(s, L)
                case let .int(i): lua_pushinteger(L, lua_Integer(i))
                case let .double(d): lua_pushnumber(L, d)
                case let .bool(b): lua_pushboolean(L, b ? 1 : 0)
                }
                push(value, L)
                lua_rawset(L, -3)
            }
        }
    }

    static func pushString(_ s: String, _ L: OpaquePointer) {
        var s = s
        s.withUTF8 { _ = lua_pushlstring(L, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
    }

    /// The value at `index` as a payload. Functions, userdata, threads, channels and cyclic tables
    /// cannot be sent.
    public static func payload(at index: Int32, _ L: OpaquePointer) throws(Unsendable) -> Payload {
        var visiting: [UnsafeRawPointer] = []
        return try read(lua_absindex(L, index), L, &visiting)
    }


    private static func read(_ index: Int32, _ L: OpaquePointer, _ visiting: inout [UnsafeRawPointer]) throws(Unsendable) -> Payload {
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, index) != 0 { return .int(Int64(lua_tointegerx(L, index, nil))) }
            return .double(lua_tonumberx(L, index, nil))
        case LUA_TSTRING:
            var length = 0
            let pointer = lua_tolstring(L, index, &length)!
            let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
            if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
            return .bytes(Array(bytes))
        case LUA_TTABLE:
            return try readTable(index, L, &visiting)
        default:
            let typeName = String(cString: lua_typename(L, lua_type(L, index)))
            throw Unsendable(message: "a \(typeName) cannot be sent between processes (only nil, booleans, numbers, strings and tables of them)")
        }
    }

    private static func readTable(_ index: Int32, _ L: OpaquePointer, _ visiting: inout [UnsafeRawPointer]) throws(Unsendable) -> Payload {
        guard let identity = lua_topointer(L, index) else { return .null }
        if lua_getmetatable(L, index) != 0 {
            lua_pushstring(L, "__wippy_nocopy")
            let marked = lua_rawget(L, -2) != LUA_TNIL
            wippy_pop(L, 2)
            if marked { throw Unsendable(message: "a channel cannot be sent between processes") }
        }
        // `visiting` holds the tables on the path from the root: a cycle comes back to one of them.
        guard !visiting.contains(identity) else {
            throw Unsendable(message: "a table that contains itself cannot be sent between processes")
        }
        guard visiting.count < Payload.maxDepth else {
            throw Unsendable(message: "a table nested more than \(Payload.maxDepth) levels deep cannot be sent between processes")
        }
        visiting.append(identity)
        defer { visiting.removeLast() }
        guard lua_checkstack(L, 4) != 0 else { throw Unsendable(message: "a table nested too deeply cannot be sent") }

        var map: [Payload.Key: Payload] = [:]
        var maxIndex: Int64 = 0
        var onlyPositiveIntegers = true
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            let value: Payload
            do {
                value = try read(lua_absindex(L, -1), L, &visiting)
            } catch {
                wippy_pop(L, 2)
                throw error
            }
            let key: Payload.Key
            switch lua_type(L, -2) {
            case LUA_TNUMBER where lua_isinteger(L, -2) != 0:
                let i = Int64(lua_tointegerx(L, -2, nil))
                key = .int(i)
                if i >= 1 { maxIndex = max(maxIndex, i) } else { onlyPositiveIntegers = false }
            case LUA_TNUMBER:
                key = .double(lua_tonumberx(L, -2, nil))
                onlyPositiveIntegers = false
            case LUA_TSTRING:
                key = .string(LuaState.string(L, -2) ?? "")
                onlyPositiveIntegers = false
            case LUA_TBOOLEAN:
                key = .bool(lua_toboolean(L, -2) != 0)
                onlyPositiveIntegers = false
            default:
                wippy_pop(L, 2)
                throw Unsendable(message: "a table with a non-scalar key cannot be sent between processes")
            }
            map[key] = value
            wippy_pop(L, 1)
        }
        if onlyPositiveIntegers, maxIndex == Int64(map.count) {
            return .array((0..<map.count).map { map[.int(Int64($0 + 1))]! })
        }
        return .map(map)
    }
}
