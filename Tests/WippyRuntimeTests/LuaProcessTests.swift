import Testing
import WippyProcess
import WippyRuntime
import WippyTestSupport

@Suite("Lua processes through the real runtime")
struct LuaProcessTests {
    @Test func pingPongBetweenTwoProcesses() async throws {
        let result = try await RuntimeHarness.run("test:ping_pong", arguments: [.int(200)]).value()
        #expect(result["received"] == Payload.int(200))
        #expect(PID(result["child"]?.stringValue ?? "")?.host == "system:processes")
    }

    @Test func registryLookupByName() async throws {
        let result = try await RuntimeHarness.run("test:named_lookup").value()
        #expect(result["from_child"] == Payload.bool(true))
        #expect(result["removed"] == Payload.bool(true))
        #expect(result["after"] == nil)
        let reply = try #require(result["reply"])
        #expect(reply["found"] != nil)
        #expect(reply["found"] != reply["me"])
    }

    @Test func selectOverInboxEventsAndTimeout() async throws {
        let result = try await RuntimeHarness.run("test:select_sources").value()
        #expect(result == Payload.array([
            .string("timeout"), .string("inbox:note:1"), .string("default"), .string("ab"),
            .string("nil:false"), .string("slept"), .string("pid.cancel:because"),
        ]))
    }

    @Test func spawnMonitoredReceivesExitWithTheChildsError() async throws {
        let result = try await RuntimeHarness.run("test:monitored").value()
        #expect(result["is_exit"] == Payload.bool(true))
        #expect(result["kind"] == Payload.string("pid.exit"))
        #expect(result["from_child"] == Payload.bool(true))
        #expect(result["error"] == Payload.string("boom"))
    }

    @Test func linkDeliversLinkDownWhenTrapped() async throws {
        let result = try await RuntimeHarness.run("test:linked").value()
        #expect(result["is_link_down"] == Payload.bool(true))
        #expect(result["from_child"] == Payload.bool(true))
        #expect(result["error"] == Payload.string("linked boom"))
    }

    @Test func linkFailsTheUntrappedProcess() async throws {
        let outcome = try await RuntimeHarness.run("test:linked_untrapped")
        guard case let .failure(message) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(message.contains("linked process"))
        #expect(message.contains("takes me down"))
    }

    /// A function call that never uses `process.*` takes no PID (the PID numbers of the calls
    /// around five such calls are consecutive); one that sends gets a PID its peer can answer.
    @Test func functionCallsTakeAPIDOnlyWhenTheyUseOne() async throws {
        let result = try await RuntimeHarness.run("test:calls").value()
        let first = try #require(PID(result["first"]?.stringValue ?? ""))
        let second = try #require(PID(result["second"]?.stringValue ?? ""))
        #expect(first.host == "test:whoami")
        #expect(second.number == first.number + 1)
        let reply = try #require(result["reply"]?.stringValue, "\(result)")
        #expect(reply.hasPrefix("hello from {test:ask|"))
    }

    @Test func returnValuesAndArguments() async throws {
        let echoed = try await RuntimeHarness.run("test:echo_args", arguments: [.string("a"), .int(2), .bool(true)]).value()
        #expect(echoed == Payload.array([.string("a"), .int(2), .bool(true)]))
        let outcome = try await RuntimeHarness.run("test:returns_error")
        #expect(outcome == .failure("it went wrong"))
    }

    @Test func theCodesTopLevelRunsFirstAndMayWait() async throws {
        let result = try await RuntimeHarness.run("test:top_level_waits", arguments: [.string("x"), .int(7)]).value()
        #expect(result == Payload.object([("a", .string("x")), ("b", .int(7)), ("early", .string("kept")),
                                          ("loaded", .string("top level ran"))]))
        #expect(try await RuntimeHarness.run("test:returns_function", arguments: [.int(21)]).value() == Payload.int(42))
        // The method is a plain field: a metatable's __index is not asked for it.
        let outcome = try await RuntimeHarness.run("test:no_method")
        #expect(outcome == .failure(#"test:no_method: the code returns no function "run" (end the file with: return { run = run })"#))
    }

    @Test func builtInModules() async throws {
        let logs = LogCapture()
        let result = try await RuntimeHarness.run("test:modules", logs: logs).value()
        #expect(result["encoded"] == Payload.string(#"{"empty":[],"list":[1,2,3],"name":"wippy"}"#))
        #expect(result["a2"] == Payload.double(2.5))
        #expect(result["a3"] == Payload.string("x"))
        #expect(result["a5"] == Payload.bool(true))
        #expect(result["c"] == Payload.string("d"))
        #expect(result["doubled"] == Payload.int(42))
        #expect(result["call_err"] == nil)
        #expect(result["color"] == Payload.string("blue"))
        #expect(result["found"] == Payload.int(1))
        #expect(result["found_id"] == Payload.string("test:settings"))
        #expect(result["seconds"] == Payload.double(90))
        #expect(result["note"] == Payload.string("hi"))
        #expect(result["note_topic"] == Payload.string("self.note"))
        #expect(result["util"] == Payload.string(#""HEY!""#))
        // The call's fields stay fields, even those named like the line's own tags.
        #expect(logs.all.contains {
            $0.hasPrefix("info modules scenario") && $0.contains(" entry=test:modules ") && $0.contains("user.step=logger")
                && $0.contains("user.entry=not-the-tag") && $0.contains("user.pid=mine")
        }, "\(logs.all.filter { $0.contains("modules scenario") })")
    }

    @Test func errorsAreValuesNotCrashes() async throws {
        let result = try await RuntimeHarness.run("test:errors").value()
        #expect(result["bad"] == Payload.bool(true))
        #expect(result["err1"]?.stringValue?.hasPrefix("json.decode:") == true)
        #expect(result["err2"]?.stringValue?.contains("function cannot be sent") == true)
        #expect(result["sent"] == Payload.bool(true))
        #expect(result["err3"] == Payload.string("no process {system:processes|0xfffff}"))
        #expect(result["err4"] == Payload.string("no process nobody_by_this_name"))
        #expect(result["err5"]?.stringValue?.contains("contains itself") == true)
        #expect(result["err6"]?.stringValue?.contains("channel cannot be sent") == true)
        // 100,000 nested tables: refused with an error, not a stack overflow.
        #expect(result["deep_refused"] == Payload.bool(true))
        #expect(result["err7"]?.stringValue?.contains("nested more than 200 levels") == true, "\(String(describing: result["err7"]))")
        #expect(result["err8"]?.stringValue?.contains("nested more than 200 levels") == true, "\(String(describing: result["err8"]))")
    }
}

