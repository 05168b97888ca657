/// What one relayed connection may hold in the server's memory (router options
/// `wsrelay.max_pending_bytes` and `wsrelay.max_inflight_bytes`, in bytes).
public struct RelayLimits: Sendable, Equatable {
    /// Bytes of frames waiting for a client that reads slowly; past that it is closed (1008).
    public var pendingBytes = 1 << 20
    /// Bytes of the client's messages waiting in its target's mailbox; past that the connection
    /// stops reading from the client until the target catches up.
    public var inFlightBytes = 1 << 20

    public init() {}

    /// The defaults, with the router's options over them (positive whole numbers only).
    public init(options: [String: String]) {
        if let value = options["wsrelay.max_pending_bytes"].flatMap(Int.init), value > 0 { pendingBytes = value }
        if let value = options["wsrelay.max_inflight_bytes"].flatMap(Int.init), value > 0 { inFlightBytes = value }
    }
}
