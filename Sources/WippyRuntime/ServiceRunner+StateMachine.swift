import WippyProcess

extension ServiceRunner {
    /// Where one supervised service stands, as a plain value: ``ServiceRunner`` tells it what
    /// happened (a launch, start-up done, an exit, a stop) under its lock and acts on the answer;
    /// it does no I/O, so every transition is tested on its own.
    struct StateMachine {
        enum Phase: Equatable {
            /// No process: before the first launch, or between an exit and the restart.
            case idle
            /// `ready`: the process finished its start-up code (it waits for messages).
            case running(PID, ready: Bool)
            /// Returned cleanly: done, not broken, and not run again.
            case finished
            /// ``beginStop()`` ran: nothing starts any more.
            case stopping
        }

        private(set) var phase = Phase.idle
        /// When the last run started (or failed to), for its uptime at exit.
        private var startedAt: ContinuousClock.Instant?
        /// The process being launched finished its start-up before its launch returned.
        private var readyWhileLaunching = false

        var isStopping: Bool { phase == .stopping }

        /// Running and past its start-up code, or finished cleanly (for the health endpoint).
        var isHealthy: Bool {
            switch phase {
            case let .running(_, ready): ready
            case .finished: true
            case .idle, .stopping: false
            }
        }

        /// A process was launched at `now`; false when a stop began meanwhile (it saw no process
        /// to stop, so the caller ends this one).
        mutating func launched(_ pid: PID, at now: ContinuousClock.Instant) -> Bool {
            switch phase {
            case .stopping: return false
            case .idle, .running, .finished:
                phase = .running(pid, ready: readyWhileLaunching)
                readyWhileLaunching = false
                startedAt = now
                return true
            }
        }

        /// A launch failed at `now` (it counts as a run that failed at once).
        mutating func launchFailed(at now: ContinuousClock.Instant) {
            startedAt = now
        }

        /// The current process finished its start-up code (possibly before its launch returned).
        mutating func ready() {
            switch phase {
            case let .running(pid, _): phase = .running(pid, ready: true)
            case .idle: readyWhileLaunching = true
            case .finished, .stopping: break
            }
        }

        /// What ``exited()`` tells the supervisor.
        enum Exit: Equatable {
            /// A stop is under way: the exit ends the supervision.
            case stopped
            /// The policy decides; the run lasted since `startedAt` (nil: never started).
            case decide(startedAt: ContinuousClock.Instant?)
        }

        /// The process ended (or failed to start).
        mutating func exited() -> Exit {
            switch phase {
            case .stopping: return .stopped
            case .idle, .running, .finished:
                phase = .idle
                readyWhileLaunching = false
                return .decide(startedAt: startedAt)
            }
        }

        /// The policy says the service is done.
        mutating func finished() {
            if phase == .idle { phase = .finished }
        }

        /// A stop begins: the process to stop, if one runs.
        mutating func beginStop() -> PID? {
            defer { phase = .stopping }
            if case let .running(pid, _) = phase { return pid }
            return nil
        }
    }
}
