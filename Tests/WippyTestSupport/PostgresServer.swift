import Foundation

/// A PostgreSQL server of a test's own, on a free loopback port with a data folder in /tmp
/// (scripts/postgres.sh; Debian's postgresql must be installed, as the test command does).
public struct PostgresServer: Sendable {
    /// `postgres://wippy@127.0.0.1:PORT/postgres`.
    public let url: String
    public let port: UInt16
    let directory: String
    static let script = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "scripts/postgres.sh").path

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts a fresh server; an error with the script's own message when it cannot.
    public static func start() async throws -> PostgresServer {
        let port = try LoopbackSocket.freePort()
        let directory = FileManager.default.temporaryDirectory.appending(path: "wippy-postgres-\(UUID().uuidString)").path
        let (status, output) = try await Subprocess.run(["bash", "-c", "\"$0\" start \"$1\" \"$2\" 2>&1", script, directory, "\(port)"])
        guard status == 0 else {
            throw Unavailable(description: "scripts/postgres.sh start failed (\(status)): \(output)")
        }
        return PostgresServer(url: output.trimmingCharacters(in: .whitespacesAndNewlines), port: port, directory: directory)
    }

    /// Stops the server and removes its data.
    public func stop() async {
        _ = try? await Subprocess.run([Self.script, "stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Sends `signal` to the server and all its backends (SIGSTOP: it hangs without closing a
    /// connection; SIGCONT: it goes on).
    public func signal(_ signal: Int32) async throws {
        let root = try String(contentsOfFile: directory + "/postmaster.pid", encoding: .utf8).split(separator: "\n").first ?? ""
        let children = try await Subprocess.output(["pgrep", "-P", String(root)]).split(separator: "\n")
        for pid in [root] + children { kill(pid_t(pid) ?? 0, signal) }
    }

    /// Runs `sql` with psql; its rows, one per line.
    public func query(_ sql: String) async throws -> String {
        try await Subprocess.output(["psql", url, "-At", "-c", sql])
    }
}
