import Foundation
import HummingbirdWSClient
import Logging
import Synchronization
import Testing
import WippyGraph
import WippyManifest
import WippyRuntime
import WippyTestSupport

/// The relay's rules, each against the fixture app Tests/Fixtures/http/relay on a real server.
@Suite("WebSocket relay rules", .serialized)
struct RelayScenarioTests {
    static let fixture = TestApp.fixtures + "/http/relay"

    /// Runs the fixture; `body` gets the base URL (`127.0.0.1:PORT`) and the captured log.
    static func withRelayApp(_ body: (String, LogCapture) async throws -> Void) async throws {
        let logs = LogCapture()
        try await TestApp.serve(fixture, logs: logs, ready: { $0.table.lookup("relay_hub") != nil }) { base, _ in
            try await body(base, logs)
        }
    }

    /// An upgrade request by curl: the status line and body of the answer. An accepted upgrade
    /// keeps the connection open, so curl gives up after `seconds`.
    static func upgrade(_ url: String, origin: String? = nil, seconds: Int = 60) async throws -> (status: Int, body: String) {
        var arguments = ["curl", "-s", "-i", "--max-time", "\(seconds)", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket",
                         "-H", "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
        if let origin { arguments += ["-H", "Origin: \(origin)"] }
        let text = try await Subprocess.output(arguments + [url])
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    @Test func joinEchoHeartbeatAndCloseWithReason() async throws {
        try await Self.withRelayApp { base, _ in
            let socket = TestSocket()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await socket.run("ws://\(base)/ws/heartbeat") }
                try await socket.wait("joined") { !socket.messages("joined").isEmpty }
                let joined = try #require(socket.messages("joined").first?["data"] as? [String: Any])
                #expect((joined["client"] as? String)?.hasPrefix("{relay:server|0x") == true)
                #expect(joined["metadata"] as? [String: String] == ["role": "tester"])
                socket.send("ping")
                try await socket.wait("echo") { !socket.messages("echo").isEmpty }
                #expect(socket.messages("echo").first?["data"] as? [String: String] == ["text": "ping"])
                // Heartbeats after the echo were made after the relay counted the "ping" (on a busy
                // machine, two may have come before it).
                let early = socket.messages("hb").count
                try await socket.wait("two heartbeats") { socket.messages("hb").count >= early + 2 }
                let beat = try #require(socket.messages("hb").last?["data"] as? [String: Any])
                #expect((beat["count"] as? Int ?? 0) >= 1)
                #expect((beat["uptime"] as? Double ?? 0) > 0)
                socket.send("close")
                try await tasks.waitForAll()
            }
            let closed = try #require(socket.closed.withLock { $0 })
            #expect(closed.code.contains("4000"))
            #expect(closed.reason == "asked to close")
        }
    }

    @Test func controlRetargetsTheConnection() async throws {
        try await Self.withRelayApp { base, _ in
            let socket = TestSocket()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await socket.run("ws://\(base)/ws/connect") }
                try await socket.wait("joined") { !socket.messages("joined").isEmpty }
                socket.send("retarget")
                try await socket.wait("side joined") { !socket.messages("side.joined").isEmpty }
                socket.send("to the side")
                try await socket.wait("side echo") { !socket.messages("side.echo").isEmpty }
                #expect(socket.messages("side.echo").first?["data"] as? String == "to the side")
                socket.close()
                try await tasks.waitForAll()
            }
        }
    }

    @Test func targetDeathClosesWith1011() async throws {
        try await Self.withRelayApp { base, _ in
            let socket = TestSocket()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await socket.run("ws://\(base)/ws/spawned") }
                try await Task.sleep(for: .milliseconds(200))
                socket.send("die")
                try await tasks.waitForAll()
            }
            let closed = try #require(socket.closed.withLock { $0 })
            #expect(closed.code == "unexpectedServerError")
            #expect(closed.reason == "target process exited")
        }
    }

    @Test func refusalBadConfigAndForeignOriginAreNotUpgraded() async throws {
        try await Self.withRelayApp { base, logs in
            let refused = try await Self.upgrade("http://\(base)/ws/refuse")
            let bad = try await Self.upgrade("http://\(base)/ws/bad")
            let foreign = try await Self.upgrade("http://\(base)/ws/connect", origin: "https://evil.example")
            // None is upgraded: each gets its own answer, and the refusing handler ran once.
            #expect(refused.status == 401)
            #expect(refused.body == "no entry")
            #expect(bad.status == 400)
            #expect(bad.body.contains("target_pid"))
            #expect(foreign.status == 403)
            #expect(foreign.body.contains("origin https://evil.example is not allowed"))
            #expect(logs.all.filter { $0.contains("refuse handler ran") }.count == 1)

            let allowed = try await Self.upgrade("http://\(base)/ws/connect", origin: "https://allowed.example", seconds: 1)
            #expect(allowed.status == 101)
            let same = try await Self.upgrade("http://\(base)/ws/connect", origin: "http://\(base)", seconds: 1)
            #expect(same.status == 101)
        }
    }

    @Test func oversizeMessageClosesWith1009() async throws {
        try await Self.withRelayApp { base, _ in
            let socket = TestSocket()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await socket.run("ws://\(base)/ws/connect") }
                try await socket.wait("joined") { !socket.messages("joined").isEmpty }
                socket.send(String(repeating: "x", count: 70_000))
                try await tasks.waitForAll()
            }
            #expect(socket.closed.withLock { $0 }?.code == "messageTooLarge")
        }
    }

    @Test func shutdownClosesSocketsWith1001() async throws {
        let socket = TestSocket()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            try await Self.withRelayApp { base, _ in
                tasks.addTask { try await socket.run("ws://\(base)/ws/connect") }
                try await socket.wait("joined") { !socket.messages("joined").isEmpty }
            }
            try await tasks.waitForAll()
        }
        #expect(socket.closed.withLock { $0 }?.code == "goingAway")
    }
}

extension RelayScenarioTests {
    /// A client that never reads (Tests/Hardening/never_reads.py): the hub floods it with 80,000
    /// frames of 1 KiB; the connection must be closed (1008) once its bounded queue is full. The
    /// server's memory meanwhile is measured on the built binary, apart from the other tests
    /// (HardeningCLITests.aClientThatNeverReadsDoesNotGrowTheServer).
    @Test func clientThatNeverReadsIsClosed() async throws {
        try await Self.withRelayApp { base, logs in
            let port = String(base.split(separator: ":").last!)
            let script = TestApp.fixtures + "/../Hardening/never_reads.py"
            let python = try Process.run(URL(filePath: "/usr/bin/env"), arguments: ["python3", script, port])
            let deadline = ContinuousClock.now + .seconds(120)
            while !logs.all.contains(where: { $0.contains("too slow") }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(logs.all.contains { $0.contains("websocket client too slow") && $0.contains("closing (1008)") })
            kill(python.processIdentifier, SIGKILL)  // it may have inherited a blocked SIGTERM
            python.waitUntilExit()
        }
    }
}
