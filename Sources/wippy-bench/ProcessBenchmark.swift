import CLua
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WippyGraph
import WippyManifest
import WippyProcess
import WippyRuntime

/// Spawn rate, memory per idle process, send→receive round trip and fan-out, measured on the real
/// runtime (bench/apps/processes) side by side with a bare Lua 5.4 state and the Erlang VM
/// (bench/peers/processes.erl, when `escript` is installed). Each of `runs` runs is a fresh OS
/// process (memory growth is only meaningful on a fresh heap); the table holds the medians.
struct ProcessBenchmark {
    var processes: Int
    var rounds: Int
    var runs: Int

    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Figures of one run, by side ("wippy", "bare", "erlang") and measurement.
    typealias Figures = [String: [String: Double]]

    func run() async throws {
        var all: [Figures] = []
        for _ in 0..<max(1, runs) {
            let text = try capture(CommandLine.arguments[0], ["processes", "--one-run", "--processes", "\(processes)",
                                                              "--rounds", "\(rounds)"])
            var figures: Figures = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 3, let value = Double(parts[2]) else { continue }
                figures[String(parts[0]), default: [:]][String(parts[1])] = value
            }
            all.append(figures)
        }
        func medians(_ side: String) -> [String: Double] {
            var result: [String: Double] = [:]
            for key in Set(all.flatMap { $0[side]?.keys.map { $0 } ?? [] }) {
                result[key] = median(all.compactMap { $0[side]?[key] })
            }
            return result
        }
        let ours = medians("wippy"), bare = medians("bare"), erlang = medians("erlang")
        print("### Processes\n")
        print("\(processes) processes spawned from Swift, each reporting to a collector once it waits on its inbox "
              + "(spawn rate; resident memory growth per process); \(rounds) send → receive → reply round trips "
              + "between two Lua processes; one message from a Lua process to each of the \(processes) and their "
              + "acknowledgements (fan-out). wippy's memory is resident-set growth; bare Lua 5.4 is `luaL_newstate` "
              + "with every library wippy offers opened at once, its memory Lua's own count (no malloc overhead), "
              + "its round trip a coroutine resume/yield pair; Erlang's memory is `erlang:memory(processes)` growth. "
              + "Median of \(all.count) runs, each a fresh OS process.\n")
        print("| measurement (\(processes) processes) | wippy | bare Lua 5.4 | Erlang | wippy vs Erlang |")
        print("|---|---|---|---|---|")
        row("spawn rate (processes/s, higher is better)", "spawn_per_sec", ours, bare, erlang, higherIsBetter: true)
        row("memory per idle process (bytes)", "bytes_per_idle_process", ours, bare, erlang, higherIsBetter: false)
        row("send→receive round trip (ns)", "round_trip_ns", ours, bare, erlang, higherIsBetter: false)
        row("fan-out, per recipient (ns)", "fanout_ns_per_recipient", ours, bare, erlang, higherIsBetter: false)
        print()
        let spawn = ours["spawn_per_sec"] ?? 0, memory = ours["bytes_per_idle_process"] ?? .infinity
        let roundTrip = ours["round_trip_ns"] ?? .infinity, fanOut = ours["fanout_ns_per_recipient"] ?? .infinity
        print(verdict("≥ 100,000 spawns/s", met: spawn >= 100_000, String(format: "%.0f/s", spawn)))
        print(verdict("≤ 3 KB per idle process", met: memory <= 3 * 1024, String(format: "%.2f KB", memory / 1024)))
        print(verdict("≤ 2 µs round trip", met: roundTrip <= 2_000, String(format: "%.2f µs", roundTrip / 1000)))
        print(verdict("≤ 1 µs per fan-out recipient", met: fanOut <= 1_000, String(format: "%.2f µs", fanOut / 1000)))
    }

    /// One run, in this OS process: prints `side measurement value` lines.
    func runOnce() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let app = CheckedApp(directory: Self.repository.appending(path: "bench/apps/processes").path, loader: try ManifestLoader())
        guard app.isValid else { throw BenchmarkError("bench app invalid: \(app.diagnostics)") }
        let runtime = AppRuntime(app: app, logger: logger)
        let group = ServiceGroup(configuration: .init(services: runtime.hosts.values.map { .init(service: $0) }, logger: logger))

        var figures: Figures = [:]
        // wippy first, on a fresh heap: its memory is resident-set growth, which pages freed by
        // earlier work would hide. The bare states' memory is Lua's own count, which they do not.
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            figures["wippy"] = try await measure(runtime)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        figures["bare"] = BareLua.measure(states: processes, rounds: rounds)
        figures["erlang"] = erlangFigures()
        for (side, values) in figures {
            for (key, value) in values { print("\(side) \(key) \(value)") }
        }
    }

    private func row(_ title: String, _ key: String, _ ours: [String: Double], _ bare: [String: Double],
                     _ erlang: [String: Double], higherIsBetter: Bool) {
        func show(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "n/a" }
        var ratio = "n/a"
        if let mine = ours[key], let theirs = erlang[key], mine > 0, theirs > 0 {
            let factor = higherIsBetter ? mine / theirs : theirs / mine
            ratio = String(format: "%.2f× %@", factor, factor >= 1 ? "(better)" : "(worse)")
        }
        print("| \(title) | \(show(ours[key])) | \(show(bare[key])) | \(show(erlang[key])) | \(ratio) |")
    }

    private func measure(_ runtime: AppRuntime) async throws -> [String: Double] {
        var figures: [String: Double] = [:]
        let collector = MessageCounter(pid: runtime.table.makePID(host: "bench"))
        runtime.table.add(collector)

        // Spawn N idle processes; each reports "up" once it runs and waits.
        let rssBefore = residentBytes()
        let start = ContinuousClock.now
        var pids: [PID] = []
        for _ in 0..<processes {
            pids.append(try runtime.launch(EntryID("bench:idle")!, host: "system:processes",
                                           arguments: [.string(collector.pid.description)],
                                           parent: nil, monitor: false, link: false).pid)
        }
        await collector.wait(for: processes)
        let spawned = ContinuousClock.now - start
        figures["spawn_per_sec"] = Double(processes) / spawned.seconds
        figures["bytes_per_idle_process"] = Double(residentBytes() - rssBefore) / Double(processes)

        // Fan-out: one process sends one message to each; each acknowledges to the collector.
        let fanStart = ContinuousClock.now
        try runtime.launch(EntryID("bench:broadcaster")!, host: "system:processes",
                           arguments: [.array(pids.map { .string($0.description) })], parent: nil, monitor: false, link: false)
        await collector.wait(for: 2 * processes)
        figures["fanout_ns_per_recipient"] = (ContinuousClock.now - fanStart).seconds * 1e9 / Double(processes)
        for pid in pids { try? runtime.table.send(to: pid, Message(from: nil, topic: "stop", payload: .null)) }
        while runtime.table.count > 1 { try await Task.sleep(for: .milliseconds(1)) }

        // Round trip between two Lua processes.
        let outcome = AsyncStream.makeStream(of: ProcessOutcome.self)
        try runtime.launch(EntryID("bench:pinger")!, host: "system:processes", arguments: [.int(Int64(rounds))],
                           parent: nil, monitor: false, link: false, onExit: { outcome.continuation.yield($0) })
        for await result in outcome.stream {
            if case let .result(value) = result, case let .double(ns) = value { figures["round_trip_ns"] = ns }
            if case let .result(value) = result, case let .int(ns) = value { figures["round_trip_ns"] = Double(ns) }
            break
        }
        return figures
    }

    /// The Erlang peer's figures, or none when `escript` is missing.
    private func erlangFigures() -> [String: Double] {
        let script = Self.repository.appending(path: "bench/peers/processes.erl").path
        guard let text = try? capture("escript", [script, String(processes), String(rounds)]) else { return [:] }
        var figures: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { figures[String(parts[0])] = value }
        }
        return figures
    }
}

