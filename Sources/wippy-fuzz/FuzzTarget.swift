import CLua
import Foundation
@_spi(Benchmarks) import WippyLua
import WippyGraph
import WippyHTTP
import WippyManifest
import WippyProcess

/// The parsers that take what users and clients send, each as a function of arbitrary bytes. A
/// target must never crash, hang or grow without bound, whatever the bytes; wrong input is an
/// error value. libFuzzer drives them (scripts/fuzz.sh); the regular build replays files through
/// them (`wippy-fuzz TARGET FILE...`), which is how the tests keep every input that once crashed.
enum FuzzTarget: String, CaseIterable {
    case manifest, json, duration, relay, payload, typedlua

    func run(_ data: [UInt8]) {
        switch self {
        case .typedlua: Self.typedLua(data)
        case .manifest: Self.manifest(data)
        case .json: Self.json(data)
        case .duration: _ = Duration(manifest: String(decoding: data, as: UTF8.self))
        case .relay: _ = try? RelayConfig(json: String(decoding: data, as: UTF8.self))
        case .payload: Self.payload(data)
        }
    }

    /// YAML → entries → schema validation → dependency graph, as `wippy validate` does.
    private static let folder: String = {
        let path = FileManager.default.temporaryDirectory.appending(path: "wippy-fuzz-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    private static let loader = try! ManifestLoader()

    private static func manifest(_ data: [UInt8]) {
        guard FileManager.default.createFile(atPath: folder + "/_index.yaml", contents: Data(data)) else { return }
        _ = CheckedApp(directory: folder, loader: loader)
    }

    /// Parse; what parses is written back and must parse to the same value.
    private static func json(_ data: [UInt8]) {
        guard let value = try? Payload.parseJSON(bytes: data, limit: 64 << 20) else { return }
        guard let again = try? Payload.parseJSON(value.json) else { fatalError("written JSON does not parse: \(value.json)") }
        guard again.json == value.json else { fatalError("JSON round trip changed \(value.json) into \(again.json)") }
    }

    /// The bytes are a little program that builds Lua values (scalars, tables, shared and cyclic
    /// references); the value it leaves is copied out as a message and into another state, and
    /// the copy must read back the same.
    private static func payload(_ data: [UInt8]) {
        guard let from = luaL_newstate(), let to = luaL_newstate() else { return }
        defer {
            lua_close(from)
            lua_close(to)
        }
        var bytes = data.makeIterator()
        lua_createtable(from, 0, 0)
        while let op = bytes.next(), lua_gettop(from) < 200, lua_checkstack(from, 2) != 0 {
            let top = lua_gettop(from)
            switch op % 8 {
            case 0: lua_pushinteger(from, lua_Integer(Int8(bitPattern: bytes.next() ?? 0)) << (Int64(bytes.next() ?? 0) % 64))
            case 1: lua_pushnumber(from, Double(bitPattern: UInt64(bytes.next() ?? 0) << 56 | UInt64(bytes.next() ?? 0)))
            case 2:
                let length = Int(bytes.next() ?? 0) % 16
                let text = (0..<length).map { _ in bytes.next() ?? 0 }
                text.withUnsafeBufferPointer { _ = lua_pushlstring(from, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
            case 3: lua_pushboolean(from, Int32(op & 0x10))
            case 4: lua_createtable(from, 0, 0)
            case 5 where top >= 3 && lua_type(from, -3) == LUA_TTABLE && lua_type(from, -2) != LUA_TNIL:
                if lua_type(from, -2) == LUA_TNUMBER, lua_tonumberx(from, -2, nil).isNaN { wippy_pop(from, 2); continue }
                lua_rawset(from, -3)  // t[k] = v
            case 6 where top >= 1: lua_pushvalue(from, Int32(-1 - Int32(bytes.next() ?? 0) % top))  // a shared (or cyclic) reference
            case 7 where top >= 2: wippy_pop(from, 1)
            default: break
            }
        }
        let direct = try? LuaBridge.json(at: -1, from, limit: 1 << 20)
        let read: (payload: Payload, size: Int)
        do { read = try LuaBridge.payloadAndSize(at: -1, from, limit: 1 << 20) } catch {
            if let direct { fatalError("json.encode wrote \(String(decoding: direct, as: UTF8.self)) of what cannot be a payload: \(error)") }
            return
        }
        let value = read.payload
        // json.encode writes straight from Lua what the payload's JSON would be.
        guard let direct, String(decoding: direct, as: UTF8.self) == value.json else {
            fatalError("json.encode wrote \(direct.map { String(decoding: $0, as: UTF8.self) } ?? "an error"), the payload \(value.json)")
        }
        LuaBridge.push(value, to)
        guard let back = try? LuaBridge.payload(at: -1, to) else { fatalError("a copied payload cannot be read back: \(value)") }
        guard comparable(back) == comparable(value) else { fatalError("payload copy changed \(value) into \(back)") }
    }

    /// The typed dialect's front end: it keeps the length and every line break, turns bytes into
    /// spaces only, and leaves source that is valid plain Lua exactly as it was.
    private static func typedLua(_ data: [UInt8]) {
        let source = String(decoding: data, as: UTF8.self)
        let erased = TypedLua.erase(source)
        guard erased.utf8.count == source.utf8.count,
              zip(erased.utf8, source.utf8).allSatisfy({ $0 == $1 || ($0 == 0x20 && $1 != 0x0A && $1 != 0x0D) }) else {
            fatalError("the front end did more than blank bytes: \(source.debugDescription) → \(erased.debugDescription)")
        }
        guard let L = luaL_newstate() else { return }
        defer { lua_close(L) }
        let plain = source.withCString { wippy_loadbuffer(L, $0, source.utf8.count, "=fuzz") } == LUA_OK
        if plain, erased != source { fatalError("valid plain Lua was changed: \(source.debugDescription) → \(erased.debugDescription)") }
    }

    /// `value` with NaN (never equal to itself) as a marker, so that copies compare with `==`.
    private static func comparable(_ value: Payload) -> Payload {
        switch value {
        case let .double(d) where d.isNaN: return .string("NaN")
        case let .array(items): return .array(items.map(comparable))
        case let .map(map): return .map(map.mapValues(comparable))
        default: return value
        }
    }
}
