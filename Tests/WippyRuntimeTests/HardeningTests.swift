import Foundation
import Testing
import WippyProcess
import WippyRuntime
import WippyTestSupport

/// Inputs from Lua code that used to crash the runtime (SIGILL, SIGABRT), leak or exhaust its
/// memory, or hold a thread forever. Each test runs the attack through the real runtime and then
/// checks that the runtime still runs processes.
@Suite("Hardening: hostile Lua code")
struct HardeningTests {
    static let folder = "hardening/processes"

    static func run(_ entry: String, arguments: [Payload] = [], limits: RuntimeLimits? = nil) async throws -> ProcessOutcome {
        try await RuntimeHarness.run(entry, in: folder, arguments: arguments, limits: limits, timeout: .seconds(60))
    }

    /// The runtime is still there: a process starts, runs and returns.
    static func expectStillRunning() async throws {
        let result = try await run("test:finalizers").value()
        #expect(result["plain"] == .int(1))
    }

    /// Before: `time.parse_duration("2500000h2500000h")` overflowed while summing (SIGILL).
    @Test func durationsThatOverflowAreErrorValues() async throws {
        let result = try await Self.run("test:durations").value()
        for key in ["summed", "huge_number", "max_integer", "not_a_number"] {
            #expect(result[key]?["ns"] == nil, "\(key)")
            #expect(result[key]?["err"]?.stringValue?.contains("invalid duration") == true, "\(key): \(String(describing: result[key]))")
        }
        #expect(result["negative"]?["ns"] == .int(0))
        #expect(result["fine"]?["ns"] == .int(5_400_000_000_000))
        #expect(result["sleep_huge"]?["raised"]?.stringValue?.contains("invalid duration") == true)
        #expect(result["after_huge"]?["raised"]?.stringValue?.contains("invalid duration") == true)
    }

    /// Before: 22 levels of `t = {t, t}` took 8 s / 857 MB to encode and 15 s / 1.6 GB to send.
    @Test func sharedReferencesCountAgainstTheByteBudget() async throws {
        let result = try await Self.run("test:shared_references").value()
        #expect(result["encoded"] == .bool(false))
        #expect(result["encode_err"]?.stringValue?.contains("larger than the limit of 64 MiB") == true, "\(String(describing: result["encode_err"]))")
        #expect(result["sent"] == nil)
        #expect(result["send_err"]?.stringValue?.contains("larger than the limit of 8 MiB") == true, "\(String(describing: result["send_err"]))")
    }

    /// Before: a failed decode of 5M elements leaked the Swift values the out-of-memory longjmp
    /// skipped (~250 MB a call). Now the decoder stops at the process's free memory, and repeated
    /// attempts leave the runtime's memory where it was.
    @Test func aJSONTextLargerThanTheProcessIsRefusedWithoutLeaking() async throws {
        var grown: [Int] = []
        let before = ResidentMemory.bytes()
        for _ in 0..<4 {
            let result = try await Self.run("test:json_bomb").value()
            #expect(result["decoded"] == .bool(false))
            #expect(result["err"]?.stringValue?.contains("larger than the limit") == true, "\(String(describing: result["err"]))")
            grown.append(ResidentMemory.bytes() - before)
        }
        // A leaking attempt grew the runtime by ~250 MB, so the last two of four grew it by ~500 MB.
        // The first attempt's growth is allocator slack that later attempts reuse. (Growth since
        // the start is no measure: tests of other suites run in this OS process at the same time.)
        #expect(grown[3] - grown[1] < 200 << 20, "resident memory grew by \(grown.map { $0 >> 20 }) MiB")
        try await Self.expectStillRunning()
    }

    /// Before: 1,500 × 1 MiB to a process that does not read took 1.4 GB; now the mailbox holds at
    /// most its limit and the sender gets an error value.
    @Test func aFullMailboxIsAnErrorValueForTheSender() async throws {
        let result = try await Self.run("test:mailbox_flood").value()
        let delivered = result["delivered"].flatMap { if case let .int(n) = $0 { Int(n) } else { nil } } ?? -1
        #expect((60...66).contains(delivered), "delivered \(delivered)")
        #expect(result["refused"]?.stringValue?.contains("mailbox of") == true, "\(String(describing: result["refused"]))")
        #expect(result["refused"]?.stringValue?.contains("is full") == true)
    }

