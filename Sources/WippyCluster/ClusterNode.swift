import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import WippyProcess

/// This runtime as one node of a cluster: its membership (a lease in `wippy_nodes`, renewed eight
/// times per lease), the other live nodes, the cluster-wide names (`wippy_names`, cached here and
/// kept current by notifications), and delivery to other nodes' processes over LISTEN/NOTIFY
/// (see ClusterNode+Delivery.swift). A ``ProcessTable`` hands it everything addressed to another
/// node (``RemoteProcesses``).
///
/// Four connections: one listens, one sends notifications (so everything this node sends goes
/// out in order), one keeps the lease, one runs names and the mail table.
public final class ClusterNode: RemoteProcesses, Service, Sendable {
    /// The node's name (in every PID made here).
    public let name: String
    /// How many times a node of this name joined before: PIDs of this run are numbered from
    /// `incarnation << 32`, so that none of a previous run's PIDs is handed out again.
    public let incarnation: Int64
    let settings: ClusterSettings
    let logger: Logger
    let control: PostgresConnection
    let sender: PostgresConnection
    let listener: PostgresConnection
    /// Renews the lease and reads the members, apart from everything else (a burst of names or
    /// mail on `control` must not hold a renewal back).
    let keeper: PostgresConnection
    let state: Mutex<State>
    /// Notifications as they arrive, in order, for the receiving task.
    let inbox: AsyncStream<String>
    let inboxInput: AsyncStream<String>.Continuation
    /// Wakes the sending task when the outbox gains frames; finished when the node stops.
    let wake: AsyncStream<Void>
    let wakeInput: AsyncStream<Void>.Continuation
    /// Frames and batches sent and received, for the metrics endpoint.
    public let statistics = ClusterStatistics()
    /// The table whose processes this node serves; set once by ``attach(_:)``.
    nonisolated(unsafe) weak var table: ProcessTable?

    /// The channel every node listens on for membership and name changes.
    static let clusterChannel = "wippy_cluster"
    /// Most bytes waiting to go to other nodes; a send beyond it is an error.
    static let outboxLimit = 64 << 20

    struct State {
        /// Live nodes (this one too) and their incarnations.
        var members: [String: Int64] = [:]
        /// The latest incarnation of each node counted lost: it stays lost (a late batch of it is
        /// dropped, a stale read of the table does not bring it back); a restart rejoins.
        var lost: [String: Int64] = [:]
        /// Cluster-wide names and their holders.
        var names: [String: PID] = [:]
        /// The cluster-wide names held by processes of this node.
        var owned: [PID: Set<String>] = [:]
        /// Encoded frames waiting to be sent, in order, with their node.
        var outbox: [Outgoing] = []
        var outboxBytes = 0
        /// A connection to the server closed: this node is cut off from the others.
        var disconnected = false
        var leaving = false
        /// Per other node: its processes that processes here monitor (and who watches each).
        var watching: [String: [PID: Set<PID>]] = [:]
        /// Per other node: links between a process here and one there.
        var links: [String: Set<Link>] = [:]
        /// Per other node: messages its processes left for processes here (by receiver, then
        /// sender), delivered when that node is lost.
        var wills: [String: [PID: [PID: Message]]] = [:]
        var stopping = false
    }

    /// A frame waiting to be sent, and the message it encodes (released once sent or dropped).
    struct Outgoing {
        let node: String
        let frame: [UInt8]
        let message: Message?
    }

    struct Link: Hashable {
        let local: PID
        let remote: PID
    }

