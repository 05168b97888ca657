import Logging
import Synchronization
import ServiceLifecycle
import WippyGraph
import WippyManifest
import WippyProcess

/// Runs the app's `process.service`s: starts the auto-start ones (and what they require) in
/// dependency order, supervises them, swaps them on reload, and on graceful shutdown stops them
/// in reverse order: a service once every service that requires it has stopped, services that do
/// not depend on each other together.
public final class Supervisor: Service, Sendable {
    private struct State {
        /// The supervised services, in start order.
        var runners: [ServiceRunner] = []
        var started = false
        var shuttingDown = false
    }

    private let state = Mutex(State())
    /// Runners started after ``run()`` began (reloads), for its task group to supervise.
    private let added: AsyncStream<ServiceRunner>
    private let addedInput: AsyncStream<ServiceRunner>.Continuation
    let logger: Logger
    /// Called when shutdown begins, before any service is stopped; it runs while the services
    /// stop, and the supervisor returns once both are done.
    let onShutdown: @Sendable () async -> Void

    init(logger: Logger, onShutdown: @escaping @Sendable () async -> Void = {}) {
        self.logger = logger
        self.onShutdown = onShutdown
        (added, addedInput) = AsyncStream.makeStream(of: ServiceRunner.self)
    }

    /// The supervised services, in start order (set before ``run()``; reloads go through ``apply``).
    var runners: [ServiceRunner] {
        get { state.withLock { $0.runners } }
        set { state.withLock { $0.runners = newValue } }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            let initial = runners
            for runner in initial {
                runner.start()
                group.addTask { await runner.supervise() }
            }
            state.withLock { $0.started = true }
            if !initial.isEmpty {
                logger.info("started \(initial.count) service(s): \(initial.map(\.id.description).joined(separator: ", "))")
            }
            await withGracefulShutdownHandler {
                for await runner in added { group.addTask { await runner.supervise() } }
            } onGracefulShutdown: { [addedInput] in
                addedInput.finish()
            }
            let runners = state.withLock { state in
                state.shuttingDown = true
                return state.runners
            }
            await withTaskGroup(of: Void.self) { stopping in
                stopping.addTask { [onShutdown] in await onShutdown() }
                stopping.addTask { await Self.stop(runners) }
            }
            group.cancelAll()
        }
    }

    /// Stops `runners` in waves: each wave is every runner that no running one requires, its
    /// runners stopping together (each within its own `stop_timeout`).
    static func stop(_ runners: [ServiceRunner]) async {
        let ids = Set(runners.map(\.id))
        var requiredBy: [EntryID: [EntryID]] = [:]
        for runner in runners {
            for required in runner.lifecycle.requires.map(\.target) where ids.contains(required) {
                requiredBy[required, default: []].append(runner.id)
            }
        }
        var running = runners
        var stopped = Set<EntryID>()
        while !running.isEmpty {
            var wave = running.filter { (requiredBy[$0.id] ?? []).allSatisfy(stopped.contains) }
            if wave.isEmpty { wave = running }  // a cycle (the app's check refuses them): all at once
            await withTaskGroup(of: Void.self) { group in
                for runner in wave { group.addTask { await runner.stop() } }
            }
            stopped.formUnion(wave.map(\.id))
            running.removeAll { stopped.contains($0.id) }
        }
    }

    /// What `/healthz` answers: running once every service is past its start-up code (or
    /// finished cleanly); else starting (some are starting or restarting) or stopping.
    public var health: Health {
        let (started, shuttingDown, runners) = state.withLock { ($0.started, $0.shuttingDown, $0.runners) }
        if shuttingDown { return .stopping }
        let waiting = runners.filter { !$0.isHealthy }.map(\.id)
        return started && waiting.isEmpty ? .running : .starting(waiting)
    }

    /// A reload: stops `stopping` (given in stop order; those in `restarting` get a successor),
    /// then starts `starting` in order. `all` is the new set of runners in start order.
    func apply(stopping: [ServiceRunner], restarting: Set<EntryID>, starting: [ServiceRunner], all: [ServiceRunner]) async {
        for runner in stopping { await runner.stop(restarting: restarting.contains(runner.id)) }
        let proceed = state.withLock { state -> Bool in
            guard !state.shuttingDown else { return false }
            state.runners = all
            return true
        }
        guard proceed else { return }
        for runner in starting {
            runner.start()
            addedInput.yield(runner)
        }
    }
}
