import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import WippyRuntime
import WippyTestSupport

/// Hostile requests and clients against a real server on 127.0.0.1: each used to crash the runtime,
/// hold its threads or leak; each now gets an answer while the server goes on serving.
@Suite("Hardening: hostile HTTP and WebSocket clients", .serialized)
struct HTTPHardeningTests {
    static let fixture = TestApp.fixtures + "/http/hardening"

    static func withServer(_ body: (String, LogCapture) async throws -> Void) async throws {
        let logs = LogCapture()
        try await TestApp.serve(fixture, logs: logs, ready: { $0.table.lookup("attack.hub") != nil }) { base, _ in
            try await body(base, logs)
        }
    }

    static func get(_ url: String) async throws -> HTTPServerTests.Reply {
        try await HTTPServerTests.request(URL(string: url)!)
    }

    /// The server still answers: `/healthz` and a plain handler.
    static func expectServing(_ base: String) async throws {
        #expect(try await get("http://\(base)/healthz").status == 200)
        #expect(try await get("http://\(base)/api/hello").body == "hello")
    }

    /// Before: these loops (a loop in `coroutine.wrap`, a looping sort comparator, a pattern that
    /// backtracks for hours) held the threads that serve requests, and every later request timed
    /// out. Now the loops are preempted and the server answers while they run; each ends at its
    /// function's time limit (`meta.options.timeout: 3s`), the pattern with an error at once.
    @Test func loopsThatUsedToHoldTheServerAreStopped() async throws {
        try await Self.withServer { base, logs in
            var finished: [String: HTTPServerTests.Reply] = [:]
            try await withThrowingTaskGroup(of: (String, HTTPServerTests.Reply).self) { group in
                for how in ["coroutine", "sort", "spin"] {
                    group.addTask { (how, try await Self.get("http://\(base)/api/stuck/\(how)")) }
                }
                // While all three loop, the server serves others.
                for _ in 0..<3 { try await Self.expectServing(base) }
                let pattern = try await Self.get("http://\(base)/api/pattern")
                #expect(pattern.body.hasPrefix("false") && pattern.body.contains("pattern too complex"), "\(pattern.body)")
                for try await (how, reply) in group { finished[how] = reply }
            }
            #expect(finished.count == 3)
            for (how, reply) in finished {
                #expect(reply.status == 500, "\(how)")
                #expect(reply.body.contains("ran longer than its time limit of 3.0 seconds"), "\(how): \(reply.body)")
            }
            try await Self.expectServing(base)
            #expect(logs.all.contains { $0.contains("attack:stuck.endpoint (attack:stuck) failed: terminated") })
        }
    }

    /// Code that cannot yield at all (a `__tostring` called from C) is stopped at the time limit too.
    @Test func codeThatCannotYieldEndsAtTheTimeLimit() async throws {
        try await Self.withServer { base, _ in
            let reply = try await Self.get("http://\(base)/api/stuck/tostring")
            #expect(reply.status == 500)
            #expect(reply.body.contains("ran longer than its time limit"), "\(reply.body)")
            try await Self.expectServing(base)
        }
    }

    /// Before: a preempted `while true do end` handler went on burning a core after its client left.
    @Test func aHandlerWhoseClientLeftIsTerminated() async throws {
        try await Self.withServer { base, logs in
            let task = Task { try await Self.get("http://\(base)/api/stuck/spin") }
            try await logs.wait(for: "stuck spin started")
            task.cancel()
            _ = try? await task.value
            try await logs.wait(for: "failed: terminated: the client went away")
            try await Self.expectServing(base)
        }
    }

    /// Before: `res:write` of 1 MiB × 500 took 1 GB outside the handler's memory limit.
    @Test func responseBodiesCountAgainstTheHandlersMemory() async throws {
        try await Self.withServer { base, _ in
            let reply = try await Self.get("http://\(base)/api/write")
            #expect(reply.status == 500)
            #expect(reply.body.contains("the response body would pass the handler's memory limit (64 MiB)"), "\(reply.body)")
            try await Self.expectServing(base)
        }
    }

    /// Bodies over the server's `max_body_size` are refused with 413 before any handler runs.
    @Test func bodiesOverTheLimitGet413() async throws {
        try await Self.withServer { base, _ in
            var request = URLRequest(url: URL(string: "http://\(base)/api/json")!)
            request.httpMethod = "POST"
            request.httpBody = Data(repeating: 0x20, count: 40 << 20)
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 413)
            #expect(String(decoding: data, as: UTF8.self).contains("larger than 33554432 bytes (max_body_size)"))
            try await Self.expectServing(base)
        }
    }

    /// Before: `heartbeat_interval = 1e300` crashed the runtime (SIGILL) and `"1ns"` sent 527k
    /// heartbeats in 5 s. Now the header is a 400, and a `ws.control` with it is ignored.
    @Test func heartbeatIntervalsOutOfBoundsAreRefused() async throws {
        try await Self.withServer { base, logs in
            for interval in ["1e300", "1ns", "0.05", "2h", "-1"] {
                let answer = try await RelayScenarioTests.upgrade("http://\(base)/api/ws?hb=\(interval)")
                #expect(answer.status == 400, "\(interval)")
                #expect(answer.body.contains("heartbeat_interval must be a duration from 100ms to 1h"), "\(interval): \(answer.body)")
            }
            let socket = TestSocket()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await socket.run("ws://\(base)/api/ws?hb=1s") }
                socket.send("ping")
                try await socket.wait("pong") { !socket.messages("pong").isEmpty }
                socket.send(#"control:{"heartbeat_interval": 1e300}"#)
                try await socket.wait("controlled") { !socket.messages("controlled").isEmpty }
                socket.send("ping")
                try await socket.wait("second pong") { socket.messages("pong").count == 2 }
                socket.close()
                try await group.waitForAll()
            }
            #expect(logs.all.contains { $0.contains("ignored ws.control: heartbeat_interval must be a duration from 100ms to 1h") })
            try await Self.expectServing(base)
        }
    }

    /// Before: a folder's index file that is a symlink out of the static root was served.
    @Test func staticIndexSymlinkedOutOfTheRootIsNotServed() async throws {
        try await Self.withServer { base, _ in
            #expect(try await Self.get("http://\(base)/files/").body == "<p>inside</p>\n")
            for path in ["files/sub/", "files/sub", "files/sub/index.html"] {
                let reply = try await Self.get("http://\(base)/\(path)")
                #expect(reply.status == 404, "\(path)")
                #expect(!reply.body.contains("secret"), "\(path)")
            }
        }
    }
}
