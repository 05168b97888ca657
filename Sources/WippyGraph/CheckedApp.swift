import WippyManifest

/// An app folder loaded, validated and linked: what `wippy validate` reports and `wippy run` starts.
public struct CheckedApp: Sendable {
    public let graph: AppGraph
    /// Every problem, sorted by file and position. An app with any is not started.
    public let diagnostics: [Diagnostic]
    public let manifestFiles: [String]

    public var manifest: Manifest { graph.manifest }
    public var isValid: Bool { diagnostics.isEmpty }

    /// Loads `directory` with `loader` (telling `progress` how far it got, see
    /// ``ManifestLoader/load(directory:progress:)``), then builds the dependency graph.
    public init(directory: String, loader: ManifestLoader, progress: (@Sendable (_ loaded: Int, _ files: Int) -> Void)? = nil) {
        let loaded = loader.load(directory: directory, progress: progress)
        let (graph, graphDiagnostics) = AppGraph.build(loaded.manifest)
        self.graph = graph
        self.diagnostics = (loaded.diagnostics + graphDiagnostics).sorted()
        self.manifestFiles = loaded.manifestFiles
    }

    /// `ok: 4 entries in 1 namespace` (built-in entries not counted).
    public var summary: String {
        let entries = manifest.userEntries.count
        let namespaces = manifest.namespaces.count
        return "ok: \(entries) \(entries == 1 ? "entry" : "entries") in \(namespaces) \(namespaces == 1 ? "namespace" : "namespaces")"
    }
}