/// The floor: plain Lua states with every standard library wippy offers, and a coroutine switch.
enum BareLua {
    static func measure(states count: Int, rounds: Int) -> [String: Double] {
        var figures: [String: Double] = [:]
        let start = ContinuousClock.now
        var states: [OpaquePointer] = []
        var bytes = 0
        for _ in 0..<count {
            let L = luaL_newstate()!
            for (name, open) in [("_G", luaopen_base), ("string", luaopen_string), ("table", luaopen_table),
                                 ("math", luaopen_math), ("utf8", luaopen_utf8), ("coroutine", luaopen_coroutine),
                                 ("os", luaopen_os)] as [(String, lua_CFunction)] {
                luaL_requiref(L, name, open, 1)
                wippy_pop(L, 1)
            }
            bytes += Int(wippy_memory_bytes(L))
            states.append(L)
        }
        figures["spawn_per_sec"] = Double(count) / (ContinuousClock.now - start).seconds
        figures["bytes_per_idle_process"] = Double(bytes) / Double(count)
        // A resume/yield pair inside one state: the cheapest possible switch.
        let L = states[0]
        let code = "local co = coroutine.wrap(function() while true do coroutine.yield() end end) for i = 1, \(rounds) do co() end"
        _ = wippy_loadbuffer(L, code, code.utf8.count, "=bench")
        let switchStart = ContinuousClock.now
        _ = lua_pcallk(L, 0, 0, 0, 0, nil)
        figures["round_trip_ns"] = (ContinuousClock.now - switchStart).seconds * 1e9 / Double(rounds)
        for state in states { lua_close(state) }
        return figures
    }
}

/// Resident set size of this process, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}
