import Testing
import WippyProcess
import WippyRuntime

@Suite("Sandbox and limits")
struct SandboxTests {
    @Test func dangerousFunctionsAreAbsent() async throws {
        let result = try await RuntimeHarness.run("test:sandbox").value()
        for key in ["os_execute", "io_open", "load", "dofile", "debug"] {
            let message = result[key]?.stringValue ?? ""
            #expect(message.contains("attempt to call a nil value") || message.contains("attempt to index a nil value"),
                    "\(key): \(message)")
        }
        #expect(result["require_io"]?.stringValue?.contains("module \"io\" is not available to test:sandbox") == true)
        #expect(result["require_json_unlisted"]?.stringValue?.contains("add it to the entry's modules") == true)
        #expect(result["os_time"] == Payload.string("number"))
        #expect(result["string_ok"] == Payload.string("42"))
        #expect(result["block_in_coroutine"]?.stringValue?.contains("cannot block inside a coroutine") == true)
        #expect(result["block_in_sort"]?.stringValue?.contains("cannot block") == true, "\(String(describing: result["block_in_sort"]))")
    }

    @Test func librariesOpenedOnFirstUseBehaveAsIfOpenedAtStart() async throws {
        let result = try await RuntimeHarness.run("test:lazy_libraries").value()
        #expect(result["before"] == .bool(true))
        #expect(result["floor"] == .int(2))
        #expect(result["after"] == .bool(true))
        #expect(result["os_sandboxed"] == .bool(true))
        #expect(result["after_strict"] == .string("H,true"), "\(String(describing: result["after_strict"]))")
        #expect(result["undeclared"]?.stringValue?.contains("undeclared global no_such_global") == true)
        #expect(result["string_arithmetic"] == .int(11))
    }

    @Test func theLazyLibrariesMetatableIsOutOfReach() async throws {
        let result = try await RuntimeHarness.run("test:lazy_escape_and_strict").value()
        #expect(result["metatable_seen"] == .bool(false))
        #expect(result["execute_caught"] == .bool(false))
        #expect(result["execute_absent"] == .bool(true))
        #expect(result["libraries"] == .string("true,true"))
        #expect(result["undeclared"]?.stringValue?.contains("undeclared global not_declared_anywhere") == true)
        #expect(result["math_gone"] == .bool(true))
    }

    @Test func requireOfAnUnlistedModuleFailsTheProcessWithAClearError() async throws {
        let outcome = try await RuntimeHarness.run("test:require_unlisted")
        guard case let .failure(message) = outcome else { Issue.record("expected a failure"); return }
        #expect(message.contains("module \"json\" is not available to test:require_unlisted"))
    }

    @Test func busyLoopsDoNotStarvePingPong() async throws {
        let result = try await RuntimeHarness.run("test:busy_and_ping", arguments: [.int(50)], timeout: .seconds(30)).value()
        #expect(result == Payload.string("finished"))
    }

    @Test func allocationBombKillsOnlyItsProcess() async throws {
        let outcome = try await RuntimeHarness.run("test:alloc_bomb", memoryLimit: 16 << 20)
        guard case let .failure(message) = outcome else { Issue.record("expected a failure"); return }
        #expect(message.contains("out of memory") || message.contains("not enough memory"), "\(message)")
        // The runtime goes on: another process runs fine afterwards.
        let after = try await RuntimeHarness.run("test:echo_args", arguments: [.int(1)]).value()
        #expect(after == Payload.array([.int(1)]))
    }
}
