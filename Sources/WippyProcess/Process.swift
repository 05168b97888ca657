/// Anything addressable by a PID: a Lua process, a WebSocket connection, a request handler.
/// The ``ProcessTable`` routes messages and events to it and tells it to stop.
public protocol Process: AnyObject, Sendable {
    var pid: PID { get }
    /// A message for this process. Called from any thread; must not block. False when the process
    /// refuses it (its mailbox is full): the sender gets an error. A message taken in is released
    /// with ``Message/consumed()`` once read or dropped (its sender may count it as in flight).
    @discardableResult
    func deliver(_ message: Message) -> Bool
    /// A lifecycle event for this process. Called from any thread; must not block.
    func deliver(_ event: ProcessEvent)
    /// Stop now, without waiting for the process to return; it then exits with a failure.
    func terminate(reason: String)
    /// Most bytes its mailbox holds, for error messages.
    var mailboxLimit: Int { get }
    /// Messages waiting to be read now, and the entry it runs (for the metrics endpoint and
    /// `wippy top`).
    var mailboxDepth: Int { get }
    var entryName: String { get }
}

extension Process {
    /// Most bytes the process's mailbox holds (``ProcessError/mailboxFull(_:limit:)`` reports it).
    public var mailboxLimit: Int { .max }
    public var mailboxDepth: Int { 0 }
    public var entryName: String { "" }
}