    private init(settings: ClusterSettings, incarnation: Int64, logger: Logger, connections: [PostgresConnection],
                 inbox: (AsyncStream<String>, AsyncStream<String>.Continuation)) {
        self.name = settings.node
        self.settings = settings
        self.incarnation = incarnation
        self.logger = logger
        (control, sender, listener, keeper) = (connections[0], connections[1], connections[2], connections[3])
        self.state = Mutex(State())
        (self.inbox, inboxInput) = inbox
        (wake, wakeInput) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Live nodes, this one included.
    public var memberCount: Int { state.withLock { $0.members.count } }
    /// Bytes waiting to be sent to other nodes.
    public var queuedBytes: Int { state.withLock { $0.outboxBytes } }

    /// The first PID number of this run.
    public var firstPIDNumber: UInt64 { UInt64(incarnation) << 32 }

    /// Connects to the cluster's server, creates its tables if they are missing, and joins as
    /// `settings.node`: listening first, so that nothing sent to this node once it is a member is
    /// missed. An error says what failed (unreachable server, bad credentials, bad URL).
    public static func join(_ settings: ClusterSettings, logger: Logger) async throws -> ClusterNode {
        if let problem = ClusterSettings.problem(withNode: settings.node) { throw ClusterError("--node: \(problem)") }
        let configuration = try settings.connection()
        var quiet = logger
        quiet.logLevel = .error
        func connect(_ id: Int) async throws -> PostgresConnection {
            do {
                return try await PostgresConnection.connect(configuration: configuration, id: id, logger: quiet)
            } catch {
                throw ClusterError("cannot connect to the cluster's server at \(configuration.host ?? "?"):\(configuration.port ?? 0): \(String(reflecting: error))")
            }
        }
        var connections: [PostgresConnection] = []
        do {
            for id in 1...4 { connections.append(try await connect(id)) }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        let (control, listener) = (connections[0], connections[2])
        do {
            // Listening comes first: once this node's row is in the table, others may send to it.
            let inbox = AsyncStream.makeStream(of: String.self)
            for channel in [channel(of: settings.node), clusterChannel] {
                listener.addListener(channel: channel) { [input = inbox.continuation] _, notification in input.yield(notification.payload) }
            }
            try await listener.query("SELECT 1", logger: quiet)  // after the LISTENs: they are in effect
            try await createTables(control, logger: quiet)
            let leaseMilliseconds = settings.lease.milliseconds * 3 / 4
            var incarnation: Int64 = 0
            let rows = try await control.query("""
                INSERT INTO wippy_nodes (name, incarnation, lease_until) VALUES (\(settings.node), 0, now() + \(leaseMilliseconds) * interval '1 millisecond')
                ON CONFLICT (name) DO UPDATE SET incarnation = wippy_nodes.incarnation + 1, lease_until = excluded.lease_until
                RETURNING incarnation
                """, logger: quiet)
            for try await value in rows.decode(Int64.self) { incarnation = value }
            // Names and mail an earlier run of this node left behind (it was killed) are nobody's now.
            try await control.query("DELETE FROM wippy_names WHERE node = \(settings.node) AND incarnation < \(incarnation)", logger: quiet)
            try await control.query("DELETE FROM wippy_mail WHERE node = \(settings.node) AND incarnation < \(incarnation)", logger: quiet)
            let node = ClusterNode(settings: settings, incarnation: incarnation, logger: logger, connections: connections, inbox: inbox)
            for connection in connections {
                connection.closeFuture.whenComplete { [weak node] _ in node?.cutOff("the connection to the cluster's server closed") }
            }
            try await node.refreshMembers()
            try await node.loadNames()
            try await node.announce("j\t\(settings.node)\t\(incarnation)")
            logger.info("joined the cluster as node \(settings.node) (incarnation \(incarnation), lease \(settings.lease))")
            return node
        } catch {
            for connection in connections { try? await connection.close() }
            throw error as? ClusterError ?? ClusterError("cannot join the cluster: \(String(reflecting: error))")
        }
    }

    /// The tables, made once by whichever node comes first (an advisory lock keeps two nodes
    /// from racing on them).
    private static func createTables(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(726001)", logger: logger)
        do {
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS wippy_nodes (name text PRIMARY KEY, incarnation bigint NOT NULL, lease_until timestamptz NOT NULL)
                """, logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS wippy_names (name text PRIMARY KEY, pid text NOT NULL, node text NOT NULL, incarnation bigint NOT NULL)
                """, logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS wippy_mail (id bigserial PRIMARY KEY, node text NOT NULL, incarnation bigint NOT NULL,
                                                       body bytea NOT NULL, created timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(726001)", logger: logger)
            throw error
        }
        try await connection.query("SELECT pg_advisory_unlock(726001)", logger: logger)
    }

    /// Serves `table`'s processes from now on.
    public func attach(_ table: ProcessTable) {
        self.table = table
        table.join(self, firstNumber: firstPIDNumber)
    }

    /// The channel a node receives deliveries on.
    static func channel(of node: String) -> String { "wippy_n_\(node)" }

    /// Tells every node (this one too) something about membership or names.
    func announce(_ text: String) async throws {
        try await run(on: control, "SELECT pg_notify(\(Self.clusterChannel), \(text))")
    }

    /// Runs `query` on `connection`; an error at once when the node is cut off (a query written to
    /// a closed connection would never be answered). A server that does not answer within half a
    /// lease (a connection that hangs without closing) gets the connection closed under it: the
    /// query fails and the node is cut off.
    @discardableResult
    func run(on connection: PostgresConnection, _ query: PostgresQuery) async throws -> PostgresRowSequence {
        guard !connection.isClosed, !state.withLock(\.disconnected) else {
            throw ClusterError("not connected to the cluster's server")
        }
        let logger = quietLogger, patience = max(settings.lease / 2, .seconds(1))
        return try await withThrowingTaskGroup(of: PostgresRowSequence?.self) { group in
            group.addTask { try await connection.query(query, logger: logger) }
            group.addTask {
                try await Task.sleep(for: patience)
                return nil
            }
            defer { group.cancelAll() }
            if let rows = try await group.next() ?? nil { return rows }
            self.logger.error("cluster: the server did not answer within \(patience): closing the connection")
            try? await connection.close()
            throw ClusterError("the cluster's server did not answer within \(patience)")
        }
    }

    /// This node is cut off for good (a connection to the server closed, or its lease lapsed so
    /// that the others count it lost): every other node is lost to it (monitors fire, sends fail).
    func cutOff(_ why: String) {
        let others = state.withLock { state -> [(String, Int64)]? in
            guard !state.leaving, !state.disconnected else { return nil }
            state.disconnected = true
            return state.members.filter { $0.key != name }.map { ($0.key, $0.value) }
        }
        guard let others else { return }
        logger.error("cluster: \(why): node \(name) is cut off from the others; /healthz answers 503 (restart the node to rejoin)")
        for (node, incarnation) in others { nodeDown(node, incarnation: incarnation, reason: "node \(name) is cut off from the cluster") }
        dropOutbox()
    }

    /// Whether this node was cut off while a member.
    public var isCutOff: Bool { state.withLock(\.disconnected) }

    var quietLogger: Logger {
        var quiet = logger
        quiet.logLevel = .error
        return quiet
    }

    // MARK: - Service

    /// Receives, sends, renews the lease and watches the other nodes until a graceful shutdown;
    /// then sends what is still queued, gives up this node's names and leaves (the others hear
    /// at once instead of waiting for the lease).
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.receiveLoop() }
                group.addTask { await self.membershipLoop() }
                await self.sendLoop()
                group.cancelAll()
                inboxInput.finish()
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.wakeInput.finish()
        }
        await leave()
    }

