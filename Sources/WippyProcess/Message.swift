/// A message between processes: who sent it, a topic, and a payload.
public struct Message: Sendable {
    public var from: PID?
    public var topic: String
    public var payload: Payload

    public init(from: PID?, topic: String, payload: Payload) {
        self.from = from
        self.topic = topic
        self.payload = payload
    }
}
