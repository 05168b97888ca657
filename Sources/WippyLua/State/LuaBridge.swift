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
        var reader = Reader(walk: Walk(budget: ByteBudget(limit: limit)))
        let payload = try reader.read(lua_absindex(L, index), L)
        return (payload, reader.walk.budget.used)
    }

    /// The JSON text of the value at `index`, exactly as ``Payload/json`` writes the payload
    /// ``payload(at:_:limit:)`` would make of it (sorted object keys, an empty table as `[]`),
    /// written straight from the Lua value; the same errors and the same `limit`.
    public static func json(at index: Int32, _ L: OpaquePointer, limit: Int) throws(Unsendable) -> [UInt8] {
        var writer = JSONWriter(walk: Walk(budget: ByteBudget(limit: limit)))
        try writer.write(lua_absindex(L, index), L)
        return writer.out
    }

    /// What every walk over a Lua value keeps: the tables on the path from the root (a cycle
    /// comes back to one of them) and the bytes read so far, with the checks both make.
    private struct Walk {
        var budget: ByteBudget
        var visiting: [UnsafeRawPointer] = []

        mutating func charge(_ bytes: Int) throws(Unsendable) {
            guard budget.charge(bytes) else {
                throw Unsendable(message: "the value is larger than the limit of \(Walk.describe(budget.limit)) (a table reached twice counts twice)")
            }
        }

        static func describe(_ bytes: Int) -> String {
            bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
        }

        /// Checks the scalar at `index` that is no table and charges it: a string's bytes (nil
        /// for any other type), or what makes it unsendable.
        mutating func scalar(_ index: Int32, _ L: OpaquePointer) throws(Unsendable) -> UnsafeRawBufferPointer? {
            switch lua_type(L, index) {
            case LUA_TNIL, LUA_TNONE, LUA_TBOOLEAN, LUA_TNUMBER:
                try charge(Payload.valueCost)
                return nil
            case LUA_TSTRING:
                var length = 0
                let pointer = lua_tolstring(L, index, &length)!
                try charge(Payload.stringCost(length))
                return UnsafeRawBufferPointer(start: pointer, count: length)
            default:
                let typeName = String(cString: lua_typename(L, lua_type(L, index)))
                throw Unsendable(message: "a \(typeName) cannot be sent between processes (only nil, booleans, numbers, strings and tables of them)")
            }
        }

        /// Enters the table at `index` (checked: no channel, no cycle, not too deep; charged);
        /// ``leave()`` after its contents.
        mutating func enter(_ index: Int32, _ L: OpaquePointer) throws(Unsendable) {
            guard let identity = lua_topointer(L, index) else { return }
            if lua_getmetatable(L, index) != 0 {
                lua_pushstring(L, "__wippy_nocopy")
                let marked = lua_rawget(L, -2) != LUA_TNIL
                wippy_pop(L, 2)
                if marked { throw Unsendable(message: "a channel cannot be sent between processes") }
            }
            guard !visiting.contains(identity) else {
                throw Unsendable(message: "a table that contains itself cannot be sent between processes")
            }
            guard visiting.count < Payload.maxDepth else {
                throw Unsendable(message: "a table nested more than \(Payload.maxDepth) levels deep cannot be sent between processes")
            }
            try charge(Payload.tableCost)
            visiting.append(identity)
            guard lua_checkstack(L, 4) != 0 else { throw Unsendable(message: "a table nested too deeply cannot be sent") }
        }

        mutating func leave() {
            visiting.removeLast()
        }

        /// The key on top of the stack (the one `lua_next` left at -2, its value at -1), charged.
        mutating func key(_ L: OpaquePointer) throws(Unsendable) -> Payload.Key {
            switch lua_type(L, -2) {
            case LUA_TNUMBER where lua_isinteger(L, -2) != 0:
                try charge(Payload.valueCost)
                return .int(Int64(lua_tointegerx(L, -2, nil)))
            case LUA_TNUMBER:
                try charge(Payload.valueCost)
                return .double(lua_tonumberx(L, -2, nil))
            case LUA_TSTRING:
                var length = 0
                let pointer = lua_tolstring(L, -2, &length)!
                try charge(Payload.stringCost(length))
                return .string(String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self))
            case LUA_TBOOLEAN:
                try charge(Payload.valueCost)
                return .bool(lua_toboolean(L, -2) != 0)
            default:
                throw Unsendable(message: "a table with a non-scalar key cannot be sent between processes")
            }
        }
    }

    /// Reads a Lua value into a payload.
    private struct Reader {
        var walk: Walk

        mutating func read(_ index: Int32, _ L: OpaquePointer) throws(Unsendable) -> Payload {
            guard lua_type(L, index) == LUA_TTABLE else {
                let bytes = try walk.scalar(index, L)
                switch lua_type(L, index) {
                case LUA_TBOOLEAN: return .bool(lua_toboolean(L, index) != 0)
                case LUA_TNUMBER:
                    if lua_isinteger(L, index) != 0 { return .int(Int64(lua_tointegerx(L, index, nil))) }
                    return .double(lua_tonumberx(L, index, nil))
                case LUA_TSTRING:
                    if let bytes, UTF8Validation.isValid(bytes) { return .string(String(decoding: bytes, as: UTF8.self)) }
                    return .bytes(Array(bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)))
                default: return .null
                }
            }
            try walk.enter(index, L)
            defer { walk.leave() }
            var map: [Payload.Key: Payload] = [:]
            var maxIndex: Int64 = 0
            var onlyPositiveIntegers = true
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                let value: Payload
                let key: Payload.Key
                do throws(Unsendable) {
                    value = try read(lua_absindex(L, -1), L)
                    key = try walk.key(L)
                } catch {
                    wippy_pop(L, 2)
                    throw error
                }
                if case let .int(i) = key, i >= 1 { maxIndex = max(maxIndex, i) } else { onlyPositiveIntegers = false }
                map[key] = value
                wippy_pop(L, 1)
            }
            if onlyPositiveIntegers, maxIndex == Int64(map.count) {
                return .array((0..<map.count).map { map[.int(Int64($0 + 1))]! })
            }
            return .map(map)
        }
    }

    /// Writes a Lua value as JSON text.
    private struct JSONWriter {
        var walk: Walk
        var out: [UInt8] = []

        mutating func write(_ index: Int32, _ L: OpaquePointer) throws(Unsendable) {
            guard lua_type(L, index) == LUA_TTABLE else {
                let bytes = try walk.scalar(index, L)
                switch lua_type(L, index) {
                case LUA_TBOOLEAN: out.append(contentsOf: (lua_toboolean(L, index) != 0 ? "true" : "false").utf8)
                case LUA_TNUMBER:
                    if lua_isinteger(L, index) != 0 {
                        out.append(contentsOf: String(Int64(lua_tointegerx(L, index, nil))).utf8)
                    } else {
                        Payload.writeJSONNumber(lua_tonumberx(L, index, nil), into: &out)
                    }
                case LUA_TSTRING:
                    let bytes = bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
                    if UTF8Validation.isValid(bytes) {
                        Payload.writeJSONString(utf8: bytes, into: &out)
                    } else {
                        Payload.writeJSONString(String(decoding: bytes, as: UTF8.self), into: &out)
                    }
                default: out.append(contentsOf: "null".utf8)
                }
                return
            }
            try walk.enter(index, L)
            defer { walk.leave() }
            // The keys first: a table with keys 1…n (or none) is an array, any other an object
            // whose members are written in the order of their keys' text.
            // A string key that is not UTF-8 is written repaired but looked up with its own bytes.
            var keys: [(key: Payload.Key, bytes: [UInt8]?)] = []
            var maxIndex: Int64 = 0
            var onlyPositiveIntegers = true
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                let key: Payload.Key
                do throws(Unsendable) { key = try walk.key(L) } catch {
                    wippy_pop(L, 2)
                    throw error
                }
                if case let .int(i) = key, i >= 1 { maxIndex = max(maxIndex, i) } else { onlyPositiveIntegers = false }
                var bytes: [UInt8]?
                if case .string = key {
                    var length = 0
                    let raw = UnsafeRawBufferPointer(start: lua_tolstring(L, -2, &length), count: length)
                    if !UTF8Validation.isValid(raw) { bytes = Array(raw) }
                }
                keys.append((key, bytes))
                wippy_pop(L, 1)
            }
            if onlyPositiveIntegers, maxIndex == Int64(keys.count) {
                out.append(UInt8(ascii: "["))
                for position in 0..<keys.count {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    lua_rawgeti(L, index, lua_Integer(position + 1))
                    defer { wippy_pop(L, 1) }
                    try write(lua_absindex(L, -1), L)
                }
                out.append(UInt8(ascii: "]"))
                return
            }
            if keys.contains(where: { $0.bytes != nil }) {
                // Repaired, two such keys may read alike: as in a payload's map, the later one
                // (in `next` order) stands for both; the others' values are still read (checked
                // and charged, as a payload reads them) but not written.
                var last: [String: Int] = [:]
                for (position, entry) in keys.enumerated() { if case let .string(text) = entry.key { last[text] = position } }
                var kept: [(key: Payload.Key, bytes: [UInt8]?)] = []
                for (position, entry) in keys.enumerated() {
                    if case let .string(text) = entry.key, last[text] != position {
                        let mark = out.count
                        try writeValue(of: entry, in: index, L)
                        out.removeSubrange(mark...)
                    } else {
                        kept.append(entry)
                    }
                }
                keys = kept
            }
            let members = keys.sorted { Payload.precedesInJSON(($0.key.description, $0.key), ($1.key.description, $1.key)) }
            out.append(UInt8(ascii: "{"))
            for (position, member) in members.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                Payload.writeJSONString(member.key.description, into: &out)
                out.append(UInt8(ascii: ":"))
                try writeValue(of: member, in: index, L)
            }
            out.append(UInt8(ascii: "}"))
        }

        /// Writes the value the table at `index` holds for `entry` (its key looked up again, a
        /// key that is not UTF-8 by its own bytes).
        mutating func writeValue(of entry: (key: Payload.Key, bytes: [UInt8]?), in index: Int32, _ L: OpaquePointer) throws(Unsendable) {
            switch entry.key {
            case let .string(text):
                if let bytes = entry.bytes {
                    bytes.withUnsafeBufferPointer { _ = lua_pushlstring(L, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
                } else {
                    LuaBridge.pushString(text, L)
                }
            case let .int(i): lua_pushinteger(L, lua_Integer(i))
            case let .double(d): lua_pushnumber(L, d)
            case let .bool(b): lua_pushboolean(L, b ? 1 : 0)
            }
            _ = lua_rawget(L, index)
            defer { wippy_pop(L, 1) }
            try write(lua_absindex(L, -1), L)
        }
    }
}
