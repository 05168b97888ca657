import Foundation
import WippyManifest

/// The routes of one `http.service`: router prefix + endpoint path → function, matched segment by
/// segment (`/users/{id}` binds `id`) through a ``RouteTrie``; of several routes that match, the
/// first in the manifest's entry order wins. Immutable; a new table replaces the old one as a whole.
public struct RouteTable: Sendable {
    /// One endpoint. A class: a matched route is handed along with each request, and a reference
    /// costs one retain where the fields would cost one each.
    public final class Route: Sendable {
        public let method: String
        public let segments: [Segment]
        /// The endpoint entry (for logs and metrics), its router, and the function.lua that answers.
        public let endpoint: EntryID
        public let router: EntryID
        public let function: EntryID
        public let program: LuaProgram
        /// How long one call of the function may run (`meta.options.timeout`).
        public let timeout: Duration
        /// The router has `websocket_relay`: an `X-WS-Relay` header turns an upgrade into a relay.
        public let relay: Bool
        /// Browser origins allowed besides the server's own (`wsrelay.allowed.origins`); `*` = any.
        public let allowedOrigins: [String]
        /// What one relayed connection may hold (the router's `wsrelay.*` options).
        public let relayLimits: RelayLimits
        /// Some segment is a `{name}`.
        let hasParameters: Bool

        init(method: String, segments: [Segment], endpoint: EntryID, router: EntryID, function: EntryID, program: LuaProgram,
             timeout: Duration, relay: Bool, allowedOrigins: [String], relayLimits: RelayLimits) {
            self.method = method
            self.segments = segments
            self.endpoint = endpoint
            self.router = router
            self.function = function
            self.program = program
            self.timeout = timeout
            self.relay = relay
            self.allowedOrigins = allowedOrigins
            self.relayLimits = relayLimits
            hasParameters = segments.contains { if case .parameter = $0 { true } else { false } }
        }
    }

    public enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// The outcome of looking a request up.
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        /// The path exists, not with this method.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// A folder served under a path (`http.static`).
    public struct StaticSite: Sendable {
        public var path: String
        public var site: HTTPStatic
    }

    public private(set) var routes: [Route] = []
    private var trie = RouteTrie([])
    /// What the trie finds for each path a route spells out in literals (`/api/v1/hello`): a
    /// request for exactly that path is looked up once, without splitting it.
    private var literalPaths: [String: [Int]] = [:]
    /// Longest path first, so that `/docs` wins over `/`.
    public private(set) var statics: [StaticSite] = []
    /// The largest WebSocket message any relay route allows: the frame decoder's limit.
    public private(set) var largestRelayMessage = RelayLimits().messageBytes

    public init() {}

    /// The endpoints of `manifest` mounted on routers of the server `server`.
    public init(manifest: Manifest, server: EntryID) {
        var routes: [Route] = [], statics: [StaticSite] = []
        for entry in manifest.sortedEntries {
            guard case let .httpEndpoint(endpoint) = entry.body,
                  case let .httpRouter(router)? = manifest[endpoint.router.target]?.body,
                  router.server.target == server,
                  case let .functionLua(program, _, timeout)? = manifest[endpoint.function.target]?.body else { continue }
            let relay = (router.middleware + router.postMiddleware).contains("websocket_relay")
            let options = router.postOptions.merging(router.options) { _, own in own }
            let origins = (options["wsrelay.allowed.origins"] ?? "")
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            routes.append(Route(method: endpoint.method, segments: Self.segments(router.prefix + "/" + endpoint.path),
                                endpoint: entry.id, router: endpoint.router.target, function: endpoint.function.target, program: program,
                                timeout: timeout, relay: relay,
                                allowedOrigins: origins, relayLimits: RelayLimits(options: options)))
        }
        for entry in manifest.sortedEntries {
            guard case let .httpStatic(site) = entry.body, site.server.target == server else { continue }
            let path = "/" + site.path.split(separator: "/").joined(separator: "/")
            statics.append(StaticSite(path: path, site: site))
        }
        self.init(routes: routes, statics: statics)
    }

    /// `routes` in the order they are tried, and `statics`.
    init(routes: [Route], statics: [StaticSite] = []) {
        self.routes = routes
        self.statics = statics.sorted { $0.path.count > $1.path.count }
        for route in routes where route.relay {
            largestRelayMessage = max(largestRelayMessage, route.relayLimits.messageBytes)
        }
        trie = RouteTrie(routes)
        for route in routes where !route.hasParameters {
            let parts = route.segments.map { segment -> Substring in
                if case let .literal(text) = segment { Substring(text) } else { "" }
            }
            literalPaths["/" + parts.joined(separator: "/")] = trie.matches(parts)
        }
    }

    /// The static site whose path is a prefix of `path`, and the rest of the path below it.
    public func staticSite(for path: String) -> (StaticSite, String)? {
        for candidate in statics {
            if candidate.path == "/" { return (candidate, path) }
            if path == candidate.path || path.hasPrefix(candidate.path + "/") {
                return (candidate, String(path.dropFirst(candidate.path.count)))
            }
        }
        return nil
    }

    /// Whether the table has anything to serve.
    public var isEmpty: Bool { routes.isEmpty && statics.isEmpty }

    static func segments(_ path: String) -> [Segment] {
        path.split(separator: "/").map { part in
            if part.hasPrefix("{"), part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
    }

    public func match(method: String, path: String) -> Match {
        let known = literalPaths[path]
        var parts = known == nil ? path.split(separator: "/") : []
        var allowed: [String] = []
        for index in known ?? trie.matches(parts) {
            let route = routes[index]
            guard route.method == method || (method == "HEAD" && route.method == "GET") else {
                allowed.append(route.method)
                continue
            }
            var parameters: [String: String] = [:]
            guard route.hasParameters else { return .found(route, parameters: parameters) }
            if known != nil { parts = path.split(separator: "/") }
            for case let (.parameter(name), part) in zip(route.segments, parts) {
                parameters[name] = String(part).removingPercentEncoding ?? String(part)
            }
            return .found(route, parameters: parameters)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
