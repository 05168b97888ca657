import Foundation

/// The most chat clients served within 500 ms (the public "websocket shootout" metric): clients
/// are added `step` at a time; at each size, `broadcasts` chat messages are sent one after the
/// other (each waits for the previous one's last receipt) and the p95 of the send → receipt
/// latencies of all their deliveries is taken. The ramp stops when the p95 passes 500 ms or at
/// `maxClients` (one loopback address and port leave room for ~28,000 client ports).
struct CapacityBenchmark {
    var step: Int
    var maxClients: Int
    var broadcasts: Int
    var wippy: String
    var python: String

    static let limit = 500.0  // ms

    struct Step {
        var clients: Int
        var p95: Double  // ms; infinity when deliveries were missing
    }

    func run() async throws {
        print("### Most clients under 500 ms\n")
        print("Clients added \(step) at a time; at each size \(broadcasts) broadcasts, one after the other; p95 of the "
              + "send → receipt latency over all their deliveries. The ramp ends when p95 passes \(Int(Self.limit)) ms "
              + "or at \(maxClients) clients.\n")
        let ours = try await ramp(.wippy)
        let theirs = try await ramp(.peer)
        print("| clients | wippy p95 | python-websockets p95 |")
        print("|---|---|---|")
        for index in 0..<max(ours.count, theirs.count) {
            let size = index < ours.count ? ours[index].clients : theirs[index].clients
            func show(_ steps: [Step]) -> String {
                guard index < steps.count else { return "–" }
                return steps[index].p95.isFinite ? String(format: "%.1f ms", steps[index].p95) : "deliveries missing"
            }
            print("| \(size) | \(show(ours)) | \(show(theirs)) |")
        }
        let mostOurs = Self.most(ours), mostTheirs = Self.most(theirs)
        print("\n| most clients with p95 ≤ 500 ms | wippy | python-websockets | wippy / peer |")
        print("|---|---|---|---|")
        print(String(format: "| | %@ | %@ | %.2f× |", label(mostOurs, ours), label(mostTheirs, theirs),
                     Double(mostOurs) / Double(max(mostTheirs, 1))))
        print("\n(The public shootout's 4-core desktop figures, for scale only: uWebSockets 22,000, Phoenix 15,000.)")
    }

    /// "12000", or "≥ 20000" when the ramp reached its end under the limit.
    private func label(_ most: Int, _ steps: [Step]) -> String {
        (steps.last.map { $0.p95 <= Self.limit } ?? false) ? "≥ \(most)" : "\(most)"
    }

    static func most(_ steps: [Step]) -> Int {
        steps.last(where: { $0.p95 <= limit })?.clients ?? 0
    }

    private func ramp(_ kind: BenchServer.Kind) async throws -> [Step] {
        let server = try await BenchServer(kind, wippy: wippy, python: python)
        defer { server.stop() }
        let fleet = ChatFleet(url: server.url)
        var steps: [Step] = []
        while fleet.count + step <= maxClients {
            try await fleet.grow(by: step)
            let clients = fleet.count
            fleet.resetRecord(counting: "c\(clients)-")
            var complete = true
            for b in 0..<broadcasts {
                fleet.sendChat(from: b * 7919, tag: "c\(clients)-\(b)")
                complete = try await fleet.waitForReceipts((b + 1) * clients, timeout: .seconds(10))
                if !complete { break }
            }
            let p95 = complete ? fleet.sortedLatencies().percentileMilliseconds(0.95) : .infinity
            steps.append(Step(clients: clients, p95: p95))
            if p95 > Self.limit { break }
        }
        await fleet.close()
        return steps
    }
}
