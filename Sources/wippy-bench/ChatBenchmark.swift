import Foundation
import Synchronization

/// The seed's chat hub under load, side by side with a python-websockets peer hub
/// (bench/peers/chat_hub.py, same protocol): for each client count, the time to connect and
/// welcome every client (joins included), then `rate` chat messages a second for `seconds`, each
/// broadcast to every client: the latency from send to each receipt (p50, p99, p99.9) at that
/// offered load; then a burst of `burst` messages sent at once: deliveries per second at
/// saturation; and the server's resident memory.
struct ChatBenchmark {
    var clientCounts: [Int]
    var rate: Int
    var seconds: Int
    var burst: Int
    var wippy: String
    var python: String

    enum Server: String {
        case wippy, peer = "python-websockets"
    }

    struct Figures {
        var connect: Duration
        var p50 = 0.0, p99 = 0.0, p999 = 0.0  // milliseconds
        /// In the burst.
        var deliveriesPerSecond = 0.0
        var residentBytes = 0
        var lost = 0
    }

    /// What the clients measured, shared by their receive tasks.
    final class Record: Sendable {
        let latencies = Mutex<[UInt32]>([])  // microseconds
        let lastReceipt = Mutex<UInt64>(0)
    }

    func run() async throws {
        print("chat hub: \(rate) chat messages/s for \(seconds) s, each broadcast to every client (latency from send to "
              + "receipt), then \(burst) messages at once (deliveries/s); one load generator process (HummingbirdWSClient)")
        for clients in clientCounts {
            let ours = try await measure(.wippy, clients: clients)
            let theirs = try await measure(.peer, clients: clients)
            print("\n| \(clients) clients | connect + welcome | p50 | p99 | p99.9 | burst deliveries/s | server RSS | lost |")
            print("|---|---|---|---|---|---|---|---|")
            for (name, figures) in [(Server.wippy.rawValue, ours), (Server.peer.rawValue, theirs)] {
                print(String(format: "| %@ | %.2f s | %.2f ms | %.2f ms | %.2f ms | %.0f | %.1f MB | %d |", name,
                             figures.connect.seconds, figures.p50, figures.p99, figures.p999, figures.deliveriesPerSecond,
                             Double(figures.residentBytes) / 1e6, figures.lost))
            }
            print(String(format: "| wippy vs peer | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | |",
                         theirs.connect.seconds / ours.connect.seconds, theirs.p50 / ours.p50, theirs.p99 / ours.p99,
                         theirs.p999 / ours.p999, ours.deliveriesPerSecond / theirs.deliveriesPerSecond,
                         Double(theirs.residentBytes) / Double(ours.residentBytes)))
        }
        print("(ratios > 1 favour wippy)")
    }

    private func measure(_ kind: Server, clients: Int) async throws -> Figures {
        let port = Int.random(in: 20_000...40_000)
        let server = Process()
        // Each server on core 0 alone (run the generator itself on core 1: see scripts/bench.sh).
        server.executableURL = URL(filePath: "/usr/bin/taskset")
        switch kind {
        case .wippy:
            server.arguments = ["-c", "0", wippy, "run", ProcessBenchmark.repository.appending(path: "apps").path,
                                "--addr", "127.0.0.1:\(port)", "--log-level", "error"]
        case .peer:
            server.arguments = ["-c", "0", "/usr/bin/env", python,
                                ProcessBenchmark.repository.appending(path: "bench/peers/chat_hub.py").path, "\(port)"]
        }
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // wippy stops gracefully on SIGINT; python-websockets waits for its clients' close
            // handshakes on a signal, which a benchmark need not wait for.
            if kind == .wippy { server.interrupt() } else { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
        }
        try await Task.sleep(for: .seconds(2))

        let url = "ws://127.0.0.1:\(port)/api/v1/ws/connect"
        let all = (0..<clients).map(ChatClient.init)
        let record = Record()
        let connectStart = ContinuousClock.now
        var figures = Figures(connect: .zero)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in all {
                group.addTask {
                    try await client.run(url: url) { text in
                        guard text.contains("\"topic\":\"chat\""), let at = text.range(of: "@"),
                              let end = text[at.upperBound...].firstIndex(of: "]"),
                              let sent = UInt64(text[at.upperBound..<end]) else { return }
                        let now = DispatchTime.now().uptimeNanoseconds
                        record.latencies.withLock { $0.append(UInt32(min((now - sent) / 1000, UInt64(UInt32.max)))) }
                        record.lastReceipt.withLock { $0 = max($0, now) }
                    }
                }
            }
            let connectDeadline = ContinuousClock.now + .seconds(120)
            while all.contains(where: { !$0.welcomed.withLock { $0 } }) {
                guard ContinuousClock.now < connectDeadline else {
                    for client in all { client.send.yield(nil) }
                    group.cancelAll()
                    throw BenchmarkError("\(kind.rawValue): clients not welcomed in 120 s")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            figures.connect = ContinuousClock.now - connectStart

            let total = rate * seconds
            let senders = min(10, clients)
            let start = ContinuousClock.now
            for k in 0..<total {
                try await Task.sleep(until: start + .seconds(1) * k / rate)
                all[k % senders].send.yield(#"{"type": "chat", "message": "[m\#(k)@\#(DispatchTime.now().uptimeNanoseconds)]"}"#)
            }
            let expected = total * clients
            let deadline = ContinuousClock.now + .seconds(60)
            while record.latencies.withLock({ $0.count }) < expected, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            figures.residentBytes = Self.residentBytes(of: server.processIdentifier)
            let latencies = record.latencies.withLock { $0 }.sorted()
            figures.lost = expected - latencies.count
            if !latencies.isEmpty {
                func percentile(_ p: Double) -> Double { Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000 }
                figures.p50 = percentile(0.5)
                figures.p99 = percentile(0.99)
                figures.p999 = percentile(0.999)
            }

            // Saturation: a burst from the senders at once; deliveries per second until the last.
            record.latencies.withLock { $0.removeAll() }
            record.lastReceipt.withLock { $0 = 0 }
            let burstStart = DispatchTime.now().uptimeNanoseconds
            for k in 0..<burst {
                all[k % senders].send.yield(#"{"type": "chat", "message": "[b\#(k)@\#(DispatchTime.now().uptimeNanoseconds)]"}"#)
            }
            let burstDeadline = ContinuousClock.now + .seconds(120)
            while record.latencies.withLock({ $0.count }) < burst * clients, ContinuousClock.now < burstDeadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let delivered = record.latencies.withLock { $0.count }
            figures.lost += burst * clients - delivered
            let last = record.lastReceipt.withLock { $0 }
            if delivered > 0, last > burstStart { figures.deliveriesPerSecond = Double(delivered) / (Double(last - burstStart) / 1e9) }
            for client in all { client.send.yield(nil) }
            group.cancelAll()
        }
        return figures
    }

    /// VmRSS of a process, from /proc.
    static func residentBytes(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }
}
