/// What payloads cost in memory: an estimate close to what the value takes in a Lua state (a
/// table header, 16 bytes per value slot, a string's header and bytes), used for every byte budget
/// of the runtime (a message, a mailbox, a decoded JSON text).
extension Payload {
    /// One scalar value (nil, boolean, number) or one array slot.
    public static let valueCost = 16
    /// A table with no slots yet.
    public static let tableCost = 56
    /// A string of `length` bytes.
    public static func stringCost(_ length: Int) -> Int { 40 + length }

    /// The estimated bytes of this value, nested values included.
    public var estimatedSize: Int {
        switch self {
        case .null, .bool, .int, .double: return Self.valueCost
        case let .string(s): return Self.stringCost(s.utf8.count)
        case let .bytes(b): return Self.stringCost(b.count)
        case let .array(items): return items.reduce(Self.tableCost) { $0 + Self.valueCost + $1.estimatedSize }
        case let .map(map):
            return map.reduce(Self.tableCost) { total, pair in
                let key: Int
                if case let .string(s) = pair.key { key = Self.stringCost(s.utf8.count) } else { key = Self.valueCost }
                return total + key + pair.value.estimatedSize
            }
        }
    }
}

/// A running count of estimated bytes against a limit, for readers and parsers that build a
/// payload piece by piece: they stop as soon as the limit is passed, before the rest is built.
public struct ByteBudget: Sendable {
    public let limit: Int
    public private(set) var used = 0

    public init(limit: Int) { self.limit = limit }

    /// Adds `bytes`; false once the total is over the limit.
    public mutating func charge(_ bytes: Int) -> Bool {
        used += bytes
        return used <= limit
    }
}
