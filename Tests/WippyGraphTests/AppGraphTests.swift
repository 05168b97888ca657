import Foundation
import Testing
import WippyGraph
import WippyManifest

@Suite("Dependency graph")
struct AppGraphTests {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func load(_ relative: String) throws -> CheckedApp {
        CheckedApp(directory: repository.appending(path: relative).path, loader: try ManifestLoader())
    }

    static func id(_ text: String) -> EntryID { EntryID(text)! }

    @Test func seedAppHasServiceAndEndpointEdges() throws {
        let app = try Self.load("apps")
        #expect(app.diagnostics.isEmpty, "\(app.diagnostics)")
        let edges = Set(app.graph.edges.map { "\($0.from) -[\($0.reference.field)]-> \($0.to)" })
        #expect(edges == [
            "app.websocket.myapp:ws_hub.service -[process]-> app.websocket.myapp:ws_hub.process",
            "app.websocket.myapp:ws_hub.service -[host]-> system:processes",
            "app.websocket.myapp:ws_auth.endpoint -[func]-> app.websocket.myapp:ws_auth",
            "app.websocket.myapp:ws_auth.endpoint -[meta.router]-> system:api",
            "system:api -[meta.server]-> system:http",
            "app.websocket.myapp.web:page -[meta.server]-> system:http",
        ])
        #expect(app.summary == "ok: 5 entries in 2 namespaces")
    }

    @Test func levelsPutDependenciesFirst() throws {
        let app = try Self.load("Tests/Fixtures/valid/all-kinds")
        #expect(app.diagnostics.isEmpty, "\(app.diagnostics)")
        let order = app.graph.startOrder
        func position(_ text: String) throws -> Int { try #require(order.firstIndex(of: Self.id(text))) }
        for edge in app.graph.edges {
            #expect(try position(edge.to.description) < position(edge.from.description), "\(edge.from) before \(edge.to)")
        }
        #expect(try position("demo:db.service") < position("demo:worker.service"))
        #expect(try position("demo.lib:util") < position("demo:worker.process"))
        #expect(app.graph.stopOrder == order.reversed())
        // Independent entries share the first level: nothing there depends on anything.
        for id in app.graph.levels[0] { #expect(app.graph.dependencies(of: id).isEmpty) }
    }

    @Test func unusedBuiltInsAreHidden() throws {
        let app = try Self.load("Tests/Fixtures/valid/all-kinds")
        let shown = Set(app.graph.visibleEntries.map(\.id.description))
        // The app has its own host and server; only system:api (used by default.endpoint) and its server show.
        #expect(shown.contains("system:api"))
        #expect(shown.contains("system:http"))
        #expect(!shown.contains("system:processes"))
    }

    @Test func renderersListEveryEdge() throws {
        let app = try Self.load("apps")
        let dot = GraphRenderer.render(app.graph, as: .dot)
        #expect(dot.hasPrefix("digraph wippy {"))
        #expect(dot.contains("\"app.websocket.myapp:ws_hub.service\" -> \"system:processes\" [label=\"host\"];"))
        let mermaid = GraphRenderer.render(app.graph, as: .mermaid)
        #expect(mermaid.hasPrefix("flowchart LR"))
        #expect(mermaid.components(separatedBy: "-->").count - 1 == app.graph.edges.count)
    }

    @Test func cyclesAreFoundWithoutRecursionLimits() {
        // A 20,000-long chain plus one back edge: found, printed, and no stack overflow.
        let ids = (0..<20_000).map { EntryID(namespace: "n", name: "e\($0)") }
        var edges: [Edge] = []
        func edge(_ a: EntryID, _ b: EntryID) -> Edge {
            Edge(from: a, to: b, reference: Reference(target: b, field: "lifecycle.requires[0]",
                                                       location: .builtIn, expectedKinds: []))
        }
        for i in 0..<(ids.count - 1) { edges.append(edge(ids[i], ids[i + 1])) }
        let (levels, noCycles) = AppGraph.layers(nodes: ids, edges: edges)
        #expect(noCycles.isEmpty)
        #expect(levels.count == ids.count)
        edges.append(edge(ids[ids.count - 1], ids[0]))
        let (_, cycles) = AppGraph.layers(nodes: ids, edges: edges)
        #expect(cycles.count == 1)
        #expect(cycles.first?.count == ids.count + 1)
    }
}