    /// Arguments over the message limit are refused before they are copied.
    @Test func argumentsOverTheMessageLimitAreRefused() async throws {
        let result = try await Self.run("test:oversized_arguments").value()
        #expect(result["spawned"] == .bool(false))
        #expect(result["spawn_err"]?.stringValue?.contains("argument 1: the value is larger than the limit of 8 MiB") == true,
                "\(String(describing: result["spawn_err"]))")
        #expect(result["call_err"]?.stringValue?.contains("larger than the limit of 8 MiB") == true)
    }

    /// Before: arguments bigger than the callee's memory raised out-of-memory outside any
    /// protected call: a Lua panic, SIGABRT. Now the callee fails with a clear error.
    @Test func argumentsBiggerThanTheCalleesMemoryFailOnlyTheCallee() async throws {
        var limits = RuntimeLimits()
        limits.message = 256 << 20
        let result = try await Self.run("test:oversized_arguments", limits: limits).value()
        #expect(result["spawned"] == .bool(true))
        #expect(result["child_failure"]?.stringValue?.contains("the arguments do not fit in the process's memory limit") == true,
                "\(String(describing: result["child_failure"]))")
        #expect(result["called"] == nil)
        #expect(result["call_err"]?.stringValue?.contains("the arguments do not fit") == true, "\(String(describing: result["call_err"]))")
        try await Self.expectStillRunning()
    }

    /// Before: a message too big for its receiver leaked ~190 MB when the push failed. Now the
    /// receiver fails with a clear error before anything is built in its state.
    @Test func aMessageBiggerThanTheReceiversMemoryFailsTheReceiver() async throws {
        var limits = RuntimeLimits()
        limits.message = 256 << 20
        limits.mailbox = 256 << 20
        let result = try await Self.run("test:oversized_message", limits: limits).value()
        #expect(result["sent"] == .bool(true))
        #expect(result["child_failure"]?.stringValue?.contains("not enough memory for a message") == true,
                "\(String(describing: result["child_failure"]))")
    }

    /// Before: `terminate` could not stop code that cannot yield (the hook's yield is refused
    /// there), so these children ran forever. Now a terminated process gets an error at every
    /// instruction until it has unwound, pcall or not.
    @Test(arguments: ["sort", "tostring", "pcall", "coroutine", "close"])
    func terminateStopsCodeThatCannotYield(how: String) async throws {
        let result = try await Self.run("test:terminate_stuck", arguments: [.string(how)]).value()
        #expect(result.stringValue?.contains("terminated by") == true, "\(result)")
    }

    /// A loop inside `coroutine.wrap` is preempted like any other (the hook follows the running
    /// coroutine), and coroutines keep their meaning when they are.
    @Test func coroutinesKeepTheirMeaningWhenPreempted() async throws {
        let result = try await Self.run("test:coroutines_preempted").value()
        #expect(result["first"] == .int(1 + 8_999_997))
        #expect(result["second"] == .int(20 + 8_999_997))
        #expect(result["third"] == .string("done!"))
        #expect(result["ok1"] == .bool(true))
        #expect(result["v1"] == .int(5 + 8_999_997))
        #expect(result["ok2"] == .bool(false))
        #expect(result["e2"]?.stringValue?.hasSuffix("boom 7") == true, "\(String(describing: result["e2"]))")
        #expect(result["ok3"] == .bool(false))
        #expect(result["e3"] == .string("cannot resume dead coroutine"))
        #expect(result["status"] == .string("dead"))
        #expect(result["wrapped_error"]?.stringValue?.contains("attacks.lua") == true)
        #expect(result["wrapped_error"]?.stringValue?.hasSuffix("inside") == true)
    }

    /// A wrapped coroutine that resumes itself, a yield inside a sort comparator, and a blocking
    /// call refused inside a coroutine followed by a preemption.
    @Test func coroutineCornersBehaveAsInLua() async throws {
        let result = try await Self.run("test:coroutine_corners").value()
        #expect(result["inner_ok"] == .bool(false))
        #expect(result["inner_err"]?.stringValue?.contains("cannot resume non-suspended coroutine") == true,
                "\(String(describing: result["inner_err"]))")
        #expect(result["after_ok"] == .bool(false))  // the wrapped coroutine is dead now
        #expect(result["yield_in_sort"]?.stringValue?.contains("attempt to yield across a C-call boundary") == true,
                "\(String(describing: result["yield_in_sort"]))")
        #expect(result["got"] == .int(5_000_001))
    }

    /// Finalizers would run wherever the collector runs, outside every limit: refused.
    @Test func finalizersAreRefused() async throws {
        let result = try await Self.run("test:finalizers").value()
        #expect(result["ok"] == .bool(false))
        #expect(result["err"]?.stringValue?.contains("__gc metamethods are not available") == true)
    }
}

@Suite("Hardening: table.sort that can be preempted")
struct SortTests {
    @Test func sortKeepsItsMeaning() async throws {
        let result = try await HardeningTests.run("test:sorting").value()
        #expect(result["descending"] == .bool(true))
        #expect(result["ordered"] == .bool(true))
        #expect(result["plain"] == .string("apple,fig,pear"))
        #expect(result["raised"]?.stringValue?.hasSuffix("comparator failed") == true, "\(String(describing: result["raised"]))")
        #expect(result["bad_argument"]?.stringValue?.contains("bad argument #2 to 'table.sort' (function expected, got string)") == true,
                "\(String(describing: result["bad_argument"]))")
        #expect(result["blocked"]?.stringValue?.contains("cannot block here") == true, "\(String(describing: result["blocked"]))")
    }
}
