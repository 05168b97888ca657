import Foundation
import Synchronization

/// The threads a `process.host` runs its processes on: a ready queue and a few workers that spin
/// briefly before they sleep.
///
/// With Swift's global executor, every message that wakes a waiting process wakes a parked thread
/// through the kernel (several microseconds). Here a worker that just ran out of work keeps looking
/// for ~50 µs, so a reply sent by the process that ran last is picked up without a kernel round trip.
public final class ProcessExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = Mutex(Queue())
    /// Jobs waiting, readable without the lock: spinning workers poll this, not the mutex.
    private let pending = Atomic<Int>(0)
    private let wake = NSCondition()
    private let spinFor: Duration

    private struct Queue {
        var jobs: [UnownedJob] = []
        var head = 0
        var sleeping = 0
        var stopping = false

        mutating func pop() -> UnownedJob? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    /// - Parameters:
    ///   - workers: threads (default: one per CPU core).
    ///   - name: thread name prefix, for debuggers and `top -H`.
    public init(workers: Int = ProcessInfo.processInfo.activeProcessorCount, name: String, spinFor: Duration = .microseconds(50)) {
        self.spinFor = spinFor
        for index in 0..<max(1, workers) {
            let thread = Thread { self.work() }  // the workers keep the executor alive until shutdown()
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let sleeping = queue.withLock { queue -> Int in
            queue.jobs.append(unowned)
            return queue.sleeping
        }
        pending.add(1, ordering: .releasing)
        if sleeping > 0 {
            wake.lock()
            wake.signal()
            wake.unlock()
        }
    }

    private func take() -> UnownedJob? {
        guard let job = queue.withLock({ $0.pop() }) else { return nil }
        pending.subtract(1, ordering: .relaxed)
        return job
    }

    /// Lets the workers finish the queued jobs and exit. Jobs enqueued afterwards still run.
    public func shutdown() {
        queue.withLock { $0.stopping = true }
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            if let job = take() {
                job.runSynchronously(on: executor)
                continue
            }
            // Spin a little: the next job is often a reply to the one that just ran.
            let spinUntil = ContinuousClock.now + spinFor
            var found: UnownedJob?
            while found == nil, ContinuousClock.now < spinUntil {
                if pending.load(ordering: .acquiring) > 0 { found = take() }
            }
            if let found {
                found.runSynchronously(on: executor)
                continue
            }
            wake.lock()
            let (empty, stopping) = queue.withLock { queue -> (Bool, Bool) in
                let empty = queue.head >= queue.jobs.count
                if empty, !queue.stopping { queue.sleeping += 1 }
                return (empty, queue.stopping)
            }
            if empty, stopping {
                wake.unlock()
                return
            }
            if empty {
                wake.wait(until: Date().addingTimeInterval(0.1))
                queue.withLock { $0.sleeping -= 1 }
            }
            wake.unlock()
        }
    }
}
