import WippyManifest

/// What a function.lua call (an HTTP handler or a `funcs.call` target) carries beyond a process:
/// the warm instance it runs on, what it answers (an HTTP exchange), and its time limit.
///
/// A call is a coroutine on a warm instance. It has no PID and no slot in the process table
/// until its code first needs them (`process.pid()`, `process.send`, `process.spawn`, …), so a
/// call that only computes or answers a request never formats a PID or takes the table's lock.
public final class FunctionCall: @unchecked Sendable {  // confined to the call's thread once it started
    /// The pool its instance came from and goes back to (nil: the call runs on a fresh instance
    /// that is dropped afterwards, e.g. its code changed since its route was matched).
    let pool: FunctionInstances?
    /// The warm instance; taken from `pool`, or made on the call's thread at its first run.
    var instance: FunctionInstances.Instance?
    /// What the call answers, for the built-in modules that serve it (an HTTP handler's
    /// exchange, read by the `http` module), until the call ended.
    public private(set) var attachment: (any AnyObject & Sendable)?
    /// How long the call may run before it is terminated (`meta.options.timeout`): by its
    /// thread's timer while it waits, by the ``PreemptionWatchdog`` while it runs.
    let timeLimit: Duration
    /// When its time is up (monotonic nanoseconds), from its first run.
    var deadline = UInt64.max
    /// Its thread has a timer for `deadline` (set at its first yield).
    var timerArmed = false
    /// Bytes outside Lua (the response body) charged to the instance's account; given back at the end.
    var chargedBytes = 0

    public init(pool: FunctionInstances?, instance: FunctionInstances.Instance?, attachment: (any AnyObject & Sendable)?,
                timeLimit: Duration) {
        self.pool = pool
        self.instance = instance
        self.attachment = attachment
        self.timeLimit = timeLimit
    }

    /// Lets go of the attachment once the call ended: a stale timer entry may keep the call alive
    /// a while, and must not keep a request body with it.
    func ended() {
        attachment = nil
    }
}
