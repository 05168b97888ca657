import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Synchronization

/// A connection that speaks HTTP/1.1 and may upgrade its first request to a WebSocket.
///
/// The relay decides per request whether to upgrade; when it declines, the client gets the
/// answer the relay chose (the handler's own 401, a 400 for a bad relay config, a 403 for a
/// foreign origin), then the connection closes. Requests that are no upgrade are served on the
/// event loop by an ``HTTPRequestHandler``; an upgraded connection by a ``RelayChannelHandler``
/// behind NIO's WebSocket frame codec. The connection's task only waits for an HTTP connection to
/// close, and ends at once for a relayed one.
struct RelayUpgradeChannel: ServerChildChannel {
    /// What to do with an upgrade request.
    enum Decision: Sendable {
        /// Upgrade, answer 101 with these extra headers, then relay through the handler.
        case upgrade(HTTPFields, RelayChannelHandler)
        /// Answer this instead (the connection closes after it).
        case decline(HTTPReply)
    }

    typealias Decide = @Sendable (HTTPRequest, any Channel, Logger) async -> Decision

    struct Value: ServerChildChannelValue {
        /// Completes once the pipeline is set: true for the relay, false for HTTP.
        let upgradeResult: EventLoopFuture<Bool>
        let channel: any Channel
    }

    /// What the upgrade step decided for one connection, handed from `shouldUpgrade` to the
    /// pipeline setup that follows it.
    private final class Negotiation: Sendable {
        let decision = Mutex<Decision?>(nil)
    }

    private let server: HTTPServerService
    private let decide: Decide
    /// Behind TLS: requests are `https` (and upgrades `wss`).
    private let secure: Bool

    init(server: HTTPServerService, secure: Bool, decide: @escaping Decide) {
        self.server = server
        self.decide = decide
        self.secure = secure
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let server = self.server
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ClientPresenceHandler())
            let negotiation = Negotiation()
            let (decide, secure) = (self.decide, self.secure)
            // A client that never completes its first request's header section is cut off;
            // later requests are timed by the HTTPRequestHandler.
            let firstRequest = server.timeouts.idle.map { idle in
                channel.eventLoop.scheduleTask(in: idle) { channel.close(promise: nil) }
            }
            // The decoder refuses frames larger than any relay route's messages (1009); each
            // connection then holds its own route's limit, fragments together.
            let upgrader = NIOTypedWebSocketServerUpgrader<Bool>(
                maxFrameSize: server.largestRelayMessage,
                shouldUpgrade: { channel, head in
                    firstRequest?.cancel()
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let decision = await decide(try HTTPRequest(head, secure: secure, splitCookie: false), channel, logger)
                        negotiation.decision.withLock { $0 = decision }
                        guard case let .upgrade(headers, _) = decision else { return nil }
                        return HTTPHeaders(headers)
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case let .upgrade(_, handler) = negotiation.decision.withLock({ $0 }) else {
                            preconditionFailure("the WebSocket pipeline is only built for an accepted upgrade")
                        }
                        channel.pipeline.syncOperations.removeHandler(name: HTTPErrorResponder.name, promise: nil)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return true
                    }
                })
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Bool>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    firstRequest?.cancel()
                    return channel.eventLoop.makeCompletedFuture {
                        var declined: HTTPReply?
                        if case let .decline(reply) = negotiation.decision.withLock({ $0 }) { declined = reply }
                        // The request handler writes whole answers itself and keeps pipelined
                        // requests in order: NIO's encoder and the first request's error
                        // responder leave.
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.removeHandler(pipeline.handler(type: HTTPResponseEncoder.self), promise: nil)
                        pipeline.removeHandler(name: HTTPErrorResponder.name, promise: nil)
                        try pipeline.addHandler(HTTPRequestHandler(server: server, declined: declined))
                        return false
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Bool>(upgradeConfiguration: upgrade)
            configuration.enableResponseHeaderValidation = false  // HTTPReply keeps only fields HTTP can carry
            configuration.enableErrorHandling = false  // HTTPErrorResponder answers malformed requests
            configuration.enablePipelining = false  // HTTPRequestHandler keeps pipelined requests in order
            configuration.decoderConfiguration = HTTPErrorResponder.decoderLimits
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            try channel.pipeline.syncOperations.addHandler(HTTPErrorResponder(), name: HTTPErrorResponder.name)
            return Value(upgradeResult: result, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            // A relayed connection is held by its handler and the server's set of open relays,
            // not by a task: an idle one costs no task, and the server waits for them when it
            // stops (HTTPServerService.run).
            if try await value.upgradeResult.get() { return }
            try await value.channel.closeFuture.get()
        } catch let error as ChannelError where error == .inputClosed {
            logger.trace("connection closed before its first request")
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }
}
