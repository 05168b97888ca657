import WippySchema

/// `process.service`: a supervised process running a `process.lua` on a `process.host`.
public struct ProcessService: Sendable, Equatable {
    public var process: Reference
    public var host: Reference
    /// Arguments for the process's method.
    public var input: [Node]
    public var lifecycle: Lifecycle
}

/// `process.host`: a scheduler for processes.
public struct ProcessHost: Sendable, Equatable {
    /// Worker threads; nil means one per CPU.
    public var workers: Int?
    public var queueSize: Int
    public var localQueueSize: Int
    public var lifecycle: Lifecycle
}

/// `terminal.host`: the host of command-line processes, which read and write the terminal
/// through the `io` module; `wippy run -x` runs its process here.
public struct TerminalHost: Sendable, Equatable {
    /// `hide_logs`: accepted for Wippy's manifests; log lines are silenced under `-x` anyway
    /// unless a log flag is given.
    public var hideLogs: Bool
    public var lifecycle: Lifecycle
}
