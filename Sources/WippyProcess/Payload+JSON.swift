/// JSON text ⇄ ``Payload``. Used by the Lua `json` module and for WebSocket frames.
extension Payload {
    /// JSON text of this value. Object keys are sorted by their UTF-8 bytes (stable output); NaN
    /// and ±infinity become `null`; an empty array is `[]`; byte strings are written as text with
    /// invalid bytes replaced.
    public var json: String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        writeJSON(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends this value's JSON text (as ``json`` writes it) to `out`.
    public func writeJSON(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .int(i): out.append(contentsOf: String(i).utf8)
        case let .double(d): Self.writeJSONNumber(d, into: &out)
        case let .string(s): Self.writeJSONString(s, into: &out)
        case let .bytes(b): Self.writeJSONString(String(decoding: b, as: UTF8.self), into: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.writeJSON(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .map(map):
            out.append(UInt8(ascii: "{"))
            if map.count == 1, let (key, value) = map.first {
                Self.writeJSONString(key.description, into: &out)
                out.append(UInt8(ascii: ":"))
                value.writeJSON(into: &out)
            } else {
                let entries = map.map { (text: $0.key.description, key: $0.key, value: $0.value) }
                    .sorted { Self.precedesInJSON(($0.text, $0.key), ($1.text, $1.key)) }
                for (i, entry) in entries.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    Self.writeJSONString(entry.text, into: &out)
                    out.append(UInt8(ascii: ":"))
                    entry.value.writeJSON(into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether the member keyed `a` comes before the one keyed `b` in an object's JSON text: by
    /// the keys' text, UTF-8 byte by byte; keys of one text (`1` and `"1"`) string first, then
    /// integer, float, boolean.
    public static func precedesInJSON(_ a: (text: String, key: Key), _ b: (text: String, key: Key)) -> Bool {
        if a.text != b.text { return a.text.utf8.lexicographicallyPrecedes(b.text.utf8) }
        func rank(_ key: Key) -> Int {
            switch key {
            case .string: 0
            case .int: 1
            case .double: 2
            case .bool: 3
            }
        }
        return rank(a.key) < rank(b.key)
    }

    /// Appends `d` as JSON: integral values below 10^15 without a fraction, NaN and ±infinity as
    /// `null`.
    public static func writeJSONNumber(_ d: Double, into out: inout [UInt8]) {
        if !d.isFinite {
            out.append(contentsOf: "null".utf8)
        } else if d.rounded() == d, abs(d) < 1e15 {
            out.append(contentsOf: String(Int64(d)).utf8)
        } else {
            out.append(contentsOf: "\(d)".utf8)
        }
    }

    /// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped.
    public static func writeJSONString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeJSONString(utf8: UnsafeRawBufferPointer($0), into: &out) }
    }

    /// ``writeJSONString(_:into:)`` of text given as valid UTF-8 bytes.
    public static func writeJSONString(utf8 raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        out.append(UInt8(ascii: "\""))
        var plainStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plainStart..<index]))
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            default:
                let hex = String(byte, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            }
            plainStart = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plainStart..<bytes.count]))
        out.append(UInt8(ascii: "\""))
    }

    /// Parses JSON text. Objects become maps with string keys, integers without fraction or
    /// exponent become `.int`, other numbers `.double`. A text whose value would be larger than
    /// `limit` bytes (``estimatedSize``) is refused as soon as the parser gets there.
    public static func parseJSON(_ text: String, limit: Int = .max) throws(JSONError) -> Payload {
        try parseJSON(bytes: Array(text.utf8), limit: limit)
    }

    /// ``parseJSON(_:limit:)`` of UTF-8 bytes.
    public static func parseJSON(bytes: [UInt8], limit: Int = .max) throws(JSONError) -> Payload {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(JSONError) in try parseJSON(utf8: raw, limit: limit) }
        }.get()
    }

    /// ``parseJSON(_:limit:)`` of UTF-8 bytes in memory the caller keeps alive (a Lua string, a
    /// request body), read in place.
    public static func parseJSON(utf8: UnsafeRawBufferPointer, limit: Int = .max) throws(JSONError) -> Payload {
        var parser = JSONParser(bytes: utf8.assumingMemoryBound(to: UInt8.self), budget: ByteBudget(limit: limit))
        return try parser.parseDocument()
    }
}

