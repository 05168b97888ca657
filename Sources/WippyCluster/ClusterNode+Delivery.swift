import PostgresNIO
import WippyProcess

/// Delivery between nodes. Each node listens on its own channel (`wippy_n_NAME`). What this node
/// sends waits in one outbox, in order; one task sends it as notifications of up to
/// ``inlineLimit`` bytes, several frames each, several notifications per statement. A frame too
/// large for a notification goes into the mail table and its notification carries the row's id;
/// the receiver takes the row out before it goes on, so order holds.
extension ClusterNode {
    /// Most bytes of a batch inside one notification (PostgreSQL takes 8,000 bytes of text; base64
    /// makes four of three).
    static let inlineLimit = 5_800

    // MARK: - RemoteProcesses

    public func send(_ message: Message, to pid: PID) throws(ProcessError) {
        var writer = ClusterWire.Writer()
        writer.frame(.message(to: pid, from: message.from, topic: message.topic, payload: message.payload))
        try enqueue(writer.bytes, for: pid, holding: message)
    }

    public func signal(_ signal: RemoteSignal, to pid: PID) throws(ProcessError) {
        var writer = ClusterWire.Writer()
        let from: PID? = if case let .event(event) = signal { event.from } else { nil }
        writer.frame(.signal(to: pid, from: from, signal))
        try enqueue(writer.bytes, for: pid) { state, node in
            // What this node must remember to act when `node` is lost.
            switch signal {
            case let .monitor(watcher): state.watching[node, default: [:]][pid, default: []].insert(watcher)
            case let .demonitor(watcher): Self.unwatch(pid, by: watcher, on: node, in: &state)
            case let .link(local): state.links[node, default: []].insert(Link(local: local, remote: pid))
            case let .unlink(local): state.links[node]?.remove(Link(local: local, remote: pid))
            case let .linkFailed(local, _): state.links[node]?.remove(Link(local: local, remote: pid))
            default: break
            }
        }
    }

    public func isReachable(_ pid: PID) -> Bool {
        guard let node = pid.node else { return false }
        return state.withLock { $0.members[node] != nil }
    }

    /// Forgets that `watcher` monitors `target` of `node` (the set goes when it empties).
    static func unwatch(_ target: PID, by watcher: PID, on node: String, in state: inout State) {
        guard var watchers = state.watching[node]?[target], watchers.remove(watcher) != nil else { return }
        state.watching[node]?[target] = watchers.isEmpty ? nil : watchers
        if state.watching[node]?.isEmpty == true { state.watching[node] = nil }
    }

    /// Queues `frame` for `pid`'s node. A `message` held stays in flight for its sender (a relay
    /// stops reading its browser while too much of it waits) until it is sent or dropped.
    private func enqueue(_ frame: [UInt8], for pid: PID, holding message: Message? = nil,
                         _ remember: (inout State, String) -> Void = { _, _ in }) throws(ProcessError) {
        guard let node = pid.node else { throw .notFound(pid.description) }
        try state.withLock { (state) throws(ProcessError) in
            guard state.members[node] != nil, !state.stopping, !state.disconnected else { throw .nodeDown(node, pid: pid) }
            guard state.outboxBytes + frame.count <= Self.outboxLimit else {
                throw .invalid("the link to node \(node) is full (\(Self.outboxLimit >> 20) MiB waiting to be sent): not delivered")
            }
            state.outbox.append(Outgoing(node: node, frame: frame, message: message))
            state.outboxBytes += frame.count
            remember(&state, node)
        }
        wakeInput.yield()
    }

    /// Drops what waits for the nodes `matching` (all by default), releasing held messages.
    func dropOutbox(_ matching: (String) -> Bool = { _ in true }) {
        let dropped = state.withLock { state -> [Outgoing] in
            let dropped = state.outbox.filter { matching($0.node) }
            state.outbox.removeAll { matching($0.node) }
            state.outboxBytes -= dropped.reduce(0) { $0 + $1.frame.count }
            return dropped
        }
        for item in dropped { item.message?.consumed() }
    }

