import Foundation

/// A chat server under load, started as its own OS process on a random loopback port: wippy
/// running the seed's `apps/` (unchanged), the python-websockets peer hub
/// (bench/peers/chat_hub.py, same protocol), or the trivial ``Broadcaster`` that measures the load
/// generator's own ceiling. Stopped by `stop()`.
final class BenchServer {
    enum Kind: String, CaseIterable {
        case wippy, wippyMetrics = "wippy, metrics on", peer = "python-websockets", trivial = "trivial broadcaster"
    }

    let kind: Kind
    /// Below Linux's ephemeral range (32768 and up), which the clients' own ports come from.
    let port = Int.random(in: 20_000...32_000)
    private let process = Process()

    var url: String { "ws://127.0.0.1:\(port)/api/v1/ws/connect" }
    var pid: Int32 { process.processIdentifier }

    /// Starts the server, alone on `core` when given (the load generator runs on another, see
    /// scripts/bench.sh), and returns once it accepts connections.
    init(_ kind: Kind, wippy: String, python: String, core: Int? = 0, logLevel: String = "error") async throws {
        self.kind = kind
        var command: [String]
        switch kind {
        case .wippy, .wippyMetrics:
            command = [wippy, "run", ProcessBenchmark.repository.appending(path: "apps").path,
                       "--addr", "127.0.0.1:\(port)", "--log-level", logLevel]
            if kind == .wippyMetrics { command += ["--metrics-addr", "127.0.0.1:0"] }
        case .peer:
            command = ["/usr/bin/env", python, ProcessBenchmark.repository.appending(path: "bench/peers/chat_hub.py").path, "\(port)"]
        case .trivial:
            command = [Bundle.main.executablePath ?? CommandLine.arguments[0], "broadcaster", "\(port)"]
        }
        if let core { command = ["/usr/bin/taskset", "-c", "\(core)"] + command }
        process.executableURL = URL(filePath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            try await waitUntilListening()
        } catch {
            stop()
            throw error
        }
    }

    /// Polls the port until it accepts a connection (10 s at most), or the server exits.
    private func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw BenchmarkError("\(kind.rawValue) exited with \(process.terminationStatus)") }
            if Self.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkError("\(kind.rawValue) does not listen on 127.0.0.1:\(port) after 10 s")
    }

    private static func accepts(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// wippy stops gracefully on SIGINT; python-websockets would wait for every client's close
    /// handshake on a signal, which a benchmark need not wait for.
    func stop() {
        guard process.isRunning else { return }
        if kind == .wippy { process.interrupt() } else { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// VmRSS, from /proc.
    var residentBytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    /// User + system CPU time used so far, from /proc (fields 14 and 15 of stat, in clock ticks).
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")  // fields from 3 on
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
