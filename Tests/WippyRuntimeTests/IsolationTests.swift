import Testing
import WippyProcess
import WippyRuntime

/// Processes that share one Lua state (host test:one has a single scheduler thread) try to reach
/// each other: globals, shared library tables, the collector, memory, errors and busy loops.
@Suite("Isolation of processes in a shared state")
struct IsolationTests {
    static func run(_ entry: String, arguments: [Payload] = [], memoryLimit: Int = 64 << 20) async throws -> ProcessOutcome {
        try await RuntimeHarness.run(entry, in: "isolation/processes", arguments: arguments, memoryLimit: memoryLimit,
                                     timeout: .seconds(120))
    }

    @Test func globalsArePrivate() async throws {
        let result = try await Self.run("test:globals").value()
        guard case let .array(seen)? = result["seen"], case let .array(after)? = result["after"] else {
            Issue.record("unexpected result \(result)")
            return
        }
        #expect(seen.count == 3 && after.count == 3)
        for view in seen {
            #expect(view["secret"] == .string("nil") && view["via_G"] == .string("nil") && view["raw"] == .string("nil"), "\(view)")
            #expect(view["print_is_shared"] == .string("function"))
        }
        let secrets = Set(after.compactMap { $0["secret"]?.stringValue })
        #expect(secrets == ["peer1", "peer2", "peer3"], "\(after)")
        #expect(result["mine"] == .string("parent"))
    }

    @Test func sharedTablesAreReadOnlyAndStayUnchanged() async throws {
        let result = try await Self.run("test:shared_tables").value()
        let tampered = result["tampered"] ?? .null, observed = result["observed"] ?? .null
        for key in ["string_field", "string_method", "rawset_string", "insert_math", "process_send",
                    "process_event", "channel_new", "json_encode", "time_now"] {
            let message = tampered[key]?.stringValue ?? ""
            #expect(message.contains("read-only"), "\(key): \(message)")
        }
        #expect(tampered["setmetatable_string"]?.stringValue?.contains("protected metatable") == true)
        #expect(tampered["string_metatable"] == .string("false"))
        #expect(tampered["metatable_of_string_lib"] == .string("false"))
        #expect(tampered["gc_stop"]?.stringValue?.contains("not available") == true)
        #expect(tampered["gc_generational"]?.stringValue?.contains("not available") == true)
        #expect(tampered["gc_count"] == .string("number"))
        #expect((tampered["string_functions"]?.number ?? 0) >= 15, "pairs(string) still lists the library")
        #expect(tampered["own_string"] == .string("mine"))
        #expect(tampered["method_unchanged"] == .string("A"))
        // The process beside it on the same state finds everything as it was.
        #expect(observed["method"] == .string("A"))
        #expect(observed["library"] == .string("B"))
        #expect(observed["field"] == .string("nil"))
        #expect(observed["encode"] == .string("function") && observed["now"] == .string("function"))
        #expect(observed["send"] == .string("function") && observed["new"] == .string("function"))
        #expect(observed["exit"] == .string("pid.exit"))
        #expect(observed["math"] == .int(2))
    }

    @Test func theMemoryCapKillsOnlyTheProcessThatAllocates() async throws {
        let result = try await Self.run("test:memory_neighbours", memoryLimit: 8 << 20).value()
        #expect(result["bomb_error"]?.stringValue?.contains("memory") == true, "\(result)")
        #expect(result["neighbour_exit"] == nil, "\(result)")
        #expect(result["after_death"] == .int(20))
        // The neighbour's count is its own 2 MiB and its garbage, never the bomb's 8 MiB.
        let neighbourKiB = result["neighbour_max_kb"]?.number ?? 0
        #expect(neighbourKiB >= 2 * 1024 && neighbourKiB < 8 * 1024, "\(result)")
    }

    @Test func neighboursKeepAnsweringBesideABusyLoopACrashAndABomb() async throws {
        let result = try await Self.run("test:neighbours", arguments: [.int(100), .int(5)], memoryLimit: 8 << 20).value()
        #expect(result["answered"] == .int(500))
        guard case let .array(exits)? = result["exits"] else {
            Issue.record("no exits in \(result)")
            return
        }
        let reasons = exits.compactMap(\.stringValue)
        #expect(reasons.contains { $0.contains("attempt to index a nil value") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("memory") }, "\(reasons)")
        // Measured, not asserted (no timed unit tests): the figure for 1,000 neighbours is in docs/benchmarks.md.
        print("neighbours: p99 \(result["p99_ms"]?.number ?? -1) ms over 500 round trips")
    }
}

private extension Payload {
    /// An integer or a float, as a Double.
    var number: Double? {
        switch self {
        case let .int(value): return Double(value)
        case let .double(value): return value
        default: return nil
        }
    }
}
