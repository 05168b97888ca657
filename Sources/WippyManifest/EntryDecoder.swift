import Foundation
import WippySchema

/// Turns one schema-valid entry node into a typed ``Entry``: resolves references against the
/// namespace, reads `file://` sources, applies defaults. Problems the schema cannot see (a missing
/// source file, a path leaving the app) become diagnostics.
struct EntryDecoder {
    let id: EntryID
    let kind: EntryKind
    let node: Node
    let file: String
    let appRoot: String
    var diagnostics: [Diagnostic] = []

    init(id: EntryID, kind: EntryKind, node: Node, file: String, appRoot: String) {
        self.id = id
        self.kind = kind
        self.node = node
        self.file = file
        self.appRoot = appRoot
    }

    mutating func decode(fileMeta: Node?) -> Entry? {
        let meta = Self.merge(fileMeta, node["meta"])
        let body: Entry.Body?
        switch kind {
        case .processLua: body = program(method: true).map(Entry.Body.processLua)
        case .libraryLua: body = program(method: false).map(Entry.Body.libraryLua)
        case .functionLua:
            let timeout = functionTimeout(meta: meta)
            body = program(method: true).map { .functionLua($0, pool(), timeout: timeout) }
        case .processService: body = .processService(processService())
        case .processHost: body = .processHost(processHost())
        case .httpService: body = .httpService(httpService())
        case .httpRouter: body = .httpRouter(httpRouter(meta: meta))
        case .httpEndpoint: body = .httpEndpoint(httpEndpoint(meta: meta))
        case .httpStatic: body = httpStatic(meta: meta).map(Entry.Body.httpStatic)
        case .registryEntry:
            let data = (node.members ?? []).filter { !["name", "kind", "meta"].contains($0.key) }
            body = .registryEntry(Node(.object(data), mark: node.mark))
        case .terminalHost: body = .terminalHost(TerminalHost(hideLogs: node["hide_logs"]?.bool ?? false, lifecycle: lifecycle()))
        case .envStorageOS: body = .envStorage(EnvStorage(backend: .os))
        case .envStorageMemory: body = .envStorage(EnvStorage(backend: .memory))
        case .envStorageFile: body = envFile().map { .envStorage(EnvStorage(backend: $0)) }
        case .envStorageStatic:
            let values = (node["values"]?.members ?? []).compactMap { member in Self.scalarText(member.value).map { (member.key, $0) } }
            body = .envStorage(EnvStorage(backend: .fixed(Dictionary(values) { _, last in last })))
        case .envStorageRouter:
            let storages = (node["storages"]?.array ?? []).enumerated().map { index, item in
                reference("storages[\(index)]", item, EntryKind.envStorages)
            }
            body = .envStorage(EnvStorage(backend: .router(storages)))
        case .envVariable:
            body = .envVariable(EnvVariable(name: node["variable"]?.string,
                                            storage: reference("storage", node["storage"], EntryKind.envStorages),
                                            defaultValue: node["default"].flatMap(Self.scalarText),
                                            readOnly: node["read_only"]?.bool ?? node["readonly"]?.bool ?? false))
        }
        guard let body else { return nil }
        return Entry(id: id, kind: kind, meta: meta, location: location(node), node: node, body: body)
    }

    // MARK: - Kinds

    private mutating func program(method needsMethod: Bool) -> LuaProgram? {
        guard let sourceNode = node["source"], let spec = sourceNode.string else { return nil }
        var text = spec
        var sourceFile: String?
        if spec.hasPrefix("file://") {
            guard let path = resolvePath(String(spec.dropFirst("file://".count)), field: "source", at: sourceNode,
                                         shown: spec) else { return nil }
            guard let code = readText(path, field: "source", at: sourceNode, shown: spec) else { return nil }
            text = code
            sourceFile = path
        }
        let imports = (node["imports"]?.members ?? []).map { member in
            LuaProgram.Import(alias: member.key,
                              library: reference("imports.\(member.key)", member.value, [.libraryLua]))
        }
        return LuaProgram(source: text, sourceFile: sourceFile,
                          method: needsMethod ? node["method"]?.string : nil,
                          modules: node["modules"]?.array?.compactMap(\.string) ?? [],
                          imports: imports)
    }