extension LuaProcessTests {
    @Test func listenMonitorLinkCancelCaseSendTimersAndTickers() async throws {
        let result = try await RuntimeHarness.run("test:more").value()
        #expect(result["listen_raw"] == Payload.int(1))
        #expect(result["listen_message"] == Payload.string("full:m"))
        #expect(result["inbox_rest"] == Payload.string("to the inbox"))
        #expect(result["monitor_kind"] == Payload.string("pid.exit"))
        #expect(result["monitor_result"] == Payload.string("cancelled: please stop"))
        #expect(result["monitor_dead"] == Payload.bool(true))
        #expect(result["case_send"] == Payload.string("sent"))
        #expect(result["timer_fired"] == Payload.bool(true))
        #expect(result["ticks"] == Payload.int(2))
        #expect(result["unix"] == Payload.int(1_700_000_000))
    }

    @Test func eventsReachTheSubscriptionsThatMatch() async throws {
        let result = try await RuntimeHarness.run("test:events").value()
        #expect(result["got"] == .array([.string("app.users created /u/1"), .string("app.orders.eu created /o/9")]))
        #expect(result["data"] == .array([.object([("id", .int(1))]), .object([("total", .int(5))])]))
        #expect(result["after"] == .string("/u/2"))  // the closed subscription got nothing more
        #expect(result["bad"] == .bool(true))
        #expect(result["bad_err"]?.stringValue?.contains("bad system pattern \"a..b\"") == true)
        #expect(result["no_kind"] == .bool(true) && result["kind_err"]?.stringValue?.contains("expects a system and a kind") == true)
    }

