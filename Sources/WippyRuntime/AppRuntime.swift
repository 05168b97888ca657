import Foundation
import Logging
import Synchronization
import ServiceLifecycle
import WippyCluster
import WippyHTTP
import WippyGraph
import WippyLua
import WippyLuaHTTP
import WippyManifest
import WippyProcess
import WippySchema

/// A checked app brought to life: the process table, one ``ProcessHostService`` per
/// `process.host`, and the ``Supervisor`` of its services. Also what Lua code asks of the runtime
/// (``LuaServices``): spawning entries, calling functions, reading the registry, loading libraries.
public final class AppRuntime: LuaServices, Sendable {
    /// The app as last loaded (replaced by ``reload(to:)``).
    public var app: CheckedApp { current.withLock { $0 } }
    let current: Mutex<CheckedApp>
    public let table: ProcessTable
    /// This runtime's node, when it runs in a cluster (`--cluster`).
    public let cluster: ClusterNode?
    public var hosts: [String: ProcessHostService] { spawner.hosts }
    /// Starts process.lua entries on their hosts.
    let spawner: ProcessSpawner
    public let supervisor: Supervisor
    /// One server per `http.service` that has routes (or is auto-start).
    public var servers: [HTTPServerService] { serverSet.servers }
    let serverSet: ServerSet
    /// `--addr` / `WIPPY_ADDR`: where `system:http` listens instead of its manifest address.
    let systemAddress: String?
    /// `--tls-cert` / `--tls-key`: HTTPS and WSS for `system:http`.
    let systemTLS: TLSFiles?
    let logger: Logger
    /// Byte limits of processes, messages and mailboxes.
    public let limits: RuntimeLimits
    /// What its Lua processes and function calls share.
    let luaContext: LuaContext
    /// The terminals of its `terminal.host`s, by host ID.
    public var terminals: [String: Terminal] { luaContext.terminals }
    /// HTTP handlers and `funcs.call`: warm function instances and the calls running now.
    let calls: FunctionCalls
    /// The values behind `env.variable` entries.
    let environment = Environment()
    /// The `registry.entry` entries changed at run time, in versions.
    let registry = RegistryStore()
    /// Metrics, when they are exposed (`--metrics-addr`); nil records nothing.
    public let metrics: RuntimeMetrics?
    /// The scrape endpoint of `metrics`.
    public let metricsServer: MetricsServer?
    private let clock: any ServiceClock

