/// What one relayed connection may hold in the server's memory (router options
/// `wsrelay.max_message_size`, `wsrelay.max_pending_bytes` and `wsrelay.max_inflight_bytes`, in
/// bytes).
public struct RelayLimits: Sendable, Equatable {
    /// Largest message from the client, fragments together; a larger one closes the socket (1009).
    public var messageBytes = 64 << 10
    /// Bytes of frames waiting for a client that reads slowly; past that it is closed (1008).
    public var pendingBytes = 1 << 20
    /// Bytes of the client's messages waiting in its target's mailbox; past that the connection
    /// stops reading from the client until the target catches up.
    public var inFlightBytes = 1 << 20
    /// The most `wsrelay.max_message_size` may allow.
    public static let largestMessage = 256 << 20

    public init() {}

    /// The defaults, with the router's options over them (positive whole numbers only).
    public init(options: [String: String]) {
        if let value = options["wsrelay.max_message_size"].flatMap(Int.init), value > 0 { messageBytes = min(value, Self.largestMessage) }
        if let value = options["wsrelay.max_pending_bytes"].flatMap(Int.init), value > 0 { pendingBytes = value }
        if let value = options["wsrelay.max_inflight_bytes"].flatMap(Int.init), value > 0 { inFlightBytes = value }
    }
}
