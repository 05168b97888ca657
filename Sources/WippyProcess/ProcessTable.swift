import Synchronization

/// Every live process of the runtime by PID, the name registry, monitors and links.
///
/// All operations are synchronous and lock-protected; delivery is handed to the target process,
/// which queues it and wakes itself. A process that ends calls ``exited(_:outcome:)``, which frees
/// its names and tells its monitors (EXIT) and links (LINK_DOWN, on failure).
public final class ProcessTable: Sendable {
    private struct Slot {
        var process: any Process
        var names: Set<String> = []
        var monitors: Set<PID> = []
        var links: Set<PID> = []
        var trapLinks = false
        var onExit: (@Sendable (ProcessOutcome) -> Void)?
    }

    private struct State {
        var slots = Slots()
        var names: [String: PID] = [:]
        var lastNumber: UInt64 = 0
        var totals = Totals()
    }

    /// How many processes the table has seen: live now, added, and ended by outcome.
    public struct Totals: Sendable {
        public var alive = 0
        public var spawned = 0
        public var returned = 0
        public var failed = 0

        public init() {}
    }

    /// The slots by PID, kept by the PID's number (unique in the runtime; a PID key would keep
    /// its texts a second time). A slot is found when the number and the host match.
    private struct Slots {
        var byNumber: [UInt64: Slot] = [:]

        /// The process of `pid`, if live (the lookup of every message).
        func process(_ pid: PID) -> (any Process)? {
            guard let process = byNumber[pid.number]?.process, process.pid.host == pid.host else { return nil }
            return process
        }

        subscript(pid: PID) -> Slot? {
            get { process(pid) != nil ? byNumber[pid.number] : nil }
            _modify {
                if process(pid) == nil, byNumber[pid.number] != nil {
                    var none: Slot?
                    yield &none
                } else {
                    yield &byNumber[pid.number]
                }
            }
        }

        var count: Int { byNumber.count }

        mutating func removeValue(forKey pid: PID) -> Slot? {
            guard self[pid] != nil else { return nil }
            return byNumber.removeValue(forKey: pid.number)
        }
    }

    private let state = Mutex(State())
    /// Which process runs each supervised service (for those that follow a service across restarts).
    public let services = ServiceDirectory()
    /// Subscriptions to events (the Lua `events` module).
    public let events = EventBus()

    public init() {}

    /// A fresh PID on `host`.
    public func makePID(host: String) -> PID {
        state.withLock { state in
            state.lastNumber += 1
            return PID(host: host, number: state.lastNumber)
        }
    }

    /// Adds a process; `onExit` runs once when it ends (from the thread that ends it).
    public func add(_ process: any Process, onExit: (@Sendable (ProcessOutcome) -> Void)? = nil) {
        state.withLock { state in
            state.slots[process.pid] = Slot(process: process, onExit: onExit)
            state.totals.spawned += 1
        }
    }

    /// The deepest mailboxes now (at most `limit`, deepest first), the deepest depth, and the
    /// messages waiting in all of them: one look at every live process.
    /// Also every process's depth (for a histogram).
    public func mailboxes(top limit: Int) -> (top: [(pid: PID, entry: String, depth: Int)], deepest: Int, waiting: Int, depths: [Int]) {
        let processes = state.withLock { $0.slots.byNumber.values.map(\.process) }
        var all: [(pid: PID, entry: String, depth: Int)] = []
        var depths: [Int] = []
        depths.reserveCapacity(processes.count)
        var deepest = 0, waiting = 0
        for process in processes {
            let depth = process.mailboxDepth
            depths.append(depth)
            deepest = max(deepest, depth)
            waiting += depth
            if depth > 0 { all.append((process.pid, process.entryName, depth)) }
        }
        all.sort { $0.depth > $1.depth }
        return (Array(all.prefix(limit)), deepest, waiting, depths)
    }

    /// The totals so far (for the metrics endpoint).
    public var totals: Totals {
        state.withLock { state in
            var totals = state.totals
            totals.alive = state.slots.count
            return totals
        }
    }

    /// Number of live processes.
    public var count: Int { state.withLock { $0.slots.count } }

    public func contains(_ pid: PID) -> Bool { state.withLock { $0.slots.process(pid) != nil } }

    /// A PID string or a registered name → a live process's PID.
    public func resolve(_ destination: String) -> PID? {
        state.withLock { state in
            if let pid = PID(destination) { return state.slots.process(pid) != nil ? pid : nil }
            return state.names[destination]
        }
    }

    // MARK: - Messages and signals

    /// Delivers `message` to the process named by `destination` (PID string or registered name).
    public func send(to destination: String, _ message: Message) throws(ProcessError) {
        let target = state.withLock { state -> (any Process)? in
            let pid = PID(destination) ?? state.names[destination]
            return pid.flatMap { state.slots.process($0) }
        }
        guard let target else {
            message.consumed()
            throw .notFound(destination)
        }
        try deliver(message, to: target)
    }

