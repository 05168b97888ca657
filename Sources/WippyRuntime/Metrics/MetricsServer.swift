import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
import WippyHTTP

/// The Prometheus scrape endpoint (`--metrics-addr`): `GET /metrics` answers the exposition that
/// `exposition` makes at that moment, `GET /status` a JSON view for `wippy top`; every other
/// request gets 404. A listener of its own, apart from the app's servers, so that a scrape never
/// competes with the app's routes.
public final class MetricsServer: Service, Sendable {
    let address: String
    let logger: Logger
    let exposition: @Sendable () -> [UInt8]
    let status: @Sendable () -> [UInt8]
    private let bound = Mutex<Int?>(nil)

    init(address: String, logger: Logger, exposition: @escaping @Sendable () -> [UInt8], status: @escaping @Sendable () -> [UInt8]) {
        self.address = address
        self.logger = logger
        self.exposition = exposition
        self.status = status
    }

    /// The port it listens on, once it does.
    public var port: Int? { bound.withLock { $0 } }

    public func run() async throws {
        let (host, port) = try HTTPServerService.split(address)
        let (exposition, status) = (self.exposition, self.status)
        let listener = try await ServerBootstrap(group: HTTPServerService.eventLoops)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScrapeHandler(exposition: exposition, status: status))
                }
            }
            .bind(host: host, port: port).get()
        bound.withLock { $0 = listener.localAddress?.port }
        logger.info("metrics listening on \(listener.localAddress.map { "\($0.ipAddress ?? host):\($0.port ?? port)" } ?? address)")
        try? await gracefulShutdown()
        try? await listener.close()
    }

    /// Answers each request of one connection.
    private final class ScrapeHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let exposition: @Sendable () -> [UInt8]
        let status: @Sendable () -> [UInt8]

        init(exposition: @escaping @Sendable () -> [UInt8], status: @escaping @Sendable () -> [UInt8]) {
            self.exposition = exposition
            self.status = status
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case let .head(request) = unwrapInboundIn(data) else { return }
            let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
            let body: [UInt8], type: String
            switch (request.method, path) {
            case (.GET, "/metrics"): (body, type) = (exposition(), "text/plain; version=0.0.4; charset=utf-8")
            case (.GET, "/status"): (body, type) = (status(), "application/json")
            default: (body, type) = (Array("not found: the metrics are at /metrics\n".utf8), "text/plain")
            }
            let found = type != "text/plain"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: String(body.count))
            let head = HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !request.isKeepAlive { written.whenComplete { _ in context.close(promise: nil) } }
        }
    }
}
