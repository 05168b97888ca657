/// A message between processes: who sent it, a topic, and a payload.
public struct Message: Sendable {
    public var from: PID?
    public var topic: String
    public var payload: Payload
    /// Estimated bytes (topic and payload): what the message counts against the receiver's mailbox.
    public var size: Int
    /// The sender's count of its bytes waiting in mailboxes, released when the receiver takes the
    /// message out (or drops it); nil when the sender does not keep one.
    public var inFlight: InFlightBytes?

    /// - Parameter size: the payload's estimated size when the caller measured it already (the Lua
    ///   bridge does while copying); otherwise it is measured here.
    public init(from: PID?, topic: String, payload: Payload, size: Int? = nil, inFlight: InFlightBytes? = nil) {
        self.from = from
        self.topic = topic
        self.payload = payload
        self.size = Payload.stringCost(topic.utf8.count) + (size ?? payload.estimatedSize)
        self.inFlight = inFlight
        inFlight?.add(self.size)
    }

    /// The receiver is done with the message (took it out of its mailbox, or dropped it).
    public func consumed() {
        inFlight?.release(size)
    }
}
