import Foundation
import Synchronization

/// Chat clients of one server, connected in batches. Every chat frame a client receives is
/// recorded as a latency: chat messages carry their send time (`[tag@uptime-ns]`).
final class ChatFleet: Sendable {
    let url: String
    private let members = Mutex<[(client: ChatClient, task: Task<Void, any Error>)]>([])
    private let latencies = Mutex<[UInt32]>([])  // microseconds
    private let lastReceipt = Mutex<UInt64>(0)

    init(url: String) {
        self.url = url
    }

    var count: Int { members.withLock { $0.count } }
    /// Receipts recorded since the last `resetRecord()`.
    var receipts: Int { latencies.withLock { $0.count } }
    /// Uptime (ns) of the latest receipt.
    var lastReceiptTime: UInt64 { lastReceipt.withLock { $0 } }
    /// Clients whose connection ended (failed, or closed by the server).
    var ended: Int { members.withLock { $0.filter { $0.client.ended.withLock { $0 } }.count } }

    /// Connects `count` more clients, `batch` at a time, and waits until each has its welcome.
    func grow(by count: Int, batch: Int = 500, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        var added = 0
        while added < count {
            let first = self.count
            let fresh = (first..<first + min(batch, count - added)).map(ChatClient.init)
            for client in fresh {
                let task = Task { [url] in
                    defer { client.ended.withLock { $0 = true } }
                    try await client.run(url: url) { [weak self] text in self?.record(text) }
                }
                members.withLock { $0.append((client, task)) }
            }
            while fresh.contains(where: { !$0.welcomed.withLock { $0 } }) {
                guard ContinuousClock.now < deadline else {
                    throw BenchmarkError("\(url): \(self.count) clients not all welcomed in \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            added += fresh.count
        }
    }

    /// Sends a chat message stamped with the current time from client `index`.
    func sendChat(from index: Int, tag: String) {
        let client = members.withLock { $0[index % $0.count].client }
        client.send.yield(#"{"type": "chat", "message": "[\#(tag)@\#(DispatchTime.now().uptimeNanoseconds)]"}"#)
    }

    /// Waits until `target` receipts are recorded or `timeout` passed; true if they were.
    func waitForReceipts(_ target: Int, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while receipts < target {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// The recorded latencies, sorted (microseconds).
    func sortedLatencies() -> [UInt32] { latencies.withLock { $0 }.sorted() }

    func resetRecord() {
        latencies.withLock { $0.removeAll() }
        lastReceipt.withLock { $0 = 0 }
    }

    /// Closes every client and waits for their tasks.
    func close() async {
        let all = members.withLock { $0 }
        for member in all { member.client.send.yield(nil) }
        for member in all {
            member.task.cancel()
            _ = await member.task.result
        }
    }

    private func record(_ text: String) {
        guard text.contains("\"topic\":\"chat\""), let at = text.range(of: "@"),
              let end = text[at.upperBound...].firstIndex(of: "]"),
              let sent = UInt64(text[at.upperBound..<end]) else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        latencies.withLock { $0.append(UInt32(min((now - sent) / 1000, UInt64(UInt32.max)))) }
        lastReceipt.withLock { $0 = max($0, now) }
    }
}

extension Array where Element == UInt32 {
    /// The `p` quantile of sorted microsecond values, in milliseconds (0 when empty).
    func percentileMilliseconds(_ p: Double) -> Double {
        isEmpty ? 0 : Double(self[Swift.min(count - 1, Int(Double(count) * p))]) / 1000
    }
}
