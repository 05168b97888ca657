import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WippyProcess

/// A relayed WebSocket connection: a process of its own (PID on its server's host) between one
/// browser and one target process.
///
/// It sends the target `ws.join` on start, every text frame as `message_topic` (the text as is),
/// `ws.heartbeat` every `heartbeat_interval`, and `ws.leave` when the socket closes. Messages sent
/// to its PID go to the browser as `{"topic": …, "data": …}` text frames, except `ws.control`
/// (reconfigure) and `ws.close` (close the socket). When the target dies the socket closes (1011),
/// unless the target ran a supervised service that restarts: then the connection joins the
/// service's next process (`ws.join`) and stays open.
final class RelayConnection: WippyProcess.Process, @unchecked Sendable {
    let pid: PID
    private let table: ProcessTable
    private let logger: Logger
    private let startedAt = ContinuousClock.now

    private struct State {
        var config: RelayConfig
        var target: PID
        var received = 0
        var closed = false
    }

    private let state: Mutex<State>
    private let outbound: AsyncStream<Outbound>
    private let queue: AsyncStream<Outbound>.Continuation
    /// Bytes of frames waiting for the client (each counted with `frameOverhead`).
    private let pending = Atomic<Int>(0)
    private let limits: RelayLimits
    /// What a queued frame costs besides its text.
    static let frameOverhead = 64
    /// The connection's frames still in its target's mailbox.
    private let inFlight = InFlightBytes()

    enum Outbound: Sendable {
        case text(String)
        case close(WebSocketErrorCode, String)
    }

    /// True once the runtime is shutting down.
    private let stopping: @Sendable () -> Bool

    init(pid: PID, config: RelayConfig, target: PID, table: ProcessTable, logger: Logger, limits: RelayLimits,
         stopping: @escaping @Sendable () -> Bool) {
        self.pid = pid
        self.limits = limits
        self.stopping = stopping
        self.table = table
        var logger = logger
        logger[metadataKey: "pid"] = "\(pid)"
        self.logger = logger
        state = Mutex(State(config: config, target: target))
        (outbound, queue) = AsyncStream.makeStream(of: Outbound.self)
    }

    // MARK: - Process

    func deliver(_ message: Message) -> Bool {
        defer { message.consumed() }
        switch message.topic {
        case "ws.close":
            let (code, reason) = Self.closeRequest(message.payload)
            enqueue(.close(code, reason))
        case "ws.control":
            control(message.payload)
        default:
            enqueue(.text(RelayWire.frame(for: message)))
        }
        return true  // a client that cannot keep up is closed instead (see `enqueue`)
    }

