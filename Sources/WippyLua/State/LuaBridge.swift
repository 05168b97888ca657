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
    /// cannot be sent, nor values whose estimated size (``Payload/estimatedSize``, a table reached
    /// twice counted twice) passes `limit` bytes: reading stops there.
    public static func payload(at index: Int32, _ L: OpaquePointer, limit: Int = .max) throws(Unsendable) -> Payload {
        try payloadAndSize(at: index, L, limit: limit).payload
    }

    /// ``payload(at:_:limit:)`` and the payload's estimated size.
    public static func payloadAndSize(at index: Int32, _ L: OpaquePointer, limit: Int) throws(Unsendable) -> (payload: Payload, size: Int) {
        var reader = Reader(budget: ByteBudget(limit: limit))
        let payload = try reader.read(lua_absindex(L, index), L)
        return (payload, reader.budget.used)
    }

    /// One walk over a Lua value: the tables on the path from the root (a cycle comes back to one
    /// of them) and the bytes read so far.
    private struct Reader {
        var budget: ByteBudget
        var visiting: [UnsafeRawPointer] = []

        mutating func charge(_ bytes: Int) throws(Unsendable) {
            guard budget.charge(bytes) else {
                throw Unsendable(message: "the value is larger than the limit of \(Reader.describe(budget.limit)) (a table reached twice counts twice)")
            }
        }

        static func describe(_ bytes: Int) -> String {
            bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
        }

        mutating func read(_ index: Int32, _ L: OpaquePointer) throws(Unsendable) -> Payload {
            switch lua_type(L, index) {
            case LUA_TNIL, LUA_TNONE:
                try charge(Payload.valueCost)
                return .null
            case LUA_TBOOLEAN:
                try charge(Payload.valueCost)
                return .bool(lua_toboolean(L, index) != 0)
            case LUA_TNUMBER:
                try charge(Payload.valueCost)
                if lua_isinteger(L, index) != 0 { return .int(Int64(lua_tointegerx(L, index, nil))) }
                return .double(lua_tonumberx(L, index, nil))
            case LUA_TSTRING:
                var length = 0
                let pointer = lua_tolstring(L, index, &length)!
                try charge(Payload.stringCost(length))
                let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
                if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
                return .bytes(Array(bytes))
            case LUA_TTABLE:
                return try LuaBridge.readTable(index, L, &self)
            default:
                let typeName = String(cString: lua_typename(L, lua_type(L, index)))
                throw Unsendable(message: "a \(typeName) cannot be sent between processes (only nil, booleans, numbers, strings and tables of them)")
            }
        }
    }

    private static func readTable(_ index: Int32, _ L: OpaquePointer, _ reader: inout Reader) throws(Unsendable) -> Payload {
        guard let identity = lua_topointer(L, index) else { return .null }
        if lua_getmetatable(L, index) != 0 {
            lua_pushstring(L, "__wippy_nocopy")
            let marked = lua_rawget(L, -2) != LUA_TNIL
            wippy_pop(L, 2)
            if marked { throw Unsendable(message: "a channel cannot be sent between processes") }
        }
        guard !reader.visiting.contains(identity) else {
            throw Unsendable(message: "a table that contains itself cannot be sent between processes")
        }
        guard reader.visiting.count < Payload.maxDepth else {
            throw Unsendable(message: "a table nested more than \(Payload.maxDepth) levels deep cannot be sent between processes")
        }
        try reader.charge(Payload.tableCost)
        reader.visiting.append(identity)
        defer { reader.visiting.removeLast() }
        guard lua_checkstack(L, 4) != 0 else { throw Unsendable(message: "a table nested too deeply cannot be sent") }

        var map: [Payload.Key: Payload] = [:]
        var maxIndex: Int64 = 0
        var onlyPositiveIntegers = true
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            let value: Payload
            let key: Payload.Key
            do throws(Unsendable) {
                value = try reader.read(lua_absindex(L, -1), L)
                switch lua_type(L, -2) {
                case LUA_TNUMBER where lua_isinteger(L, -2) != 0:
                    let i = Int64(lua_tointegerx(L, -2, nil))
                    key = .int(i)
                    if i >= 1 { maxIndex = max(maxIndex, i) } else { onlyPositiveIntegers = false }
                    try reader.charge(Payload.valueCost)
                case LUA_TNUMBER:
                    key = .double(lua_tonumberx(L, -2, nil))
                    onlyPositiveIntegers = false
                    try reader.charge(Payload.valueCost)
                case LUA_TSTRING:
                    var length = 0
                    let pointer = lua_tolstring(L, -2, &length)!
                    key = .string(String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self))
                    onlyPositiveIntegers = false
                    try reader.charge(Payload.stringCost(length))
                case LUA_TBOOLEAN:
                    key = .bool(lua_toboolean(L, -2) != 0)
                    onlyPositiveIntegers = false
                    try reader.charge(Payload.valueCost)
                default:
                    throw Unsendable(message: "a table with a non-scalar key cannot be sent between processes")
                }
            } catch {
                wippy_pop(L, 2)
                throw error
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