    /// - Parameters:
    ///   - clock: the supervisor's clock (tests pass a manual one).
    ///   - limits: byte limits of processes, messages and mailboxes.
    ///   - address: listen address for the built-in `system:http` (`--addr`, `WIPPY_ADDR`).
    ///   - tls: certificate and key for the built-in `system:http` (`--tls-cert`, `--tls-key`).
    ///   - arguments: what `io.args()` gives processes on a `terminal.host` (`wippy run -x`'s).
    ///   - metricsAddress: where the Prometheus endpoint listens (`--metrics-addr`); nil: no metrics.
    ///   - cluster: the node this runtime is in a cluster as (joined already); nil: standalone.
    public init(app: CheckedApp, logger: Logger, limits: RuntimeLimits = RuntimeLimits(), clock: any ServiceClock = SystemServiceClock(),
                address: String? = nil, tls: TLSFiles? = nil, arguments: [String] = [], metricsAddress: String? = nil,
                cluster: ClusterNode? = nil) {
        HTTPModule.register()  // before the first Lua state is made
        self.table = ProcessTable(node: cluster?.name)
        self.cluster = cluster
        cluster?.attach(table)
        self.current = Mutex(app)
        self.clock = clock
        self.logger = logger
        self.limits = limits
        let table = self.table
        var hosts: [String: ProcessHostService] = [:]
        var terminals: [String: Terminal] = [:]
        for entry in app.manifest.sortedEntries {
            let id = entry.id.description
            switch entry.body {
            case let .processHost(settings):
                hosts[id] = ProcessHostService(id: id, table: table, stopTimeout: settings.lifecycle.stopTimeout,
                                               workers: settings.workers, logger: logger)
            case let .terminalHost(settings):
                // One thread: a terminal runs one command at a time.
                let terminal = Terminal(arguments: arguments)
                hosts[id] = ProcessHostService(id: id, table: table, stopTimeout: settings.lifecycle.stopTimeout,
                                               workers: 1, terminal: terminal, logger: logger)
                terminals[id] = terminal
            default: break
            }
        }
        self.luaContext = LuaContext(table: table, logger: logger, limits: limits, terminals: terminals)
        self.spawner = ProcessSpawner(hosts: hosts, table: table, context: luaContext)
        self.calls = FunctionCalls(entries: app.manifest.sortedEntries, context: luaContext)
        let handle = Handler()
        self.supervisor = Supervisor(logger: logger) {
            handle.runtime?.servers.forEach { $0.markStopping() }
            // Handlers (and coroutines they left running) get what a service gets to return (the
            // default stop_timeout), then end; the servers stop after them.
            await handle.runtime?.calls.finish(within: Lifecycle().stopTimeout)
        }
        self.systemAddress = address
        self.systemTLS = tls
        self.serverSet = ServerSet(logger: logger)
        let metrics = metricsAddress.map { _ in RuntimeMetrics() }
        self.metrics = metrics
        let supervisor = self.supervisor, serverSet = self.serverSet
        let snapshot = { @Sendable [table, hosts, cluster] () -> RuntimeMetrics.Snapshot in
            RuntimeMetrics.Snapshot(
                hosts: hosts.keys.sorted().map { (id: $0, processes: hosts[$0]!.processes.count) },
                threads: hosts.keys.sorted().flatMap { id in
                    hosts[id]!.scheduler.threads.map { (host: id, thread: $0.name, queued: $0.queued,
                                                        busyNanoseconds: $0.busyNanoseconds.load(ordering: .relaxed),
                                                        stateBytes: $0.stateBytes.load(ordering: .relaxed)) }
                } + EventLoopSchedulerHost.all.map { (host: "http", thread: $0.name, queued: $0.queued,
                                                      busyNanoseconds: $0.busyNanoseconds.load(ordering: .relaxed),
                                                      stateBytes: $0.stateBytes.load(ordering: .relaxed)) },
                services: supervisor.runners.map { (id: $0.id.description, up: $0.isHealthy, restarts: $0.restarts.load(ordering: .relaxed),
                                                    gaveUp: $0.gaveUp.load(ordering: .relaxed)) },
                relays: serverSet.servers.map { (server: $0.id.description, statistics: $0.relayStatistics) },
                responses: serverSet.servers.map { (server: $0.id.description, statistics: $0.httpStatistics) },
                queuedBytes: serverSet.servers.map { (server: $0.id.description, bytes: $0.relayQueuedBytes) },
                mailboxes: table.mailboxes(top: 10),
                cluster: cluster.map { (nodes: $0.memberCount, queuedBytes: $0.queuedBytes, totals: $0.statistics.totals) })
        }
        self.metricsServer = metrics.map { metrics in
            MetricsServer(address: metricsAddress ?? "", logger: logger,
                          exposition: { [table] in metrics.exposition(table: table, snapshot()) },
                          status: { [table] in metrics.status(table: table, snapshot()) })
        }
        // Runners need `self` to launch processes; build them now that every stored property is set.
        supervisor.runners = Self.servicesToStart(app).compactMap(makeRunner)
        handle.runtime = self
        luaContext.attach(self)
        for entry in app.manifest.sortedEntries {
            if let server = makeServer(entry, in: app.manifest) { serverSet.add(server, critical: true) }
        }
    }

    /// A listener for an `http.service` entry that has routes (or is an auto-start one of the
    /// app's own); nil otherwise.
    func makeServer(_ entry: Entry, in manifest: Manifest) -> HTTPServerService? {
        guard case let .httpService(service) = entry.body else { return nil }
        let routes = RouteTable(manifest: manifest, server: entry.id)
        guard !routes.isEmpty || (service.lifecycle.autoStart && !entry.location.isBuiltIn) else { return nil }
        let isSystem = entry.id == SystemNamespace.http
        let listen = isSystem ? (systemAddress ?? service.address) : service.address
        let tls = isSystem ? (systemTLS ?? service.tls) : service.tls
        return HTTPServerService(id: entry.id, address: listen, maxBodySize: service.maxBodySize, tls: tls,
                                 timeouts: HTTPTimeouts(idle: service.idleTimeout, read: service.readTimeout, write: service.writeTimeout),
                                 routes: routes, processes: table, logger: logger, health: {
            [weak self] in
            let health = self?.health ?? .stopping
            return (health.isHealthy, health.json)
        }) { [weak self] route, exchange, eventLoop, done in
            guard let self else { return done(.failure(.init("the runtime is gone"))) }
            handle(route, exchange, on: EventLoopSchedulerHost.scheduler(of: eventLoop), done: done)
        }
    }