    /// `meta.options.timeout`: how long one call may run before it is terminated (default 30s).
    private mutating func functionTimeout(meta: Node) -> Duration {
        guard let node = meta["options"]?["timeout"] else { return .seconds(30) }
        guard let text = node.string, let duration = Duration(manifest: text), duration > .zero else {
            report(node, "meta.options.timeout", "must be a duration above zero and at most 100 years, like \"30s\"")
            return .seconds(30)
        }
        return duration
    }

    private func pool() -> FunctionPool {
        guard let pool = node["pool"] else { return FunctionPool() }
        return FunctionPool(strategy: pool["type"]?.string.flatMap(FunctionPool.Strategy.init(rawValue:)),
                            workers: pool["workers"]?.int ?? pool["size"]?.int,
                            buffer: pool["buffer"]?.int,
                            maxSize: pool["max_size"]?.int)
    }

    private mutating func processService() -> ProcessService {
        ProcessService(process: reference("process", node["process"], [.processLua]),
                       host: reference("host", node["host"], EntryKind.hosts),
                       input: node["input"]?.array ?? [],
                       lifecycle: lifecycle())
    }

    private mutating func processHost() -> ProcessHost {
        let host = node["host"]
        return ProcessHost(workers: host?["workers"]?.int,
                           queueSize: host?["queue_size"]?.int ?? 1024,
                           localQueueSize: host?["local_queue_size"]?.int ?? 256,
                           lifecycle: lifecycle())
    }

    /// `env.storage.file`: a relative `file_path` is taken from the working folder (where `wippy
    /// run` was started, the project's root), as Wippy does.
    private mutating func envFile() -> EnvStorage.Backend? {
        guard let pathNode = node["file_path"], let written = pathNode.string, !written.isEmpty else { return nil }
        let path = written.hasPrefix("/") ? written : FileManager.default.currentDirectoryPath + "/" + written
        return .file(path: URL(fileURLWithPath: path).standardizedFileURL.path, autoCreate: node["auto_create"]?.bool ?? false,
                     fileMode: node["file_mode"]?.int.map(Self.permissions) ?? 0o644,
                     directoryMode: node["dir_mode"]?.int.map(Self.permissions) ?? 0o755)
    }

    /// Permission bits as people write them, `0600`: YAML 1.2 reads that as the decimal 600,
    /// whose digits are taken as octal again. A number with an 8 or 9 in it is taken as it is.
    static func permissions(_ written: Int) -> Int {
        let digits = String(written)
        guard written >= 0, digits.allSatisfy({ $0 <= "7" }), let octal = Int(digits, radix: 8) else { return written }
        return octal & 0o7777
    }

    /// A scalar's text: an env value or default written as a number or boolean is its text.
    static func scalarText(_ node: Node) -> String? {
        switch node.value {
        case let .string(text): return text
        case let .int(number): return String(number)
        case let .double(number): return String(number)
        case let .bool(flag): return flag ? "true" : "false"
        default: return nil
        }
    }

    private mutating func httpService() -> HTTPService {
        let timeouts = node["timeouts"]
        func timeout(_ key: String) -> Duration? { timeouts?[key]?.string.flatMap(Duration.init(manifest:)) }
        return HTTPService(address: node["addr"]?.string ?? SystemNamespace.defaultAddress,
                           readTimeout: timeout("read"), writeTimeout: timeout("write"), idleTimeout: timeout("idle"),
                           maxBodySize: node["max_body_size"]?.int ?? 1 << 20, tls: tls(),
                           lifecycle: lifecycle())
    }

