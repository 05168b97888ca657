import WippyManifest
import WippySchema

/// The app's dependency graph: one node per entry, one edge per reference.
///
/// Built from a ``Manifest`` with ``AppGraph/build(_:)``, which also reports references to missing
/// entries or entries of the wrong kind, and cycles.
public struct AppGraph: Sendable {
    public let manifest: Manifest
    /// Edges in a stable order (by source entry, then field).
    public let edges: [Edge]
    /// Start order: every entry in level `n` depends only on entries in levels before `n`.
    /// Entries within one level are independent and may start together. Stop in reverse.
    public let levels: [[EntryID]]

    /// Entries this one depends on.
    public func dependencies(of id: EntryID) -> [EntryID] {
        edges.filter { $0.from == id }.map(\.to)
    }

    /// The entries worth showing: the app's own, and built-ins that something uses.
    public var visibleEntries: [Entry] {
        let used = Set(edges.map(\.to))
        return manifest.sortedEntries.filter { !$0.location.isBuiltIn || used.contains($0.id) }
    }

    /// Entries in start order (level by level).
    public var startOrder: [EntryID] { levels.flatMap { $0 } }

    /// Entries in stop order: the reverse of the start order.
    public var stopOrder: [EntryID] { startOrder.reversed() }

    /// Builds the graph and reports broken references and cycles.
    public static func build(_ manifest: Manifest) -> (graph: AppGraph, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var edges: [Edge] = []
        for entry in manifest.sortedEntries {
            for reference in entry.references {
                if let target = manifest[reference.target] {
                    if reference.expectedKinds.contains(target.kind) {
                        edges.append(Edge(from: entry.id, to: target.id, reference: reference))
                    } else {
                        let wanted = reference.expectedKinds.map(\.rawValue).sorted().joined(separator: " or ")
                        diagnostics.append(Diagnostic(reference.location,
                            "\(entry.id): \(reference.field): \"\(target.id)\" is a \(target.kind.rawValue), expected a \(wanted)",
                            related: target.location.isBuiltIn ? [] : [.init("defined at", target.location)]))
                    }
                } else if !manifest.invalidIDs.contains(reference.target) {
                    diagnostics.append(missing(reference, from: entry, in: manifest))
                }
            }
        }
        diagnostics += duplicateVariables(manifest)
        let (levels, cycles) = Self.layers(nodes: manifest.sortedEntries.map(\.id), edges: edges)
        for cycle in cycles {
            // Report at the edge that closes the cycle back to its first entry.
            let closing = edges.first { $0.from == cycle[cycle.count - 2] && $0.to == cycle.last! }
            let location = closing?.reference.location ?? manifest[cycle[0]]?.location ?? .builtIn
            diagnostics.append(Diagnostic(location,
                "dependency cycle: \(cycle.map(\.description).joined(separator: " -> "))"))
        }
        let graph = AppGraph(manifest: manifest, edges: edges, levels: levels)
        return (graph, diagnostics.sorted())
    }

    /// `env.variable` names are public: two variables may not share one.
    private static func duplicateVariables(_ manifest: Manifest) -> [Diagnostic] {
        var first: [String: Entry] = [:]
        var diagnostics: [Diagnostic] = []
        for entry in manifest.sortedEntries {
            guard case let .envVariable(variable) = entry.body, let name = variable.name else { continue }
            if let earlier = first[name] {
                diagnostics.append(Diagnostic(entry.location, "\(entry.id): variable: \"\(name)\" is already the name of \(earlier.id)",
                                              related: [.init("defined at", earlier.location)]))
            } else {
                first[name] = entry
            }
        }
        return diagnostics
    }

    private static func missing(_ reference: Reference, from entry: Entry, in manifest: Manifest) -> Diagnostic {
        var message = "\(entry.id): \(reference.field): no entry \"\(reference.target)\""
        let candidates = manifest.entries.values
            .filter { reference.expectedKinds.contains($0.kind) }
            .map(\.id.description)
        if let near = Suggestion.nearest(to: reference.target.description, in: candidates) {
            message += "; did you mean \"\(near)\"?"
        } else {
            let wanted = reference.expectedKinds.map(\.rawValue).sorted().joined(separator: " or ")
            message += " (a \(wanted) is expected here)"
        }
        return Diagnostic(reference.location, message)
    }

    /// Longest-path layering of the acyclic part, and the cycles (each as `a, b, …, a`).
    package static func layers(nodes: [EntryID], edges: [Edge]) -> (levels: [[EntryID]], cycles: [[EntryID]]) {
        var dependencies: [EntryID: [EntryID]] = [:]
        for edge in edges { dependencies[edge.from, default: []].append(edge.to) }
        for key in dependencies.keys { dependencies[key] = Array(Set(dependencies[key]!)).sorted() }

        enum Mark { case visiting, done }
        var marks: [EntryID: Mark] = [:]
        var level: [EntryID: Int] = [:]
        var cycles: [[EntryID]] = []
        var stack: [EntryID] = []
        var inCycle = Set<EntryID>()

        // Iterative DFS so that a long dependency chain cannot overflow the stack.
        for start in nodes where marks[start] == nil {
            var work: [(node: EntryID, next: Int)] = [(start, 0)]
            marks[start] = .visiting
            stack.append(start)
            while let top = work.last {
                let deps = dependencies[top.node] ?? []
                if top.next < deps.count {
                    work[work.count - 1].next += 1
                    let dep = deps[top.next]
                    switch marks[dep] {
                    case nil:
                        marks[dep] = .visiting
                        stack.append(dep)
                        work.append((dep, 0))
                    case .visiting:
                        let from = stack.lastIndex(of: dep)!
                        let cycle = Array(stack[from...]) + [dep]
                        cycles.append(cycle)
                        inCycle.formUnion(cycle)
                    case .done:
                        break
                    }
                } else {
                    work.removeLast()
                    stack.removeLast()
                    marks[top.node] = .done
                    level[top.node] = deps.map { (level[$0] ?? 0) + 1 }.max() ?? 0
                }
            }
        }
        let depth = (level.values.max() ?? -1) + 1
        var levels = Array(repeating: [EntryID](), count: depth)
        for node in nodes where !inCycle.contains(node) {
            levels[level[node] ?? 0].append(node)
        }
        return (levels.filter { !$0.isEmpty }, cycles)
    }
}
