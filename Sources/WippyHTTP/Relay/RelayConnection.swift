import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WippyProcess

/// A relayed WebSocket connection: a process of its own (PID on its server's host) between one
/// browser and one target process.
///
/// It sends the target `ws.join` on start, every message from the browser as `message_topic`,
/// `ws.heartbeat` every `heartbeat_interval`, and `ws.leave` when the socket closes. Messages sent
/// to its PID go to the browser as `{"topic": …, "data": …}` text frames, except `ws.text` and
/// `ws.binary` (raw frames), `ws.control` (reconfigure) and `ws.close` (close the socket). When the
/// target dies the socket closes (1011), unless the target ran a supervised service that restarts:
/// then the connection joins the service's next process (`ws.join`) and stays open.
///
/// This half may be called from any thread. Frames for the browser are encoded by the sender and
/// queued here; the connection's ``RelayLoop`` writes them on the event loop, where the
/// ``RelayChannelHandler`` owns the socket.
final class RelayConnection: WippyProcess.Process, @unchecked Sendable {
    let pid: PID
    let logger: Logger
    let limits: RelayLimits
    /// The connection's messages still in its target's mailbox.
    let inFlight = InFlightBytes()
    private let table: ProcessTable
    private let loop: RelayLoop
    private let startedAt = ContinuousClock.now
    /// True once the runtime is shutting down.
    private let stopping: @Sendable () -> Bool

    private struct State {
        var config: RelayConfig
        var target: PID
        var received = 0
        var closed = false
        /// The close code of the closing handshake, sent or received first.
        var closeCode: Int?
    }

    /// Its server's counts of connections and frames.
    let statistics: RelayStatistics

    private let state: Mutex<State>

    /// What waits for the browser: frames and a close, in the order they were sent.
    enum Outbound {
        case frame(WebSocketOpcode, ByteBuffer)
        case close(WebSocketErrorCode, String)
    }

    private struct Outbox {
        var items: [Outbound] = []
        /// Bytes queued or being written (each frame counted with `frameOverhead`).
        var pending = 0
        /// Waiting for the loop's drain.
        var dirty = false
        /// Set while the socket is live; nil before and after.
        var handler: RelayChannelHandler?
        /// A close is queued: nothing more is.
        var closing = false
    }

    private let outbox = Mutex(Outbox())
    /// What a queued frame costs besides its bytes.
    static let frameOverhead = 64

    init(pid: PID, config: RelayConfig, target: PID, table: ProcessTable, loop: RelayLoop, logger: Logger,
         limits: RelayLimits, statistics: RelayStatistics, stopping: @escaping @Sendable () -> Bool) {
        self.pid = pid
        self.statistics = statistics
        self.limits = limits
        self.stopping = stopping
        self.table = table
        self.loop = loop
        var logger = logger
        logger[metadataKey: "pid"] = "\(pid)"
        self.logger = logger
        state = Mutex(State(config: config, target: target))
    }

    var heartbeatInterval: Duration { state.withLock { $0.config.heartbeat } }

    // MARK: - Process

    func deliver(_ message: Message) -> Bool {
        defer { message.consumed() }
        switch message.topic {
        case "ws.close":
            let (code, reason) = Self.closeRequest(message.payload)
            enqueue(.close(code, reason))
        case "ws.control":
            control(message.payload)
        case "ws.text":
            guard let text = message.payload.rawText else {
                logger.warning("ws.text dropped: its payload is bytes that are not UTF-8 text (send them with ws.binary)")
                return true
            }
            enqueue(.frame(.text, ByteBuffer(string: text)))
        case "ws.binary":
            enqueue(.frame(.binary, message.payload.rawBytes))
        default:
            enqueue(.frame(.text, RelayFrameCache.frame(for: message)))
        }
        return true  // a client that cannot keep up is closed instead (see `enqueue`)
    }

    func deliver(_ event: ProcessEvent) {
        guard event.kind == .exit, let from = event.from, from == state.withLock({ $0.target }) else { return }
        targetEnded(from)
    }

    func terminate(reason: String) {
        enqueue(.close(.unexpectedServerError, reason))
    }

    /// Closes the socket with `code`, after the frames queued before.
    func close(_ code: WebSocketErrorCode, _ reason: String) {
        enqueue(.close(code, reason))
    }

    // MARK: - Toward the browser

