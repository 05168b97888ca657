/// A message between processes: who sent it, a topic, and a payload.
///
/// A reference: a message is queued, taken out and pushed once, and moving one reference through
/// mailboxes costs less than copying (and retaining) its fields at each step.
public final class Message: Sendable {
    public let from: PID?
    public let topic: String
    public let payload: Payload
    /// Estimated bytes (topic and payload): what the message counts against the receiver's mailbox.
    public let size: Int
    /// The sender's count of its bytes waiting in mailboxes, released when the receiver takes the
    /// message out (or drops it); nil when the sender does not keep one.
    public let inFlight: InFlightBytes?

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