    private func httpRouter(meta: Node) -> HTTPRouter {
        HTTPRouter(server: reference("meta.server", meta["server"], [.httpService], default: SystemNamespace.http),
                   prefix: node["prefix"]?.string ?? "/",
                   middleware: strings(node["middleware"]),
                   options: Self.options(node["options"]),
                   postMiddleware: strings(node["post_middleware"]),
                   postOptions: Self.options(node["post_options"]))
    }

    private func httpEndpoint(meta: Node) -> HTTPEndpoint {
        HTTPEndpoint(router: reference("meta.router", meta["router"], [.httpRouter], default: SystemNamespace.api),
                     method: node["method"]?.string ?? "GET",
                     path: node["path"]?.string ?? "/",
                     function: reference("func", node["func"], [.functionLua]))
    }

    private mutating func httpStatic(meta: Node) -> HTTPStatic? {
        let field = node["directory"] != nil ? "directory" : "fs"
        guard let folderNode = node[field], let folder = folderNode.string,
              let directory = resolvePath(folder, field: field, at: folderNode, shown: folder) else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            report(folderNode, field, "folder \"\(folder)\" not found (looked for \(directory))")
            return nil
        }
        let options = node["static_options"]
        return HTTPStatic(server: reference("meta.server", meta["server"], [.httpService], default: SystemNamespace.http),
                          path: node["path"]?.string ?? "/",
                          directory: directory,
                          index: options?["index"]?.string ?? "index.html",
                          spa: options?["spa"]?.bool ?? false,
                          cacheControl: options?["cache"]?.string,
                          middleware: strings(node["middleware"]),
                          options: Self.options(node["options"]))
    }

    private mutating func lifecycle() -> Lifecycle {
        var lifecycle = Lifecycle()
        guard let block = node["lifecycle"] else { return lifecycle }
        // The schema checks the syntax; what still fails to parse is longer than the maximum.
        func duration(_ node: Node?, _ field: String) -> Duration? {
            guard let node, let text = node.string else { return nil }
            guard let duration = Duration(manifest: text) else {
                report(node, "lifecycle.\(field)", "duration \"\(text)\" is longer than the maximum of 100 years")
                return nil
            }
            return duration
        }
        lifecycle.autoStart = block["auto_start"]?.bool ?? false
        for key in ["requires", "depends_on"] {
            for (index, item) in (block[key]?.array ?? []).enumerated() {
                lifecycle.requires.append(reference("lifecycle.\(key)[\(index)]", item, EntryKind.services))
            }
        }
        lifecycle.startTimeout = duration(block["start_timeout"], "start_timeout") ?? lifecycle.startTimeout
        lifecycle.stopTimeout = duration(block["stop_timeout"], "stop_timeout") ?? lifecycle.stopTimeout
        lifecycle.stableThreshold = duration(block["stable_threshold"], "stable_threshold") ?? lifecycle.stableThreshold
        if let restart = block["restart"] {
            lifecycle.restart.initialDelay = duration(restart["initial_delay"], "restart.initial_delay") ?? lifecycle.restart.initialDelay
            lifecycle.restart.maxDelay = duration(restart["max_delay"], "restart.max_delay") ?? lifecycle.restart.maxDelay
            lifecycle.restart.backoffFactor = restart["backoff_factor"]?.double ?? lifecycle.restart.backoffFactor
            lifecycle.restart.jitter = restart["jitter"]?.double ?? lifecycle.restart.jitter
            lifecycle.restart.maxAttempts = restart["max_attempts"]?.int ?? lifecycle.restart.maxAttempts
        }
        return lifecycle
    }

    /// `tls: {cert:, key:}` (Wippy's `mode: manual`): each a `file://` path (relative to this
    /// manifest, or absolute) or the PEM text itself. A file that is missing or holds no PEM block
    /// of the right kind is reported here; the server parses them when it starts.
    private mutating func tls() -> TLSFiles? {
        guard let block = node["tls"] else { return nil }
        func source(_ field: String, expecting marker: String) -> TLSFiles.Source? {
            guard let value = block[field], let text = value.string else {
                report(block, "tls.\(field)", "missing: give a PEM file as file://path or the PEM text")
                return nil
            }
            let pem: String, source: TLSFiles.Source
            if text.hasPrefix("file://") {
                let written = String(text.dropFirst("file://".count))
                let path = written.hasPrefix("/") ? written : (file as NSString).deletingLastPathComponent + "/" + written
                guard let data = FileManager.default.contents(atPath: path) else {
                    report(value, "tls.\(field)", "file \"\(written)\" not found or not readable (looked for \(path))")
                    return nil
                }
                pem = String(decoding: data, as: UTF8.self)
                source = .file(path)
            } else {
                pem = text
                source = .inline(text)
            }
            guard pem.contains("-----BEGIN") && pem.contains(marker) else {
                report(value, "tls.\(field)", "no PEM \(marker) block in \(text.hasPrefix("file://") ? "the file" : "the text")")
                return nil
            }
            return source
        }
        let certificate = source("cert", expecting: "CERTIFICATE-----"), key = source("key", expecting: "PRIVATE KEY-----")
        guard let certificate, let key else { return nil }
        return TLSFiles(certificate: certificate, key: key)
    }

    // MARK: - Helpers

    private func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, mark: node.mark)
    }

    /// A reference written in `field` (or the default when the field is absent).
    private func reference(_ field: String, _ value: Node?, _ kinds: Set<EntryKind>, default fallback: EntryID? = nil) -> Reference {
        if let value, let text = value.string {
            return Reference(target: EntryID(reference: text, in: id.namespace), field: field,
                             location: location(value), expectedKinds: kinds)
        }
        // Required references are guaranteed by the schema; defaults point at the entry itself.
        return Reference(target: fallback ?? id, field: field, location: location(node), expectedKinds: kinds)
    }

    private func strings(_ node: Node?) -> [String] {
        node?.array?.compactMap(\.string) ?? []
    }

    /// An absolute path for `path` written in this file, or nil (and a diagnostic) when it leaves the app.
    private mutating func resolvePath(_ path: String, field: String, at value: Node, shown: String) -> String? {
        let folder = (file as NSString).deletingLastPathComponent
        let joined = path.hasPrefix("/") ? path : folder + "/" + path
        let resolved = URL(fileURLWithPath: joined).standardizedFileURL.resolvingSymlinksInPath().path
        guard resolved == appRoot || resolved.hasPrefix(appRoot.hasSuffix("/") ? appRoot : appRoot + "/") else {
            report(value, field, "\"\(shown)\" points outside the app folder (\(resolved) is not below \(appRoot))")
            return nil
        }
        return resolved
    }

    private mutating func readText(_ path: String, field: String, at value: Node, shown: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            report(value, field, "source file \"\(shown)\" not found (looked for \(path))")
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            report(value, field, "source file \"\(shown)\" is not valid UTF-8")
            return nil
        }
        return text
    }

    private mutating func report(_ value: Node, _ field: String, _ message: String) {
        diagnostics.append(Diagnostic(location(value), "\(id): \(field): \(message)"))
    }

    /// File meta with the entry's meta over it (entry keys win).
    static func merge(_ fileMeta: Node?, _ entryMeta: Node?) -> Node {
        let base = fileMeta?.members ?? []
        let own = entryMeta?.members ?? []
        let ownKeys = Set(own.map(\.key))
        return Node(.object(base.filter { !ownKeys.contains($0.key) } + own), mark: entryMeta?.mark ?? fileMeta?.mark ?? .none)
    }

    /// Middleware options as text (`"*"`, `"65536"`, `"true"`).
    static func options(_ node: Node?) -> [String: String] {
        var options: [String: String] = [:]
        for member in node?.members ?? [] {
            switch member.value.value {
            case let .string(s): options[member.key] = s
            case let .bool(b): options[member.key] = String(b)
            case let .int(i): options[member.key] = String(i)
            case let .double(d): options[member.key] = String(d)
            default: break
            }
        }
        return options
    }
}
