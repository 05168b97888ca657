import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `wippy health`: asks a running wippy for `GET /healthz` and exits 0 on 200, 1 otherwise —
/// the container image's HEALTHCHECK (``PlainHTTP``: the binary needs no HTTP client library).
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check a running wippy: GET /healthz, exit 0 on 200 and 1 otherwise.",
        discussion: """
            The default URL is http://127.0.0.1:PORT/healthz, with the port of $WIPPY_ADDR \
            (8080 when unset). Prints the status line, or why there is none.
            """
    )

    @Option(help: "The URL to ask (http only).")
    var url: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 2

    func run() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
        let target = url ?? Self.defaultURL(wippyAddress: ProcessInfo.processInfo.environment["WIPPY_ADDR"])
        guard let parts = URLComponents(string: target), parts.scheme == "http", let host = parts.host, !host.isEmpty else {
            throw ValidationError("--url must be an http:// URL, got \(target)")
        }
        let path = (parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath)
            + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
        switch PlainHTTP.get(host: host, port: parts.port ?? 80, path: path, timeout: timeout) {
        case let .success((line, _)):
            print(line)
            if line.split(separator: " ").dropFirst().first != "200" { throw ExitCode(1) }
        case let .failure(problem):
            print("\(target): \(problem.message)")
            throw ExitCode(1)
        }
    }

    /// `http://127.0.0.1:PORT/healthz` with the port of a `WIPPY_ADDR` like `:9000` or
    /// `0.0.0.0:9000` (its host too, unless it is empty or a wildcard).
    static func defaultURL(wippyAddress: String?) -> String {
        var host = "127.0.0.1", port = "8080"
        if let address = wippyAddress, let colon = address.lastIndex(of: ":") {
            let given = String(address[..<colon])
            if !["", "0.0.0.0", "::", "[::]"].contains(given) { host = given }
            if !address[address.index(after: colon)...].isEmpty { port = String(address[address.index(after: colon)...]) }
        }
        return "http://\(host):\(port)/healthz"
    }
}