    /// What `/healthz` reports: the supervisor's state, or that this cluster node is cut off.
    public var health: Health {
        let services = supervisor.health
        return services == .running && cluster?.isCutOff == true ? .cutOff : services
    }

    /// A runner for a `process.service` entry: its process is launched from the app current at
    /// each (re)start.
    func makeRunner(_ entry: Entry) -> ServiceRunner? {
        guard case let .processService(service) = entry.body else { return nil }
        return ServiceRunner(id: entry.id, lifecycle: service.lifecycle, table: table, clock: clock, logger: logger) {
            [unowned self] onReady, onExit throws(ProcessError) in
            try self.launch(service.process.target, host: service.host.target.description,
                            arguments: service.input.map(Payload.init), parent: nil, monitor: false, link: false,
                            onFirstWait: onReady, onExit: onExit).pid
        }
    }

    /// Lets servers reach the runtime that owns them without a reference cycle.
    private final class Handler: @unchecked Sendable {
        weak var runtime: AppRuntime?
    }

    /// Runs the route's function.lua for one request on `scheduler` (its connection's event loop);
    /// `done` gets how it went, on that thread.
    func handle(_ route: RouteTable.Route, _ exchange: HTTPExchange, on scheduler: SchedulerThread,
                done: @escaping @Sendable (Result<Void, HTTPServerService.HandlerFailure>) -> Void) {
        let began = metrics == nil ? nil : ContinuousClock.now
        calls.start(route.function, program: route.program, timeout: route.timeout, arguments: [], exchange: exchange,
                    on: scheduler) { [metrics] outcome in
            if let metrics, let began {
                let status = if case .failure = outcome { 500 } else { exchange.status }
                metrics.request(route: route, status: status, duration: ContinuousClock.now - began)
            }
            if case let .failure(message) = outcome { done(.failure(.init(message))) } else { done(.success(())) }
        }
    }

    /// Services for a `ServiceGroup`, in start order: the cluster node, hosts, HTTP servers, the
    /// supervisor. A graceful shutdown runs in reverse: services get CANCEL and stop (relays whose
    /// target ends close with 1001), then servers close the remaining sockets (1001) and stop
    /// listening, then hosts stop, and last the node sends what is left and leaves its cluster.
    public var services: [any Service] {
        (cluster.map { [$0] } ?? []) + hosts.keys.sorted().map { hosts[$0]! } + (metricsServer.map { [$0] } ?? []) + [serverSet, supervisor]
    }

    /// Auto-start services and everything they require, in start order.
    static func servicesToStart(_ app: CheckedApp) -> [Entry] {
        var wanted = Set<EntryID>()
        var pending = app.manifest.sortedEntries.filter { $0.kind == .processService && $0.lifecycle?.autoStart == true }.map(\.id)
        while let id = pending.popLast() {
            guard wanted.insert(id).inserted, let entry = app.manifest[id] else { continue }
            pending += (entry.lifecycle?.requires ?? []).map(\.target).filter { app.manifest[$0]?.kind == .processService }
        }
        return app.graph.startOrder.filter(wanted.contains).compactMap { app.manifest[$0] }
    }


    /// Creates a process for the process.lua `entry` of the current app and starts it on `host`.
    @discardableResult
    public func launch(_ entry: EntryID, host: String, arguments: [Payload], parent: PID?, monitor: Bool, link: Bool,
                       onFirstWait: (@Sendable () -> Void)? = nil,
                       onExit: (@Sendable (ProcessOutcome) -> Void)? = nil) throws(ProcessError) -> LuaProcess {
        try spawner.launch(entry, in: app.manifest, host: host, arguments: arguments, parent: parent, monitor: monitor,
                           link: link, onFirstWait: onFirstWait, onExit: onExit)
    }

    // MARK: - LuaServices

    public func spawn(entry: String, host: String, arguments: [Payload], parent: PID, monitor: Bool, link: Bool) throws(ProcessError) -> PID {
        guard let id = EntryID(entry) else { throw .invalid("\"\(entry)\" is not an entry ID (namespace:name)") }
        return try launch(id, host: host, arguments: arguments, parent: parent, monitor: monitor, link: link).pid
    }