    // MARK: - Sending

    /// Sends the outbox whenever it has frames, until the node stops (then once more).
    func sendLoop() async {
        var sequence: UInt64 = 0
        for await _ in wake { await flush(&sequence) }
        await flush(&sequence)
    }

    /// Sends everything in the outbox; batches are numbered on from `sequence`.
    private func flush(_ sequence: inout UInt64) async {
        while true {
            let frames = state.withLock { state -> [Outgoing] in
                defer {
                    state.outbox = []
                    state.outboxBytes = 0
                }
                return state.outbox
            }
            if frames.isEmpty { return }
            do {
                try await send(frames, sequence: &sequence)
            } catch {
                if !isCutOff { logger.error("cluster: \(frames.count) message(s) to other nodes not sent: \(String(reflecting: error))") }
            }
            for item in frames { item.message?.consumed() }
        }
    }

    /// Packs `frames` into notifications (one batch per run of frames for the same node, split at
    /// the size limit) and sends them all in one statement: one transaction, so they arrive in
    /// this order. Every batch has its own sequence number (PostgreSQL folds identical payloads
    /// of one transaction into one).
    private func send(_ frames: [Outgoing], sequence: inout UInt64) async throws {
        var channels: [String] = [], payloads: [String] = []
        var writer = ClusterWire.Writer(), batchNode: String?
        func close() {
            guard let node = batchNode else { return }
            channels.append(Self.channel(of: node))
            payloads.append(ClusterWire.text(writer.bytes))
            batchNode = nil
        }
        func open(_ node: String) {
            writer = ClusterWire.Writer()
            sequence += 1
            writer.header(ClusterWire.Header(sequence: sequence, node: name, incarnation: incarnation))
            batchNode = node
        }
        for item in frames {
            let node = item.node
            var frame = item.frame
            if frame.count > Self.inlineLimit - 64 {
                var body = ClusterWire.Writer()
                sequence += 1
                body.header(ClusterWire.Header(sequence: sequence, node: name, incarnation: incarnation))
                body.bytes += frame
                var mail = ClusterWire.Writer()
                mail.frame(.mail(try await store(body.bytes, for: node)))
                frame = mail.bytes
                statistics.add(\.mailOut)
            }
            if batchNode != node || writer.bytes.count + frame.count > Self.inlineLimit {
                close()
                open(node)
            }
            writer.bytes += frame
        }
        close()
        try await run(on: sender, "SELECT pg_notify(c, p) FROM unnest(\(channels)::text[], \(payloads)::text[]) AS t(c, p)")
        statistics.add(\.framesOut, frames.count)
        statistics.add(\.batchesOut, channels.count)
    }

    /// Keeps a large frame in the mail table, for the run of `node` this one knows; its row's id.
    private func store(_ body: [UInt8], for node: String) async throws -> Int64 {
        let incarnation = state.withLock { $0.members[node] } ?? 0
        let rows = try await run(on: sender, """
            INSERT INTO wippy_mail (node, incarnation, body) VALUES (\(node), \(incarnation), \(ByteBuffer(bytes: body))) RETURNING id
            """)
        for try await id in rows.decode(Int64.self) { return id }
        throw ClusterError("the mail table gave no id")
    }

    // MARK: - Receiving

    /// Handles notifications in the order they came.
    func receiveLoop() async {
        for await text in inbox {
            if text.first == "A" || text.first == "B" {  // base64 of the wire version: a batch
                do {
                    try await receive(try ClusterWire.bytes(text))
                } catch {
                    logger.error("cluster: a batch could not be read: \(error)")
                }
            } else {
                announcement(text)
            }
        }
    }

