import Logging
import WippyGraph
import WippyHTTP
import WippyLua
import WippyManifest

extension AppRuntime {
    /// What one reload did, for its log line.
    public struct ReloadReport: Sendable, CustomStringConvertible {
        public var diff: AppDiff
        public var restarted: [EntryID] = []
        public var started: [EntryID] = []
        public var stopped: [EntryID] = []
        /// Changes that take effect only after `wippy run` restarts.
        public var needsRestart: [EntryID] = []
        public var duration: Duration = .zero

        public var description: String {
            var parts = [diff.summary]
            func list(_ ids: [EntryID]) -> String { ids.map(\.description).joined(separator: ", ") }
            if !restarted.isEmpty { parts.append("restarted \(list(restarted))") }
            if !started.isEmpty { parts.append("started \(list(started))") }
            if !stopped.isEmpty { parts.append("stopped \(list(stopped))") }
            if !needsRestart.isEmpty { parts.append("not applied until restart: \(list(needsRestart))") }
            let ms = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
            return "reloaded in \(String(format: "%.1f", ms)) ms: " + parts.joined(separator: "; ")
        }
    }

    /// Applies a new, valid version of the app, touching only what changed: function pools and
    /// route tables are swapped (requests in flight finish on the old code); listeners start,
    /// stop or rebind as their `http.service` entries come, go or move; services whose
    /// entry, code (or imported libraries), or required services changed restart gracefully, in
    /// dependency order; removed services stop and added ones start. Unchanged services keep
    /// running, with their PIDs.
    public func reload(to new: CheckedApp) async -> ReloadReport {
        let began = ContinuousClock.now
        let old = app
        var report = ReloadReport(diff: AppDiff(from: old.manifest, to: new.manifest))
        guard !report.diff.isEmpty else { return report }
        let diff = report.diff
        current.withLock { $0 = new }

        // Functions: a new pool for new or changed code; the old pool's states are dropped.
        let functions = new.manifest.sortedEntries.filter {
            $0.kind == .functionLua && (diff.added.contains($0.id) || diff.changed.contains($0.id) || diff.codeChanged.contains($0.id))
        }
        calls.replacePools(removed: diff.removed, changed: functions)
        // Listeners: each keeps listening with its new route table (swapped at once), unless its
        // http.service was removed (stops), added (starts) or got a new address (rebinds).
        var listeners: [EntryID: HTTPServerService] = [:]
        for entry in new.manifest.sortedEntries {
            if let server = makeServer(entry, in: new.manifest) { listeners[entry.id] = server }
        }
        for server in servers where listeners[server.id] == nil {
            await serverSet.remove(server.id)
            report.stopped.append(server.id)
        }
        for (id, server) in listeners.sorted(by: { $0.key < $1.key }) {
            if let running = serverSet.server(id) {
                if running.address == server.address {
                    running.replaceRoutes(RouteTable(manifest: new.manifest, server: id))
                    continue
                }
                await serverSet.remove(id)
                report.restarted.append(id)
            } else {
                report.started.append(id)
            }
            serverSet.add(server, critical: false)
        }

        // Services.
        let wanted = Self.servicesToStart(new)
        let running = Dictionary(uniqueKeysWithValues: supervisor.runners.map { ($0.id, $0) })
        var restart = Set<EntryID>()
        for entry in wanted where running[entry.id] != nil {
            guard case let .processService(service) = entry.body else { continue }
            if diff.changed.contains(entry.id) || diff.codeChanged.contains(service.process.target)
                || diff.changed.contains(service.process.target)
                || service.lifecycle.requires.contains(where: { restart.contains($0.target) }) {
                restart.insert(entry.id)  // `wanted` is in start order, so requirements come first
            }
        }
        let wantedIDs = Set(wanted.map(\.id))
        let stopping = supervisor.runners.reversed().filter { !wantedIDs.contains($0.id) || restart.contains($0.id) }
        var starting: [ServiceRunner] = []
        let all = wanted.compactMap { entry -> ServiceRunner? in
            if let runner = running[entry.id], !restart.contains(entry.id) { return runner }
            guard let runner = makeRunner(entry) else { return nil }
            starting.append(runner)
            return runner
        }
        await supervisor.apply(stopping: stopping, restarting: restart, starting: starting, all: all)
        report.restarted += wanted.map(\.id).filter(restart.contains)
        report.started += starting.map(\.id).filter { !restart.contains($0) }
        report.stopped += stopping.map(\.id).filter { !restart.contains($0) }

        // Hosts (their worker threads) are set up once, at start.
        report.needsRestart = diff.added.union(diff.changed).filter { new.manifest[$0].map { EntryKind.hosts.contains($0.kind) } ?? false }
            .union(diff.removed.filter { old.manifest[$0].map { EntryKind.hosts.contains($0.kind) } ?? false }).sorted()
        report.duration = ContinuousClock.now - began
        return report
    }
}
