import Foundation

/// A chat server under load, started as its own OS process on a random loopback port: wippy
/// running the seed's `apps/` (unchanged), or the python-websockets peer hub
/// (bench/peers/chat_hub.py, same protocol). Stopped by `stop()`.
final class BenchServer {
    enum Kind: String, CaseIterable {
        case wippy, peer = "python-websockets"
    }

    let kind: Kind
    let port = Int.random(in: 20_000...40_000)
    private let process = Process()

    var url: String { "ws://127.0.0.1:\(port)/api/v1/ws/connect" }
    var pid: Int32 { process.processIdentifier }

    /// Starts the server, alone on `core` when given (the load generator runs on another, see
    /// scripts/bench.sh), and gives it two seconds to listen.
    init(_ kind: Kind, wippy: String, python: String, core: Int? = 0, logLevel: String = "error") async throws {
        self.kind = kind
        var command: [String]
        switch kind {
        case .wippy:
            command = [wippy, "run", ProcessBenchmark.repository.appending(path: "apps").path,
                       "--addr", "127.0.0.1:\(port)", "--log-level", logLevel]
        case .peer:
            command = ["/usr/bin/env", python, ProcessBenchmark.repository.appending(path: "bench/peers/chat_hub.py").path, "\(port)"]
        }
        if let core { command = ["/usr/bin/taskset", "-c", "\(core)"] + command }
        process.executableURL = URL(filePath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await Task.sleep(for: .seconds(2))
    }

    /// wippy stops gracefully on SIGINT; python-websockets would wait for every client's close
    /// handshake on a signal, which a benchmark need not wait for.
    func stop() {
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
