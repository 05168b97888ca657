import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import ServiceLifecycle
import Synchronization
import WippyManifest
import WippyProcess

/// An `http.service`: a listener whose requests are answered from a swappable ``RouteTable``.
public final class HTTPServerService: Service, Sendable {
    public let id: EntryID
    /// Its relayed connections and frames, and its responses by status, for the metrics endpoint.
    public let relayStatistics = RelayStatistics()
    public let httpStatistics = HTTPStatistics()

    /// Bytes of frames queued for browsers and not yet written, over its open relays now (one
    /// look at each: for the metrics endpoint, nothing is counted per frame).
    public var relayQueuedBytes: Int {
        relays.withLock { Array($0.open.values) }.reduce(0) { $0 + $1.pendingBytes }
    }
    public let address: String
    private let table: Mutex<RouteTable>
    private let handler: Handler
    /// Runs a route's function for one request on the connection's event loop (inside the call
    /// when it need not wait); the callback gets how it went, on that loop.
    public typealias Handler = @Sendable (RouteTable.Route, HTTPExchange, any EventLoop,
                                          @escaping @Sendable (Result<Void, HandlerFailure>) -> Void) -> Void
    /// What `GET /healthz` answers: 200 with the body when healthy, else 503.
    private let health: @Sendable () -> (healthy: Bool, body: String)
    private let logger: Logger
    private let bound = Mutex<Int?>(nil)
    private let processes: ProcessTable
    /// Open relayed connections, and whether the runtime is shutting down.
    private let relays = Mutex(Relays())
    private struct Relays {
        var open: [PID: RelayConnection] = [:]
        var stopping = false
        /// The server stopped and waits for the last relayed connection to close.
        var drained: CheckedContinuation<Void, Never>?
    }
    /// Largest request body read (bytes); a larger one is answered 413 (`max_body_size`).
    let maxBodySize: Int
    /// HTTPS and WSS with these files; nil: plain HTTP.
    private let tls: TLSFiles?
    /// How long a connection may wait for, send and take a request and its answer.
    let timeouts: HTTPTimeouts

    /// A handler that failed: the message goes to the log, the client gets a 500.
    public struct HandlerFailure: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// A listen address that cannot be used, with the server's ID.
    public struct ListenError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The event loops of every server: one per core the runtime may run on (NIO's shared group
    /// counts the machine's cores; on a server pinned to one core its second loop only took turns
    /// with the first and woke it).
    public static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: AvailableCores.count)
    /// The relay's drain and timers of each event loop.
    private static let relayLoops: [ObjectIdentifier: RelayLoop] = Dictionary(
        uniqueKeysWithValues: eventLoops.makeIterator().map { (ObjectIdentifier($0), RelayLoop(eventLoop: $0)) })
    /// The largest WebSocket message any relay route of the server allows now.
    var largestRelayMessage: Int { table.withLock { $0.largestRelayMessage } }

    /// The path every server answers with the runtime's health, before any route of the app.
    public static let healthPath = "/healthz"

