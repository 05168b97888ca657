import Foundation
import Synchronization
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

    /// Loads every `*.yaml` / `*.yml` below `directory` (hidden folders skipped). `progress`,
    /// when given, hears the files loaded so far and their number, from any thread.
    public func load(directory: String, progress: (@Sendable (_ loaded: Int, _ files: Int) -> Void)? = nil) -> LoadResult {
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

        // Files are independent until IDs meet: read, parse, validate and decode them in parallel,
        // then merge in path order so that "first defined" is stable.
        let files = Self.discover(root)
        let loaded = Atomic<Int>(0)
        let outcomes = Self.concurrentMap(files) { file in
            let outcome = loadFile(file, root: root)
            if let progress { progress(loaded.add(1, ordering: .relaxed).newValue, files.count) }
            return outcome
        }
        var manifestFiles: [String] = []
        var firstDefinition: [EntryID: SourceLocation] = [:]
        for (file, outcome) in zip(files, outcomes) {
            if outcome.isManifest { manifestFiles.append(file) }
            diagnostics += outcome.diagnostics
            for declared in outcome.declared {
                if let first = firstDefinition[declared.id] {
                    diagnostics.append(Diagnostic(declared.location, "duplicate entry ID \"\(declared.id)\"",
                                                  related: [.init("first defined at", first)]))
                    continue
                }
                firstDefinition[declared.id] = declared.location
                if let entry = declared.entry {
                    manifest.insert(entry)
                } else {
                    manifest.invalidIDs.insert(declared.id)
                }
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

    /// What one file contributes: its entries (nil where invalid) and its problems.
    struct FileOutcome: Sendable {
        struct Declared: Sendable {
            var id: EntryID
            var location: SourceLocation
            var entry: Entry?
        }
        var isManifest = false
        var declared: [Declared] = []
        var diagnostics: [Diagnostic] = []
    }

    private func loadFile(_ file: String, root: String) -> FileOutcome {
        var outcome = FileOutcome()
        let node: Node?
        do throws(YAMLDocument.Failure) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw YAMLDocument.Failure(mark: SourceMark(line: 1, column: 1), message: "cannot read this file")
            }
            node = try YAMLDocument.parse(data)
        } catch {
            outcome.diagnostics.append(Diagnostic(SourceLocation(file: file, mark: error.mark), error.message))
            return outcome
        }
        // A file without `namespace:` is not a manifest (other YAML may live in an app),
        // unless it has `entries:`: then the namespace was forgotten.
        guard let node, node.members != nil else { return outcome }
        guard node["namespace"] != nil else {
            if let entries = node.member("entries") {
                outcome.diagnostics.append(Diagnostic(SourceLocation(file: file, mark: entries.keyMark),
                    "this file has entries: but no namespace: (add e.g. namespace: app at the top)"))
            }
            return outcome
        }
        outcome.isManifest = true
        let namespace = node["namespace"]?.string ?? ""
        let entryNodes = node["entries"]?.array ?? []

        // Schema problems, grouped by entry so that an invalid entry is not decoded.
        var badEntries = Set<Int>()
        var namespaceIsBad = namespace.isEmpty
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
                namespaceIsBad = namespaceIsBad || error.path.first == .key("namespace")
                message = "\(SchemaError.dotted(error.path)): \(message)"
            }
            outcome.diagnostics.append(Diagnostic(SourceLocation(file: file, mark: error.mark), message))
        }
        if namespaceIsBad { return outcome }

        let fileMeta = node["meta"]
        for (index, entryNode) in entryNodes.enumerated() {
            guard let name = entryNode["name"]?.string else { continue }
            let id = EntryID(namespace: namespace, name: name)
            var declared = FileOutcome.Declared(id: id, location: SourceLocation(file: file, mark: entryNode.mark))
            if !badEntries.contains(index), let kind = entryNode["kind"]?.string.flatMap(EntryKind.init(rawValue:)) {
                var decoder = EntryDecoder(id: id, kind: kind, node: entryNode, file: file, appRoot: root)
                declared.entry = decoder.decode(fileMeta: fileMeta)
                outcome.diagnostics += decoder.diagnostics
            }
            outcome.declared.append(declared)
        }
        return outcome
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

    /// `transform` applied to every element on all cores, results in order.
    static func concurrentMap<T: Sendable>(_ items: [String], _ transform: (String) -> T) -> [T] {
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer {
            _ = results.deinitialize()  // the outcomes are copied out below; without this they leaked on every load
            results.deallocate()
        }
        withoutActuallyEscaping(transform) { transform in
            nonisolated(unsafe) let transform = transform
            DispatchQueue.concurrentPerform(iterations: items.count) { index in
                results[index] = transform(items[index])
            }
        }
        return results.map { $0! }
    }
}
