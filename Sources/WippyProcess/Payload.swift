/// A value sent between processes: plain data, never shared. Converting a Lua value into a payload
/// and back into another Lua state is the deep copy that keeps processes apart.
public enum Payload: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// Text that is valid UTF-8.
    case string(String)
    /// A byte string that is not valid UTF-8 (Lua strings may hold any bytes).
    case bytes([UInt8])
    /// A sequence: a Lua table with keys 1…n (an empty table is an empty array).
    case array([Payload])
    /// Any other table.
    case map([Key: Payload])

    /// A table key.
    public enum Key: Hashable, Sendable, CustomStringConvertible {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)

        public var description: String {
            switch self {
            case let .string(s): return s
            case let .int(i): return String(i)
            case let .double(d): return String(d)
            case let .bool(b): return String(b)
            }
        }
    }

    /// Most arrays and maps nested in one another that a payload may hold: deeper Lua tables and
    /// JSON texts are refused with an error (readers and writers recurse).
    public static let maxDepth = 200

    /// The member `key` of a map payload.
    public subscript(key: String) -> Payload? {
        guard case let .map(map) = self else { return nil }
        return map[.string(key)]
    }

    public var stringValue: String? {
        switch self {
        case let .string(s): return s
        case let .bytes(b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    /// Builds a map payload from string keys.
    public static func object(_ pairs: [(String, Payload)]) -> Payload {
        .map(Dictionary(pairs.map { (Key.string($0.0), $0.1) }, uniquingKeysWith: { _, last in last }))
    }
}
