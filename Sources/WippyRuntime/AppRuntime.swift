import Foundation
import Logging
import Synchronization
import ServiceLifecycle
import WippyHTTP
import WippyGraph
import WippyLua
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
    public let table = ProcessTable()
    public let hosts: [String: ProcessHostService]
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
    /// Warm instances per function.lua, for HTTP handlers and `funcs.call`.
    let pools: Mutex<[EntryID: FunctionInstances]>
    /// The threads function calls run on.
    let functions = LuaScheduler(name: "functions")
    /// Function calls (HTTP handlers, `funcs.call`) running now.
    private let calls = Mutex<[PID: LuaProcess]>([:])
    private let clock: any ServiceClock

    /// - Parameters:
    ///   - clock: the supervisor's clock (tests pass a manual one).
    ///   - limits: byte limits of processes, messages and mailboxes.
    ///   - address: listen address for the built-in `system:http` (`--addr`, `WIPPY_ADDR`).
    ///   - tls: certificate and key for the built-in `system:http` (`--tls-cert`, `--tls-key`).
    public init(app: CheckedApp, logger: Logger, limits: RuntimeLimits = RuntimeLimits(), clock: any ServiceClock = SystemServiceClock(),
                address: String? = nil, tls: TLSFiles? = nil) {
        self.current = Mutex(app)
        self.clock = clock
        self.logger = logger
        self.limits = limits
        let table = self.table
        self.luaContext = LuaContext(table: table, logger: logger, limits: limits)
        var hosts: [String: ProcessHostService] = [:]
        for entry in app.manifest.sortedEntries where entry.kind == .processHost {
            guard case let .processHost(settings) = entry.body else { continue }
            hosts[entry.id.description] = ProcessHostService(id: entry.id.description, table: table,
                                                             stopTimeout: settings.lifecycle.stopTimeout,
                                                             workers: settings.workers, logger: logger)
        }
        self.hosts = hosts
        self.pools = Mutex(Self.makePools(app.manifest.sortedEntries))
        let handle = Handler()
        self.supervisor = Supervisor(logger: logger) {
            handle.runtime?.servers.forEach { $0.markStopping() }
            // Handlers get what a service gets to return (the default stop_timeout), then end.
            Task { [weak runtime = handle.runtime] in await runtime?.stopCalls(after: Lifecycle().stopTimeout) }
        }
        self.systemAddress = address
        self.systemTLS = tls
        self.serverSet = ServerSet(logger: logger)
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
        return HTTPServerService(id: entry.id, address: listen, maxBodySize: service.maxBodySize, tls: tls, routes: routes, processes: table, logger: logger, health: {
            [weak self] in
            let health = self?.supervisor.health ?? .stopping
            return (health.isHealthy, health.json)
        }) { [weak self] route, exchange in
            await self?.handle(route, exchange) ?? .failure(.init("the runtime is gone"))
        }
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

    deinit {
        functions.shutdown()
    }

    /// One pool per function.lua: `pool.workers` (or `max_size`) idle instances at most, else two
    /// per core.
    static func makePools(_ entries: [Entry]) -> [EntryID: FunctionInstances] {
        var pools: [EntryID: FunctionInstances] = [:]
        for entry in entries {
            guard case let .functionLua(program, pool, _) = entry.body else { continue }
            let capacity = pool.workers ?? pool.maxSize ?? 2 * AvailableCores.count
            pools[entry.id] = FunctionInstances(program: program, capacity: capacity)
        }
        return pools
    }

    /// Runs a function.lua once, as a short-lived process of its own (own PID, inbox) on a warm
    /// instance of the function's pool, on the instance's thread (a new instance goes to the next
    /// function thread). A call that started before a reload changed the code (its route was
    /// matched earlier) runs the code it started with.
    ///
    /// A call that runs longer than `timeout`, or whose HTTP client went away, is terminated; so
    /// are the calls still running `stop_timeout` after a graceful stop began (``stopCalls(after:)``).
    private func runFunction(_ id: EntryID, program: LuaProgram, timeout: Duration, arguments: [Payload],
                             exchange: HTTPExchange? = nil) async -> ProcessOutcome {
        let pool = pools.withLock { $0[id] }.flatMap { $0.program.hasSameCode(as: program) ? $0 : nil }
        let instance = pool?.take()
        let process = LuaProcess(pid: table.makePID(host: id.description), entryID: id.description, program: program,
                                 arguments: arguments, context: luaContext, thread: instance?.thread ?? functions.place(),
                                 pool: pool, instance: instance)
        process.exchange = exchange
        table.add(process)
        calls.withLock { $0[process.pid] = process }
        let guardian = Task { [weak process] in await Self.watch(process, id: id, timeout: timeout, exchange: exchange) }
        defer {
            guardian.cancel()
            _ = calls.withLock { $0.removeValue(forKey: process.pid) }
        }
        return await withCheckedContinuation { continuation in
            process.start { continuation.resume(returning: $0) }
        }
    }

    /// Terminates `process` when its time is up or its client left (checked every second).
    private static func watch(_ process: LuaProcess?, id: EntryID, timeout: Duration, exchange: HTTPExchange?) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do { try await Task.sleep(for: min(.seconds(1), deadline - ContinuousClock.now)) } catch { return }
            if let exchange, await !exchange.clientConnected() {
                process?.terminate(reason: "terminated: the client went away")
                return
            }
        }
        process?.terminate(reason: "terminated: \(id) ran longer than its time limit of \(timeout) (meta.options.timeout)")
    }

    /// Terminates every function call still running after `grace` (a graceful stop began).
    func stopCalls(after grace: Duration) async {
        try? await Task.sleep(for: grace)
        for process in calls.withLock({ Array($0.values) }) {
            process.terminate(reason: "terminated: the server is stopping")
        }
    }

    /// Runs the route's function.lua for one request.
    func handle(_ route: RouteTable.Route, _ exchange: HTTPExchange) async -> Result<Void, HTTPServerService.HandlerFailure> {
        if case let .failure(message) = await runFunction(route.function, program: route.program, timeout: route.timeout,
                                                          arguments: [], exchange: exchange) {
            return .failure(.init(message))
        }
        return .success(())
    }

    /// Services for a `ServiceGroup`, in start order: hosts, HTTP servers, the supervisor. A graceful
    /// shutdown runs in reverse: services get CANCEL and stop (relays whose target ends close with
    /// 1001), then servers close the remaining sockets (1001) and stop listening, then hosts stop.
    public var services: [any Service] {
        hosts.keys.sorted().map { hosts[$0]! } + [serverSet, supervisor]
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


    /// Creates a process for the process.lua `entry` and starts it on `host`.
    @discardableResult
    public func launch(_ entry: EntryID, host: String, arguments: [Payload], parent: PID?, monitor: Bool, link: Bool,
                       onFirstWait: (@Sendable () -> Void)? = nil,
                       onExit: (@Sendable (ProcessOutcome) -> Void)? = nil) throws(ProcessError) -> LuaProcess {
        guard let code = app.manifest[entry] else { throw .notFound("entry \(entry)") }
        guard case let .processLua(program) = code.body else {
            throw .invalid("\(entry) is a \(code.kind.rawValue), not a process.lua")
        }
        guard let hostService = hosts[host] else { throw .notFound("host \(host)") }
        let process = LuaProcess(pid: table.makePID(host: host), entryID: entry.description, program: program,
                                 arguments: arguments, context: luaContext, thread: hostService.scheduler.place())
        process.onFirstWait = onFirstWait
        // Captures little (references only): this closure lives as long as the process.
        let context = luaContext
        table.add(process) { outcome in
            if case let .failure(message) = outcome, onExit == nil {
                context.logger.warning("process \(process.pid) (\(process.entryID)) failed: \(message)")
            }
            onExit?(outcome)
        }
        if let parent {
            if monitor { try table.monitor(process.pid, by: parent) }
            if link { try table.link(process.pid, parent) }
        }
        guard hostService.start(process) else {
            table.exited(process.pid, outcome: .failure("host \(host) is stopping"))
            throw .invalid("host \(host) is stopping")
        }
        return process
    }

    // MARK: - LuaServices

    public func spawn(entry: String, host: String, arguments: [Payload], parent: PID, monitor: Bool, link: Bool) throws(ProcessError) -> PID {
        guard let id = EntryID(entry) else { throw .invalid("\"\(entry)\" is not an entry ID (namespace:name)") }
        return try launch(id, host: host, arguments: arguments, parent: parent, monitor: monitor, link: link).pid
    }

    public func call(function: String, arguments: [Payload], caller: PID) async -> Result<Payload, CallError> {
        guard let id = EntryID(function), let entry = app.manifest[id] else {
            return .failure(CallError("no function \"\(function)\""))
        }
        guard case let .functionLua(program, _, timeout) = entry.body else {
            return .failure(CallError("\(function) is a \(entry.kind.rawValue), not a function.lua"))
        }
        switch await runFunction(id, program: program, timeout: timeout, arguments: arguments) {
        case let .result(value): return .success(value)
        case let .failure(message): return .failure(CallError(message))
        }
    }

    public func registryEntry(_ id: String) -> Payload? {
        guard let entryID = EntryID(id), let entry = app.manifest[entryID] else { return nil }
        return Self.describe(entry)
    }

    public func registryFind(_ criteria: [String: Payload]) -> [Payload] {
        app.manifest.sortedEntries.map(Self.describe).filter { entry in
            criteria.allSatisfy { key, wanted in Self.value(at: key, in: entry) == wanted }
        }
    }

    public func library(_ id: String) -> (id: String, program: LuaProgram)? {
        guard let entryID = EntryID(id), let entry = app.manifest[entryID],
              case let .libraryLua(program) = entry.body else { return nil }
        return (id, program)
    }

    /// `{id=, namespace=, name=, kind=, meta=, data=}`; data = the entry's own fields.
    static func describe(_ entry: Entry) -> Payload {
        let data = (entry.node.members ?? []).filter { !["name", "kind", "meta"].contains($0.key) }
        return .object([
            ("id", .string(entry.id.description)), ("namespace", .string(entry.id.namespace)),
            ("name", .string(entry.id.name)), ("kind", .string(entry.kind.rawValue)),
            ("meta", Payload(entry.meta)), ("data", Payload(Node(.object(data)))),
        ])
    }

    /// The value at a dotted path (`meta.type`) of a described entry.
    static func value(at path: String, in payload: Payload) -> Payload? {
        var current: Payload? = payload
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }
}
