import DequeModule
import CLua
import Foundation
import Synchronization

/// One thread with one shared Lua state and a run queue of the processes placed on it.
///
/// The thread takes every ready process off the queue and resumes it directly; a process that
/// yields (it waits, or was preempted) is put back when it is ready again: by a message, event or
/// result from any thread (``enqueue(_:)``), or by one of the thread's own timers.
///
/// Usually the scheduler has an OS thread of its own. With nothing to do the thread parks until
/// work or its next timer is due; but when work has lately come back within microseconds of
/// running out (processes talking to each other across threads), it first spins for up to
/// `spin`: waking a parked thread costs far more.
///
/// A scheduler may instead be *hosted* by a run loop that owns a thread, such as a network event
/// loop (see ``SchedulerHost``): the loop runs the scheduler's turns between its other work, and
/// work enqueued on the loop's own thread outside a turn runs at once, inside the caller. So an
/// HTTP handler starts, runs and answers within the read of its request.
public final class SchedulerThread: @unchecked Sendable {
    public let name: String
    private let spin: UInt64
    /// The run loop that drives a hosted scheduler; nil: the scheduler runs an OS thread of its own.
    private let host: (any SchedulerHost)?

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var incoming = Deque<LuaProcess>()
    private var jobs: [(SharedState?) -> Void] = []
    private var parked = false
    private var stopping = false
    private var exited = false
    /// Hosted: the host was asked for a turn that has not begun yet.
    private var turnRequested = false
    /// Timers are fired late by at most this much (nanoseconds), so that due ones fire together.
    static let timerSlack: UInt64 = 1_000_000
    /// Enqueued work not yet taken, readable without the lock (spinning polls this).
    private let waiting = Atomic<Int>(0)

    // Confined to the thread.
    /// The thread's Lua state (nil if it could not be made).
    private(set) var shared: SharedState?
    private var setupError = ""
    /// Wait timeouts and `time` ticks of the thread's processes.
    var timers = TimerQueue()
    /// Hosted: a turn is running (work enqueued meanwhile joins it).
    private var inTurn = false
    /// Hosted: a turn after the host's other work is asked for.
    private var deferredTurnPending = false
    /// Hosted: when the host calls the next turn for the timers (monotonic nanoseconds).
    private var timerTurn = UInt64.max
    /// Hosted: the longest a turn runs processes before it lets the host do its other work.
    private static let turnBudget: UInt64 = 1_000_000

    /// - Parameters:
    ///   - name: the OS thread's name, for debuggers and `top -H`.
    ///   - spin: the longest an idle thread looks for new work before it parks.
    init(name: String, spin: Duration) {
        self.name = name
        self.spin = UInt64(spin.components.seconds) * 1_000_000_000 + UInt64(spin.components.attoseconds / 1_000_000_000)
        self.host = nil
        let thread = Thread { [self] in main() }  // the thread keeps this object alive until it exits
        thread.name = name
        thread.start()
    }

    /// A scheduler run by `host` on its thread; its Lua state is made at its first turn.
    public init(name: String, host: any SchedulerHost) {
        self.name = name
        self.spin = 0
        self.host = host
    }

    /// Puts a ready process on the run queue (from any thread). On a thread that stopped, the
    /// process ends at once with a failure.
    func enqueue(_ process: LuaProcess) {
        if !submit({ incoming.append(process) }) {
            process.finish(nil, .failure("the scheduler thread \(name) has stopped"))
        }
    }

    /// Runs `job` on the thread with its Lua state (nil if the state could not be made), e.g. to
    /// release what a dropped function instance holds. Dropped when the thread has stopped.
    func perform(_ job: @escaping (SharedState?) -> Void) {
        _ = submit { jobs.append(job) }
    }

    /// Adds work under the lock and wakes the thread if it is parked (hosted: runs it at once on the
    /// host's thread outside a turn, or asks the host for a turn); false when it has stopped.
    private func submit(_ add: () -> Void) -> Bool {
        condition.lock()
        guard !exited else {
            condition.unlock()
            return false
        }
        add()
        if let host {
            if host.isCurrent {
                condition.unlock()
                if !inTurn { runTurn() }
                return true
            }
            let request = !turnRequested
            turnRequested = true
            condition.unlock()
            if request { host.requestTurn(self) }
            return true
        }
        let wake = parked
        condition.unlock()
        waiting.add(1, ordering: .releasing)
        if wake { condition.signal() }
        return true
    }

    /// One turn of a hosted scheduler, on its host's thread: runs the jobs, the due timers and the
    /// ready processes (and what they make ready) for up to ``turnBudget``, then asks the host for
    /// another turn if work is left and for one at the next timer.
    public func runTurn() {
        guard let host, !inTurn else { return }
        inTurn = true
        defer { inTurn = false }
        if shared == nil, setupError.isEmpty {
            do { shared = try SharedState(hosted: true) } catch { setupError = error.message }
        }
        let start = TimerQueue.now
        var batch = Deque<LuaProcess>()
        var batchJobs: [(SharedState?) -> Void] = []
        repeat {
            condition.lock()
            swap(&batch, &incoming)
            swap(&batchJobs, &jobs)
            turnRequested = false
            condition.unlock()
            for job in batchJobs { job(shared) }
            batchJobs.removeAll(keepingCapacity: true)
            fireTimers()
            while let process = batch.popFirst() {
                if run(process) { enqueue(process) }  // joins this turn's next round
            }
        } while hasWork && TimerQueue.now - start < Self.turnBudget
        record(busySince: start)
        condition.lock()
        let left = !incoming.isEmpty || !jobs.isEmpty
        condition.unlock()
        // Work left means the budget ran out (e.g. busy code preempted): the host's sockets and
        // tasks come first, or a busy handler would starve its loop. One such turn at a time:
        // two would keep each other due and the host would never get back to its sockets.
        if left, !deferredTurnPending {
            deferredTurnPending = true
            host.requestTurnAfterOtherWork(self)
        }
        if let next = timers.nextDeadline, next < timerTurn {
            timerTurn = next
            let now = TimerQueue.now
            host.requestTurn(self, in: next > now ? next - now : 0)
        }
    }