    public init(id: EntryID, address: String, maxBodySize: Int = 1 << 20, tls: TLSFiles? = nil,
                timeouts: HTTPTimeouts = HTTPTimeouts(idle: nil, read: nil, write: nil), routes: RouteTable, processes: ProcessTable, logger: Logger,
                health: @escaping @Sendable () -> (healthy: Bool, body: String) = { (true, #"{"status":"running"}"#) },
                handler: @escaping Handler) {
        self.id = id
        self.maxBodySize = maxBodySize
        self.timeouts = timeouts
        self.tls = tls
        self.health = health
        self.processes = processes
        self.address = address
        self.table = Mutex(routes)
        self.logger = logger
        self.handler = handler
    }

    /// Replaces the routes at once; requests in flight finish with the table they started with.
    public func replaceRoutes(_ routes: RouteTable) {
        table.withLock { $0 = routes }
    }

    /// The port actually bound (useful with port 0), once listening.
    public var port: Int? { bound.withLock { $0 } }

    /// Listens until a graceful shutdown (or cancellation): then stops accepting, asks open
    /// connections to finish (``HTTPRequestHandler`` closes idle ones and those whose answer is
    /// out; relays close with 1001) and returns once every connection closed.
    public func run() async throws {
        let (host, port) = try Self.split(address)
        let connections = RelayUpgradeChannel(server: self) { [self] head, channel async in
            await decideUpgrade(head, channel: channel)
        }
        let tlsContext = try tls.map { files throws(ListenError) in
            do { return try NIOSSLContext(configuration: try Self.tlsConfiguration(files, server: id)) } catch let error as ListenError {
                throw error
            } catch {
                throw ListenError(description: "\(id): tls: \(error)")
            }
        }
        let quiescing = ServerQuiescingHelper(group: Self.eventLoops)
        let listener: any Channel
        do {
            listener = try await ServerBootstrap(group: Self.eventLoops)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    }
                }
                // A client may close its end and still read its answers (ClientPresenceHandler).
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext)) }
                        try connections.setUp(channel)
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw ListenError(description: "\(id) cannot listen on \(address): \(error)")
        }
        bound.withLock { $0 = listener.localAddress?.port }
        logger.info("\(id) listening on \(listener.localAddress.map { "\($0.ipAddress ?? host):\($0.port ?? port)" } ?? address)")
        let closed = listener.eventLoop.makePromise(of: Void.self)
        let stopping = Atomic<Bool>(false)
        let stop: @Sendable () -> Void = { [self] in
            guard !stopping.exchange(true, ordering: .relaxed) else { return }
            closeRelays()
            quiescing.initiateShutdown(promise: closed)
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await closed.futureResult.get()
            } onGracefulShutdown: {
                stop()
            }
        } onCancel: {
            stop()
        }
        // Relayed connections end their closing handshakes (bounded by RelayChannelHandler.closeTimeout)
        // before the server does.
        await withCheckedContinuation { continuation in
            let done = relays.withLock { state -> Bool in
                if state.open.isEmpty { return true }
                state.drained = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Parses the server's certificate and key, so that a bad one stops `wippy run` before any
    /// service starts (the server parses them again when it starts listening).
    public func checkTLS() throws(ListenError) {
        if let tls { _ = try Self.tlsConfiguration(tls, server: id) }
    }

    /// A server configuration for `files`; a file that is not a PEM certificate chain or key is a
    /// ``ListenError`` naming the server and the field.
    static func tlsConfiguration(_ files: TLSFiles, server: EntryID) throws(ListenError) -> TLSConfiguration {
        func pem(_ source: TLSFiles.Source) -> (bytes: [UInt8], shown: String) {
            switch source {
            case let .file(path): return (Array(FileManager.default.contents(atPath: path) ?? Data()), path)
            case let .inline(text): return (Array(text.utf8), "the inline text")
            }
        }
        let (certificate, key) = (pem(files.certificate), pem(files.key))
        let chain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMBytes(certificate.bytes) } catch {
            throw ListenError(description: "\(server): tls.cert: \(certificate.shown) is not a PEM certificate chain (\(error))")
        }
        do { privateKey = try NIOSSLPrivateKey(bytes: key.bytes, format: .pem) } catch {
            throw ListenError(description: "\(server): tls.key: \(key.shown) is not a PEM private key (\(error))")
        }
        guard !chain.isEmpty else { throw ListenError(description: "\(server): tls.cert: \(certificate.shown) holds no certificate") }
        return .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }

    /// The runtime is stopping: a relay whose target ends from now on closes with 1001, not 1011.
    public func markStopping() {
        relays.withLock { $0.stopping = true }
    }

    /// Closes every relayed connection with 1001 (going away).
    private func closeRelays() {
        let open = relays.withLock { state -> [RelayConnection] in
            state.stopping = true
            return Array(state.open.values)
        }
        for relay in open { relay.close(.goingAway, "server shutting down") }
    }

    /// Whether a browser `Origin` may open a relay on `route`: no Origin (not a browser), an
    /// Origin whose host name is the request's own (`Host`, ports aside), or one of the router's
    /// allowed origins (`*` allows any).
    static func originAllowed(_ origin: String?, host: String, route: RouteTable.Route) -> Bool {
        guard let origin, !origin.isEmpty else { return true }
        if route.allowedOrigins.contains("*") || route.allowedOrigins.contains(origin) { return true }
        guard let originHost = URL(string: origin)?.host?.lowercased() else { return false }
        let requestHost = URL(string: "http://" + host)?.host?.lowercased() ?? host.lowercased()
        return originHost == requestHost
    }

    /// How a request is answered: at once, or by a route's handler.
    enum Answer {
        case reply(HTTPReply)
        case handler(RouteTable.Route, HTTPExchange)
    }

    /// The answer to a request that is no upgrade (on its connection's event loop).
    func answer(_ head: HTTPRequestHead, body: ByteBuffer?, channel: any Channel) -> Answer {
        let path = HTTPExchange.path(of: head.uri)
        if path == Self.healthPath, head.method == .GET || head.method == .HEAD {
            let (healthy, body) = health()
            return .reply(HTTPReply(status: healthy ? .ok : .serviceUnavailable,
                                    headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                                    body: ByteBuffer(string: body)))
        }
        let routes = table.withLock { $0 }
        switch routes.match(method: head.method.rawValue, path: path) {
        case .notFound:
            if let (site, rest) = routes.staticSite(for: path) {
                return .reply(StaticFiles.serve(site.site, relativePath: rest, method: head.method))
            }
            return .reply(.json(.notFound, ["error": "not found: \(path)"]))
        case let .methodNotAllowed(allowed):
            var reply = HTTPReply.json(.methodNotAllowed, ["error": "method \(head.method.rawValue) not allowed on \(path)"])
            reply.headers.append(("Allow", allowed.joined(separator: ", ")))
            return .reply(reply)
        case let .found(route, parameters):
            let exchange = HTTPExchange(method: head.method.rawValue, target: head.uri, path: path, parameters: parameters,
                                        headers: head.headers, body: body, channel: channel)
            return .handler(route, exchange)
        }
    }

    /// Runs a route's handler for a request that is no upgrade on `eventLoop`; `done` gets the
    /// reply, on that loop (inside this call when the handler did not wait).
    func run(_ route: RouteTable.Route, _ exchange: HTTPExchange, on eventLoop: any EventLoop,
             done: @escaping @Sendable (HTTPReply) -> Void) {
        handler(route, exchange, eventLoop) { [self] result in
            if case let .failure(failure) = result {
                logger.error("\(route.endpoint) (\(route.function)) failed: \(failure.message)")
                return done(.json(.internalServerError, ["error": failure.message]))
            }
            if route.relay, exchange.responseHeader(Self.relayHeader) != nil {
                return done(.json(.upgradeRequired, ["error": "this endpoint answers WebSocket upgrade requests only"]))
            }
            done(HTTPReply(exchange))
        }
    }

    static let relayHeader = "X-WS-Relay"

    /// Runs the handler of an upgrade request on `eventLoop`; when it failed, the message for the
    /// client's 500 (already logged).
    private func runUpgradeHandler(_ route: RouteTable.Route, _ exchange: HTTPExchange, on eventLoop: any EventLoop) async -> String? {
        let result = await withCheckedContinuation { continuation in
            handler(route, exchange, eventLoop) { continuation.resume(returning: $0) }
        }
        guard case let .failure(failure) = result else { return nil }
        logger.error("\(route.endpoint) (\(route.function)) failed: \(failure.message)")
        return failure.message
    }

    /// An upgrade request: the handler runs here, once. With a valid `X-WS-Relay` the connection
    /// becomes a relay; otherwise the client gets the handler's own answer (e.g. a 401), or the
    /// relay's 400 (bad config) or 403 (foreign origin).
    private func decideUpgrade(_ head: HTTPRequestHead, channel: any Channel) async -> RelayUpgradeChannel.Decision {
        let target = head.uri
        let path = HTTPExchange.path(of: target)
        let routes = table.withLock { $0 }
        let route: RouteTable.Route, parameters: [String: String]
        switch routes.match(method: head.method.rawValue, path: path) {
        case let .found(found, foundParameters): (route, parameters) = (found, foundParameters)
        case .notFound: return .decline(.json(.notFound, ["error": "not found: \(path)"]))
        case let .methodNotAllowed(allowed):
            var reply = HTTPReply.json(.methodNotAllowed, ["error": "method \(head.method.rawValue) not allowed on \(path)"])
            reply.headers.append(("Allow", allowed.joined(separator: ", ")))
            return .decline(reply)
        }
        let exchange = HTTPExchange(method: head.method.rawValue, target: target, path: path, parameters: parameters,
                                    headers: head.headers, body: nil, channel: channel)
        func decline(_ status: HTTPResponseStatus, _ error: String) -> RelayUpgradeChannel.Decision {
            logger.debug("upgrade of \(path) declined with \(status.code): \(error)")
            return .decline(.json(status, ["error": error]))
        }
        if route.relay, !Self.originAllowed(exchange.header("Origin"), host: exchange.host, route: route) {
            return decline(.forbidden, "origin \(exchange.header("Origin") ?? "") is not allowed")
        }
        if let failure = await runUpgradeHandler(route, exchange, on: channel.eventLoop) {
            return .decline(.json(.internalServerError, ["error": failure]))
        }
        guard route.relay, let header = exchange.responseHeader(Self.relayHeader) else {
            logger.debug("upgrade of \(path) declined by its handler with \(exchange.status)")
            return .decline(HTTPReply(exchange))
        }
        let config: RelayConfig
        do { config = try RelayConfig(json: header) } catch {
            return decline(.badRequest, "\(error)")
        }
        guard let target = processes.resolve(config.target) else {
            return decline(.badRequest, "X-WS-Relay target_pid \(config.target) is not a running process")
        }
        guard let loop = Self.relayLoops[ObjectIdentifier(channel.eventLoop)] else {
            preconditionFailure("a connection on an event loop of no server")
        }
        let relay = RelayConnection(pid: processes.makePID(host: id.description), config: config, target: target, table: processes,
                                    loop: loop, logger: logger, limits: route.relayLimits, statistics: relayStatistics) {
            [self] in relays.withLock { $0.stopping }
        }
        let headers = HTTPHeaders(exchange.responseHeaders.filter {
            HTTPReply.canCarry($0) && !$0.name.caseInsensitiveEquals(Self.relayHeader)
        })
        // Registered only once the socket is live, so an aborted upgrade leaves nothing behind.
        let handler = RelayChannelHandler(connection: relay, loop: loop) { [self] live in
            let drained = relays.withLock { state -> CheckedContinuation<Void, Never>? in
                if live {
                    state.open[relay.pid] = relay
                    return nil
                }
                state.open[relay.pid] = nil
                guard state.open.isEmpty else { return nil }
                defer { state.drained = nil }
                return state.drained
            }
            drained?.resume()
        }
        return .upgrade(headers, handler)
    }

    /// `":8080"` → ("0.0.0.0", 8080); `"127.0.0.1:0"` → ("127.0.0.1", 0).
    public static func split(_ address: String) throws(ListenError) -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ListenError(description: "bad listen address \"\(address)\" (use HOST:PORT or :PORT, e.g. :8080 or 127.0.0.1:9000)")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
