/// The processes of other nodes, as a ``ProcessTable`` in a cluster reaches them (implemented
/// by the cluster layer). Every call returns at once: what crosses to another node is queued and
/// sent in order (per sender and receiver), and answers come back as messages and events.
public protocol RemoteProcesses: AnyObject, Sendable {
    /// Queues `message` for `pid` on its node; an error when that node is not a live member. A
    /// message taken is released (``Message/consumed()``) once sent or dropped; one refused is
    /// the caller's to release.
    func send(_ message: Message, to pid: PID) throws(ProcessError)
    /// Queues a signal for `pid` on its node; an error when that node is not a live member.
    func signal(_ signal: RemoteSignal, to pid: PID) throws(ProcessError)
    /// Whether `pid`'s node is a live member (the process itself may have ended).
    func isReachable(_ pid: PID) -> Bool
    /// The holder of a cluster-wide name, as this node last heard of it.
    func lookup(_ name: String) -> PID?
    /// Whether `name` is registered cluster-wide when a process registers it (the node's
    /// configured global names).
    func isGlobal(_ name: String) -> Bool
    /// Claims `name` for `pid` across the cluster: unique among all nodes.
    func register(_ name: String, for pid: PID) async throws(ProcessError)
    /// Gives up a cluster-wide name held by `pid`; true when it held it.
    func unregister(_ name: String, by pid: PID) async -> Bool
    /// A local process ended: its cluster-wide names go, and nodes that watch it hear of it.
    func exited(_ pid: PID)
}

/// What one process asks of a process on another node besides a message.
public enum RemoteSignal: Sendable {
    /// An event to deliver (EXIT to a watcher, CANCEL).
    case event(ProcessEvent)
    /// Stop it at once.
    case terminate(reason: String)
    /// `watcher` (on this node) wants EXIT when it ends.
    case monitor(by: PID)
    case demonitor(by: PID)
    /// Links it with `peer` (on this node).
    case link(PID)
    case unlink(PID)
    /// `peer`, linked to it, failed: LINK_DOWN, or it fails too unless it traps links.
    case linkFailed(from: PID, outcome: ProcessOutcome)
    /// When this node is lost, deliver `message` to it (a relay's `ws.leave` for its hub).
    case will(Message)
    /// The will of `sender` for it is void.
    case revokeWill(from: PID)
}
