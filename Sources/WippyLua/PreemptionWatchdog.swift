import CLua
import Foundation
import Synchronization

/// Keeps a Lua process that loops without yielding from starving the others.
///
/// Processes report when they start and stop running Lua; a dedicated thread (not a task: busy
/// processes may hold every pool thread) looks every few milliseconds and arms a count hook on any
/// process that has run longer than its time slice. The hook yields at the next safe point, the
/// process goes to the back of the queue. The fast path pays nothing: no hook is armed normally.
final class PreemptionWatchdog: Sendable {
    static let shared = PreemptionWatchdog()

    /// How long a process may run before it is asked to yield.
    static let timeSlice: Duration = .milliseconds(10)

    private struct Running: @unchecked Sendable {  // the thread pointer is only used under the lock
        var thread: OpaquePointer
        var since: ContinuousClock.Instant
        var armed = false
    }

    private let running = Mutex<[ObjectIdentifier: Running]>([:])

    private init() {
        let thread = Thread { [unowned self] in self.watch() }
        thread.name = "wippy-preemption"
        thread.start()
    }

    /// `thread` (a coroutine of `owner`) is about to run Lua code.
    func enter(_ owner: AnyObject, thread: OpaquePointer) {
        running.withLock { $0[ObjectIdentifier(owner)] = Running(thread: thread, since: .now) }
    }

    /// The coroutine stopped running; after this returns the watchdog no longer touches it.
    func leave(_ owner: AnyObject) {
        let entry = running.withLock { $0.removeValue(forKey: ObjectIdentifier(owner)) }
        // Called on the thread that ran the coroutine, so the hook can be cleared safely here.
        if let entry, entry.armed { lua_sethook(entry.thread, nil, 0, 0) }
    }

    /// Asks a running process to yield at once (e.g. to be terminated).
    func interrupt(_ owner: AnyObject) {
        running.withLock { table in
            guard var entry = table[ObjectIdentifier(owner)], !entry.armed else { return }
            wippy_arm_preemption(entry.thread)
            entry.armed = true
            table[ObjectIdentifier(owner)] = entry
        }
    }

    private func watch() {
        while true {
            Thread.sleep(forTimeInterval: 0.005)
            let now = ContinuousClock.now
            running.withLock { table in
                for (key, var entry) in table where !entry.armed && now - entry.since > Self.timeSlice {
                    // lua_sethook is safe to call while another thread runs the state (Lua's own
                    // interpreter does it from a signal handler).
                    wippy_arm_preemption(entry.thread)
                    entry.armed = true
                    table[key] = entry
                }
            }
        }
    }
}