    private func leave() async {
        let cutOff = state.withLock { state -> Bool in
            state.leaving = true
            return state.disconnected
        }
        if !cutOff {
            _ = try? await run(on: control, "DELETE FROM wippy_names WHERE node = \(name) AND incarnation = \(incarnation)")
            _ = try? await run(on: control, """
                UPDATE wippy_nodes SET lease_until = now() - interval '1 second' WHERE name = \(name) AND incarnation = \(incarnation)
                """)
            try? await announce("l\t\(name)\t\(incarnation)")
        }
        for connection in [listener, sender, control, keeper] { try? await connection.close() }
        logger.info("left the cluster (node \(name))")
    }

    // MARK: - Membership

    /// Renews the lease and reads who else is live, eight times per lease: a renewal may come
    /// up to 5/8 of a lease late before the others count this node lost.
    private func membershipLoop() async {
        let period = settings.lease / 8
        var renewed = ContinuousClock.now
        var reachable = true, ticks = 0
        while !Task.isCancelled, !state.withLock(\.disconnected) {
            try? await Task.sleep(for: period)
            if Task.isCancelled { return }
            do {
                try await renew()
                let gap = ContinuousClock.now - renewed
                renewed = .now
                if gap > settings.lease * 3 / 4 {
                    cutOff("this node could not renew its lease for \(gap), so the others count it lost")
                    return
                }
                try await refreshMembers()
                ticks += 1
                if ticks % 8 == 0 { try await loadNames() }
                if !reachable { logger.notice("cluster: the server answers again") }
                reachable = true
            } catch {
                if reachable, !isCutOff { logger.error("cluster: cannot reach the server: \(String(reflecting: error))") }
                reachable = false
            }
        }
    }

    private func renew() async throws {
        let leaseMilliseconds = settings.lease.milliseconds * 3 / 4
        let rows = try await run(on: keeper, """
            UPDATE wippy_nodes SET lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond'
            WHERE name = \(name) AND incarnation = \(incarnation) RETURNING name
            """)
        var found = false
        for try await _ in rows.decode(String.self) { found = true }
        if !found { cutOff("another runtime joined as node \(name) (stop one of them)") }
    }

