import Benchmark
import CLua
import Foundation
import Logging
import ServiceLifecycle
import WippyGraph
import WippyHTTP
@_spi(Benchmarks) import WippyLua
import WippyManifest
import WippyProcess
import WippyRuntime

// Micro-benchmarks of the hot paths, with malloc counts (`swift package benchmark`): the counts
// do not drift with machine noise, so a change that allocates more shows in every run. Set-up
// (a Lua state, a message) happens before `startMeasurement()`: only the loop is counted.

/// A chat broadcast's payload, as the seed's hub sends it to every client.
let chatPayload: Payload = .object([("from", .string("Anonymous")), ("message", .string("hello, everyone in the room")),
                                    ("timestamp", .int(1_764_000_000))])
/// A request-like table for the handler call.
let request: Payload = .object([("user", .string("ana")), ("items", .array([.int(1), .int(2), .int(3)]))])

/// The runtime with `bench/apps/processes` (ponger and handler), started once for all benchmarks.
final class Fixture: Sendable {
    static let shared = try! Fixture()

    let runtime: AppRuntime
    let replies: MessageCounter
    let ponger: PID

    init() throws {
        let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var logger = Logger(label: "micro")
        logger.logLevel = .error
        let app = CheckedApp(directory: repository.appending(path: "bench/apps/processes").path, loader: try ManifestLoader())
        runtime = AppRuntime(app: app, logger: logger)
        let group = ServiceGroup(configuration: .init(services: runtime.hosts.values.map { .init(service: $0) }, logger: logger))
        Task { try await group.run() }
        replies = MessageCounter(pid: runtime.table.makePID(host: "micro"))
        runtime.table.add(replies)
        ponger = try runtime.launch(EntryID("bench:ponger")!, host: "system:processes", arguments: [.string(replies.pid.description)],
                                    parent: nil, monitor: false, link: false).pid
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput],
                                           maxDuration: .seconds(2), maxIterations: 100_000)

    // The deep copy of a message on send: a Lua table read into a payload...
    Benchmark("payload: Lua table → payload") { benchmark in
        let L = luaL_newstate()!
        defer { lua_close(L) }
        LuaBridge.push(chatPayload, L)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try LuaBridge.payload(at: -1, L))
        }
    }

    // ... and pushed into the receiving process's state.
    Benchmark("payload: payload → Lua table") { benchmark in
        let L = luaL_newstate()!
        defer { lua_close(L) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            LuaBridge.push(chatPayload, L)
            lua_settop(L, 0)
        }
    }

    // Swift → Lua process (inbox:receive) → process.send back → Swift: two sends, two wake-ups.
    Benchmark("message: send → Lua receive → reply") { benchmark in
        let fixture = Fixture.shared
        var expected = fixture.replies.count
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try fixture.runtime.table.send(to: fixture.ponger, Message(from: fixture.replies.pid, topic: "ping", payload: .int(1)))
            expected += 1
            await fixture.replies.wait(for: expected)
        }
    }

    // What a relay does per message to its browser: the `{"topic", "data"}` text frame.
    Benchmark("relay: message → text frame") { benchmark in
        let message = Message(from: PID(host: "app", number: 1), topic: "chat", payload: chatPayload)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(RelayWire.frame(for: message))
        }
    }

    // A function.lua call on a warm pooled state, as an HTTP handler or funcs.call runs one.
    Benchmark("handler: function.lua call on a warm state") { benchmark in
        let fixture = Fixture.shared
        // Warm the pool, and make sure the loop times the handler, not an error path.
        guard case .success = await fixture.runtime.call(function: "bench:handler", arguments: [request]) else {
            fatalError("bench:handler failed")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await fixture.runtime.call(function: "bench:handler", arguments: [request]))
        }
    }
}
