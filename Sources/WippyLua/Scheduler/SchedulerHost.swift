/// A run loop that drives a hosted ``SchedulerThread`` on its own thread, between its other work
/// (e.g. a network event loop, so that HTTP handlers run where their requests are read).
public protocol SchedulerHost: AnyObject, Sendable {
    /// Whether the caller runs on the host's thread.
    var isCurrent: Bool { get }
    /// Calls `scheduler.runTurn()` on the host's thread soon (from any thread).
    func requestTurn(_ scheduler: SchedulerThread)
    /// Calls `scheduler.runDeferredTurn()` on the host's thread once the host has done the other work it
    /// has now, e.g. read its sockets (from the host's thread, after a turn used its budget).
    func requestTurnAfterOtherWork(_ scheduler: SchedulerThread)
    /// Calls `scheduler.runTimerTurn()` on the host's thread after `nanoseconds`, instead of the
    /// later time asked for before (from the host's thread).
    func requestTurn(_ scheduler: SchedulerThread, in nanoseconds: UInt64)
}