    /// Reads the live nodes; a node that is gone (its lease lapsed) or came back as a new
    /// incarnation is lost for this one.
    func refreshMembers() async throws {
        let rows = try await run(on: keeper, "SELECT name, incarnation FROM wippy_nodes WHERE lease_until > now()")
        var live: [String: Int64] = [:]
        for try await (node, incarnation) in rows.decode((String, Int64).self) { live[node] = incarnation }
        live[name] = incarnation
        // A member missing from the table lapsed; one there with a higher incarnation restarted.
        // A lower one is a read older than what this node already heard: ignored.
        let gone = state.withLock { state -> [(String, Int64, String)] in
            state.members.compactMap { node, incarnation in
                guard let seen = live[node] else { return (node, incarnation, "its lease lapsed") }
                return seen > incarnation ? (node, incarnation, "it restarted") : nil
            }
        }
        for (node, incarnation, reason) in gone { nodeDown(node, incarnation: incarnation, reason: reason) }
        state.withLock { state in
            for (node, incarnation) in live { admit(node, incarnation, in: &state) }
        }
    }

    /// Makes `node` a member as `incarnation` unless it is one already, was counted lost at that
    /// incarnation, or this node is cut off.
    private func admit(_ node: String, _ incarnation: Int64, in state: inout State) {
        guard !state.disconnected, state.members[node] == nil, (state.lost[node] ?? -1) < incarnation else { return }
        state.members[node] = incarnation
    }

    /// A batch from `node` as `incarnation`: whether to handle it. A node first heard of this
    /// way is a member; a batch of a run already counted lost, or older than the one known, is
    /// dropped; a newer run means the older one is lost.
    func heard(from node: String, incarnation: Int64) -> Bool {
        let (handle, restarted) = state.withLock { state -> (Bool, Int64?) in
            if state.disconnected || (state.lost[node] ?? -1) >= incarnation { return (false, nil) }
            guard let known = state.members[node] else {
                admit(node, incarnation, in: &state)
                return (true, nil)
            }
            return known >= incarnation ? (known == incarnation, nil) : (true, known)
        }
        if let restarted {
            nodeDown(node, incarnation: restarted, reason: "it restarted")
            state.withLock { admit(node, incarnation, in: &$0) }
        }
        return handle
    }

    /// `node` is lost: monitors of its processes get EXIT, links to them fail, the wills its
    /// processes left are delivered, its names go, and what waits to be sent to it is dropped.
    func nodeDown(_ node: String, incarnation: Int64, reason: String) {
        guard node != name else { return }
        let found = state.withLock { state -> (watched: [PID: Set<PID>], links: Set<Link>, wills: [PID: [PID: Message]])? in
            guard state.members[node] == incarnation else { return nil }
            state.members[node] = nil
            state.lost[node] = max(state.lost[node] ?? -1, incarnation)
            state.names = state.names.filter { $0.value.node != node }
            return (state.watching.removeValue(forKey: node) ?? [:], state.links.removeValue(forKey: node) ?? [],
                    state.wills.removeValue(forKey: node) ?? [:])
        }
        guard let (watched, links, wills) = found else { return }
        dropOutbox { $0 == node }
        statistics.add(\.nodesLost)
        logger.warning("cluster: node \(node) is down (\(reason))")
        let outcome = ProcessOutcome.failure("node \(node) is down: \(reason)")
        guard let table else { return }
        for (target, watchers) in watched {
            for watcher in watchers { table.deliver(ProcessEvent(kind: .exit, from: target, outcome: outcome), to: watcher) }
        }
        for link in links { table.linkFailed(link.local, from: link.remote, outcome: outcome) }
        for (receiver, messages) in wills {
            for message in messages.values {
                _ = try? table.send(to: receiver, Message(from: message.from, topic: message.topic, payload: message.payload))
            }
        }
        table.forget(node: node)
        Task {
            _ = try? await run(on: control, "DELETE FROM wippy_names WHERE node = \(node) AND incarnation <= \(incarnation)")
            _ = try? await run(on: control, "DELETE FROM wippy_mail WHERE node = \(node) AND incarnation <= \(incarnation)")
        }
    }

    // MARK: - Names

