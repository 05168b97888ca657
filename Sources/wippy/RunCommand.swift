import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import WippyCluster
import WippyManifest
import WippyProcess
import WippyHTTP
import WippyRuntime

extension WippyLogHandler.Format: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `wippy run [DIR]`: load, validate, start the services, run until SIGINT/SIGTERM.
/// `wippy run DIR -x ns:entry [args…]`: run one process.lua to completion.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an app: start its auto-start services and serve until SIGINT or SIGTERM.",
        discussion: """
            An invalid app is refused with the same messages as `wippy validate`. With --watch, \
            changes to its manifests and Lua files are applied while it runs (docs/hot-reload.md).
            With -x ns:entry (or a name one entry has), the app's services start first, then that \
            process.lua runs once on the app's terminal.host (else on the default host) with the \
            remaining arguments (as strings, also in io.args()). Log lines are silenced unless a \
            log flag is given. The exit status is its integer result (0 for none; another result \
            is printed as JSON), or 1 when it fails (the error on stderr).
            """
    )

    @OptionGroup var app: AppFolderOptions

    @Option(name: .customShort("x"), help: "Run this process.lua entry once instead of the services.")
    var execute: String?

    @Option(help: "The host -x runs its process on (default: the app's terminal.host, when it has one).")
    var host: String?

    @Argument(parsing: .remaining, help: "Arguments for the -x entry's method.")
    var arguments: [String] = []

    @Option(help: "Listen address of the built-in system:http server, e.g. :9000 or 127.0.0.1:8080 (default: $WIPPY_ADDR, else :8080).")
    var addr: String?

    @Option(help: "Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9090 (default: .wippy.yaml's prometheus section, else no metrics).")
    var metricsAddr: String?

    @Option(help: "Join a cluster through this PostgreSQL server: postgres://user:password@host:port/database (docs/cluster.md; default: .wippy.yaml's cluster.url).")
    var cluster: String?

    @Option(help: "This runtime's node name in the cluster: lowercase letters, digits, - and _ (default: .wippy.yaml's cluster.node, else the host name).")
    var node: String?

    @Option(help: "How long a node stays a member without renewing, e.g. 10s: a lost node is dead to the others within it (default 10s).")
    var lease: String?

    @Option(name: .customLong("global-name"), help: "A name registered cluster-wide whatever scope the code asks for (repeatable), e.g. the hub of an unchanged app.")
    var globalNames: [String] = []

    @Option(help: "PEM certificate chain: system:http serves HTTPS and WSS (with --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Watch the app's manifests and Lua files and re-apply what changed (hot reload).")
    var watch = false

    @Option(help: "Most memory one Lua process may use, e.g. 64MiB (docs/security.md).")
    var processMemory = ByteSize(bytes: RuntimeLimits().processMemory)

    @Option(help: "Largest message one process may send, e.g. 8MiB.")
    var maxMessage = ByteSize(bytes: RuntimeLimits().message)

    @Option(help: "Most bytes of messages waiting in one process's mailbox, e.g. 64MiB.")
    var mailbox = ByteSize(bytes: RuntimeLimits().mailbox)

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: Logger.Level?

    @Option(help: "Log format: text or json (default text).")
    var logFormat: WippyLogHandler.Format?

    /// The cluster to join: the flags over `.wippy.yaml`'s `cluster:` section; nil when neither names a server.
    func clusterSettings(_ config: ProjectConfig) throws -> ClusterSettings? {
        guard let url = cluster ?? config.cluster.url else {
            if node != nil || lease != nil || !globalNames.isEmpty { throw ValidationError("--node, --lease and --global-name need --cluster") }
            return nil
        }
        let name = node ?? config.cluster.node ?? ClusterSettings.defaultNode
        if let problem = ClusterSettings.problem(withNode: name) { throw ValidationError("\(node != nil ? "--node" : ProjectConfig.path + ": cluster.node"): \(problem)") }
        var settings = ClusterSettings(url: url, node: name, globalNames: Set(globalNames + config.cluster.globalNames))
        if let text = lease ?? config.cluster.lease {
            guard let duration = Duration(manifest: text), duration >= .seconds(1), duration <= .seconds(3600) else {
                throw ValidationError("\(lease != nil ? "--lease" : ProjectConfig.path + ": cluster.lease"): expected a duration from 1s to 1h, e.g. 10s; got \"\(text.prefix(40))\"")
            }
            settings.lease = duration
        }
        _ = try settings.connection()
        return settings
    }

    func run() async throws {
        let (format, level) = (logFormat ?? .text, logLevel ?? .info)
        // A command's output is its own: under -x, log lines only when asked for.
        let silent = execute != nil && logLevel == nil && logFormat == nil
        LoggingSystem.bootstrap { label in
            silent ? SwiftLogNoOpLogHandler(label) as any LogHandler : WippyLogHandler(format: format, level: level)
        }
        let logger = Logger(label: "wippy")

        // `wippy run -x cli hello`: a first word that is no folder is the command's argument.
        var app = self.app, arguments = self.arguments
        var isFolder: ObjCBool = false
        if execute != nil, let word = app.folder, !(FileManager.default.fileExists(atPath: word, isDirectory: &isFolder) && isFolder.boolValue) {
            arguments.insert(word, at: 0)
            app.folder = nil
        }
        let folder = try app.directory  // read once: the lock, or a walk of ./src
        let checked = try app.check(folder)
        guard checked.isValid else {
            let count = checked.diagnostics.count
            throw ValidationFailure(message: "\(count) \(count == 1 ? "error" : "errors")")
        }
        let address = addr ?? ProcessInfo.processInfo.environment["WIPPY_ADDR"].flatMap { $0.isEmpty ? nil : $0 }
        if let address {
            do { _ = try HTTPServerService.split(address) } catch {
                throw ValidationError("\(addr != nil ? "--addr" : "WIPPY_ADDR"): \(error)")
            }
        }
        // --metrics-addr, else .wippy.yaml's prometheus section.
        let config: ProjectConfig
        do { config = try ProjectConfig.read() } catch { throw ValidationError("\(error)") }
        let metricsAddress = metricsAddr ?? config.metricsAddress
        if let metricsAddress {
            do { _ = try HTTPServerService.split(metricsAddress) } catch {
                throw ValidationError("\(metricsAddr != nil ? "--metrics-addr" : ProjectConfig.path + ": prometheus.address"): \(error)")
            }
        }
        var tls: TLSFiles?
        switch (tlsCert, tlsKey) {
        case (nil, nil): break
        case let (cert?, key?):
            for (flag, path) in [("--tls-cert", cert), ("--tls-key", key)] where !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(flag): cannot read \(path)")
            }
            tls = TLSFiles(certificate: .file(cert), key: .file(key))
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
        var limits = RuntimeLimits()
        limits.processMemory = processMemory.bytes
        limits.message = maxMessage.bytes
        limits.mailbox = mailbox.bytes
        var node: ClusterNode?
        if let settings = try clusterSettings(config) {
            do { node = try await ClusterNode.join(settings, logger: logger) } catch { throw ValidationFailure(message: "\(error)") }
        }
        let runtime = AppRuntime(app: checked, logger: logger, limits: limits, address: address, tls: tls,
                                 arguments: execute == nil ? [] : arguments, metricsAddress: metricsAddress, cluster: node)
        for server in runtime.servers { try server.checkTLS() }
        if let execute {
            try await runOnce(execute, arguments: arguments, runtime: runtime, logger: logger)
            return
        }
        var services = runtime.services
        if watch {
            services.append(AppReloader(directory: folder, runtime: runtime, loader: try ManifestLoader(), logger: logger))
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("wippy \(WippyVersion.number) running \(folder) (\(checked.summary.dropFirst(4)))")
        try await group.run()
        logger.info("stopped")
    }

    private func runOnce(_ entry: String, arguments: [String], runtime: AppRuntime, logger: Logger) async throws {
        let id = try Self.resolve(entry, in: runtime.app.manifest)
        let host = try Self.host(for: entry, asked: host, in: runtime)
        let (outcomes, input) = AsyncStream.makeStream(of: ProcessOutcome.self)
        // The whole app runs (its services and listeners), so that the entry finds what it talks
        // to. Ctrl-C and SIGTERM go to the command first (see `interrupt`), not to the app.
        let group = ServiceGroup(configuration: .init(
            services: runtime.services.map { .init(service: $0) }, gracefulShutdownSignals: [], logger: logger))
        var outcome: ProcessOutcome = .failure("no result")
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await Self.waitForServices(of: runtime, logger: logger)
            let pid: PID
            do {
                pid = try runtime.launch(id, host: host, arguments: arguments.map { .string($0) }, parent: nil,
                                         monitor: false, link: false, onExit: { outcome in
                    input.yield(outcome)
                    input.finish()
                }).pid
            } catch {
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                throw ValidationFailure(message: "\(entry): \(error)")
            }
            let signals = Task { await Self.interrupt(pid, on: host, runtime: runtime, group: group) }
            for await ended in outcomes { outcome = ended }
            signals.cancel()
            runtime.terminals[host]?.restore()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        switch outcome {
        case let .result(.int(status)):
            // An integer is the exit status, as the OS keeps it (its low 8 bits).
            if status != 0 { throw ExitCode(Int32(truncatingIfNeeded: status & 0xFF)) }
        case let .result(value):
            if value != .null { print(value.json) }
        case let .failure(message):
            throw ValidationFailure(message: "\(entry) failed: \(message)")
        }
    }

    /// Ctrl-C (or SIGTERM) while `-x` runs: the first interrupts the command's terminal reads
    /// and sends it CANCEL, while the app's services still run (so a command waiting for input
    /// can finish as at the end of input); a second one stops the whole app.
    static func interrupt(_ pid: PID, on host: String, runtime: AppRuntime, group: ServiceGroup) async {
        var count = 0
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
            count += 1
            if count == 1 {
                runtime.terminals[host]?.interrupt()
                try? runtime.table.cancel(pid, from: nil, reason: "interrupted")
            } else {
                await group.triggerGracefulShutdown()
            }
        }
    }

    /// Waits until every auto-start service is past its start-up code (`/healthz` would say
    /// running), at most as long as the slowest may take to start (`start_timeout`).
    static func waitForServices(of runtime: AppRuntime, logger: Logger) async {
        let limit = runtime.app.manifest.userEntries.compactMap(\.lifecycle?.startTimeout).max() ?? .zero
        let deadline = ContinuousClock.now + limit
        while runtime.supervisor.health != .running {
            guard ContinuousClock.now < deadline else {
                if case let .starting(waiting) = runtime.supervisor.health {
                    logger.warning("-x: running before \(waiting.map(\.description).joined(separator: ", ")) started")
                }
                return
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Where `-x` runs: `--host`, else the app's one `terminal.host`, else the default host.
    static func host(for entry: String, asked: String?, in runtime: AppRuntime) throws -> String {
        if let asked {
            guard runtime.hosts[asked] != nil else {
                let known = runtime.hosts.keys.sorted().joined(separator: ", ")
                throw ValidationError("--host \(asked): no process.host or terminal.host of the app has this ID (there are: \(known))")
            }
            return asked
        }
        let terminals = runtime.terminals.keys.sorted()
        switch terminals.count {
        case 0:
            return runtime.hosts[SystemNamespace.processes.description] != nil
                ? SystemNamespace.processes.description : runtime.hosts.keys.sorted().first ?? ""
        case 1: return terminals[0]
        default:
            throw ValidationFailure(message: "-x \(entry): the app has several terminal.hosts (\(terminals.joined(separator: ", "))); choose one with --host")
        }
    }

    /// The process.lua entry `-x` names: an ID (`ns:name`), or a bare name that one entry of the
    /// app's own has.
    static func resolve(_ entry: String, in manifest: Manifest) throws -> EntryID {
        if entry.contains(":") {
            guard let id = EntryID(entry) else { throw ValidationError("-x expects an entry ID (namespace:name) or a name, got \(entry)") }
            return id
        }
        let named = manifest.userEntries.filter { $0.id.name == entry && $0.kind == .processLua }.map(\.id)
        switch named.count {
        case 1: return named[0]
        case 0: throw ValidationFailure(message: "-x \(entry): no process.lua entry of the app is called \(entry)")
        default: throw ValidationFailure(message: "-x \(entry): several entries are called \(entry) (\(named.map(\.description).joined(separator: ", "))); give the full ID")
        }
    }
}
