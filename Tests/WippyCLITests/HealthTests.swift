import Foundation
import Testing

/// `GET /healthz` and `wippy health` against a real `wippy run` of Tests/Fixtures/health, whose
/// one service stays in its start-up code until told "go", and after CANCEL needs "finish".
@Suite("Health endpoint")
struct HealthTests {
    @Test func answers503WhileStartingThen200Then503WhileStopping() async throws {
        let running = try RunCommandTests.Running(["run", "Tests/Fixtures/health", "--addr", "127.0.0.1:0"])
        defer { if running.process.isRunning { running.process.interrupt() } }
        #expect(try await running.wait(for: "listening on 127.0.0.1:"))
        let port = try #require(running.stderr.split(separator: "listening on 127.0.0.1:").last?.prefix { $0.isNumber })
        let url = "http://127.0.0.1:\(port)/healthz"
        func signal(_ topic: String) throws -> String {
            try CLITests.curl("http://127.0.0.1:\(port)/api/v1/signal/\(topic)")
        }

        // Starting: 503 while the service is in its start-up code, 200 once it waits.
        let starting = try CLITests.wippy("health", "--url", url)
        #expect(starting.status == 1)
        #expect(starting.stdout.hasPrefix("HTTP/1.1 503"))
        #expect(try CLITests.curl(url) == #"{"status":"starting","waiting":["health:slow.service"]}"#)
        #expect(try signal("go") == "sent")
        #expect(try await running.wait(for: "slow service ready"))
        var healthy = try CLITests.wippy("health", "--url", url)
        let deadline = ContinuousClock.now + .seconds(60)
        while healthy.status != 0, ContinuousClock.now < deadline {  // ready is recorded as it first waits
            try await Task.sleep(for: .milliseconds(50))
            healthy = try CLITests.wippy("health", "--url", url)
        }
        #expect(healthy.status == 0)
        #expect(healthy.stdout.hasPrefix("HTTP/1.1 200"))

        // Stopping: the service waits for "finish" after CANCEL; meanwhile the server answers 503.
        running.process.terminate()
        var stopping = try CLITests.wippy("health", "--url", url)
        while stopping.status == 0, ContinuousClock.now < deadline + .seconds(60) {  // until SIGTERM is handled
            try await Task.sleep(for: .milliseconds(20))
            stopping = try CLITests.wippy("health", "--url", url)
        }
        #expect(stopping.status == 1)
        #expect(stopping.stdout.hasPrefix("HTTP/1.1 503"))
        #expect(try CLITests.curl(url) == #"{"status":"stopping"}"#)
        #expect(running.process.isRunning)
        #expect(try signal("finish") == "sent")
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