    /// The turn a hosted scheduler asked its host for after the host's other work.
    public func runDeferredTurn() {
        deferredTurnPending = false
        runTurn()
    }

    /// The turn a hosted scheduler asked its host for at its next timer.
    public func runTimerTurn() {
        timerTurn = .max
        runTurn()
    }

    /// Hosted: work is queued or a timer is due.
    private var hasWork: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !incoming.isEmpty || !jobs.isEmpty || (timers.nextDeadline.map { $0 <= TimerQueue.now } ?? false)
    }

    /// Lets the thread exit once its queue is empty; its Lua state is closed then. (A hosted
    /// scheduler lives as long as its host.)
    func stop() {
        condition.lock()
        stopping = true
        condition.unlock()
        condition.signal()
    }

    private func main() {
        do {
            shared = try SharedState()
        } catch {
            setupError = error.message
        }
        var batch = Deque<LuaProcess>()
        var batchJobs: [(SharedState?) -> Void] = []
        // How long the thread was out of work before more came, on average (nanoseconds).
        var averageGap = UInt64.max / 16
        while true {
            var idleSince: UInt64?
            if waiting.load(ordering: .acquiring) == 0 {
                let now = TimerQueue.now
                idleSince = now
                // Spinning for only about the recent gap does not pay: when the partner on the
                // other thread was itself parked, its wake-up alone outlasts such a spin, and both
                // threads then park on every message (measured: a cross-thread round trip twice
                // the same-thread one). So while work comes back quickly, spin the whole budget.
                let budget = averageGap < spin / 2 ? spin : 0
                while waiting.load(ordering: .acquiring) == 0, TimerQueue.now < now + budget {}
            }
            condition.lock()
            while incoming.isEmpty, jobs.isEmpty {
                let now = TimerQueue.now
                if let next = timers.nextDeadline, next <= now { break }
                if stopping {
                    exited = true
                    condition.unlock()
                    shared = nil
                    return
                }
                parked = true
                if let next = timers.nextDeadline {
                    // Timers due within the same millisecond share one wake-up: a thread woken
                    // for each of thousands of tickers would spend its core waking.
                    let wake = (next / Self.timerSlack + 1) * Self.timerSlack
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Double(wake - now) / 1e9))
                } else {
                    condition.wait()
                }
                parked = false
            }
            swap(&batch, &incoming)
            swap(&batchJobs, &jobs)
            condition.unlock()
            if let idleSince {
                let gap = TimerQueue.now - idleSince
                averageGap = (averageGap * 7 + min(gap, UInt64.max / 16)) / 8
            }
            waiting.subtract(batch.count + batchJobs.count, ordering: .relaxed)
            let began = Self.measuring.load(ordering: .relaxed) ? TimerQueue.now : 0
            for job in batchJobs { job(shared) }
            batchJobs.removeAll(keepingCapacity: true)
            fireTimers()
            // A preempted process goes behind what arrived meanwhile.
            while let process = batch.popFirst() {
                if run(process) { enqueue(process) }
            }
            record(busySince: began)
        }
    }

    /// Nanoseconds this thread spent running processes, jobs and timers, and the bytes of its
    /// Lua state after its last round (for the metrics endpoint; written by the thread only,
    /// and only while ``measuring``).
    public let busyNanoseconds = Atomic<UInt64>(0)
    public let stateBytes = Atomic<Int>(0)
    /// Metrics are on (`--metrics-addr`): threads keep ``busyNanoseconds`` and ``stateBytes``.
    public static let measuring = Atomic<Bool>(false)

    /// Processes and jobs waiting for this thread now.
    public var queued: Int {
        condition.lock()
        defer { condition.unlock() }
        return incoming.count + jobs.count
    }

    private func record(busySince began: UInt64) {
        guard Self.measuring.load(ordering: .relaxed) else { return }
        busyNanoseconds.add(TimerQueue.now &- began, ordering: .relaxed)
        if let shared { stateBytes.store(Int(wippy_memory_bytes(shared.L)), ordering: .relaxed) }
    }

    /// Resumes `process` once; true when it should run again at once (it was preempted).
    private func run(_ process: LuaProcess) -> Bool {
        guard let shared else {
            process.finish(nil, .failure(setupError))
            return false
        }
        switch process.step(shared) {
        case .again: return true
        case let .wait(deadline, sequence):
            timers.add(at: deadline, .wakeup(process, sequence: sequence))
            return false
        case .parked, .ended:
            return false
        }
    }

    private func fireTimers() {
        let now = TimerQueue.now
        while let entry = timers.popDue(now) {
            guard TimerQueue.isLive(entry.kind) else { continue }
            switch entry.kind {
            case let .wakeup(process, _):
                process.wake { _ in }
            case let .tick(process, id, _, interval, repeating):
                process.timerFired(id, repeating: repeating)
                if repeating {
                    var next = entry.deadline + interval
                    if next <= now { next = now + interval }
                    timers.add(at: next, entry.kind)
                } else {
                    process.timers[id] = nil
                }
            case let .timeLimit(process):
                process.outOfTime()
            }
        }
    }
}