    func deliver(_ event: ProcessEvent) {
        guard event.kind == .exit, let from = event.from, from == state.withLock({ $0.target }) else { return }
        targetEnded(from)
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
            guard (try? table.monitor(successor, by: pid)) != nil else { return false }
            try? table.send(to: successor, Message(from: pid, topic: "ws.join", payload: RelayWire.joinPayload(client: pid, metadata: state.config.metadata)))
            return true
        }
        switch joined {
        case nil: return
        case false?: targetEnded(successor)  // it already ended too
        case true?: logger.debug("target \(old) restarted as \(successor): joined it")
        }
    }

    /// Closes the socket with `code`.
    func close(_ code: WebSocketErrorCode, _ reason: String) {
        enqueue(.close(code, reason))
    }

    func terminate(reason: String) {
        enqueue(.close(.unexpectedServerError, reason))
    }

    private func enqueue(_ item: Outbound) {
        if case let .text(text) = item {
            let cost = text.utf8.count + Self.frameOverhead
            guard pending.add(cost, ordering: .relaxed).newValue <= limits.pendingBytes else {
                // The client does not read fast enough: drop it rather than grow without bound.
                if !overflowed.exchange(true, ordering: .relaxed) {
                    logger.warning("websocket client too slow: more than \(limits.pendingBytes >> 10) KiB waiting; closing (1008)")
                    queue.finish()
                    overflow.finish()
                }
                return
            }
        }
        queue.yield(item)
    }

    private let overflowed = Atomic<Bool>(false)
    /// Ends when the client overflowed: the connection then gets `overflowGrace` to send its 1008
    /// close (the writer may be stuck behind a client that reads nothing), then ends regardless.
    private let (overflowSignal, overflow) = AsyncStream.makeStream(of: Never.self)
    static let overflowGrace: Duration = .seconds(5)

    // MARK: - Running

    /// Serves the socket until either side closes it.
    func run(inbound: WebSocketInboundStream, outbound writer: WebSocketOutboundWriter, maxMessageSize: Int) async {
        let first = state.withLock { $0.target }
        do {
            try table.monitor(first, by: pid)
            sendTarget("ws.join", joinPayload())
        } catch {
            enqueue(.close(.unexpectedServerError, "target process exited"))
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                do {
                    for try await message in inbound.messages(maxSize: maxMessageSize) {
                        let (target, topic) = state.withLock { state in
                            state.received += 1
                            return (state.target, state.config.messageTopic)
                        }
                        let payload: Payload
                        switch message {
                        case let .text(text): payload = .string(text)
                        case let .binary(buffer): payload = .bytes(Array(buffer.readableBytesView))
                        }
                        do throws(ProcessError) {
                            try table.send(to: target, Message(from: pid, topic: topic, payload: payload, inFlight: inFlight))
                        } catch {
                            if case .mailboxFull = error { logger.warning("frame dropped: \(error)") }
                        }
                        // A target that reads slower than its clients write holds them back here
                        // (TCP pushes back on the browser), instead of its mailbox growing.
                        await inFlight.waitUntil(atMost: limits.inFlightBytes)
                    }
                } catch {
                    logger.debug("websocket read ended: \(error)")
                }
                queue.finish()
            }
            group.addTask { [self] in
                for await item in outbound {
                    switch item {
                    case let .text(text):
                        do { try await writer.write(.text(text)) } catch { return }
                        pending.subtract(text.utf8.count + Self.frameOverhead, ordering: .relaxed)
                    case let .close(code, reason):
                        try? await writer.close(code, reason: reason)
                        return
                    }
                }
                if overflowed.load(ordering: .relaxed) { try? await writer.close(.policyViolation, reason: "client too slow") }
            }
            group.addTask { [self] in
                for await _ in overflowSignal {}
                guard !Task.isCancelled else { return }
                try? await Task.sleep(for: Self.overflowGrace)
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    let interval = state.withLock { $0.config.heartbeat }
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { return }
                    sendTarget("ws.heartbeat", heartbeatPayload())
                }
            }
            // The first task to end (reader, writer, or an overflow's grace) ends the connection;
            // a reader waiting for its target to catch up is let go.
            await group.next()
            inFlight.close()
            group.cancelAll()
        }
        let target = state.withLock { state -> PID in
            state.closed = true
            return state.target
        }
        table.demonitor(target, by: pid)
        sendTarget("ws.leave", joinPayload())
        table.exited(pid, outcome: .result(.null))
    }

    private func sendTarget(_ topic: String, _ payload: Payload) {
        let target = state.withLock { $0.target }
        try? table.send(to: target, Message(from: pid, topic: topic, payload: payload))
    }

    private func joinPayload() -> Payload {
        RelayWire.joinPayload(client: pid, metadata: state.withLock { $0.config.metadata })
    }

    private func heartbeatPayload() -> Payload {
        let count = state.withLock { $0.received }
        return RelayWire.heartbeatPayload(client: pid, uptime: (ContinuousClock.now - startedAt) / .seconds(1), messageCount: count)
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
        let old = state.withLock { state -> PID in
            let old = state.target
            state.config = config
            state.target = newTarget
            return old
        }
        guard old != newTarget else { return }
        table.demonitor(old, by: pid)
        try? table.monitor(newTarget, by: pid)
        let leave = RelayWire.joinPayload(client: pid, metadata: config.metadata)  // ws.leave carries the same fields
        try? table.send(to: old, Message(from: pid, topic: "ws.leave", payload: leave))
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
