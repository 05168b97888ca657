import Foundation
import HummingbirdWSClient
import NIOSSL
import Logging
import Synchronization
import Testing
import WippyGraph
import WippyManifest
import WippyRuntime
import WippyTestSupport

/// A WebSocket client for tests: records every text frame, sends what it is told, and ends when
/// told to close or when the server closes.
final class TestSocket: Sendable {
    let frames = Mutex<[String]>([])
    let closed = Mutex<(code: String, reason: String)?>(nil)
    private let commands: AsyncStream<String?>
    private let input: AsyncStream<String?>.Continuation

    init() {
        (commands, input) = AsyncStream.makeStream(of: String?.self)
    }

    func send(_ text: String) { input.yield(text) }
    func close() { input.yield(nil) }

    /// Connects and serves until closed (run it in a task); `tls` for `wss://` URLs.
    func run(_ url: String, tls: TLSConfiguration? = nil) async throws {
        var logger = Logger(label: "ws-client")
        logger.logLevel = .critical
        let frame = try await WebSocketClient.connect(url: url, tlsConfiguration: tls, logger: logger) { [self] inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case let .text(text) = message { frames.withLock { $0.append(text) } }
                    }
                }
                group.addTask { [self] in
                    for await command in commands {
                        guard let command else {
                            try await outbound.close(.normalClosure, reason: "bye")
                            return
                        }
                        try await outbound.write(.text(command))
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
        closed.withLock { $0 = (frame.map { "\($0.closeCode)" } ?? "none", frame?.reason ?? "") }
    }

    /// The decoded frames whose topic is `topic`.
    func messages(_ topic: String) -> [[String: Any]] {
        frames.withLock { $0 }.compactMap { text in
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        }.filter { $0["topic"] as? String == topic }
    }

    /// Waits until `condition` holds (60 s at most: on a busy machine events come late, not never).
    func wait(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what); frames: \(frames.withLock { $0 })")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

@Suite("WebSocket relay with the seed's chat app")
struct RelayTests {
    static let apps = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "apps").path

    /// Runs `apps/` on an ephemeral loopback port; `body` gets the WebSocket URL.
    static func withChat(logs: LogCapture = LogCapture(), _ body: (String) async throws -> Void) async throws {
        try await TestApp.serve(apps, address: "127.0.0.1:0", logs: logs, ready: { $0.table.lookup("my_ws_hub") != nil }) { base, _ in
            try await body("ws://\(base)/api/v1/ws/connect")
        }
    }

    @Test func welcomeChatBroadcastAndLeave() async throws {
        let logs = LogCapture()
        try await Self.withChat(logs: logs) { url in
            try await withThrowingTaskGroup(of: Void.self) { clients in
                let a = TestSocket(), b = TestSocket()
                clients.addTask { try await a.run(url) }
                try await a.wait("a's welcome") { !a.messages("welcome").isEmpty }
                clients.addTask { try await b.run(url) }
                try await b.wait("b's welcome") { !b.messages("welcome").isEmpty }
                let welcomeA = try #require(a.messages("welcome").first?["data"] as? [String: Any])
                let welcomeB = try #require(b.messages("welcome").first?["data"] as? [String: Any])
                #expect(welcomeA["message"] as? String == "Connected successfully")
                #expect(welcomeA["client_count"] as? Int == 1)
                #expect(welcomeB["client_count"] as? Int == 2)

                a.send(#"{"type": "chat", "message": "hello from a"}"#)
                try await b.wait("b gets a's chat") { !b.messages("chat").isEmpty }
                try await a.wait("a gets its own chat") { !a.messages("chat").isEmpty }
                let chat = try #require(b.messages("chat").first?["data"] as? [String: Any])
                #expect(chat["from"] as? String == "Anonymous")
                #expect(chat["message"] as? String == "hello from a")

                b.send(#"{"type": "command", "command": "broadcast", "message": "to all"}"#)
                try await a.wait("broadcast") { !a.messages("broadcast").isEmpty }
                #expect(a.messages("broadcast").first?["data"] as? [String: String] == ["from": "system", "message": "to all"])

                // b leaves; a newcomer then counts a and itself only.
                b.close()
                try await b.wait("b closed") { b.closed.withLock { $0 } != nil }
                // The client may finish before the server has read its close: wait for the hub.
                try await b.wait("the hub saw b leave") { logs.all.contains { $0.contains("Client left:") } }
                let c = TestSocket()
                clients.addTask { try await c.run(url) }
                try await c.wait("c's welcome") { !c.messages("welcome").isEmpty }
                #expect((c.messages("welcome").first?["data"] as? [String: Any])?["client_count"] as? Int == 2)
                a.close()
                c.close()
                try await clients.waitForAll()
            }
        }
    }
}
