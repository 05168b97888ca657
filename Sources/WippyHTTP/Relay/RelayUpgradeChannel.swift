import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization

/// A connection that speaks HTTP/1.1 and may upgrade its first request to a WebSocket.
///
/// The relay decides per request whether to upgrade; when it declines, the client gets the
/// answer the relay chose (the handler's own 401, a 400 for a bad relay config, a 403 for a
/// foreign origin), then the connection closes. Requests that are no upgrade are served on the
/// event loop by an ``HTTPRequestHandler``; an upgraded connection by a ``RelayChannelHandler``
/// behind NIO's WebSocket frame codec. A connection has no task of its own: its handlers hold it.
struct RelayUpgradeChannel: Sendable {
    /// What to do with an upgrade request.
    enum Decision: Sendable {
        /// Upgrade, answer 101 with these extra headers, then relay through the handler.
        case upgrade(HTTPHeaders, RelayChannelHandler)
        /// Answer this instead (the connection closes after it).
        case decline(HTTPReply)
    }

    typealias Decide = @Sendable (HTTPRequestHead, any Channel) async -> Decision

    /// What the upgrade step decided for one connection, handed from `shouldUpgrade` to the
    /// pipeline setup that follows it.
    private final class Negotiation: Sendable {
        let decision = Mutex<Decision?>(nil)
    }

    private let server: HTTPServerService
    private let decide: Decide

    init(server: HTTPServerService, decide: @escaping Decide) {
        self.server = server
        self.decide = decide
    }

    /// Sets up the pipeline of a new connection (on its event loop, after TLS if any).
    func setUp(_ channel: any Channel) throws {
        let server = self.server
        try channel.pipeline.syncOperations.addHandler(ClientPresenceHandler())
        let negotiation = Negotiation()
        let decide = self.decide
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
                    let decision = await decide(head, channel)
                    negotiation.decision.withLock { $0 = decision }
                    guard case let .upgrade(headers, _) = decision else { return nil }
                    return headers
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
        _ = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
        try channel.pipeline.syncOperations.addHandler(HTTPErrorResponder(statistics: server.httpStatistics), name: HTTPErrorResponder.name)
    }
}
