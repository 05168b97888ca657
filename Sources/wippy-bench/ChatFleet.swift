import Foundation
import NIOCore
import Synchronization

/// Chat clients of one server, connected in batches. Every chat frame a client receives is
/// recorded as a latency: chat messages carry their send time (`[tag@uptime-ns]`).
final class ChatFleet: Sendable {
    let url: String
    private let members = Mutex<[(client: ChatClient, task: Task<Void, any Error>)]>([])
    private let record = Mutex(Record())

    /// The receipts of the current phase: only chat messages whose tag starts with `counting`.
    private struct Record {
        var counting: [UInt8] = []
        var latencies: [UInt32] = []  // microseconds
        var lastReceipt: UInt64 = 0  // uptime, ns
    }

    init(url: String) {
        self.url = url
    }

    var count: Int { members.withLock { $0.count } }
    /// Receipts recorded since the last `resetRecord(counting:)`.
    var receipts: Int { record.withLock { $0.latencies.count } }
    /// Uptime (ns) of the latest receipt.
    var lastReceiptTime: UInt64 { record.withLock { $0.lastReceipt } }
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
                    try await client.run(url: url) { [weak self] text in self?.receive(text) }
                }
                members.withLock { $0.append((client, task)) }
            }
            while fresh.contains(where: { !$0.welcomed.withLock { $0 } }) {
                if let failed = fresh.first(where: { $0.ended.withLock { $0 } && !$0.welcomed.withLock { $0 } }) {
                    throw BenchmarkError("\(url): client \(failed.index) closed before its welcome (\(self.count) clients)")
                }
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
        client.send(#"{"type": "chat", "message": "[\#(tag)@\#(DispatchTime.now().uptimeNanoseconds)]"}"#)
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
    func sortedLatencies() -> [UInt32] { record.withLock { $0.latencies }.sorted() }

    /// Starts a phase: forgets what was recorded and from now on counts only chat messages whose
    /// tag starts with `prefix` (late receipts of an earlier phase are ignored).
    func resetRecord(counting prefix: String) {
        record.withLock { $0 = Record(counting: Array(prefix.utf8)) }
    }

    /// Closes every client and waits for their tasks.
    func close() async {
        let all = members.withLock { $0 }
        for member in all { member.client.send(nil) }
        for member in all {
            member.task.cancel()
            _ = await member.task.result
        }
    }

    private static let chatTopic = Array(#""topic":"chat""#.utf8)

    /// A frame's bytes: a chat message's `[tag@sent]` is found without making a String.
    private func receive(_ text: ByteBufferView) {
        guard text.firstRange(of: Self.chatTopic) != nil, let open = text.firstIndex(of: UInt8(ascii: "[")),
              let at = text[open...].firstIndex(of: UInt8(ascii: "@")),
              let end = text[at...].firstIndex(of: UInt8(ascii: "]")) else { return }
        var sent: UInt64 = 0
        for digit in text[(at + 1)..<end] {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return }
            sent = sent &* 10 &+ UInt64(digit - UInt8(ascii: "0"))
        }
        let tag = text[(open + 1)..<at]
        let now = DispatchTime.now().uptimeNanoseconds
        record.withLock { record in
            guard tag.starts(with: record.counting) else { return }
            record.latencies.append(UInt32(min((now &- sent) / 1000, UInt64(UInt32.max))))
            record.lastReceipt = max(record.lastReceipt, now)
        }
    }
}

extension Array where Element == UInt32 {
    /// The `p` quantile (nearest rank) of sorted microsecond values, in milliseconds (0 when empty).
    func percentileMilliseconds(_ p: Double) -> Double {
        guard !isEmpty else { return 0 }
        let rank = Swift.max(1, Int((Double(count) * p).rounded(.up)))
        return Double(self[Swift.min(count, rank) - 1]) / 1000
    }
}
