import DequeModule
import Glibc
import NIOCore
import NIOHTTP1

/// Serves the HTTP requests of one connection on its event loop, without a task per connection
/// or per request: the server's own answers are written at once, a handler's when its function
/// call ends. The call runs on the event loop's Lua scheduler: within this read when it does not
/// wait, else when what it waits for has come (a timer or a wake-up on this loop). Each answer is
/// written as one buffer, straight to the socket (NIO's response encoder is not in the pipeline).
///
/// Pipelined requests are answered in order: what arrives while a request is answered waits here,
/// and the connection reads no more until it has been taken. The next waiting request is taken
/// only while the socket takes what is written, so a client that sends requests without reading
/// the answers holds at most NIO's write buffer of answers, not one per request.
final class HTTPRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let server: HTTPServerService
    /// The answer to the connection's first request when the upgrade step declined it (NIO's
    /// upgrade handler keeps that request to itself).
    private let declined: HTTPReply?
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// The answer the request gets instead of its handler's: 414 (URL), 431 (header fields) or
    /// 413 (body); what is left of the request is read and dropped, then the connection closes.
    private var refusal: HTTPReply?
    /// A complete request waits for its answer (its handler runs).
    private var answering = false
    /// Parts of pipelined requests that came while another was answered, in order.
    private var waiting = Deque<HTTPServerRequestPart>()
    /// A read the channel asked for while requests were waiting; issued once they are taken.
    private var readHeld = false
    /// ``takeWaiting(_:)`` runs (a request it takes may be answered within it).
    private var taking = false
    /// The connection closes after the answer being written: nothing more is read or answered.
    private var closing = false
    /// The client closed its end: the connection closes once everything it sent is answered.
    private var inputClosed = false
    /// The answer to a malformed request, due once the requests before it are answered (the
    /// decoder reads nothing after it; the connection closes after this answer).
    private var malformed: HTTPReply?
    /// The server stops: the answer being prepared is the connection's last.
    private var quiescing = false
    /// The `Date` field, made once a second.
    private var date = (second: 0, text: "")
    /// A request is being read or answered (no idle deadline then).
    private var busy = false
    /// When the connection has waited too long for a request (idle) or its body (read).
    private var requestDeadline: (at: NIODeadline, reading: HTTPRequestHead?)?
    /// When the socket, which has taken nothing more since it filled, must have taken enough to
    /// be writable again.
    private var writeDeadline: NIODeadline?
    /// One timer for both deadlines, set for the earlier; it moves on when they did. Deadlines
    /// are only noted per request: scheduling a task for each would cost more than the rest of
    /// this handler.
    private var check: (task: Scheduled<Void>, at: NIODeadline)?

    init(server: HTTPServerService, declined: HTTPReply? = nil) {
        self.server = server
        self.declined = declined
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard var reply = declined else { return waitForRequest(context) }
        reply.close = true
        write(reply, for: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.task.cancel()
        check = nil
    }

    /// Closes the connection when no request comes within the idle timeout.
    private func waitForRequest(_ context: ChannelHandlerContext) {
        requestDeadline = server.timeouts.idle.map { (.now() + $0, nil) }
        watch(context)
    }

    /// Sets the timer for the earlier deadline, unless it is set for that or earlier already.
    private func watch(_ context: ChannelHandlerContext) {
        let next = switch (requestDeadline?.at, writeDeadline) {
        case let (read?, write?): min(read, write)
        case let (read, write): read ?? write
        }
        guard let next, check.map({ $0.at > next }) ?? true else { return }
        check?.task.cancel()
        check = (context.eventLoop.assumeIsolated().scheduleTask(deadline: next) { [self] in expire(context) }, next)
    }

    private func expire(_ context: ChannelHandlerContext) {
        check = nil
        let now = NIODeadline.now()
        if let deadline = writeDeadline, deadline <= now, !context.channel.isWritable {
            // Reset rather than close: a close would leave the unread answer queued in the
            // kernel until the client reads it, or for minutes.
            guard let socket = context.channel as? SocketOptionProvider else { return context.close(promise: nil) }
            return socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        if let (deadline, reading) = requestDeadline, deadline <= now {
            guard let head = reading else { return context.close(promise: nil) }
            let limit = server.timeouts.read.map { "\($0.nanoseconds / 1_000_000) ms" } ?? ""
            return write(.json(.requestTimeout, ["error": "the request was not received within \(limit) (timeouts.read)"], close: true),
                         for: head, context: context)
        }
        watch(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let part = unwrapInboundIn(data)
        // A request that starts while the socket takes nothing more waits too: a handler that
        // answers at once would otherwise have its answer made and held for a client that may
        // never read it.
        if answering || !waiting.isEmpty || (head == nil && !context.channel.isWritable) {
            waiting.append(part)
        } else {
            take(part, context: context)
        }
    }

    /// Holds the channel's reads while pipelined requests wait.
    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeDeadline = nil
            takeWaiting(context)
        } else {
            writeDeadline = server.timeouts.write.map { .now() + $0 }
            watch(context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            closeIfDone(context)
        } else if event is ChannelShouldQuiesceEvent {
            // The server stops: an idle connection closes now, a busy one after its answer.
            quiescing = true
            if !busy, !closing { closeAfterWrites(context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Answers a request HTTP cannot parse, after the requests before it (see
    /// ``HTTPErrorResponder``, which does the same for a connection's first request).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError, !closing {
            malformed = HTTPErrorResponder.reply(to: error)
            takeWaiting(context)
        }
        context.fireErrorCaught(error)
    }

    /// Takes the waiting parts in order until one starts an answer that is not written yet, or the
    /// socket stops taking what is written; then lets the channel read again.
    private func takeWaiting(_ context: ChannelHandlerContext) {
        guard !taking else { return }  // the loop below goes on once the answer is written
        taking = true
        defer { taking = false }
        while !answering, !closing, context.channel.isWritable, let part = waiting.popFirst() {
            take(part, context: context)
        }
        if closing { waiting.removeAll() }
        if !answering, !closing, waiting.isEmpty, let reply = malformed {
            malformed = nil
            write(reply, for: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), context: context)
        }
        if waiting.isEmpty, readHeld {
            readHeld = false
            context.read()
        }
        closeIfDone(context)
    }

    /// After the client closed its end: closes the connection once nothing is left to answer.
    private func closeIfDone(_ context: ChannelHandlerContext) {
        if inputClosed, !busy, waiting.isEmpty, !closing { closeAfterWrites(context) }
    }

    /// Writes `last` (by default nothing) and closes the connection once it and everything
    /// written before it is out: writes complete in order, and a close would drop those pending.
    private func closeAfterWrites(_ context: ChannelHandlerContext, last: ByteBuffer = ByteBuffer()) {
        closing = true
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(last))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func take(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case let .head(head):
            self.head = head
            body = nil
            refusal = Self.refusal(of: head)
            busy = true
            requestDeadline = server.timeouts.read.map { (.now() + $0, head) }
            watch(context)
        case var .body(part):
            guard refusal == nil else { return }
            guard (body?.readableBytes ?? 0) + part.readableBytes <= server.maxBodySize else {
                refusal = .json(.payloadTooLarge, ["error": "the request body is larger than \(server.maxBodySize) bytes (max_body_size)"],
                                close: true)
                body = nil
                return
            }
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let head else { return }
            self.head = nil
            requestDeadline = nil
            let received = body
            body = nil
            answering = true
            respond(to: head, body: received, context: context)
        }
    }

    /// Longest request target (path and query) answered; a longer one gets 414.
    static let maxURILength = 8 * 1024
    /// Most bytes of header field names and values; more get 431. The decoder itself stops at
    /// twice as much (``HTTPErrorResponder`` answers 431 then), so that a long URL is told
    /// apart from long fields.
    static let maxHeaderBytes = 80 * 1024

    /// 414 or 431 for a request head over the limits, else nil.
    static func refusal(of head: HTTPRequestHead) -> HTTPReply? {
        if head.uri.utf8.count > maxURILength {
            return .json(.uriTooLong, ["error": "the request target is longer than \(maxURILength / 1024) KB"], close: true)
        }
        var bytes = 0
        for field in head.headers { bytes += field.name.utf8.count + field.value.utf8.count }
        guard bytes > maxHeaderBytes else { return nil }
        return .json(.requestHeaderFieldsTooLarge, ["error": "the header fields are larger than \(maxHeaderBytes / 1024) KB"], close: true)
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        if let refusal { return write(refusal, for: head, context: context) }
        if head.headers.contains(name: "upgrade"), head.headers["upgrade"].contains(where: { $0.lowercased() == "websocket" }) {
            // NIO looks for an upgrade on a connection's first request only: a later one is sent
            // back to the same URI on a fresh connection, where the upgrade can happen.
            return write(HTTPReply(status: .temporaryRedirect, headers: [("Location", head.uri)], close: true), for: head, context: context)
        }
        switch server.answer(head, body: body, channel: context.channel) {
        case let .reply(reply):
            write(reply, for: head, context: context)
        case let .handler(route, exchange):
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            server.run(route, exchange, on: context.eventLoop) { reply in
                guard bound.eventLoop.inEventLoop else {
                    return bound.eventLoop.execute { bound.value.0.write(reply, for: head, context: bound.value.1) }
                }
                bound.value.0.write(reply, for: head, context: bound.value.1)
            }
        }
    }

    /// Writes `reply` with the fields the server adds, and closes the connection after it when
    /// the reply or the client asked for that; then takes the next waiting request.
    private func write(_ reply: HTTPReply, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        answering = false
        guard context.channel.isActive, !closing else { return }
        busy = false
        requestDeadline = nil
        server.httpStatistics.responded(Int(reply.status.code))
        let close = reply.close || !request.isKeepAlive || quiescing
        let bytes = reply.encoded(close: close, keepAliveHTTP10: request.version == .http1_0, date: currentDate(),
                                  head: request.method == .HEAD, allocator: context.channel.allocator)
        if close { return closeAfterWrites(context, last: bytes) }
        // No promise per answer: the write deadline follows the socket's writability instead.
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
        takeWaiting(context)
        if !busy { waitForRequest(context) }  // unless the next request began meanwhile
    }

    /// Now as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
    private func currentDate() -> String {
        var now = time(nil)
        guard now != date.second else { return date.text }
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        date = (now, String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return date.text
    }
}
