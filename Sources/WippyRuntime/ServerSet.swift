import Logging
import ServiceLifecycle
import Synchronization
import WippyHTTP
import WippyManifest

/// The app's HTTP listeners as one service: each ``HTTPServerService`` runs in a service group
/// of its own, so that a reload can start a new listener or stop one (gracefully: its relayed
/// connections close with 1001) while the others go on.
final class ServerSet: Service, Sendable {
    private struct Running {
        var server: HTTPServerService
        var group: ServiceGroup
        /// Set once the listener's group returned (it no longer holds its port).
        var ended = Ended()
        /// A listener of the first start: when it fails (e.g. the port is taken) the runtime stops.
        /// One added by a reload only logs its failure.
        var critical: Bool
    }

    private struct State {
        var servers: [EntryID: Running] = [:]
        var shuttingDown = false
    }

    final class Ended: Sendable {
        let flag = Atomic<Bool>(false)
    }

    private let state = Mutex(State())
    private let started: AsyncStream<Running>
    private let startedInput: AsyncStream<Running>.Continuation
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        (started, startedInput) = AsyncStream.makeStream(of: Running.self)
    }

    /// The listeners, by server entry ID order.
    var servers: [HTTPServerService] {
        state.withLock { $0.servers.values.map(\.server).sorted { $0.id < $1.id } }
    }

    func server(_ id: EntryID) -> HTTPServerService? {
        state.withLock { $0.servers[id]?.server }
    }

    /// Starts listening with `server` (at once when the set runs, else when it starts).
    func add(_ server: HTTPServerService, critical: Bool) {
        let quiet = Logger(label: "wippy.server") { _ in SwiftLogNoOpLogHandler() }
        let running = Running(server: server, group: ServiceGroup(configuration: .init(services: [.init(service: server)], logger: quiet)),
                              critical: critical)
        let accepted = state.withLock { state -> Bool in
            guard !state.shuttingDown else { return false }
            state.servers[server.id] = running
            return true
        }
        if accepted { startedInput.yield(running) }
    }

    /// Stops the listener of server `id` gracefully and returns once it has closed its port
    /// (10 s at most), so that a replacement can bind the same address.
    func remove(_ id: EntryID) async {
        guard let running = state.withLock({ $0.servers.removeValue(forKey: id) }) else { return }
        await running.group.triggerGracefulShutdown()
        let deadline = ContinuousClock.now + .seconds(10)
        while !running.ended.flag.load(ordering: .acquiring), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { tasks in
            await withGracefulShutdownHandler {
                for await running in started {
                    tasks.addTask { [self, logger, startedInput] in
                        defer { running.ended.flag.store(true, ordering: .releasing) }
                        do { try await running.group.run() } catch {
                            guard running.critical else {
                                // Forgotten, so that the next reload that wants it starts it again.
                                state.withLock { state in
                                    if state.servers[running.server.id]?.server === running.server {
                                        state.servers[running.server.id] = nil
                                    }
                                }
                                return logger.error("\(error)")
                            }
                            startedInput.finish()  // ends the loop above, so the group ends with the error
                            throw error
                        }
                    }
                }
            } onGracefulShutdown: { [self] in
                let all = state.withLock { state in
                    state.shuttingDown = true
                    return Array(state.servers.values)
                }
                startedInput.finish()
                Task { for running in all { await running.group.triggerGracefulShutdown() } }
            }
        }
    }
}
