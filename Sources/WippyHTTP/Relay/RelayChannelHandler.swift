import NIOCore
import NIOWebSocket
import WippyProcess

/// The event-loop half of a relayed connection: the last handler of an upgraded pipeline, after
/// NIO's frame decoder, encoder and protocol-error handler. It turns client frames into messages
/// for the target (``WebSocketInbound`` checks them), writes what the ``RelayConnection`` queued,
/// answers pings, sends its own pings and the target's heartbeats from its ``RelayLoop``'s timer,
/// and runs the closing handshake.
///
/// Everything here runs on the channel's event loop; only `heartbeatChanged` may be called
/// elsewhere.
final class RelayChannelHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Every `pingInterval` the client is pinged; one that has not answered the last ping by the
    /// next is gone (1001).
    static let pingInterval: Duration = .seconds(30)
    /// How long a close we sent waits for the client's own before the socket is cut.
    static let closeTimeout: Duration = .seconds(5)

    private let connection: RelayConnection
    private let loop: RelayLoop
    private var inbound: WebSocketInbound
    private var context: ChannelHandlerContext?

    /// The closing handshake, keep-alive and read back-pressure.
    private var machine: RelayStateMachine
    /// Bumped whenever the scheduled time changes: older timer entries are stale.
    private var timerGeneration = 0

    /// Told when the connection goes live (true) and when it ended (false).
    private let live: (Bool) -> Void

    init(connection: RelayConnection, loop: RelayLoop, live: @escaping (Bool) -> Void) {
        self.connection = connection
        self.loop = loop
        self.live = live
        inbound = WebSocketInbound(maxMessageSize: connection.limits.messageBytes)
        machine = RelayStateMachine(now: .now(), heartbeat: connection.heartbeatInterval, pingInterval: Self.pingInterval,
                                    closeTimeout: Self.closeTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connection.start(self)
        live(true)  // after start: a close the server sends from now on reaches the socket
        scheduleTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    /// The client closed its end of the socket without a closing handshake (an abnormal close,
    /// 1006): nothing more can come from it, so the relay ends now instead of at its next ping.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        end()
    }

    private func end() {
        guard context != nil else { return }
        context = nil
        timerGeneration += 1
        connection.ended()
        live(false)
    }

    // MARK: - From the client

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard machine.readsFrames else { return }
        switch inbound.receive(frame) {
        case .none:
            break
        case let .text(text):
            forward(.string(text))
        case let .binary(buffer):
            forward(.bytes(Array(buffer.readableBytesView)))
        case let .ping(data):
            guard machine.isOpen else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: data)), promise: nil)
        case .pong:
            machine.pongReceived()
        case let .close(code):
            // The client is gone for the app from now on: the target hears `ws.leave` before the
            // client sees the closing handshake end (and before a reconnect of it could join).
            connection.noteClose(code)
            connection.ended()
            switch machine.clientClosed() {
            case .close:
                context.close(promise: nil)
            case .answerThenClose:
                var body = context.channel.allocator.buffer(capacity: 2)
                if let code { body.write(webSocketErrorCode: code) }
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: body)
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { [self] _ in self.context?.close(promise: nil) }
            }
        case let .fail(code, reason):
            connection.logger.debug("websocket closed for a protocol error (\(code)): \(reason)")
            if machine.clientFailed() { writeClose(code, reason, thenClose: true) }
        }
    }

    /// A whole message: to the target, and reading stops while the target is too far behind.
    private func forward(_ payload: Payload) {
        guard machine.isOpen, connection.received(payload) else { return }
        machine.pause()
        let eventLoop = loop.eventLoop
        connection.inFlight.whenAtMost(connection.limits.inFlightBytes) { [self] in
            eventLoop.execute { self.resumeReading() }
        }
    }

    private func resumeReading() {
        if machine.resume(), let context { context.read() }
    }

    func read(context: ChannelHandlerContext) {
        if machine.read() { context.read() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIO's protocol-error handler before this one has sent the close and cuts the socket.
        if error is NIOWebSocketError { return }
        connection.logger.debug("websocket read ended: \(error)")
        context.close(promise: nil)
    }

    // MARK: - To the client

    /// Writes frames and closes queued by the connection, then flushes once.
    func write(_ items: [RelayConnection.Outbound]) {
        guard let context else { return }
        var bytes = 0, last: WebSocketFrame?
        for item in items {
            switch item {
            case let .frame(opcode, data):
                guard machine.isOpen else { continue }
                if let last { context.write(wrapOutboundOut(last), promise: nil) }
                last = WebSocketFrame(fin: true, opcode: opcode, data: data)
                bytes += data.readableBytes + RelayConnection.frameOverhead
            case let .close(code, reason):
                if let frame = last { context.write(wrapOutboundOut(frame), promise: nil) }
                last = nil
                sendClose(code, reason, closeAtOnce: false)
            }
        }
        let connection = self.connection
        if let last {
            context.writeAndFlush(wrapOutboundOut(last)).whenComplete { _ in connection.written(bytes) }
        } else {
            context.flush()
            connection.written(bytes)
        }
    }

    /// Sends a close frame once; the socket is cut when the client answers, after
    /// `closeTimeout`, or (`closeAtOnce`) as soon as the frame is written.
    private func sendClose(_ code: WebSocketErrorCode, _ reason: String, closeAtOnce: Bool) {
        guard context != nil, let start = machine.startClose(now: .now(), closeAtOnce: closeAtOnce) else { return }
        switch start {
        case .sendThenClose: writeClose(code, reason, thenClose: true)
        case .sendAndWait:
            writeClose(code, reason, thenClose: false)
            scheduleTimer()
        }
    }

    /// Writes a close frame with `code` and `reason` (cut to fit), and closes the socket once it
    /// is written (`thenClose`).
    private func writeClose(_ code: WebSocketErrorCode, _ reason: String, thenClose: Bool) {
        guard let context else { return }
        var body = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        connection.noteClose(code)
        let number = UInt16(webSocketErrorCode: code)
        body.write(webSocketErrorCode: WebSocketInbound.isValidCloseCode(number) ? code : .normalClosure)
        body.writeBytes(Self.closeReason(reason))
        let written = context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: body)))
        if thenClose { written.whenComplete { [self] _ in self.context?.close(promise: nil) } }
    }

    /// A close reason fits in a control frame: at most 123 bytes of UTF-8, cut between characters.
    static func closeReason(_ reason: String) -> Substring.UTF8View {
        var end = reason.startIndex
        var bytes = 0
        for character in reason.unicodeScalars {
            let size = UTF8.width(character)
            guard bytes + size <= 123 else { break }
            bytes += size
            end = reason.unicodeScalars.index(after: end)
        }
        return reason[..<end].utf8
    }

    // MARK: - Timers

    /// `ws.control` changed the heartbeat interval (any thread).
    func heartbeatChanged(_ interval: Duration) {
        loop.eventLoop.execute { [self] in
            guard context != nil, machine.heartbeatChanged(to: interval, now: .now()) else { return }
            scheduleTimer()
        }
    }

    /// Schedules the timer for the machine's next deadline; entries scheduled before are stale.
    private func scheduleTimer() {
        timerGeneration += 1
        loop.schedule(self, at: machine.nextDeadline, generation: timerGeneration)
    }

    /// A time this handler scheduled has come (on the event loop).
    func timerFired(generation: Int, now: NIODeadline) {
        guard generation == timerGeneration, let context else { return }
        for action in machine.timerFired(now: now) {
            switch action {
            case .closeSocket: return context.close(promise: nil)  // the client never answered our close
            case .heartbeat: connection.sendHeartbeat()
            case .ping: context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
            case .pingUnanswered: return sendClose(.goingAway, "no answer to ping", closeAtOnce: true)
            }
        }
        if machine.isOpen { scheduleTimer() }
    }
}

