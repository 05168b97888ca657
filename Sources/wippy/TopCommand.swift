import ArgumentParser
import Foundation

/// `wippy top`: a live view of a running wippy, read each second from its metrics endpoint's
/// `/status` (so the runtime must run with `--metrics-addr` or `.wippy.yaml`'s `prometheus:`).
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Show a running wippy live: processes by host, the busiest mailboxes, services, connections, requests/s.",
        discussion: """
            Reads http://ADDR/status of the metrics endpoint each second (Ctrl-C ends it). With \
            --once it prints one view and exits (1 when the endpoint cannot be read).
            """
    )

    @Option(help: "The metrics endpoint of the running wippy (its --metrics-addr).")
    var addr = "127.0.0.1:9090"

    @Option(help: "Seconds between views.")
    var interval: Double = 1

    @Flag(help: "Print one view and exit.")
    var once = false

    func run() throws {
        guard interval.isFinite, interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
        guard let colon = addr.lastIndex(of: ":"), let port = Int(addr[addr.index(after: colon)...]) else {
            throw ValidationError("--addr must be HOST:PORT, got \(addr)")
        }
        let host = addr[..<colon].isEmpty ? "127.0.0.1" : String(addr[..<colon])
        var previous: (requests: Int, at: Date)?
        while true {
            let view: String
            switch PlainHTTP.get(host: host, port: port, path: "/status", timeout: 2) {
            case let .success((line, body)) where line.contains(" 200"):
                guard let status = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                    view = "\(addr)/status: not a status answer"
                    break
                }
                let requests = status["requests"] as? Int ?? 0, now = Date()
                let rate = previous.map { Double(requests - $0.requests) / now.timeIntervalSince($0.at) }
                previous = (requests, now)
                view = Self.render(status, rate: rate, source: addr)
            case let .success((line, _)):
                view = "\(addr)/status: \(line)"
            case let .failure(problem):
                view = "\(addr)/status: \(problem.message) (is wippy running with --metrics-addr \(addr)?)"
            }
            if once {
                print(view)
                if !view.hasPrefix("wippy top") { throw ExitCode(1) }
                return
            }
            FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + view).utf8))  // home, clear, the view
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// One screen of the status.
    static func render(_ status: [String: Any], rate: Double?, source: String) -> String {
        func rows(_ key: String) -> [[String: Any]] { status[key] as? [[String: Any]] ?? [] }
        var lines = ["wippy top — \(source) — \(status["processes"] as? Int ?? 0) processes, "
            + "\(status["requests"] as? Int ?? 0) requests" + (rate.map { String(format: " (%.0f/s)", $0) } ?? ""), ""]
        lines.append("HOST                                     PROCESSES")
        for host in rows("hosts") { lines.append(pad(host["id"], 40) + " " + "\(host["processes"] as? Int ?? 0)") }
        lines.append("")
        lines.append("BUSIEST MAILBOXES                        ENTRY                            WAITING")
        let mailboxes = rows("mailboxes")
        if mailboxes.isEmpty { lines.append("(every mailbox is empty)") }
        for box in mailboxes { lines.append(pad(box["pid"], 40) + " " + pad(box["entry"], 32) + " \(box["depth"] as? Int ?? 0)") }
        lines.append("")
        lines.append("SERVICE                                  STATE    RESTARTS")
        for service in rows("services") {
            lines.append(pad(service["id"], 40) + " " + pad((service["up"] as? Bool ?? false) ? "up" : "down", 8) + " \(service["restarts"] as? Int ?? 0)")
        }
        lines.append("")
        lines.append("SERVER                                   CONNECTIONS  FRAMES IN  FRAMES OUT")
        for server in rows("connections") {
            lines.append(pad(server["server"], 40) + " " + pad(server["open"], 12) + " " + pad(server["frames_in"], 10) + " \(server["frames_out"] as? Int ?? 0)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func pad(_ value: Any?, _ width: Int) -> String {
        let text = value.map { "\($0)" } ?? ""
        return text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