    /// Delivers `message` to `pid`. Returns the receiver's own PID (equal to `pid`; a sender that
    /// keeps it shares the receiver's copy of its texts instead of keeping one more).
    @discardableResult
    public func send(to pid: PID, _ message: Message) throws(ProcessError) -> PID {
        guard let target = state.withLock({ $0.slots.process(pid) }) else {
            message.consumed()
            throw .notFound(pid.description)
        }
        try deliver(message, to: target)
        return target.pid
    }

    /// Hands `message` over; one that is not delivered is released (see ``Message/consumed()``).
    private func deliver(_ message: Message, to target: any Process) throws(ProcessError) {
        guard target.deliver(message) else {
            message.consumed()
            throw .mailboxFull(target.pid, limit: target.mailboxLimit)
        }
    }

    /// Asks a process to stop: a CANCEL event it handles itself.
    public func cancel(_ pid: PID, from: PID?, reason: String) throws(ProcessError) {
        guard let target = state.withLock({ $0.slots.process(pid) }) else { throw .notFound(pid.description) }
        target.deliver(ProcessEvent(kind: .cancel, from: from, reason: reason))
    }

    /// Stops a process at once; it exits with a failure.
    public func terminate(_ pid: PID, reason: String = "terminated") throws(ProcessError) {
        guard let target = state.withLock({ $0.slots.process(pid) }) else { throw .notFound(pid.description) }
        target.terminate(reason: reason)
    }

    // MARK: - Names

    /// Registers `name` for `pid`. Registering the same name again for the same PID is fine.
    public func register(_ name: String, for pid: PID) throws(ProcessError) {
        try state.withLock { (state) throws(ProcessError) in
            guard state.slots[pid] != nil else { throw .notFound(pid.description) }
            if let holder = state.names[name], holder != pid { throw .nameTaken(name, by: holder) }
            state.names[name] = pid
            state.slots[pid]?.names.insert(name)
        }
    }

    public func lookup(_ name: String) -> PID? {
        state.withLock { $0.names[name] }
    }

    /// Removes a name; true when it was registered (to anyone).
    @discardableResult
    public func unregister(_ name: String) -> Bool {
        state.withLock { state in
            guard let pid = state.names.removeValue(forKey: name) else { return false }
            state.slots[pid]?.names.remove(name)
            return true
        }
    }

    // MARK: - Monitors and links

    /// `watcher` gets an EXIT event when `target` ends.
    public func monitor(_ target: PID, by watcher: PID) throws(ProcessError) {
        try state.withLock { (state) throws(ProcessError) in
            guard state.slots[target] != nil else { throw .notFound(target.description) }
            state.slots[target]?.monitors.insert(watcher)
        }
    }

    public func demonitor(_ target: PID, by watcher: PID) {
        state.withLock { _ = $0.slots[target]?.monitors.remove(watcher) }
    }

    /// Links two processes: when one fails, the other gets LINK_DOWN (with trap_links) or fails too.
    public func link(_ a: PID, _ b: PID) throws(ProcessError) {
        try state.withLock { (state) throws(ProcessError) in
            guard state.slots[a] != nil else { throw .notFound(a.description) }
            guard state.slots[b] != nil else { throw .notFound(b.description) }
            state.slots[a]?.links.insert(b)
            state.slots[b]?.links.insert(a)
        }
    }

    public func unlink(_ a: PID, _ b: PID) {
        state.withLock { state in
            state.slots[a]?.links.remove(b)
            state.slots[b]?.links.remove(a)
        }
    }

    /// With `trap`, a linked process's failure arrives as a LINK_DOWN event instead of failing this one.
    public func setTrapLinks(_ pid: PID, _ trap: Bool) {
        state.withLock { $0.slots[pid]?.trapLinks = trap }
    }

    // MARK: - Exit

    /// Removes an ended process: frees its names, notifies monitors and links, runs exit handlers.
    public func exited(_ pid: PID, outcome: ProcessOutcome) {
        let (slot, linked) = state.withLock { state -> (Slot?, [(any Process, Bool)]) in
            guard let slot = state.slots.removeValue(forKey: pid) else { return (nil, []) }
            if case .result = outcome { state.totals.returned += 1 } else { state.totals.failed += 1 }
            for name in slot.names where state.names[name] == pid { state.names.removeValue(forKey: name) }
            var linked: [(any Process, Bool)] = []
            for other in slot.links {
                state.slots[other]?.links.remove(pid)
                if let peer = state.slots[other] { linked.append((peer.process, peer.trapLinks)) }
            }
            return (slot, linked)
        }
        guard let slot else { return }
        events.forget(pid)
        for watcher in slot.monitors {
            try? send(event: ProcessEvent(kind: .exit, from: pid, outcome: outcome), to: watcher)
        }
        if case let .failure(reason) = outcome {
            for (peer, trap) in linked {
                if trap {
                    peer.deliver(ProcessEvent(kind: .linkDown, from: pid, outcome: outcome))
                } else {
                    peer.terminate(reason: "linked process \(pid) failed: \(reason)")
                }
            }
        }
        slot.onExit?(outcome)
    }

    private func send(event: ProcessEvent, to pid: PID) throws(ProcessError) {
        guard let target = state.withLock({ $0.slots.process(pid) }) else { throw .notFound(pid.description) }
        target.deliver(event)
    }
}