    /// Handles the frames of a batch (of a notification, or of a mail row it pointed to).
    private func receive(_ batch: [UInt8], fromMail: Bool = false) async throws {
        var reader = ClusterWire.Reader(batch)
        let header = try reader.header()
        guard heard(from: header.node, incarnation: header.incarnation) else { return }
        var frames = 0
        defer {
            if !fromMail { statistics.add(\.batchesIn) }
            statistics.add(\.framesIn, frames)
        }
        while !reader.atEnd {
            let frame = try reader.frame()
            if case let .mail(id) = frame {
                // A missing row (its sender's run was lost meanwhile) costs that frame, not the batch.
                guard let body = try await takeMail(id) else {
                    logger.warning("cluster: a large message from node \(header.node) was not in the mail table")
                    continue
                }
                try await receive(body, fromMail: true)
            } else {
                frames += 1
                dispatch(frame, from: header.node)
            }
        }
    }

    private func takeMail(_ id: Int64) async throws -> [UInt8]? {
        let rows = try await run(on: control, "DELETE FROM wippy_mail WHERE id = \(id) RETURNING body")
        for try await body in rows.decode(ByteBuffer.self) { return Array(buffer: body) }
        return nil
    }

    /// One frame from `node` for a process of this one.
    private func dispatch(_ frame: ClusterWire.Frame, from node: String) {
        guard let table else { return }
        switch frame {
        case let .message(to, from, topic, payload):
            guard to.node == name else { return }
            _ = try? table.send(to: to, Message(from: from, topic: topic, payload: payload))
        case let .signal(to, _, signal):
            guard to.node == name else { return }
            apply(signal, to: to, from: node, in: table)
        case .mail:
            break
        }
    }

    private func apply(_ signal: RemoteSignal, to pid: PID, from node: String, in table: ProcessTable) {
        let gone = ProcessOutcome.failure("no process \(pid)")
        switch signal {
        case let .event(event):
            if event.kind == .exit, let target = event.from {
                state.withLock { Self.unwatch(target, by: pid, on: node, in: &$0) }
            }
            if event.kind == .cancel {
                try? table.cancel(pid, from: event.from, reason: event.reason ?? "cancelled")
            } else {
                table.deliver(event, to: pid)
            }
        case let .terminate(reason):
            try? table.terminate(pid, reason: reason)
        case let .monitor(watcher):
            if !table.addRemoteMonitor(watcher, of: pid) {
                try? self.signal(.event(ProcessEvent(kind: .exit, from: pid, outcome: gone)), to: watcher)
            }
        case let .demonitor(watcher):
            table.demonitor(pid, by: watcher)
        case let .link(peer):
            if table.addRemoteLink(pid, peer) {
                state.withLock { _ = $0.links[node, default: []].insert(Link(local: pid, remote: peer)) }
            } else {
                try? self.signal(.linkFailed(from: pid, outcome: gone), to: peer)
            }
        case let .unlink(peer):
            state.withLock { _ = $0.links[node]?.remove(Link(local: pid, remote: peer)) }
            table.removeRemoteLink(pid, peer)
        case let .linkFailed(peer, outcome):
            state.withLock { _ = $0.links[node]?.remove(Link(local: pid, remote: peer)) }
            table.linkFailed(pid, from: peer, outcome: outcome)
        case let .will(message):
            guard let from = message.from, table.contains(pid) else { return }
            state.withLock { $0.wills[node, default: [:]][pid, default: [:]][from] = message }
        case let .revokeWill(sender):
            state.withLock { state in
                state.wills[node]?[pid]?[sender] = nil
                if state.wills[node]?[pid]?.isEmpty == true { state.wills[node]?[pid] = nil }
            }
        }
    }

    /// `j`/`l NODE INCARNATION` (joined, left) and `n+`/`n- PID NAME` (a name taken, given up).
    private func announcement(_ text: String) {
        let parts = text.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return }
        switch parts[0] {
        case "j":
            guard let incarnation = Int64(parts[2]), parts[1] != name else { return }
            _ = heard(from: parts[1], incarnation: incarnation)
        case "l":
            guard let incarnation = Int64(parts[2]) else { return }
            nodeDown(parts[1], incarnation: incarnation, reason: "it left")
        case "n+", "n-":
            guard let holder = PID(parts[1]) else { return }
            nameChanged(parts[0] == "n+", name: parts[2], holder: holder)
        default:
            break
        }
    }
}
