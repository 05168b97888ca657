import ArgumentParser
import WippyGraph

extension GraphRenderer.Format: ExpressibleByArgument {}

/// `wippy graph [DIR]`: the dependency graph as DOT or Mermaid.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print an app's dependency graph (Graphviz DOT or Mermaid).",
        discussion: "Edges point from an entry to what it needs, labelled with the field that names it."
    )

    @OptionGroup var app: AppFolderOptions

    @Option(help: "Output format: \(GraphRenderer.Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: GraphRenderer.Format = .dot

    func run() throws {
        let checked = try app.check()
        guard checked.isValid else {
            throw ValidationFailure(message: "the app has errors; fix them to see its graph")
        }
        print(GraphRenderer.render(checked.graph, as: format), terminator: "")
    }
}
