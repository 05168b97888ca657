/// A lifecycle event delivered to a process's `events()` channel.
public struct ProcessEvent: Sendable {
    public enum Kind: String, Sendable {
        /// Asked to stop: finish up and return.
        case cancel = "pid.cancel"
        /// A monitored process ended.
        case exit = "pid.exit"
        /// A linked process failed.
        case linkDown = "pid.link.down"
    }

    public var kind: Kind
    /// The process the event is about (the sender of a CANCEL).
    public var from: PID?
    /// CANCEL: why.
    public var reason: String?
    /// EXIT / LINK_DOWN: how the other process ended.
    public var outcome: ProcessOutcome?

    public init(kind: Kind, from: PID?, reason: String? = nil, outcome: ProcessOutcome? = nil) {
        self.kind = kind
        self.from = from
        self.reason = reason
        self.outcome = outcome
    }
}
