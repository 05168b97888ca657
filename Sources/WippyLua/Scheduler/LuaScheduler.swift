import Foundation
import Synchronization
import WippyProcess

/// The threads Lua processes run on: one ``SchedulerThread`` (one shared Lua state) per worker.
/// A process is placed round-robin when it is made and stays on its thread.
public final class LuaScheduler: Sendable {
    public let threads: [SchedulerThread]
    private let next = Atomic<Int>(0)

    /// - Parameters:
    ///   - workers: threads (default: one per core the OS process may run on).
    ///   - name: thread name prefix, for debuggers and `top -H`.
    ///   - spin: the longest an idle thread looks for new work before it parks (see
    ///     ``SchedulerThread``); none when the runtime may use one core only, where spinning would
    ///     only keep the thread that sends the work (another scheduler, an event loop) off the core.
    public init(workers: Int = AvailableCores.count, name: String, spin: Duration = .microseconds(200)) {
        let spin = AvailableCores.count > 1 ? spin : .zero
        threads = (0..<max(1, workers)).map { SchedulerThread(name: "\(name)-\($0)", spin: spin) }
    }

    /// The thread for a new process.
    public func place() -> SchedulerThread {
        threads[next.add(1, ordering: .relaxed).oldValue % threads.count]
    }

    /// Lets every thread exit once its queue is empty (their Lua states are closed then).
    public func shutdown() {
        for thread in threads { thread.stop() }
    }
}
