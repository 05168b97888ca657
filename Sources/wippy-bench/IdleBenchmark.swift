import Foundation

/// `connections` relayed WebSocket connections joined to the seed's hub, then left idle for
/// `idleSeconds` (longer than the 30 s heartbeat, so every connection sends one `ws.heartbeat`
/// to the hub in the window): server memory per connection, the kernel's memory for the
/// sockets, and the server's CPU use while idle; beside the python-websockets peer hub (its own
/// keepalive pings every 30 s).
struct IdleBenchmark {
    var connections: Int
    var idleSeconds: Int
    var wippy: String
    var python: String

    struct Figures {
        var userBytesPerConnection = 0.0
        var slabBytesPerConnection = 0.0
        var socketBufferBytesPerConnection = 0.0
        var idleCPUPercent = 0.0
        var dropped = 0
    }

    func run() async throws {
        print("### Idle connections\n")
        print("\(connections) WebSocket connections, each joined to the hub (wippy: a relay process per connection "
              + "sending `ws.join`), then idle for \(idleSeconds) s. Server RSS growth per connection (user space); "
              + "the kernel's share from /proc/meminfo (`Slab`, which holds the socket objects) and /proc/net/sockstat "
              + "(TCP buffer pages), per connection and counting both ends of each loopback connection; server CPU "
              + "while idle.\n")
        let ours = try await measure(.wippy)
        let theirs = try await measure(.peer)
        print("| \(connections) idle connections | server RSS / connection | kernel Slab / connection | TCP buffers / connection | CPU while idle | dropped |")
        print("|---|---|---|---|---|---|")
        for (name, figures) in [(BenchServer.Kind.wippy.rawValue, ours), (BenchServer.Kind.peer.rawValue, theirs)] {
            print(String(format: "| %@ | %.1f KB | %.1f KB | %.1f KB | %.2f %% | %d |", name, figures.userBytesPerConnection / 1024,
                         figures.slabBytesPerConnection / 1024, figures.socketBufferBytesPerConnection / 1024,
                         figures.idleCPUPercent, figures.dropped))
        }
        print(String(format: "| wippy vs peer (> 1 favours wippy) | %.2f× | | | %.2f× | |",
                     theirs.userBytesPerConnection / ours.userBytesPerConnection,
                     theirs.idleCPUPercent / max(ours.idleCPUPercent, 0.001)))
        print("\n" + verdict("≤ 10 KB per connection", met: ours.userBytesPerConnection <= 10 * 1024,
                             String(format: "%.1f KB", ours.userBytesPerConnection / 1024)))
    }

    private func measure(_ kind: BenchServer.Kind) async throws -> Figures {
        let server = try await BenchServer(kind, wippy: wippy, python: python)
        defer { server.stop() }
        let fleet = ChatFleet(url: server.url)
        let rssBefore = server.residentBytes, slabBefore = Self.meminfo("Slab"), pagesBefore = Self.tcpBufferPages()
        try await fleet.grow(by: connections)
        try await Task.sleep(for: .seconds(2))  // let the joins settle
        var figures = Figures()
        let count = Double(connections)
        figures.userBytesPerConnection = Double(server.residentBytes - rssBefore) / count
        figures.slabBytesPerConnection = Double(Self.meminfo("Slab") - slabBefore) / count
        figures.socketBufferBytesPerConnection = Double((Self.tcpBufferPages() - pagesBefore) * Int(sysconf(Int32(_SC_PAGESIZE)))) / count

        let cpuBefore = server.cpuSeconds, idleStart = ContinuousClock.now
        try await Task.sleep(for: .seconds(idleSeconds))
        figures.idleCPUPercent = (server.cpuSeconds - cpuBefore) / (ContinuousClock.now - idleStart).seconds * 100
        figures.dropped = fleet.ended
        await fleet.close()
        return figures
    }

    /// A /proc/meminfo field, in bytes.
    static func meminfo(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    /// The `mem` field of the TCP line of /proc/net/sockstat: pages of socket buffers.
    static func tcpBufferPages() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/net/sockstat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TCP:") }) else { return 0 }
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: "mem"), index + 1 < words.count else { return 0 }
        return Int(words[index + 1]) ?? 0
    }
}
