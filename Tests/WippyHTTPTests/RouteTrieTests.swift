import Testing
import WippyManifest
@testable import WippyHTTP

/// The trie finds exactly the routes a scan of the table finds, in the same order.
@Suite("Route trie")
struct RouteTrieTests {
    static func route(_ pattern: String, _ method: String = "GET") -> RouteTable.Route {
        let id = EntryID("test:\(method.lowercased())")!
        return RouteTable.Route(method: method, segments: RouteTable.segments(pattern), endpoint: id, router: id, function: id,
                                program: LuaProgram(source: "", sourceFile: nil, method: nil, modules: [], imports: []),
                                timeout: .seconds(1), relay: false, allowedOrigins: [], relayLimits: RelayLimits())
    }

    /// What the table did before the trie: every route, in order, segment by segment.
    static func scan(_ routes: [RouteTable.Route], _ parts: [Substring]) -> [Int] {
        routes.indices.filter { index in
            let segments = routes[index].segments
            guard segments.count == parts.count else { return false }
            return zip(segments, parts).allSatisfy { segment, part in
                if case let .literal(text) = segment { return text == part }
                return true
            }
        }
    }

    @Test func findsWhatAScanFinds() {
        let patterns = ["/", "/a", "/a/b", "/a/{x}", "/{x}/b", "/{x}/{y}", "/a/b/c", "/{x}", "/a/{x}/c", "/b/{x}",
                        "/a/b", "/é/{x}", "/users/{id}", "/users/me"]
        let routes = patterns.enumerated().map { Self.route($1, $0 % 2 == 0 ? "GET" : "POST") }
        let trie = RouteTrie(routes)
        let words = ["a", "b", "c", "é", "e\u{301}", "users", "me", "x"]
        var paths = [""]
        for _ in 0..<3 { paths += paths.flatMap { path in words.map { path + "/" + $0 } } }
        let table = RouteTable(routes: routes)
        for path in Set(paths + paths.map { $0 + "/" }) {
            let parts = path.split(separator: "/")
            let scanned = Self.scan(routes, parts)
            #expect(trie.matches(parts) == scanned, "\(path)")
            // The table (which looks literal paths up without the trie) agrees with the scan too.
            for method in ["GET", "POST", "DELETE"] {
                let expected = scanned.first { routes[$0].method == method }
                switch table.match(method: method, path: path) {
                case let .found(route, _): #expect(expected.map { routes[$0] } === route, "\(method) \(path)")
                case let .methodNotAllowed(allowed):
                    #expect(expected == nil && allowed == scanned.map { routes[$0].method }, "\(method) \(path)")
                case .notFound: #expect(expected == nil && scanned.isEmpty, "\(method) \(path)")
                }
            }
        }
    }

    @Test func theFirstMatchingRouteWinsAndOthersAreAllowedMethods() throws {
        let table = RouteTable(routes: [Self.route("/users/{id}"), Self.route("/users/me", "POST"), Self.route("/users/me", "PUT")])
        guard case let .found(route, parameters) = table.match(method: "GET", path: "/users/me") else {
            Issue.record("GET /users/me not found")
            return
        }
        #expect(route.method == "GET" && parameters == ["id": "me"])
        guard case let .methodNotAllowed(allowed) = table.match(method: "DELETE", path: "/users/me") else {
            Issue.record("DELETE /users/me is not a 405")
            return
        }
        #expect(allowed == ["GET", "POST", "PUT"])
        guard case .notFound = table.match(method: "GET", path: "/users/me/x") else {
            Issue.record("GET /users/me/x is not a 404")
            return
        }
    }
}
