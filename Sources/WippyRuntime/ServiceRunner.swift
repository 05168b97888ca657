import Logging
import Synchronization
import WippyManifest
import WippyProcess

/// Supervises one `process.service`: starts its process, restarts it on failure as its
/// ``RestartPolicy`` says, and stops it (CANCEL, `stop_timeout`, then terminate).
final class ServiceRunner: Sendable {
    let id: EntryID
    let lifecycle: Lifecycle
    let clock: any ServiceClock
    let logger: Logger
    /// Starts the service's process; `onReady` runs when it first waits (its start-up is done),
    /// `onExit` once when it ends.
    let launch: @Sendable (_ onReady: @escaping @Sendable () -> Void,
                           _ onExit: @escaping @Sendable (ProcessOutcome) -> Void) throws(ProcessError) -> PID
    let table: ProcessTable

    private let state = Mutex(StateMachine())
    /// Restarts after a failure so far, and whether it gave up (for the metrics endpoint).
    let restarts = Atomic<Int>(0)
    let gaveUp = Atomic<Bool>(false)
    private let exits: AsyncStream<ProcessOutcome>
    private let exitInput: AsyncStream<ProcessOutcome>.Continuation

    init(id: EntryID, lifecycle: Lifecycle, table: ProcessTable, clock: any ServiceClock, logger: Logger,
         launch: @escaping @Sendable (_ onReady: @escaping @Sendable () -> Void,
                                      _ onExit: @escaping @Sendable (ProcessOutcome) -> Void) throws(ProcessError) -> PID) {
        self.id = id
        self.lifecycle = lifecycle
        self.table = table
        self.clock = clock
        self.logger = logger
        self.launch = launch
        (exits, exitInput) = AsyncStream.makeStream(of: ProcessOutcome.self)
    }

    /// Starts the first process. A failure to start counts as a failed run (and is retried).
    func start() {
        spawn()
    }

    /// Running and past its start-up code, or finished cleanly (for the health endpoint).
    var isHealthy: Bool {
        state.withLock { $0.isHealthy }
    }

    private func spawn() {
        let input = exitInput
        guard !state.withLock({ $0.isStopping }) else { return }
        do {
            let pid = try launch({ [weak self] in self?.state.withLock { $0.ready() } }, { outcome in input.yield(outcome) })
            // stop() ran while the process was being launched: it saw no process to stop.
            guard state.withLock({ $0.launched(pid, at: clock.now) }) else {
                try? table.terminate(pid, reason: "service stopping")
                return
            }
            table.services.started(id.description, pid: pid)
            logger.info("service \(id) started as \(pid)")
        } catch {
            state.withLock { $0.launchFailed(at: clock.now) }
            input.yield(.failure("cannot start: \(error)"))
        }
    }

    /// Watches exits and restarts until the service finishes, gives up, or is stopped.
    func supervise() async {
        var policy = RestartPolicy(settings: lifecycle.restart, stableThreshold: lifecycle.stableThreshold)
        for await outcome in exits {
            guard case let .decide(startedAt) = state.withLock({ $0.exited() }) else {
                logger.info("service \(id) stopped: \(describe(outcome))")
                return
            }
            let uptime = startedAt.map { clock.now - $0 } ?? .zero
            switch policy.processExited(failed: outcome.isFailure, uptime: uptime, random: .random(in: 0...1)) {
            case .finished:
                state.withLock { $0.finished() }
                logger.info("service \(id) finished: \(describe(outcome))")
                table.services.ended(id.description)
                return
            case let .giveUp(attempts):
                gaveUp.store(true, ordering: .relaxed)
                logger.error("service \(id) failed \(attempts + 1) times in a row; giving up (max_attempts \(lifecycle.restart.maxAttempts)): \(describe(outcome))")
                table.services.ended(id.description)
                return
            case let .restart(delay):
                logger.warning("service \(id) failed: \(describe(outcome)); restarting in \(delay) (attempt \(policy.attempts))")
                do { try await clock.sleep(for: delay) } catch { return }
                guard !state.withLock({ $0.isStopping }) else { return }
                restarts.add(1, ordering: .relaxed)
                spawn()
            }
        }
    }

    /// CANCEL, wait up to `stop_timeout`, terminate, wait for the process to end. With
    /// `restarting`, a runner for the service's new version starts next, and what follows the
    /// service (relayed connections) waits for its process instead of ending.
    func stop(restarting: Bool = false) async {
        defer {
            exitInput.finish()
            if !restarting { table.services.ended(id.description) }
        }
        guard let pid = state.withLock({ $0.beginStop() }) else { return }
        try? table.cancel(pid, from: nil, reason: "service stopping")
        var deadline = ContinuousClock.now + lifecycle.stopTimeout
        while table.contains(pid), ContinuousClock.now < deadline { await Self.pause() }
        guard table.contains(pid) else { return }
        logger.warning("service \(id) did not return within stop_timeout \(lifecycle.stopTimeout); terminating \(pid)")
        try? table.terminate(pid, reason: "terminated: did not stop within \(lifecycle.stopTimeout)")
        // A process blocked in a call it cannot leave (funcs.call) ends when that call returns.
        deadline = ContinuousClock.now + lifecycle.stopTimeout
        while table.contains(pid), ContinuousClock.now < deadline { await Self.pause() }
        if table.contains(pid) { logger.error("service \(id): \(pid) still runs after terminate; no longer waiting for it") }
    }

    /// 5 ms, also in a cancelled task (a cancelled reload still waits for the process it stops,
    /// without spinning).
    private static func pause() async {
        await Task.detached { try? await Task.sleep(for: .milliseconds(5)) }.value
    }

    private func describe(_ outcome: ProcessOutcome) -> String {
        switch outcome {
        case let .result(value): return "returned \(value.json)"
        case let .failure(message): return message
        }
    }
}
