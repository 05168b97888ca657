import WippyManifest

/// Prints an ``AppGraph`` as Graphviz DOT or a Mermaid flowchart. Edges point from an entry to
/// what it depends on and are labelled with the field that makes the reference.
public enum GraphRenderer {
    public enum Format: String, CaseIterable, Sendable {
        case dot, mermaid
    }

    public static func render(_ graph: AppGraph, as format: Format) -> String {
        switch format {
        case .dot: return dot(graph)
        case .mermaid: return mermaid(graph)
        }
    }

    static func dot(_ graph: AppGraph) -> String {
        var lines = ["digraph wippy {", "  rankdir=LR;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for entry in graph.visibleEntries {
            let style = entry.location.isBuiltIn ? ", style=dashed" : ""
            lines.append("  \(quoted(entry.id.description)) [label=\(quoted("\(entry.id)\n\(entry.kind.rawValue)"))\(style)];")
        }
        for edge in graph.edges {
            lines.append("  \(quoted(edge.from.description)) -> \(quoted(edge.to.description)) [label=\(quoted(edge.reference.field))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func mermaid(_ graph: AppGraph) -> String {
        var ids: [EntryID: String] = [:]
        var lines = ["flowchart LR"]
        for (index, entry) in graph.visibleEntries.enumerated() {
            let id = "n\(index)"
            ids[entry.id] = id
            let text = "\(entry.id)<br/>\(entry.kind.rawValue)".replacingOccurrences(of: "\"", with: "#quot;")
            lines.append("  \(id)[\"\(text)\"]")
        }
        for edge in graph.edges {
            guard let from = ids[edge.from], let to = ids[edge.to] else { continue }
            lines.append("  \(from) -->|\"\(edge.reference.field)\"| \(to)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
