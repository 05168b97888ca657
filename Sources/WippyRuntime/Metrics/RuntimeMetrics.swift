import CoreMetrics
import Foundation
import Prometheus
import Synchronization
import WippyCluster
import WippyHTTP
import WippyLua
import WippyProcess

/// The runtime's metrics and those Lua code records (`metrics` module), through swift-metrics
/// into a Prometheus registry of this runtime's own; exposed in the Prometheus text format by
/// ``MetricsServer`` (docs/observability.md). A runtime without metrics has none of this and
/// records nothing.
///
/// Values the runtime already keeps (live processes, spawn and exit totals, service restarts) are
/// sampled at each scrape rather than counted twice. Lua series are bounded (names, label names
/// and count), and a name keeps its kind and label names: a mismatch is an error value, never a
/// crash of the registry.
public final class RuntimeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let lua = Mutex(LuaSeries())
    /// The handles of each route and status; the route is held, so that its identity is not
    /// reused while it is a key (emptied when it grows past 10,000: reloads make new routes).
    private let http = Mutex([HTTPSeries: (route: RouteTable.Route, requests: CoreMetrics.Counter, duration: CoreMetrics.Timer)]())
    private let sampled = Mutex(Sampled())

    /// Most series (a name with one set of label values) Lua code may make.
    static let maximumLuaSeries = 1000
    static let maximumLabels = 16
    static let maximumTextLength = 128

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
            .map { Duration.nanoseconds(Int64($0 * 1e9)) }
        factory.defaultValueHistogramBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        factory.valueHistogramBuckets["wippy_mailbox_depth"] = [0, 1, 4, 16, 64, 256, 1024, 4096, 16384]
        self.factory = factory
        SchedulerThread.measuring.store(true, ordering: .relaxed)
        HTTPStatistics.measuring.store(true, ordering: .relaxed)
        ClusterStatistics.measuring.store(true, ordering: .relaxed)
    }

    // MARK: - HTTP

    /// A route (by identity: no text hashed per request) and a status. The route object lives
    /// as long as its table; a reload that replaces it makes a new key for the same labels.
    private struct HTTPSeries: Hashable {
        let route: ObjectIdentifier
        let status: Int
    }

    /// Requests answered by handlers so far (for `wippy top`'s rate).
    private let requests = Atomic<Int>(0)

    /// One request answered by a handler: counted by endpoint entry, method and status, timed by
    /// endpoint (labels come from the manifest, never from the raw path).
    func request(route: RouteTable.Route, status: Int, duration: Duration) {
        requests.add(1, ordering: .relaxed)
        let key = HTTPSeries(route: ObjectIdentifier(route), status: status)
        let series = http.withLock { series in
            if let known = series[key] { return known }
            if series.count >= 10_000 { series.removeAll() }
            let labels = [("router", route.router.description), ("endpoint", route.endpoint.description), ("method", route.method)]
            let made = (route: route,
                        requests: CoreMetrics.Counter(label: "wippy_http_requests_total", dimensions: labels + [("status", String(status))],
                                                       factory: factory),
                        duration: CoreMetrics.Timer(label: "wippy_http_request_duration_seconds", dimensions: labels, factory: factory))
            series[key] = made
            return made
        }
        series.requests.increment()
        series.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    // MARK: - Hot reload

    /// A reload (`--watch`): applied, or refused (the app was invalid); timed from reading the
    /// files to the new app running.
    func reload(applied: Bool, duration: Duration) {
        let outcome = applied ? "applied" : "refused"
        CoreMetrics.Counter(label: "wippy_reloads_total", dimensions: [("outcome", outcome)], factory: factory).increment()
        CoreMetrics.Timer(label: "wippy_reload_duration_seconds", dimensions: [("outcome", outcome)], factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    // MARK: - Lua

    /// What a Lua call records.
    public enum LuaOperation: String, Sendable {
        case counterAdd = "counter", gaugeAdd = "gauge", gaugeSet = "gauge_set", histogram
    }

    private enum LuaKind: Equatable {
        case counter, gauge, histogram
    }

    private enum LuaHandle {
        case counter(FloatingPointCounter)
        case gauge(Meter)
        case histogram(Recorder)
    }

    private struct LuaSeries {
        /// Each name's kind and label names, fixed by its first use.
        var families: [String: (kind: LuaKind, labels: [String])] = [:]
        var series: [String: LuaHandle] = [:]
    }

    /// Records one Lua metric update; nil, or why not (a message that starts with its kind).
    func record(_ operation: LuaOperation, name: String, value: Double, labels: [(String, String)]) -> CallError? {
        guard Self.isMetricName(name) else {
            return CallError("INVALID: \"\(name.prefix(Self.maximumTextLength))\" is not a metric name (letters, digits, _ and :, not starting with a digit)")
        }
        guard !name.hasPrefix("wippy_") else { return CallError("INVALID: metric names starting with wippy_ are the runtime's own") }
        guard value.isFinite else { return CallError("INVALID: \(name): the value must be a finite number") }
        let labels = labels.sorted { $0.0 < $1.0 }
        guard labels.count <= Self.maximumLabels else { return CallError("INVALID: \(name): at most \(Self.maximumLabels) labels") }
        for (label, text) in labels {
            guard Self.isLabelName(label) else { return CallError("INVALID: \(name): \"\(label.prefix(Self.maximumTextLength))\" is not a label name") }
            guard text.utf8.count <= Self.maximumTextLength else {
                return CallError("INVALID: \(name): the value of label \(label) is longer than \(Self.maximumTextLength) bytes")
            }
        }
        let kind: LuaKind
        switch operation {
        case .counterAdd:
            guard value >= 0 else { return CallError("INVALID: \(name): a counter only goes up (got \(value))") }
            kind = .counter
        case .gaugeAdd, .gaugeSet: kind = .gauge
        case .histogram: kind = .histogram
        }
        let key = ([name] + labels.flatMap { [$0.0, $0.1] }).joined(separator: "\u{0}")
        let handle = lua.withLock { state -> Result<LuaHandle, CallError> in
            let names = labels.map(\.0)
            if let family = state.families[name] {
                guard family.kind == kind else { return .failure(CallError("INVALID: \(name) is a \(family.kind), not a \(kind)")) }
                guard family.labels == names else {
                    return .failure(CallError("INVALID: \(name) has the labels [\(family.labels.joined(separator: ", "))], not [\(names.joined(separator: ", "))]"))
                }
            }
            if let handle = state.series[key] { return .success(handle) }
            guard state.series.count < Self.maximumLuaSeries else {
                return .failure(CallError("RATE_LIMITED: Lua code made \(Self.maximumLuaSeries) metric series already (name and label values); \(name) gets no new one"))
            }
            state.families[name] = (kind, names)
            let handle: LuaHandle
            switch kind {
            case .counter: handle = .counter(FloatingPointCounter(label: name, dimensions: labels, factory: factory))
            case .gauge: handle = .gauge(Meter(label: name, dimensions: labels, factory: factory))
            case .histogram: handle = .histogram(Recorder(label: name, dimensions: labels, aggregate: true, factory: factory))
            }
            state.series[key] = handle
            return .success(handle)
        }
        switch handle {
        case let .failure(error): return error
        case let .success(.counter(counter)): counter.increment(by: value)
        case let .success(.gauge(meter)):
            if operation == .gaugeSet { meter.set(value) } else if value >= 0 { meter.increment(by: value) } else { meter.decrement(by: -value) }
        case let .success(.histogram(recorder)): recorder.record(value)
        }
        return nil
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= maximumTextLength, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") || isAlphanumeric($0) }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= maximumTextLength, !name.hasPrefix("__"),
              !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isAlphanumeric($0) }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    // MARK: - Sampled at each scrape

    /// What the runtime keeps anyway, as the last scrape saw it (counters move by the difference).
    private struct Sampled {
        var meters: [String: Meter] = [:]
        var counters: [String: CoreMetrics.Counter] = [:]
        /// Totals the counters were last moved to, by series.
        var totals: [String: Int] = [:]
    }

    /// What the runtime looks like now, for the exposition and for `wippy top` (`/status`).
    struct Snapshot {
        var hosts: [(id: String, processes: Int)]
        /// Each scheduler thread: its host (or event loop), its queue, busy time and Lua state.
        var threads: [(host: String, thread: String, queued: Int, busyNanoseconds: UInt64, stateBytes: Int)]
        var services: [(id: String, up: Bool, restarts: Int, gaveUp: Bool)]
        var relays: [(server: String, statistics: RelayStatistics)]
        var responses: [(server: String, statistics: HTTPStatistics)]
        /// Bytes queued for browsers, by server.
        var queuedBytes: [(server: String, bytes: Int)]
        var mailboxes: (top: [(pid: PID, entry: String, depth: Int)], deepest: Int, waiting: Int, depths: [Int])
        /// In a cluster: live nodes, bytes waiting to go to them, and what was sent and received.
        var cluster: (nodes: Int, queuedBytes: Int, totals: ClusterStatistics.Totals)?
    }

    /// `/status`: the snapshot as one JSON object (not a Prometheus format: a view for `wippy top`).
    func status(table: ProcessTable, _ snapshot: Snapshot) -> [UInt8] {
        let status = Payload.object([
            ("processes", .int(Int64(table.totals.alive))),
            ("requests", .int(Int64(requests.load(ordering: .relaxed)))),
            ("hosts", .array(snapshot.hosts.map { .object([("id", .string($0.id)), ("processes", .int(Int64($0.processes)))]) })),
            ("services", .array(snapshot.services.map {
                .object([("id", .string($0.id)), ("up", .bool($0.up)), ("restarts", .int(Int64($0.restarts)))])
            })),
            ("connections", .array(snapshot.relays.map { relay in
                let (connections, framesIn, framesOut) = relay.statistics.snapshot
                let open = connections.opened - connections.closed.values.reduce(0, +)
                return .object([("server", .string(relay.server)), ("open", .int(Int64(open))),
                                ("frames_in", .int(Int64(framesIn))), ("frames_out", .int(Int64(framesOut)))])
            })),
            ("mailboxes", .array(snapshot.mailboxes.top.map {
                .object([("pid", .string($0.pid.description)), ("entry", .string($0.entry)), ("depth", .int(Int64($0.depth)))])
            })),
        ])
        return Array(status.json.utf8)
    }

    /// The exposition: the runtime's state now, then every series.
    func exposition(table: ProcessTable, _ snapshot: Snapshot) -> [UInt8] {
        let (services, relays) = (snapshot.services, snapshot.relays)
        return sampled.withLock { state in
            func meter(_ name: String, _ labels: [(String, String)] = []) -> Meter {
                let key = ([name] + labels.map(\.1)).joined(separator: "\u{0}")
                if let known = state.meters[key] { return known }
                let made = Meter(label: name, dimensions: labels, factory: factory)
                state.meters[key] = made
                return made
            }
            func counter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
                let key = ([name] + labels.map(\.1)).joined(separator: "\u{0}")
                if let known = state.counters[key] { return known }
                let made = CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
                state.counters[key] = made
                return made
            }
            /// Moves a counter up to `total` (what the runtime counted since it started).
            func raise(_ counter: CoreMetrics.Counter, to total: Int, key: String) {
                let seen = state.totals[key] ?? 0
                if total > seen { counter.increment(by: Int64(total - seen)) }
                state.totals[key] = max(seen, total)
            }
            let totals = table.totals
            meter("wippy_processes").set(totals.alive)
            raise(counter("wippy_processes_spawned_total"), to: totals.spawned, key: "spawned")
            raise(counter("wippy_processes_exited_total", [("outcome", "result")]), to: totals.returned, key: "returned")
            raise(counter("wippy_processes_exited_total", [("outcome", "failure")]), to: totals.failed, key: "failed")
            for host in snapshot.hosts { meter("wippy_host_processes", [("host", host.id)]).set(host.processes) }
            for thread in snapshot.threads {
                let labels = [("host", thread.host), ("thread", thread.thread)]
                meter("wippy_scheduler_queue_length", labels).set(thread.queued)
                meter("wippy_lua_memory_bytes", labels).set(thread.stateBytes)
                let key = "busy \(thread.host) \(thread.thread)"
                let seen = UInt64(state.totals[key] ?? 0)
                if thread.busyNanoseconds > seen {
                    let seconds = FloatingPointCounter(label: "wippy_scheduler_busy_seconds_total", dimensions: labels, factory: factory)
                    seconds.increment(by: Double(thread.busyNanoseconds - seen) / 1e9)
                    state.totals[key] = Int(thread.busyNanoseconds)
                }
            }
            meter("wippy_mailbox_depth_max").set(snapshot.mailboxes.deepest)
            let depths = Recorder(label: "wippy_mailbox_depth", dimensions: [], aggregate: true, factory: factory)
            for depth in snapshot.mailboxes.depths { depths.record(depth) }
            meter("wippy_mailbox_messages").set(snapshot.mailboxes.waiting)
            for service in services {
                meter("wippy_service_up", [("service", service.id)]).set(service.up ? 1 : 0)
                raise(counter("wippy_service_restarts_total", [("service", service.id)]), to: service.restarts,
                      key: "restarts \(service.id)")
                raise(counter("wippy_service_give_ups_total", [("service", service.id)]), to: service.gaveUp ? 1 : 0,
                      key: "gave up \(service.id)")
            }
            for (server, statistics) in snapshot.responses {
                for (status, count) in statistics.responses {
                    raise(counter("wippy_http_responses_total", [("server", server), ("status", String(status))]), to: count,
                          key: "responses \(server) \(status)")
                }
            }
            for (server, bytes) in snapshot.queuedBytes { meter("wippy_relay_queued_bytes", [("server", server)]).set(bytes) }
            for (server, statistics) in relays {
                let (connections, framesIn, framesOut) = statistics.snapshot
                let closed = connections.closed.values.reduce(0, +)
                meter("wippy_relay_connections", [("server", server)]).set(connections.opened - closed)
                raise(counter("wippy_relay_connections_opened_total", [("server", server)]), to: connections.opened,
                      key: "opened \(server)")
                for (code, count) in connections.closed {
                    raise(counter("wippy_relay_connections_closed_total", [("server", server), ("code", String(code))]), to: count,
                          key: "closed \(server) \(code)")
                }
                raise(counter("wippy_relay_frames_total", [("server", server), ("direction", "in")]), to: framesIn, key: "in \(server)")
                raise(counter("wippy_relay_frames_total", [("server", server), ("direction", "out")]), to: framesOut, key: "out \(server)")
            }
            if let cluster = snapshot.cluster {
                meter("wippy_cluster_nodes").set(cluster.nodes)
                meter("wippy_cluster_queued_bytes").set(cluster.queuedBytes)
                let totals = cluster.totals
                for (name, direction, total) in [("wippy_cluster_frames_total", "out", totals.framesOut),
                                                 ("wippy_cluster_frames_total", "in", totals.framesIn),
                                                 ("wippy_cluster_batches_total", "out", totals.batchesOut),
                                                 ("wippy_cluster_batches_total", "in", totals.batchesIn)] {
                    raise(counter(name, [("direction", direction)]), to: total, key: "\(name) \(direction)")
                }
                raise(counter("wippy_cluster_mail_total"), to: totals.mailOut, key: "cluster mail")
                raise(counter("wippy_cluster_nodes_lost_total"), to: totals.nodesLost, key: "cluster lost")
            }
            return registry.emitToBuffer()
        }
    }
}
