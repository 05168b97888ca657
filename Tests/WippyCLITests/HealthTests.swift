import Foundation
import Testing

/// `GET /healthz` and `wippy health` against a real `wippy run` of Tests/Fixtures/health, whose
/// one service takes 1.5 s to start and 1.5 s to stop.
@Suite("Health endpoint")
struct HealthTests {
    @Test func answers503WhileStartingThen200Then503WhileStopping() async throws {
        let running = try RunCommandTests.Running(["run", "Tests/Fixtures/health", "--addr", "127.0.0.1:0"])
        defer { if running.process.isRunning { running.process.interrupt() } }
        #expect(try await running.wait(for: "listening on 127.0.0.1:"))
        let port = try #require(running.stderr.split(separator: "listening on 127.0.0.1:").last?.prefix { $0.isNumber })
        let url = "http://127.0.0.1:\(port)/healthz"

        // Starting: 503 (the service is still in its start-up code), then 200 once it waits.
        let first = try CLITests.wippy("health", "--url", url)
        #expect(first.status == 1)
        #expect(first.stdout.hasPrefix("HTTP/1.1 503"))
        var seen = [first.status]
        let deadline = ContinuousClock.now + .seconds(15)
        while seen.last != 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            seen.append(try CLITests.wippy("health", "--url", url).status)
        }
        #expect(seen.last == 0)
        #expect(running.stderr.contains("slow service ready"))
        let healthy = try CLITests.wippy("health", "--url", url)
        #expect(healthy.status == 0)
        #expect(healthy.stdout.hasPrefix("HTTP/1.1 200"))
        // An app route of the same server is unaffected.
        #expect(try CLITests.wippy("health", "--url", "http://127.0.0.1:\(port)/api/v1/hello").status == 0)

        // Stopping: the service takes 1.5 s after CANCEL; meanwhile the server answers 503.
        running.process.terminate()
        try await Task.sleep(for: .milliseconds(300))
        let stopping = try CLITests.wippy("health", "--url", url)
        #expect(stopping.status == 1)
        #expect(stopping.stdout.hasPrefix("HTTP/1.1 503"))
        #expect(running.process.isRunning)  // still within the service's 1.5 s stop
        #expect(try await running.exit() == 0)

        // Nobody listening: exit 1 with the reason.
        let gone = try CLITests.wippy("health", "--url", url)
        #expect(gone.status == 1)
        #expect(gone.stdout.contains("connection refused"))
    }

    @Test func defaultURLFollowsWippyAddress() throws {
        let defaults = try CLITests.wippy("health", "--help")
        #expect(defaults.stdout.contains("WIPPY_ADDR"))
        let bad = try CLITests.wippy("health", "--url", "ftp://x/healthz")
        #expect(bad.status != 0 && bad.status != 1)
        #expect(bad.stderr.contains("--url must be an http:// URL"))
    }
}
