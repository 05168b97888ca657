import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WippyLua
import WippyProcess

/// A `process.host`: runs the processes started on it as children of one task group, so that the
/// host owns them. On shutdown it sends CANCEL to those still running, gives them `stopTimeout`,
/// terminates the rest, and returns when all have ended.
public final class ProcessHostService: Service, Sendable {
    public let id: String
    let table: ProcessTable
    let stopTimeout: Duration
    let logger: Logger
    private let queue: AsyncStream<LuaProcess>
    private let input: AsyncStream<LuaProcess>.Continuation
    private let live = Mutex<Set<PID>>([])
    /// The threads processes of this host run on.
    let executor: ProcessExecutor

    public init(id: String, table: ProcessTable, stopTimeout: Duration, workers: Int? = nil, logger: Logger) {
        self.id = id
        self.executor = ProcessExecutor(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount, name: id)
        self.table = table
        self.stopTimeout = stopTimeout
        self.logger = logger
        (queue, input) = AsyncStream.makeStream(of: LuaProcess.self)
    }

    /// Queues `process` to run. False when the host is shutting down.
    @discardableResult
    public func start(_ process: LuaProcess) -> Bool {
        live.withLock { _ = $0.insert(process.pid) }
        if case .enqueued = input.yield(process) { return true }
        live.withLock { _ = $0.remove(process.pid) }
        return false
    }

    public func run() async throws {
        defer { executor.shutdown() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await process in queue {
                    group.addTask(executorPreference: executor) { [self] in
                        await process.run()
                        live.withLock { _ = $0.remove(process.pid) }
                    }
                }
                // Shutting down: CANCEL went out; terminate whatever still runs after stopTimeout.
                group.addTask { [self] in
                    let deadline = ContinuousClock.now + stopTimeout
                    while !live.withLock(\.isEmpty), ContinuousClock.now < deadline {
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                    for pid in live.withLock({ Array($0) }) {
                        logger.warning("terminating \(pid): still running \(stopTimeout) after CANCEL")
                        try? table.terminate(pid, reason: "terminated: host \(id) stopped")
                    }
                }
            }
        } onGracefulShutdown: { [self] in
            input.finish()
            for pid in live.withLock({ Array($0) }) {
                try? table.cancel(pid, from: nil, reason: "host \(id) stopping")
            }
        }
    }
}
