/// A process identifier, written `{host|0x0000a}`: the ID of the host the process runs on (a
/// `process.host` for Lua processes, an `http.service` for WebSocket connections) and a number
/// unique in the runtime.
public struct PID: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var number: UInt64

    public init(host: String, number: UInt64) {
        self.host = host
        self.number = number
    }

    /// `{system:processes|0x0000a}`: lowercase hex, at least five digits.
    public var description: String {
        let hex = String(number, radix: 16)
        return "{\(host)|0x\(String(repeating: "0", count: max(0, 5 - hex.count)))\(hex)}"
    }

    /// Parses `{host|0x…}`; nil for anything else.
    public init?(_ text: String) {
        guard text.hasPrefix("{"), text.hasSuffix("}"), let bar = text.lastIndex(of: "|") else { return nil }
        let host = text[text.index(after: text.startIndex)..<bar]
        let digits = text[text.index(after: bar)..<text.index(before: text.endIndex)]
        guard !host.isEmpty, digits.hasPrefix("0x"), let number = UInt64(digits.dropFirst(2), radix: 16) else {
            return nil
        }
        self.init(host: String(host), number: number)
    }
}