/// Why a JSON text could not be parsed.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at offset \(offset)" }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var budget: ByteBudget
    var position = 0
    var depth = 0

    private mutating func charge(_ bytes: Int) throws(JSONError) {
        guard budget.charge(bytes) else {
            throw fail("the decoded value would be larger than the limit of \(budget.limit >> 10) KiB")
        }
    }

    mutating func parseDocument() throws(JSONError) -> Payload {
        skipSpace()
        let value = try parseValue()
        skipSpace()
        guard position == bytes.count else { throw fail("unexpected text after the JSON value") }
        return value
    }

    private func fail(_ message: String) -> JSONError { JSONError(message: message, offset: position) }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func parseValue() throws(JSONError) -> Payload {
        guard position < bytes.count else { throw fail("unexpected end of JSON") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            try charge(Payload.tableCost)
            return try parseObject()
        case UInt8(ascii: "["):
            try charge(Payload.tableCost)
            return try parseArray()
        case UInt8(ascii: "\""):
            let text = try parseString()
            try charge(Payload.stringCost(text.utf8.count))
            return .string(text)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try parseNumber()
        }
    }

    private mutating func literal(_ word: String, _ value: Payload) throws(JSONError) -> Payload {
        try charge(Payload.valueCost)
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
            throw fail("unexpected character")
        }
        position += utf8.count
        return value
    }

    private mutating func nest() throws(JSONError) {
        depth += 1
        if depth > Payload.maxDepth { throw fail("JSON nested more than \(Payload.maxDepth) levels deep") }
    }

    private mutating func parseObject() throws(JSONError) -> Payload {
        try nest()
        position += 1
        var map: [Payload.Key: Payload] = [:]
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .map(map)
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            try charge(Payload.stringCost(key.utf8.count))
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            skipSpace()
            map[.string(key)] = try parseValue()
            skipSpace()
            guard position < bytes.count else { throw fail("unexpected end of JSON") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            throw fail("expected ',' or '}'")
        }
        depth -= 1
        return .map(map)
    }

    private mutating func parseArray() throws(JSONError) -> Payload {
        try nest()
        position += 1
        var items: [Payload] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipSpace()
            try charge(Payload.valueCost)
            items.append(try parseValue())
            skipSpace()
            guard position < bytes.count else { throw fail("unexpected end of JSON") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            throw fail("expected ',' or ']'")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func parseString() throws(JSONError) -> String {
        position += 1
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw fail("unterminated string") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    // A high surrogate pairs with a low one right after it; a lone surrogate of
                    // either kind becomes U+FFFD (the next escape is then read on its own).
                    if (0xD800..<0xDC00).contains(scalar), position + 5 < bytes.count,
                       bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position -= 6
                        }
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8))
                default: throw fail("bad escape")
                }
            case 0..<0x20:
                throw fail("control character in string")
            default:
                out.append(byte)
            }
        }
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard position + 4 <= bytes.count,
              let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        position += 4
        return value
    }

    private mutating func parseNumber() throws(JSONError) -> Payload {
        try charge(Payload.valueCost)
        let start = position
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        while position < bytes.count {
            let byte = bytes[position]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                position += 1
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                        || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                isInteger = false
                position += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard !text.isEmpty, text != "-" else { throw fail("unexpected character") }
        if isInteger, let int = Int64(text) { return .int(int) }
        guard let double = Double(text) else { throw fail("bad number \(text)") }
        return .double(double)
    }
}