    private func enqueue(_ item: Outbound) {
        var cost = 0
        if case let .frame(_, data) = item {
            cost = data.readableBytes + Self.frameOverhead
            statistics.frameOut()
        }
        let (drain, overflowed) = outbox.withLock { box -> (Bool, Bool) in
            guard box.handler != nil, !box.closing else { return (false, false) }
            var overflowed = false
            switch item {
            case .frame:
                box.pending += cost
                if box.pending > limits.pendingBytes {
                    // The client does not read fast enough: drop it rather than grow without bound.
                    box.items = [.close(.policyViolation, "client too slow")]
                    box.closing = true
                    overflowed = true
                } else {
                    box.items.append(item)
                }
            case .close:
                box.items.append(item)
                box.closing = true
            }
            defer { box.dirty = true }
            return (!box.dirty, overflowed)
        }
        if overflowed {
            logger.warning("websocket client too slow: more than \(limits.pendingBytes >> 10) KiB waiting; closing (1008)")
        }
        if drain { loop.needsDrain(self) }
    }

    /// Writes what is queued (on the event loop, from the loop's drain).
    func writeQueued() {
        let (items, handler) = outbox.withLock { box -> ([Outbound], RelayChannelHandler?) in
            box.dirty = false
            var items: [Outbound] = []
            swap(&items, &box.items)
            return (items, box.handler)
        }
        handler?.write(items)
    }

    /// Bytes of frames queued for the browser or being written now.
    var pendingBytes: Int { outbox.withLock { $0.pending } }

    /// `bytes` of queued frames reached the socket (or never will).
    func written(_ bytes: Int) {
        outbox.withLock { $0.pending -= bytes }
    }

    // MARK: - Toward the target

    /// The socket is live (on the event loop): the connection registers and joins its target.
    func start(_ handler: RelayChannelHandler) {
        outbox.withLock { $0.handler = handler }
        statistics.opened()
        table.add(self)
        let first = state.withLock { $0.target }
        do {
            try table.monitor(first, by: pid)
            sendTarget("ws.join", joinPayload())
        } catch {
            enqueue(.close(.unexpectedServerError, "target process exited"))
        }
    }

    /// A message from the browser: to the target as the configured topic. True when the target's
    /// mailbox holds more of this connection's bytes than it may (stop reading until it catches up).
    func received(_ payload: Payload) -> Bool {
        let (target, topic) = state.withLock { state in
            state.received += 1
            return (state.target, state.config.messageTopic)
        }
        statistics.frameIn()
        do throws(ProcessError) {
            try table.send(to: target, Message(from: pid, topic: topic, payload: payload, inFlight: inFlight))
        } catch {
            if case .mailboxFull = error { logger.warning("frame dropped: \(error)") }
        }
        return inFlight.bytes > limits.inFlightBytes
    }

    func sendHeartbeat() {
        let (count, target) = state.withLock { ($0.received, $0.target) }
        let payload = RelayWire.heartbeatPayload(client: pid, uptime: (ContinuousClock.now - startedAt) / .seconds(1), messageCount: count)
        try? table.send(to: target, Message(from: pid, topic: "ws.heartbeat", payload: payload))
    }

    /// The closing handshake began with `code` (sent or received); the first one counts.
    func noteClose(_ code: WebSocketErrorCode?) {
        let number = code.map { Int(UInt16(webSocketErrorCode: $0)) } ?? 1005
        state.withLock { if $0.closeCode == nil { $0.closeCode = number } }
    }

    /// The client closed or the socket did (on the event loop): the target gets `ws.leave` and
    /// the process ends. Only the first call counts.
    func ended() {
        guard let (target, code) = state.withLock({ state -> (PID, Int?)? in
            guard !state.closed else { return nil }
            state.closed = true
            return (state.target, state.closeCode)
        }) else { return }
        statistics.closed(code: code ?? 1006)
        outbox.withLock { box in
            box.handler = nil
            box.items = []
            box.closing = true
        }
        inFlight.close()
        table.demonitor(target, by: pid)
        sendTarget("ws.leave", joinPayload())
        table.exited(pid, outcome: .result(.null))
    }

    /// The target ended: follow its service to the next process, or close.
    private func targetEnded(_ target: PID) {
        if stopping() { return close(.goingAway, "server shutting down") }
        let follows = table.services.whenSucceeded(target) { [weak self] successor in
            self?.follow(from: target, to: successor)
        }
        if !follows { close(.unexpectedServerError, "target process exited") }
    }

