import Foundation

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
    /// Also runs wippy with metrics on (`--metrics-addr`) and reports what they cost.
    var metrics = false

    struct Figures {
        var connect: Duration = .zero
        var p50 = 0.0, p99 = 0.0, p999 = 0.0  // milliseconds
        /// In the burst.
        var deliveriesPerSecond = 0.0
        /// In the burst: deliveries per second of the server's own CPU time (user + system), what
        /// one core of it would deliver if the generator kept up.
        var deliveriesPerCPUSecond = 0.0
        var residentBytes = 0
        var lost = 0
    }

    func run() async throws {
        print("### Chat hub: broadcast latency and deliveries\n")
        print("\(rate) chat messages/s for \(seconds) s from 10 rotating senders, each broadcast to every client "
              + "(latency from send to each receipt), then \(burst) messages at once (deliveries/s until the last "
              + "arrives); one load generator process (NIO clients on one event loop) on core 1, each server alone "
              + "on core 0. The trivial broadcaster (`wippy-bench broadcaster`: the protocol with nothing behind it) "
              + "shows the generator's own ceiling: a server near it is limited by the generator, not by itself.")
        var worstP99 = 0.0, worstDeliveryRatio = Double.infinity, lost = 0, p99BelowPeer = true
        for clients in clientCounts {
            let ours = try await measure(.wippy, clients: clients)
            let theirs = try await measure(.peer, clients: clients)
            let ceiling = try await measure(.trivial, clients: clients)
            let metered = metrics ? try await measure(.wippyMetrics, clients: clients) : nil
            print("\n| \(clients) clients | connect + welcome | p50 | p99 | p99.9 | burst deliveries/s | deliveries / server CPU-s | server RSS | lost |")
            print("|---|---|---|---|---|---|---|---|---|")
            for (name, figures) in [(BenchServer.Kind.wippy.rawValue, ours), (BenchServer.Kind.peer.rawValue, theirs),
                                    (BenchServer.Kind.trivial.rawValue + " (generator ceiling)", ceiling)]
                + (metered.map { [(BenchServer.Kind.wippyMetrics.rawValue, $0)] } ?? []) {
                print(String(format: "| %@ | %.2f s | %.2f ms | %.2f ms | %.2f ms | %.0f | %.0f | %.1f MB | %d |", name,
                             figures.connect.seconds, figures.p50, figures.p99, figures.p999, figures.deliveriesPerSecond,
                             figures.deliveriesPerCPUSecond, Double(figures.residentBytes) / 1e6, figures.lost))
            }
            print(String(format: "| wippy vs peer (> 1 favours wippy) | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | |",
                         theirs.connect.seconds / ours.connect.seconds, theirs.p50 / ours.p50, theirs.p99 / ours.p99,
                         theirs.p999 / ours.p999, ours.deliveriesPerSecond / theirs.deliveriesPerSecond,
                         ours.deliveriesPerCPUSecond / theirs.deliveriesPerCPUSecond,
                         Double(theirs.residentBytes) / Double(ours.residentBytes)))
            if let metered {
                print(String(format: "| metrics on vs off (< 1: what they cost) | | | | | %.3f× | %.3f× | | |",
                             metered.deliveriesPerSecond / ours.deliveriesPerSecond,
                             metered.deliveriesPerCPUSecond / ours.deliveriesPerCPUSecond))
            }
            if clients == clientCounts.max() { worstP99 = ours.p99 }
            worstDeliveryRatio = min(worstDeliveryRatio, theirs.deliveriesPerSecond > 0
                ? ours.deliveriesPerSecond / theirs.deliveriesPerSecond : 0)
            lost += ours.lost
            p99BelowPeer = p99BelowPeer && ours.p99 < theirs.p99
        }
        if let most = clientCounts.max() {
            print("\n" + verdict("p99 ≤ 10 ms at \(most) clients", met: worstP99 <= 10 && lost == 0,
                                 String(format: "p99 %.2f ms, %d deliveries lost", worstP99, lost)))
        }
        print(verdict("≥ 2× the peer's deliveries/s at every size", met: worstDeliveryRatio >= 2 && lost == 0,
                      String(format: "%.2f× at worst", worstDeliveryRatio)))
        print(verdict("p99 below the peer's at every size", met: p99BelowPeer, p99BelowPeer ? "below" : "not below at every size"))
    }

    private func measure(_ kind: BenchServer.Kind, clients: Int) async throws -> Figures {
        let server = try await BenchServer(kind, wippy: wippy, python: python)
        defer { server.stop() }
        let fleet = ChatFleet(url: server.url)
        fleet.resetRecord(counting: "m")
        var figures = Figures()
        let connectStart = ContinuousClock.now
        try await fleet.grow(by: clients, batch: clients)
        figures.connect = ContinuousClock.now - connectStart

        let total = rate * seconds
        let senders = min(10, clients)
        let start = ContinuousClock.now
        for k in 0..<total {
            try await Task.sleep(until: start + .seconds(1) * k / rate)
            fleet.sendChat(from: k % senders, tag: "m\(k)")
        }
        _ = try await fleet.waitForReceipts(total * clients, timeout: .seconds(60))
        figures.residentBytes = server.residentBytes
        let latencies = fleet.sortedLatencies()
        figures.lost = total * clients - latencies.count
        figures.p50 = latencies.percentileMilliseconds(0.5)
        figures.p99 = latencies.percentileMilliseconds(0.99)
        figures.p999 = latencies.percentileMilliseconds(0.999)

        // Saturation: a burst from the senders at once; deliveries per second until the last.
        fleet.resetRecord(counting: "b")
        let burstStart = DispatchTime.now().uptimeNanoseconds, cpuBefore = server.cpuSeconds
        for k in 0..<burst { fleet.sendChat(from: k % senders, tag: "b\(k)") }
        _ = try await fleet.waitForReceipts(burst * clients, timeout: .seconds(120))
        let delivered = fleet.receipts
        let cpu = server.cpuSeconds - cpuBefore
        if cpu > 0 { figures.deliveriesPerCPUSecond = Double(delivered) / cpu }
        figures.lost += burst * clients - delivered
        let last = fleet.lastReceiptTime
        if delivered > 0, last > burstStart { figures.deliveriesPerSecond = Double(delivered) / (Double(last - burstStart) / 1e9) }
        await fleet.close()
        return figures
    }
}