    public func call(function: String, arguments: [Payload]) async -> Result<Payload, CallError> {
        guard let id = EntryID(function), let entry = app.manifest[id] else {
            return .failure(CallError("no function \"\(function)\""))
        }
        guard case let .functionLua(program, _, timeout) = entry.body else {
            return .failure(CallError("\(function) is a \(entry.kind.rawValue), not a function.lua"))
        }
        switch await calls.run(id, program: program, timeout: timeout, arguments: arguments) {
        case let .result(value): return .success(value)
        case let .failure(message): return .failure(CallError(message))
        }
    }

    public func registryEntry(_ id: String, at version: Int?) -> Result<Payload?, CallError> {
        let manifest = app.manifest
        return registry.state(version).map { RegistryStore.entry(id, in: $0, over: manifest) }
    }

    public func registryFind(_ criteria: [String: Payload], at version: Int?) -> Result<[Payload], CallError> {
        let manifest = app.manifest
        return registry.state(version).map { AppRegistry.find(criteria, in: RegistryStore.entries($0, over: manifest)) }
    }

    public func registryVersions() -> [Int] {
        registry.versions
    }

    public func registryApply(_ operations: [Payload]) -> Result<Int, CallError> {
        registry.apply(operations, over: app.manifest)
    }

    public func registryRevert(to version: Int) -> Result<Int, CallError> {
        registry.revert(to: version)
    }

    public func envGet(_ name: String) -> Result<String, CallError> {
        environment.get(name, in: app.manifest)
    }

    public func envSet(_ name: String, value: String) -> CallError? {
        environment.set(name, value: value, in: app.manifest)
    }

    public func envAll() -> [String: String] {
        environment.all(in: app.manifest)
    }

    public func system(_ query: String, argument: String?) -> Result<Payload, CallError> {
        switch query {
        case "runtime.processes": return .success(.int(Int64(table.count)))
        case "hosts.list":
            return .success(.array(hosts.keys.sorted().map { id in
                let kind = app.manifest[EntryID(id) ?? SystemNamespace.processes]?.kind.rawValue ?? EntryKind.processHost.rawValue
                return .object([("id", .string(id)), ("kind", .string(kind)), ("workers", .int(Int64(hosts[id]!.scheduler.threads.count)))])
            }))
        case "hosts.processes":
            guard let id = argument, let host = hosts[id] else { return .failure(CallError("NOT_FOUND: no host \(argument ?? "(none given)")")) }
            return .success(.array(host.processes.map { .string($0.description) }))
        case "supervisor.state":
            guard let id = argument, let runner = supervisor.runners.first(where: { $0.id.description == id }) else {
                return .failure(CallError("NOT_FOUND: no supervised service \(argument ?? "(none given)")"))
            }
            return .success(.object([("id", .string(id)), ("healthy", .bool(runner.isHealthy)),
                                     ("restarts", .int(Int64(runner.restarts.load(ordering: .relaxed))))]))
        case "modules":
            return .success(.array(Self.modules.map { .object([("name", .string($0.0)), ("description", .string($0.1))]) }))
        default:
            return .failure(CallError("INVALID: unknown system query \(query)"))
        }
    }

    /// The built-in modules, for `system.modules()`.
    static let modules = [
        ("json", "JSON encoding and decoding"), ("time", "time, durations, timers, tickers"), ("http", "the request and response of an HTTP handler"),
        ("pubsub", "messages in the seed's shape"), ("funcs", "calls of function.lua entries"), ("registry", "the app's entries, snapshots and change sets"),
        ("logger", "structured log lines"), ("events", "the event bus"), ("io", "the terminal of a terminal.host"),
        ("env", "env.variable values"), ("metrics", "counters, gauges and histograms"), ("system", "the runtime's state"),
    ]

    public func recordMetric(_ operation: String, name: String, value: Double, labels: [(String, String)]) -> CallError? {
        guard let metrics else { return nil }
        guard let kind = RuntimeMetrics.LuaOperation(rawValue: operation) else { return CallError("INVALID: unknown metric operation \(operation)") }
        return metrics.record(kind, name: name, value: value, labels: labels)
    }

    public func library(_ id: String) -> (id: String, program: LuaProgram)? {
        guard let entryID = EntryID(id), let entry = app.manifest[entryID],
              case let .libraryLua(program) = entry.body else { return nil }
        return (id, program)
    }
}