    @Test func spawnedCoroutinesRunWhileTheProcessWaits() async throws {
        let result = try await RuntimeHarness.run("test:coroutines").value()
        // 1² + … + 9², shared out among the three workers while each sleeps.
        #expect(result["pool"]?["sum"] == .int(285))
        #expect(result["pool"]?["workers_used"] == .int(3))
        #expect(result["handover"] == .string("handover"))
        #expect(result["ticks"] == .int(3))
        #expect(result["deadlock"]?.stringValue?.contains("channel receive would block forever") == true)
        #expect(result["bad_spawn"]?.stringValue?.contains("coroutine.spawn expects a function") == true)
    }

    @Test func aFailingSpawnedCoroutineFailsItsProcess() async throws {
        let outcome = try await RuntimeHarness.run("test:coroutines_failing")
        guard case let .failure(message) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(message.contains("task broke"))
    }

    @Test func registryChangeSetsApplyWholeAsVersions() async throws {
        let result = try await RuntimeHarness.run("test:registry_changes").value()
        #expect(result["first"] == .int(1) && result["second"] == .int(2) && result["label"] == .bool(true))
        #expect(result["none"] == .bool(true))
        let exists = result["exists_err"]?.stringValue ?? ""
        #expect(exists.hasPrefix("ALREADY_EXISTS: entry test:note.a exists") && exists.contains("change 2 of 2; nothing was applied"), "\(exists)")
        #expect(result["code_err"]?.stringValue?.hasPrefix("PERMISSION_DENIED: test:echo_args is a process.lua") == true)
        #expect(result["kind_err"]?.stringValue?.contains("only registry.entry entries can be made at run time, not function.lua") == true)
        // note.c of the refused set is not there; the snapshot of v1 still reads v1.
        #expect(result["notes"] == .array([.string("test:note.a"), .string("test:note.b")]))
        #expect(result["old_text"] == .string("first") && result["new_text"] == .string("second"))
        #expect(result["settings_gone"] == .bool(true))
        #expect(result["reverted"] == .int(3) && result["after_revert"] == .int(0) && result["settings_back"] == .bool(true))
        #expect(result["parsed"] == .string("a.b|c"))
    }

    @Test func envReadsThroughStoragesAndRefusesWhatIsReadOnly() async throws {
        let result = try await RuntimeHarness.run("test:env_values").value()
        #expect(result["default"] == .string("calm") && result["set"] == .bool(true))
        #expect(result["after"] == .string("loud") && result["by_id"] == .string("loud") && result["fixed"] == .string("eu"))
        #expect(result["fixed_set"] == .string("PERMISSION_DENIED: env storage test:fixed_env is read-only"))
        #expect(result["locked_set"] == .string("PERMISSION_DENIED: env variable TEST_LOCKED is read-only (test:locked)"))
        #expect(result["missing"]?.stringValue?.hasPrefix("NOT_FOUND: no env variable NOT_DECLARED") == true)
        #expect(result["empty"] == .string("INVALID: env.get expects a variable name"))
        #expect(result["all"] == .object([("TEST_MODE", .string("loud")), ("TEST_REGION", .string("eu"))]))
    }

    @Test func ioIsAnErrorValueOffATerminalHost() async throws {
        let result = try await RuntimeHarness.run("test:io_elsewhere").value()
        #expect(result["ok"] == .bool(true) && result["args"] == .bool(true))
        #expect(result["err"] == .string("UNAVAILABLE: the io module works only in processes on a terminal.host (test:io_elsewhere runs on host system:processes)"))
    }
}
