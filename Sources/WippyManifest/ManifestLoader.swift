import Foundation
import WippySchema

/// The outcome of loading an app folder: the entries that are valid, and every problem found.
public struct LoadResult: Sendable {
    public var manifest: Manifest
    public var diagnostics: [Diagnostic]
    /// Manifest files read (files with a `namespace:`).
    public var manifestFiles: [String]
}

/// Loads an app folder: finds the manifests, parses them, validates them against the bundled
/// schemas and decodes typed entries. It reports every problem it finds, not only the first.
public struct ManifestLoader: Sendable {
    private let fileSchema: JSONSchema

    /// Compiles the bundled schemas; fails only if the shipped schema files are broken.
    public init() throws {
        self.fileSchema = try BundledSchemas.registry().schema(named: BundledSchemas.manifestFile)
    }

    public init(schema: JSONSchema) {
        self.fileSchema = schema
    }

    /// Loads every `*.yaml` / `*.yml` below `directory` (hidden folders skipped).
    public func load(directory: String) -> LoadResult {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        var manifest = Manifest(root: root)
        for entry in SystemNamespace.entries { manifest.insert(entry) }
        var diagnostics: [Diagnostic] = []
        let rootLocation = SourceLocation(file: root, mark: .none)

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            diagnostics.append(Diagnostic(rootLocation, "no such folder"))
            return LoadResult(manifest: manifest, diagnostics: diagnostics, manifestFiles: [])
        }

        let files = Self.discover(root)
        let parsed = Self.parseAll(files)
        var manifestFiles: [String] = []
        var firstDefinition: [EntryID: SourceLocation] = [:]
        for (file, outcome) in zip(files, parsed) {
            switch outcome {
            case let .failure(failure):
                diagnostics.append(Diagnostic(SourceLocation(file: file, mark: failure.mark), failure.message))
            case let .success(node):
                // A file without `namespace:` is not a manifest (other YAML may live in an app),
                // unless it has `entries:`: then the namespace was forgotten.
                guard let node, node.members != nil else { continue }
                if node["namespace"] == nil {
                    if let entries = node.member("entries") {
                        diagnostics.append(Diagnostic(SourceLocation(file: file, mark: entries.keyMark),
                            "this file has entries: but no namespace: (add e.g. namespace: app at the top)"))
                    }
                    continue
                }
                manifestFiles.append(file)
                loadFile(node, file: file, root: root, into: &manifest, firstDefinition: &firstDefinition,
                         diagnostics: &diagnostics)
            }
        }
        diagnostics = Array(Set(diagnostics))  // a problem reached by two schema paths is told once
        if manifestFiles.isEmpty, diagnostics.isEmpty {
            diagnostics.append(Diagnostic(rootLocation,
                                          "no manifests found: no *.yaml file below this folder has a namespace:"))
        }
        return LoadResult(manifest: manifest, diagnostics: diagnostics.sorted(), manifestFiles: manifestFiles)
    }

    // MARK: - One file

    private func loadFile(_ node: Node, file: String, root: String, into manifest: inout Manifest,
                          firstDefinition: inout [EntryID: SourceLocation], diagnostics: inout [Diagnostic]) {
        let namespace = node["namespace"]?.string ?? ""
        let entryNodes = node["entries"]?.array ?? []

        // Schema problems, grouped by entry so that an invalid entry is not decoded.
        var badEntries = Set<Int>()
        var fileIsBad = false
        for error in fileSchema.validate(node) {
            var message = error.message
            if case .key("entries") = error.path.first, error.path.count >= 2, case let .index(i) = error.path[1] {
                badEntries.insert(i)
                // An unknown field's message names the field itself; name its parent only.
                let fieldPath = error.keyword == "additionalProperties" ? error.path.dropLast() : error.path[...]
                let field = SchemaError.dotted(fieldPath.dropFirst(2))
                let label = Self.label(entryNodes[i], index: i, namespace: namespace)
                message = field.isEmpty ? "\(label): \(message)" : "\(label): \(field): \(message)"
            } else if !error.path.isEmpty {
                fileIsBad = fileIsBad || error.path.first == .key("namespace")
                message = "\(SchemaError.dotted(error.path)): \(message)"
            }
            diagnostics.append(Diagnostic(SourceLocation(file: file, mark: error.mark), message))
        }
        if fileIsBad || namespace.isEmpty { return }

        let fileMeta = node["meta"]
        for (index, entryNode) in entryNodes.enumerated() {
            guard let name = entryNode["name"]?.string else { continue }
            let id = EntryID(namespace: namespace, name: name)
            let location = SourceLocation(file: file, mark: entryNode.mark)
            if let first = firstDefinition[id] {
                diagnostics.append(Diagnostic(location, "duplicate entry ID \"\(id)\"",
                                              related: [.init("first defined at", first)]))
                continue
            }
            firstDefinition[id] = location
            guard !badEntries.contains(index), let kind = entryNode["kind"]?.string.flatMap(EntryKind.init(rawValue:)) else {
                manifest.invalidIDs.insert(id)
                continue
            }
            var decoder = EntryDecoder(id: id, kind: kind, node: entryNode, file: file, appRoot: root)
            if let entry = decoder.decode(fileMeta: fileMeta) {
                manifest.insert(entry)
            } else {
                manifest.invalidIDs.insert(id)
            }
            diagnostics.append(contentsOf: decoder.diagnostics)
        }
    }

    /// `app:ws_hub` when the entry has a name, else `entry 3 of namespace app`.
    static func label(_ entry: Node, index: Int, namespace: String) -> String {
        if let name = entry["name"]?.string { return "\(namespace):\(name)" }
        return "entry \(index + 1) of namespace \(namespace)"
    }

    // MARK: - Files

    /// Every YAML file below `root`, sorted, hidden files and folders skipped.
    static func discover(_ root: String) -> [String] {
        let rootURL = URL(fileURLWithPath: root, isDirectory: true)
        guard let walker = FileManager.default.enumerator(at: rootURL, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else { return [] }
        var files: [String] = []
        for case let url as URL in walker where ["yaml", "yml"].contains(url.pathExtension) {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                files.append(url.standardizedFileURL.path)
            }
        }
        return files.sorted()
    }

    /// Reads and parses the files, in parallel (YAML parsing dominates load time).
    static func parseAll(_ files: [String]) -> [Result<Node?, YAMLDocument.Failure>] {
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Result<Node?, YAMLDocument.Failure>>.allocate(capacity: files.count)
        results.initialize(repeating: .success(nil))
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let result: Result<Node?, YAMLDocument.Failure>
            if let data = FileManager.default.contents(atPath: files[index]) {
                result = Result { () throws(YAMLDocument.Failure) in try YAMLDocument.parse(data) }
            } else {
                result = .failure(.init(mark: SourceMark(line: 1, column: 1), message: "cannot read this file"))
            }
            results[index] = result
        }
        return Array(results)
    }
}
