import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WippyLua
import WippyProcess

/// A `process.host`: runs the processes started on it (any ``StartableProcess``; Lua processes
/// on its own ``LuaScheduler`` threads) and owns them. On shutdown it sends CANCEL to those still
/// running, gives them `stopTimeout`, terminates the rest, and returns when all have ended.
public final class ProcessHostService: Service, Sendable {
    public let id: String
    let table: ProcessTable
    let stopTimeout: Duration
    let logger: Logger
    /// The threads the host's Lua processes run on.
    public let scheduler: LuaScheduler
    private let state = Mutex(State())

    private struct State {
        /// The numbers of the PIDs of processes running here (all carry this host's ID, see
        /// ``start(_:)``): a set of whole PIDs would keep their texts a second time.
        var live = Set<UInt64>()
        var stopping = false
    }

    /// The terminal of a `terminal.host`: its reads are interrupted when the host stops.
    let terminal: Terminal?

    public init(id: String, table: ProcessTable, stopTimeout: Duration, workers: Int? = nil, terminal: Terminal? = nil,
                logger: Logger) {
        self.id = id
        self.terminal = terminal
        self.scheduler = LuaScheduler(workers: workers ?? AvailableCores.count, name: id)
        self.table = table
        self.stopTimeout = stopTimeout
        self.logger = logger
    }

    /// Starts `process`, whose PID must name this host. False when the host is shutting down
    /// (the process is not started).
    @discardableResult
    public func start(_ process: any StartableProcess) -> Bool {
        let number = process.pid.number
        precondition(process.pid.host == id, "a process of host \(process.pid.host) started on host \(id)")
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.live.insert(number)
            return true
        }
        guard accepted else { return false }
        process.start { [weak self] _ in
            _ = self?.state.withLock { $0.live.remove(number) }
        }
        return true
    }

    /// Processes running now.
    private var live: [PID] { state.withLock { $0.live.map { PID(node: table.node, host: id, number: $0) } } }

    /// Processes running now, oldest first.
    public var processes: [PID] { state.withLock { $0.live.sorted().map { PID(node: table.node, host: id, number: $0) } } }

    public func run() async throws {
        defer { scheduler.shutdown() }
        try? await gracefulShutdown()
        let running = state.withLock { state -> [PID] in
            state.stopping = true
            return state.live.map { PID(node: table.node, host: id, number: $0) }
        }
        for pid in running {
            try? table.cancel(pid, from: nil, reason: "host \(id) stopping")
        }
        terminal?.interrupt()
        // CANCEL went out; terminate whatever still runs after stopTimeout.
        let deadline = ContinuousClock.now + stopTimeout
        while !live.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for pid in live {
            logger.warning("terminating \(pid): still running \(stopTimeout) after CANCEL")
            try? table.terminate(pid, reason: "terminated: host \(id) stopped")
        }
        while !live.isEmpty, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
