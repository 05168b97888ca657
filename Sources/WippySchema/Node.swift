/// A JSON-like document value that remembers where it was written.
///
/// Manifests (YAML) and schemas (JSON) are both read into `Node`s, so the schema validator and the
/// manifest loader speak one data model and every error can point at a line and column.
public struct Node: Sendable, Equatable {
    public var value: Value
    public var mark: SourceMark

    public init(_ value: Value, mark: SourceMark = .none) {
        self.value = value
        self.mark = mark
    }

    /// The shapes a document value can take. Objects keep their members in source order.
    public indirect enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case array([Node])
        case object([Member])
    }

    /// One `key: value` pair of an object, with the mark of the key itself.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var keyMark: SourceMark
        public var value: Node

        public init(key: String, keyMark: SourceMark = .none, value: Node) {
            self.key = key
            self.keyMark = keyMark
            self.value = value
        }
    }

    /// Equality of documents ignores marks: `{a: 1}` written twice is the same value.
    public static func == (lhs: Node, rhs: Node) -> Bool { lhs.value == rhs.value }
}

extension Node.Value {
    public static func == (lhs: Node.Value, rhs: Node.Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        // Code-point equality, as JSON requires (Swift's == treats "é" and "e\u{301}" as equal).
        case let (.string(a), .string(b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            let byKey = Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            return a.allSatisfy { byKey[$0.key] == $0.value }
        default:
            // Numbers compare by value across int/double (JSON Schema: 1 == 1.0).
            if let a = lhs.number, let b = rhs.number { return a == b }
            return false
        }
    }

    /// The numeric value of an `.int` or `.double`, else nil.
    public var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }
}

extension Node.Member {
    /// Members compare by key and value; marks are ignored.
    public static func == (lhs: Node.Member, rhs: Node.Member) -> Bool {
        lhs.key == rhs.key && lhs.value == rhs.value
    }
}

extension Node {
    /// The member named `key` of an object node, else nil.
    public subscript(key: String) -> Node? {
        guard case let .object(members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The member named `key` of an object node, with its key mark.
    public func member(_ key: String) -> Member? {
        guard case let .object(members) = value else { return nil }
        return members.first { $0.key == key }
    }

    public var string: String? {
        if case let .string(s) = value { return s }
        return nil
    }

    public var bool: Bool? {
        if case let .bool(b) = value { return b }
        return nil
    }

    /// An integer, also from a double without a fraction (`2.0`).
    public var int: Int? {
        switch value {
        case let .int(i): return i
        case let .double(d) where d.rounded() == d && abs(d) < 9.0e18: return Int(d)
        default: return nil
        }
    }

    public var double: Double? { value.number }

    public var array: [Node]? {
        if case let .array(a) = value { return a }
        return nil
    }

    public var members: [Member]? {
        if case let .object(m) = value { return m }
        return nil
    }

    /// The JSON type name of this value, as JSON Schema's `type` keyword spells it.
    public var typeName: String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case let .double(d): return d.rounded() == d ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
