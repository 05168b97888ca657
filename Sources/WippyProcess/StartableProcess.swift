/// A process a `process.host` can run: it starts when asked, runs wherever it was made to run (a
/// Lua process on its scheduler thread), and reports how it ended.
public protocol StartableProcess: Process {
    /// Starts the process; `ended` is called once, on any thread, after it ended and left the
    /// process table.
    func start(ended: @escaping @Sendable (ProcessOutcome) -> Void)
}