    /// Reads the names of live nodes (at join, then once per lease: a missed announcement is
    /// mended within a lease). Names held here stay whatever the read saw.
    private func loadNames() async throws {
        let rows = try await run(on: keeper, """
            SELECT n.name, n.pid FROM wippy_names n JOIN wippy_nodes m ON m.name = n.node AND m.incarnation = n.incarnation
            WHERE m.lease_until > now()
            """)
        var names: [String: PID] = [:]
        for try await (name, text) in rows.decode((String, String).self) { names[name] = PID(text) }
        state.withLock { state in
            for (pid, held) in state.owned { for name in held { names[name] = pid } }
            state.names = names.filter { $0.value.node.map { state.members[$0] != nil } ?? false }
        }
    }

    /// A name change another node (or this one) announced.
    func nameChanged(_ added: Bool, name: String, holder: PID) {
        state.withLock { state in
            if added {
                if state.members[holder.node ?? ""] != nil { state.names[name] = holder }
            } else if state.names[name] == holder {
                state.names[name] = nil
            }
        }
    }

    public func lookup(_ name: String) -> PID? {
        state.withLock { $0.names[name] }
    }

    public func isGlobal(_ name: String) -> Bool {
        settings.globalNames.contains(name)
    }

    /// Longest cluster-wide name, in bytes (it travels in notifications and is a primary key).
    public static let maxNameBytes = 256

    public func register(_ name: String, for pid: PID) async throws(ProcessError) {
        guard pid.node == self.name else { throw .invalid("only a process of this node can be registered here: \(pid)") }
        guard name.utf8.count <= Self.maxNameBytes else {
            throw .invalid("a cluster-wide name has at most \(Self.maxNameBytes) bytes (this one has \(name.utf8.count))")
        }
        if state.withLock({ $0.names[name] == pid }) { return }
        let holder: PID?
        do {
            let rows = try await run(on: control, """
                INSERT INTO wippy_names (name, pid, node, incarnation) VALUES (\(name), \(pid.description), \(self.name), \(incarnation))
                ON CONFLICT (name) DO UPDATE SET pid = excluded.pid, node = excluded.node, incarnation = excluded.incarnation
                WHERE NOT EXISTS (SELECT 1 FROM wippy_nodes m WHERE m.name = wippy_names.node AND m.incarnation = wippy_names.incarnation
                                  AND m.lease_until > now())
                RETURNING pid
                """)
            var claimed = false
            for try await _ in rows.decode(String.self) { claimed = true }
            if claimed {
                holder = pid
            } else {
                let current = try await run(on: control, "SELECT pid FROM wippy_names WHERE name = \(name)")
                var text: String?
                for try await value in current.decode(String.self) { text = value }
                holder = text.flatMap(PID.init)
            }
        } catch {
            throw .invalid("cluster: cannot register \"\(name)\": \(String(reflecting: error))")
        }
        guard let holder, holder == pid else { throw .nameTaken(name, by: holder ?? pid) }
        state.withLock { state in
            state.names[name] = pid
            state.owned[pid, default: []].insert(name)
        }
        try? await announce("n+\t\(pid)\t\(name)")
        if table?.contains(pid) == false { _ = await unregister(name, by: pid) }  // it ended meanwhile
    }

    public func unregister(_ name: String, by pid: PID) async -> Bool {
        let held = state.withLock { state -> Bool in
            guard state.owned[pid]?.remove(name) != nil else { return false }
            if state.owned[pid]?.isEmpty == true { state.owned[pid] = nil }
            if state.names[name] == pid { state.names[name] = nil }
            return true
        }
        guard held else { return false }
        do {
            try await run(on: control, "DELETE FROM wippy_names WHERE name = \(name) AND pid = \(pid.description)")
        } catch {
            logger.error("cluster: the name \"\(name)\" of \(pid) could not be released: \(String(reflecting: error))")
        }
        try? await announce("n-\t\(pid)\t\(name)")
        return true
    }

    public func exited(_ pid: PID) {
        let names = state.withLock { state -> Set<String> in
            for (node, links) in state.links where links.contains(where: { $0.local == pid }) {
                state.links[node] = links.filter { $0.local != pid }
            }
            for (node, targets) in state.watching {
                for (target, watchers) in targets where watchers.contains(pid) {
                    state.watching[node]?[target] = watchers.count == 1 ? nil : watchers.subtracting([pid])
                }
            }
            for node in state.wills.keys { state.wills[node]?[pid] = nil }
            return state.owned[pid] ?? []
        }
        guard !names.isEmpty else { return }
        Task { for name in names { _ = await unregister(name, by: pid) } }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
