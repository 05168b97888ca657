import CLua
import Foundation
import Synchronization

/// Keeps a Lua process that loops without yielding from starving the others, and ends a function
/// call that runs past its time limit where it cannot yield (its thread's own timer cannot fire
/// then).
///
/// Every thread that runs Lua has a ``Slot`` saying which state runs there and since when; a
/// dedicated thread (not a task: busy processes may hold every pool thread) looks every
/// millisecond (every 4 ms while nothing runs long) and arms a count hook on the innermost coroutine of a process that has run longer
/// than its time slice (the shim tracks which coroutine runs). The hook yields at the next safe
/// point, the process goes to the back of the queue. The fast path (entering and leaving Lua, on
/// every message) is a few atomic operations on the thread's own slot; no hook is armed normally.
final class PreemptionWatchdog: Sendable {
    static let shared = PreemptionWatchdog()

    /// How long a process may run before it is asked to yield. Short, because the processes of a
    /// thread share it: a busy one delays each neighbour by up to a slice (plus a check period).
    static let timeSlice: Duration = .milliseconds(2)

    /// One thread's running Lua state. Its `state` is a tiny lock between the thread and the
    /// watchdog, so that the watchdog never touches a state after `leave` returned.
    final class Slot: @unchecked Sendable {  // all but `state` are guarded by `state`
        static let idle = 0, running = 1, inspected = 2
        let state = Atomic<Int>(Slot.idle)
        var control: UnsafeMutablePointer<wippy_control>?
        /// The running process (the thread that runs it keeps it alive until `leave`).
        var owner: Unmanaged<LuaProcess>?
        var since: UInt64 = 0
        /// When the running function call is out of time (monotonic nanoseconds; `.max`: never).
        var deadline: UInt64 = .max
    }

    private let slots = Mutex<[Slot]>([])
    private let slotKey: pthread_key_t

    private init() {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)  // slots live as long as the process: threads are few and long-lived
        slotKey = key
        let thread = Thread { [unowned self] in self.watch() }
        thread.name = "wippy-preemption"
        thread.start()
    }

    /// The calling thread's slot, made on first use.
    private var currentSlot: Slot {
        if let raw = pthread_getspecific(slotKey) { return Unmanaged<Slot>.fromOpaque(raw).takeUnretainedValue() }
        let slot = Slot()
        slots.withLock { $0.append(slot) }  // the list keeps it alive
        pthread_setspecific(slotKey, Unmanaged.passUnretained(slot).toOpaque())
        return slot
    }

    /// `thread`, the main coroutine of `owner`, is about to run Lua code on this thread, in the
    /// state `control` belongs to; `owner` is terminated if it still runs at `deadline`. The caller
    /// checks for termination after this returns (a terminate that came before it found no slot
    /// to doom).
    func enter(_ owner: LuaProcess, control: UnsafeMutablePointer<wippy_control>, thread: OpaquePointer,
               deadline: UInt64) -> Slot {
        let slot = currentSlot
        wippy_enter(control, thread)
        slot.control = control
        slot.owner = Unmanaged.passUnretained(owner)
        slot.deadline = deadline
        slot.since = TimerQueue.now
        slot.state.store(Slot.running, ordering: .sequentiallyConsistent)
        return slot
    }

    /// The state stopped running Lua; after this returns the watchdog no longer touches it.
    func leave(_ slot: Slot) {
        while slot.state.compareExchange(expected: Slot.running, desired: Slot.idle, ordering: .sequentiallyConsistent).exchanged == false {
            // The watchdog is looking at this slot right now: it finishes in a few instructions.
        }
        // On the thread that ran the state: the armed hook is cleared safely here.
        if let control = slot.control { wippy_leave(control) }
        slot.control = nil
    }

    /// Dooms a running process (terminated): it gets an error at every instruction until it has
    /// unwound, also where it cannot yield. A process not running now is not touched; it checks
    /// for termination before it runs again (see ``LuaProcess``).
    func interrupt(_ owner: LuaProcess) {
        let id = Unmanaged.passUnretained(owner).toOpaque()
        for slot in slots.withLock({ $0 }) {
            // Waits out the watchdog thread if it is looking at the slot: a doom must not be lost.
            inspect(slot, waitingForOthers: true) { slot in
                guard slot.owner?.toOpaque() == id else { return false }
                if let control = slot.control { wippy_doom(control) }
                return true
            }
        }
    }

    /// Arms the hook of the thread running in `slot` when `shouldArm` says so, unless the slot is
    /// idle. A slot another inspector holds is skipped, or waited for with `waitingForOthers`.
    private func inspect(_ slot: Slot, waitingForOthers: Bool = false, _ shouldArm: (Slot) -> Bool) {
        while true {
            let (exchanged, found) = slot.state.compareExchange(expected: Slot.running, desired: Slot.inspected,
                                                                ordering: .sequentiallyConsistent)
            if exchanged { break }
            guard waitingForOthers, found == Slot.inspected else { return }
        }
        if shouldArm(slot), let control = slot.control { wippy_arm_preemption(control) }
        slot.state.store(Slot.running, ordering: .releasing)
    }

    private func watch() {
        let slice = UInt64(Self.timeSlice.components.attoseconds / 1_000_000_000) + UInt64(Self.timeSlice.components.seconds) * 1_000_000_000
        var busy = false
        while true {
            // Every millisecond while some Lua code runs long; less often otherwise, so that a
            // runtime of short-lived runs does not wake a core a thousand times a second.
            Thread.sleep(forTimeInterval: busy ? 0.001 : 0.004)
            let now = TimerQueue.now
            busy = false
            var overdue: [LuaProcess] = []
            for slot in slots.withLock({ $0 }) {
                inspect(slot) { slot in
                    if now >= slot.deadline, let owner = slot.owner {
                        overdue.append(owner.takeUnretainedValue())  // retained: it may end once the slot is let go
                        slot.deadline = .max
                    }
                    let ran = now > slot.since ? now - slot.since : 0
                    if ran > slice / 4 { busy = true }
                    return ran > slice
                }
            }
            for process in overdue { process.outOfTime() }
        }
    }
}
