import Foundation
import Synchronization

/// Starts `wippy run apps/` (the seed's chat app, unchanged) on a loopback port, connects
/// `clients` WebSocket clients, has `senders` of them send `messages` numbered chat messages each,
/// and checks that every client received every message exactly once, in order per sender.
struct ChatLoadCheck {
    var clients: Int
    var senders: Int
    var messages: Int
    var wippy: String

    /// The chat tags one client received, in order.
    final class Received: Sendable {
        let tags = Mutex<[String]>([])
    }

    func run() async throws {
        let server = try await BenchServer(.wippy, wippy: wippy, python: "", core: nil, logLevel: "warning")
        defer { server.stop() }
        let url = server.url
        let all = (0..<clients).map(ChatClient.init)
        let received = all.map { _ in Received() }
        let connectStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in all {
                let inbox = received[client.index]
                group.addTask {
                    try await client.run(url: url) { bytes in
                        let text = String(decoding: bytes, as: UTF8.self)
                        if text.contains("\"topic\":\"chat\""),
                           let range = text.range(of: #"\[s[0-9]+-[0-9]+\]"#, options: .regularExpression) {
                            inbox.tags.withLock { $0.append(String(text[range])) }
                        }
                    }
                }
            }
            // Wait for every welcome (joins included in the connect time).
            while all.contains(where: { !$0.welcomed.withLock { $0 } }) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let connected = ContinuousClock.now - connectStart
            print("connected and welcomed \(clients) clients in \(connected)")

            let sendStart = ContinuousClock.now
            for n in 0..<messages {
                for s in 0..<senders {
                    all[s].send(#"{"type": "chat", "message": "[s\#(s)-\#(n)]"}"#)
                }
            }
            let expected = senders * messages
            let deadline = ContinuousClock.now + .seconds(120)
            while received.contains(where: { $0.tags.withLock { $0.count } < expected }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let took = ContinuousClock.now - sendStart
            report(received.map { $0.tags.withLock { $0 } }, expected: expected, took: took)
            for client in all { client.send(nil) }
            try await group.waitForAll()
        }
    }

    private func report(_ all: [[String]], expected: Int, took: Duration) {
        var lost = 0, duplicated = 0, outOfOrder = 0
        for got in all {
            var seen = Set<String>()
            var last: [Int: Int] = [:]
            for tag in got {
                if !seen.insert(tag).inserted { duplicated += 1 }
                let numbers = tag.dropFirst(2).dropLast().split(separator: "-").compactMap { Int($0) }
                if numbers.count == 2 {
                    if let previous = last[numbers[0]], previous >= numbers[1] { outOfOrder += 1 }
                    last[numbers[0]] = numbers[1]
                }
            }
            lost += max(0, expected - seen.count)
        }
        let deliveries = expected * all.count
        print("\(senders) senders × \(messages) messages to \(all.count) clients: \(deliveries) deliveries in \(took)"
              + String(format: " (%.0f deliveries/s)", Double(deliveries) / took.seconds))
        print("lost: \(lost), duplicated: \(duplicated), out of order: \(outOfOrder)")
        print(lost == 0 && duplicated == 0 && outOfOrder == 0 ? "load check: 1 passed, 0 failed" : "load check: 0 passed, 1 failed")
    }
}
