/// A process identifier, written `{host|0x0000a}`: the ID of the host the process runs on (a
/// `process.host` for Lua processes, an `http.service` for WebSocket connections) and a number
/// unique in the runtime. In a cluster it also names its node: `{node1@host|0x0000a}`.
///
/// PIDs travel as text through Lua and JSON, so the text is made once and kept; hashing uses the
/// number alone (unique within a runtime), which keeps message routing cheap.
public struct PID: Hashable, Sendable, CustomStringConvertible {
    /// The cluster node the process runs on; nil for a runtime that is not in a cluster.
    public let node: String?
    public let host: String
    public let number: UInt64
    /// `{system:processes|0x0000a}`: lowercase hex, at least five digits.
    public let description: String

    public init(node: String? = nil, host: String, number: UInt64) {
        self.node = node
        self.host = host
        self.number = number
        let hex = String(number, radix: 16)
        let prefix = node.map { "\($0)@" } ?? ""
        self.description = "{\(prefix)\(host)|0x\(String(repeating: "0", count: max(0, 5 - hex.count)))\(hex)}"
    }

    private init(node: String?, host: String, number: UInt64, description: String) {
        self.node = node
        self.host = host
        self.number = number
        self.description = description
    }

    /// Parses `{host|0x…}` or `{node@host|0x…}`; nil for anything else. The node `local` is the
    /// same as none, as in Wippy.
    public init?(_ text: String) {
        let bytes = text.utf8
        guard bytes.count >= 6, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}"),
              let bar = bytes.lastIndex(of: UInt8(ascii: "|")) else { return nil }
        let digitsStart = bytes.index(bar, offsetBy: 3, limitedBy: bytes.endIndex) ?? bytes.endIndex
        let end = bytes.index(before: bytes.endIndex)
        guard digitsStart < end, bytes[bytes.index(after: bar)] == UInt8(ascii: "0"),
              bytes[bytes.index(bar, offsetBy: 2)] == UInt8(ascii: "x") else { return nil }
        var number: UInt64 = 0
        var canonical = true  // lowercase, at least five digits, no extra leading zeros
        var index = digitsStart
        while index < end {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                digit = byte - UInt8(ascii: "A") + 10
                canonical = false
            default: return nil
            }
            guard number <= (UInt64.max >> 4) else { return nil }
            number = number << 4 | UInt64(digit)
            index = bytes.index(after: index)
        }
        let hostStart = bytes.index(after: bytes.startIndex)
        guard hostStart < bar else { return nil }
        let digitCount = bytes.distance(from: digitsStart, to: end)
        if digitCount < 5 || (digitCount > 5 && bytes[digitsStart] == UInt8(ascii: "0")) { canonical = false }
        var node: String?
        var host = String(Substring(text.utf8[hostStart..<bar]))
        if let at = bytes[hostStart..<bar].firstIndex(of: UInt8(ascii: "@")) {
            guard at > hostStart, bytes.index(after: at) < bar else { return nil }
            let name = String(Substring(text.utf8[hostStart..<at]))
            host = String(Substring(text.utf8[bytes.index(after: at)..<bar]))
            if name == "local" { canonical = false } else { node = name }
        }
        self = canonical ? PID(node: node, host: host, number: number, description: text) : PID(node: node, host: host, number: number)
    }

    public static func == (lhs: PID, rhs: PID) -> Bool {
        lhs.number == rhs.number && lhs.host == rhs.host && lhs.node == rhs.node
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(number)
    }
}
