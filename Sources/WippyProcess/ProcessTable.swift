import Synchronization

/// Every live process of the runtime by PID, the name registry, monitors and links.
///
/// All operations are synchronous and lock-protected; delivery is handed to the target process,
/// which queues it and wakes itself. A process that ends calls ``exited(_:outcome:)``, which frees
/// its names and tells its monitors (EXIT) and links (LINK_DOWN, on failure).
///
/// In a cluster, PIDs of other nodes (and names registered cluster-wide) are handed to
/// ``remote``; monitors and links may then hold PIDs of other nodes.
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
            guard let process = byNumber[pid.number]?.process, process.pid.host == pid.host, process.pid.node == pid.node else { return nil }
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
    /// This runtime's cluster node (nil: not in a cluster); every PID made here carries it.
    public let node: String?
    /// The processes of other nodes; set once by ``join(_:firstNumber:)`` before any process runs.
    nonisolated(unsafe) private var remoteNodes: (any RemoteProcesses)?
    /// Which process runs each supervised service (for those that follow a service across restarts).
    public let services = ServiceDirectory()
    /// Subscriptions to events (the Lua `events` module).
    public let events = EventBus()

    public init(node: String? = nil) {
        self.node = node
    }

    /// Joins the table to its cluster, before any process runs. PIDs are numbered from
    /// `firstNumber` on (a node that restarts does not hand out the PIDs of its last run again).
    public func join(_ remote: any RemoteProcesses, firstNumber: UInt64) {
        remoteNodes = remote
        state.withLock { $0.lastNumber = max($0.lastNumber, firstNumber) }
    }

    /// The processes of other nodes, if in a cluster.
    public var remote: (any RemoteProcesses)? { remoteNodes }

    /// Whether `pid` runs on another node of the cluster.
    @inline(__always)
    public func isRemote(_ pid: PID) -> Bool {
        pid.node != node && remoteNodes != nil
    }

    /// A fresh PID on `host`.
    public func makePID(host: String) -> PID {
        state.withLock { state in
            state.lastNumber += 1
            return PID(node: node, host: host, number: state.lastNumber)
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

    /// A PID string or a registered name → a live process's PID (one of another node: if its
    /// node is live).
    public func resolve(_ destination: String) -> PID? {
        if let pid = PID(destination), isRemote(pid) { return remoteNodes!.isReachable(pid) ? pid : nil }
        let local = state.withLock { state -> PID? in
            if let pid = PID(destination) { return state.slots.process(pid) != nil ? pid : nil }
            return state.names[destination]
        }
        if local == nil, PID(destination) == nil, let remote = remoteNodes { return remote.lookup(destination) }
        return local
    }

    // MARK: - Messages and signals

    /// Delivers `message` to the process named by `destination` (PID string or registered name).
    public func send(to destination: String, _ message: Message) throws(ProcessError) {
        let parsed = PID(destination)
        if let parsed, isRemote(parsed) { return try sendRemote(message, to: parsed) }
        let target = state.withLock { state -> (any Process)? in
            let pid = parsed ?? state.names[destination]
            return pid.flatMap { state.slots.process($0) }
        }
        guard let target else {
            if parsed == nil, let holder = remoteNodes?.lookup(destination) { return try sendRemote(message, to: holder) }
            message.consumed()
            throw .notFound(destination)
        }
        try deliver(message, to: target)
    }

    /// Hands `message` to the cluster, which releases it once sent (or here, when refused).
    private func sendRemote(_ message: Message, to pid: PID) throws(ProcessError) {
        do { try remoteNodes!.send(message, to: pid) } catch {
            message.consumed()
            throw error
        }
    }

    /// Delivers `message` to `pid`. Returns the receiver's own PID (equal to `pid`; a sender that
    /// keeps it shares the receiver's copy of its texts instead of keeping one more).
    @discardableResult
    public func send(to pid: PID, _ message: Message) throws(ProcessError) -> PID {
        if isRemote(pid) {
            try sendRemote(message, to: pid)
            return pid
        }
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
        if isRemote(pid) { return try remoteNodes!.signal(.event(ProcessEvent(kind: .cancel, from: from, reason: reason)), to: pid) }
        guard let target = state.withLock({ $0.slots.process(pid) }) else { throw .notFound(pid.description) }
        target.deliver(ProcessEvent(kind: .cancel, from: from, reason: reason))
    }

    /// Stops a process at once; it exits with a failure.
    public func terminate(_ pid: PID, reason: String = "terminated") throws(ProcessError) {
        if isRemote(pid) { return try remoteNodes!.signal(.terminate(reason: reason), to: pid) }
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

    /// The holder of `name`: a local process, else (in a cluster) one holding it cluster-wide.
    public func lookup(_ name: String) -> PID? {
        state.withLock { $0.names[name] } ?? remoteNodes?.lookup(name)
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
        if isRemote(target) { return try remoteNodes!.signal(.monitor(by: watcher), to: target) }
        try state.withLock { (state) throws(ProcessError) in
            guard state.slots[target] != nil else { throw .notFound(target.description) }
            state.slots[target]?.monitors.insert(watcher)
        }
    }

    public func demonitor(_ target: PID, by watcher: PID) {
        if isRemote(target) {
            try? remoteNodes!.signal(.demonitor(by: watcher), to: target)
            return
        }
        state.withLock { _ = $0.slots[target]?.monitors.remove(watcher) }
    }

    /// Links two processes: when one fails, the other gets LINK_DOWN (with trap_links) or fails too.
    public func link(_ a: PID, _ b: PID) throws(ProcessError) {
        let remoteA = isRemote(a), remoteB = isRemote(b)
        guard !(remoteA && remoteB) else { throw .invalid("cannot link two processes of other nodes") }
        let check = { (state: State) throws(ProcessError) in
            guard remoteA || state.slots[a] != nil else { throw .notFound(a.description) }
            guard remoteB || state.slots[b] != nil else { throw .notFound(b.description) }
        }
        try state.withLock { (state) throws(ProcessError) in try check(state) }
        // The other node first: when it is down, nothing is linked here.
        if remoteA { try remoteNodes!.signal(.link(b), to: a) }
        if remoteB { try remoteNodes!.signal(.link(a), to: b) }
        try state.withLock { (state) throws(ProcessError) in
            try check(state)
            state.slots[a]?.links.insert(b)
            state.slots[b]?.links.insert(a)
        }
    }

    public func unlink(_ a: PID, _ b: PID) {
        state.withLock { state in
            state.slots[a]?.links.remove(b)
            state.slots[b]?.links.remove(a)
        }
        if isRemote(a) { try? remoteNodes!.signal(.unlink(b), to: a) }
        if isRemote(b) { try? remoteNodes!.signal(.unlink(a), to: b) }
    }

    /// `peer`, linked to `pid`, failed with `outcome` (`peer` may be of another node): LINK_DOWN
    /// when `pid` traps links, else `pid` fails too.
    public func linkFailed(_ pid: PID, from peer: PID, outcome: ProcessOutcome) {
        let found = state.withLock { state -> (any Process, Bool)? in
            guard let slot = state.slots[pid], slot.links.contains(peer) else { return nil }
            state.slots[pid]?.links.remove(peer)
            return (slot.process, slot.trapLinks)
        }
        guard let (process, trap) = found, case let .failure(reason) = outcome else { return }
        if trap {
            process.deliver(ProcessEvent(kind: .linkDown, from: peer, outcome: outcome))
        } else {
            process.terminate(reason: "linked process \(peer) failed: \(reason)")
        }
    }

    /// Adds `watcher`, a process of another node, to the monitors of the local `target`; false
    /// when `target` is not live.
    public func addRemoteMonitor(_ watcher: PID, of target: PID) -> Bool {
        state.withLock { state in
            guard state.slots[target] != nil else { return false }
            state.slots[target]?.monitors.insert(watcher)
            return true
        }
    }

    /// Links the local `pid` with `peer` of another node; false when `pid` is not live.
    public func addRemoteLink(_ pid: PID, _ peer: PID) -> Bool {
        state.withLock { state in
            guard state.slots[pid] != nil else { return false }
            state.slots[pid]?.links.insert(peer)
            return true
        }
    }

    /// Unlinks the local `pid` from `peer` of another node (that node unlinked).
    public func removeRemoteLink(_ pid: PID, _ peer: PID) {
        state.withLock { _ = $0.slots[pid]?.links.remove(peer) }
    }

    /// `node` is lost: its processes leave the monitors and links of every process here.
    public func forget(node: String) {
        state.withLock { state in
            for number in state.slots.byNumber.keys {
                guard let slot = state.slots.byNumber[number],
                      slot.monitors.contains(where: { $0.node == node }) || slot.links.contains(where: { $0.node == node }) else { continue }
                state.slots.byNumber[number]?.monitors = slot.monitors.filter { $0.node != node }
                state.slots.byNumber[number]?.links = slot.links.filter { $0.node != node }
            }
        }
    }

    /// The holder of `name` on this runtime only (no cluster lookup).
    public func localHolder(_ name: String) -> PID? {
        state.withLock { $0.names[name] }
    }

    /// Delivers an event to a local process; false when it is not live.
    @discardableResult
    public func deliver(_ event: ProcessEvent, to pid: PID) -> Bool {
        guard let target = state.withLock({ $0.slots.process(pid) }) else { return false }
        target.deliver(event)
        return true
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
            let event = ProcessEvent(kind: .exit, from: pid, outcome: outcome)
            if isRemote(watcher) { try? remoteNodes!.signal(.event(event), to: watcher) } else { deliver(event, to: watcher) }
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
        if let remote = remoteNodes {
            for peer in slot.links where isRemote(peer) {
                try? remote.signal(outcome.isFailure ? .linkFailed(from: pid, outcome: outcome) : .unlink(pid), to: peer)
            }
            remote.exited(pid)
        }
        slot.onExit?(outcome)
    }

    // MARK: - Wills

    /// In a cluster: when this node is lost, `pid`'s node delivers `message` to it (nothing for
    /// a local `pid`, which cannot outlive this node).
    public func setWill(_ message: Message, to pid: PID) {
        guard isRemote(pid) else { return }
        try? remoteNodes!.signal(.will(message), to: pid)
    }

    /// Voids the will of `sender` for `pid`.
    public func revokeWill(from sender: PID, to pid: PID) {
        guard isRemote(pid) else { return }
        try? remoteNodes!.signal(.revokeWill(from: sender), to: pid)
    }
}