    /// The service that ran `old` restarted as `successor` (nil: it will not).
    private func follow(from old: PID, to successor: PID?) {
        guard let successor else {
            return stopping() ? close(.goingAway, "server shutting down") : close(.unexpectedServerError, "target process exited")
        }
        // Only if still bound to `old` (a ws.control may have moved it) and still open; joined
        // under the lock, so that a close in between cannot send its ws.leave before this join.
        let joined = state.withLock { state -> Bool? in
            guard state.target == old, !state.closed else { return nil }
            state.target = successor
            table.revokeWill(from: pid, to: old)
            guard (try? table.monitor(successor, by: pid)) != nil else { return false }
            tell(successor, "ws.join", RelayWire.joinPayload(client: pid, metadata: state.config.metadata))
            return true
        }
        switch joined {
        case nil: return
        case false?: targetEnded(successor)  // it already ended too
        case true?: logger.debug("target \(old) restarted as \(successor): joined it")
        }
    }

    private func sendTarget(_ topic: String, _ payload: Payload) {
        tell(state.withLock { $0.target }, topic, payload)
    }

    /// Sends `ws.join` or `ws.leave` to `target`. A target on another cluster node also holds
    /// this connection's `ws.leave` as a will while joined: its node delivers it if this one is
    /// lost without closing the connection.
    private func tell(_ target: PID, _ topic: String, _ payload: Payload) {
        _ = try? table.send(to: target, Message(from: pid, topic: topic, payload: payload))
        if topic == "ws.join" {
            table.setWill(Message(from: pid, topic: "ws.leave", payload: payload), to: target)
        } else if topic == "ws.leave" {
            table.revokeWill(from: pid, to: target)
        }
    }

    private func joinPayload() -> Payload {
        RelayWire.joinPayload(client: pid, metadata: state.withLock { $0.config.metadata })
    }

    /// `ws.control`: a table or a JSON string with any of target_pid, message_topic, metadata,
    /// heartbeat_interval. A new target gets `ws.join`, the old one `ws.leave`.
    private func control(_ payload: Payload) {
        var update = payload
        if let text = payload.stringValue, let parsed = try? Payload.parseJSON(text) { update = parsed }
        var config = state.withLock { $0.config }
        do {
            try config.apply(update)
        } catch {
            logger.warning("ignored ws.control: \(error)")
            return
        }
        guard let newTarget = table.resolve(config.target) else {
            logger.warning("ignored ws.control: no process \(config.target)")
            return
        }
        let (old, oldHeartbeat) = state.withLock { state -> (PID, Duration) in
            defer {
                state.config = config
                state.target = newTarget
            }
            return (state.target, state.config.heartbeat)
        }
        if config.heartbeat != oldHeartbeat, let handler = outbox.withLock({ $0.handler }) {
            handler.heartbeatChanged(config.heartbeat)
        }
        guard old != newTarget else { return }
        table.demonitor(old, by: pid)
        try? table.monitor(newTarget, by: pid)
        let leave = RelayWire.joinPayload(client: pid, metadata: config.metadata)  // ws.leave carries the same fields
        tell(old, "ws.leave", leave)
        sendTarget("ws.join", joinPayload())
    }

    /// `ws.close` payload: nothing, a reason string, or `{code=, reason=}`; code 1000 by default.
    static func closeRequest(_ payload: Payload) -> (WebSocketErrorCode, String) {
        switch payload {
        case let .string(reason): return (.normalClosure, reason)
        case .map:
            let code = payload["code"].flatMap { value -> UInt16? in
                if case let .int(i) = value { return UInt16(exactly: i) }
                return nil
            } ?? 1000
            return (WebSocketErrorCode(codeNumber: Int(code)), payload["reason"]?.stringValue ?? "")
        default: return (.normalClosure, "")
        }
    }
}

private extension Payload {
    /// A `ws.text` payload's text: a string as is, bytes only when they are UTF-8, anything else
    /// as JSON.
    var rawText: String? {
        switch self {
        case let .string(text): return text
        case let .bytes(bytes): return String(validating: bytes, as: UTF8.self)
        default: return json
        }
    }

    /// A `ws.binary` payload's bytes: a string's UTF-8, bytes as they are, anything else as JSON.
    var rawBytes: ByteBuffer {
        switch self {
        case let .string(text): return ByteBuffer(string: text)
        case let .bytes(bytes): return ByteBuffer(bytes: bytes)
        default: return ByteBuffer(string: json)
        }
    }
}
