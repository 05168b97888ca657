import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import WippyTestSupport

/// `wippy run --metrics-addr`: a real app with metrics on, driven over HTTP and WebSocket (a
/// relayed echo) with a service that fails until its supervisor gives up; the endpoint is scraped
/// over HTTP and the whole exposition parsed by the Prometheus client library's own parser
/// (prometheus-client, Python).
@Suite("Prometheus metrics")
struct MetricsTests {
    static let fixture = CLITests.repository.appending(path: "Tests/Fixtures/metrics")

    @Test func countersFromHandlersAndTheRuntimeAreExact() async throws {
        let run = try Command.start(["run", Self.fixture.path, "--metrics-addr", "127.0.0.1:0"], in: CLITests.repository,
                                    environment: [:], input: nil)
        defer { run.kill() }
        let gateway = try #require(await Self.port(of: "metrics:gateway", in: run), "\(run.standardError)")
        let scrape = try #require(await Self.port(of: "metrics", in: run), "\(run.standardError)")
        #expect(await run.waitForLog { $0.contains("service metrics:crasher.service failed 3 times in a row; giving up") } != nil)

        var refused: [String] = []
        for (region, value) in [("eu", 10), ("eu", 20), ("us", 5)] {
            let (status, body) = try await Self.request("http://127.0.0.1:\(gateway)/api/orders/\(region)?value=\(value)", method: "POST")
            #expect(status == 200)
            let reply = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            refused = reply?["refused"] as? [String] ?? []
        }
        #expect(refused.count == 6, "\(refused)")
        #expect(refused.first == "INVALID: orders_total: a counter only goes up (got -1.0)")
        #expect(refused.dropFirst().first == "INVALID: orders_total is a counter, not a gauge")
        #expect(refused.dropFirst(2).first == "INVALID: orders_total has the labels [region], not [zone]")
        #expect(refused.dropFirst(3).first?.hasPrefix("INVALID: \"bad name\" is not a metric name") == true)
        #expect(refused.dropFirst(4).first == "INVALID: metric names starting with wippy_ are the runtime's own")
        #expect(refused.dropFirst(5).first == "INVALID: order_value: the value must be a finite number")
        #expect(try await Self.request("http://127.0.0.1:\(gateway)/api/teapot").0 == 418)
        #expect(try await Self.request("http://127.0.0.1:\(gateway)/api/nowhere").0 == 404)
        #expect(try await Self.request("http://127.0.0.1:\(gateway)/api/teapot", method: "DELETE").0 == 405)
        let sessions = try await Subprocess.run(["python3", Self.fixture.appending(path: "ws_client.py").path, String(gateway)])
        #expect(sessions.status == 0 && sessions.output == "ok\n", "\(sessions.output)")

        // Both relays closed once the server counted both closes (the second only when it saw the socket go).
        var samples: [String: Double] = [:]
        let closedAt1006 = #"wippy_relay_connections_closed_total{code="1006",server="metrics:gateway"}"#
        let deadline = ContinuousClock.now + .seconds(30)
        repeat {
            let (status, exposition) = try await Self.request("http://127.0.0.1:\(scrape)/metrics")
            #expect(status == 200)
            samples = try await Self.parse(exposition)
        } while samples[closedAt1006] == nil && ContinuousClock.now < deadline
        #expect(samples[#"orders_total{region="eu"}"#] == 2)
        #expect(samples[#"orders_total{region="us"}"#] == 1)
        #expect(samples["order_value_count"] == 3 && samples["order_value_sum"] == 35)
        #expect(samples[#"queue_depth{queue="mail"}"#] == 5)
        #expect(samples[#"wippy_http_requests_total{endpoint="metrics:order.endpoint",method="POST",router="metrics:api",status="200"}"#] == 3)
        #expect(samples[#"wippy_http_requests_total{endpoint="metrics:teapot.endpoint",method="GET",router="metrics:api",status="418"}"#] == 1)
        #expect(samples[#"wippy_http_request_duration_seconds_count{endpoint="metrics:order.endpoint",method="POST",router="metrics:api"}"#] == 3)
        // Every response the server wrote, those no handler made too (the upgrades are not responses).
        #expect(samples[#"wippy_http_responses_total{server="metrics:gateway",status="200"}"#] == 3)
        #expect(samples[#"wippy_http_responses_total{server="metrics:gateway",status="418"}"#] == 1)
        #expect(samples[#"wippy_http_responses_total{server="metrics:gateway",status="404"}"#] == 1)
        #expect(samples[#"wippy_http_responses_total{server="metrics:gateway",status="405"}"#] == 1)
        #expect(samples[#"wippy_service_restarts_total{service="metrics:crasher.service"}"#] == 2)
        #expect(samples[#"wippy_service_up{service="metrics:crasher.service"}"#] == 0)
        #expect(samples[#"wippy_service_give_ups_total{service="metrics:crasher.service"}"#] == 1)
        #expect(samples[#"wippy_service_give_ups_total{service="metrics:hub.service"}"#] == 0)
        #expect(samples[#"wippy_relay_queued_bytes{server="metrics:gateway"}"#] == 0)
        // Each scrape observes every live process's mailbox (here the hub's, empty, in the 0 bucket).
        #expect((samples["wippy_mailbox_depth_count"] ?? 0) >= 1 && samples["wippy_mailbox_depth_sum"] == 0)
        // The crasher's three runs, the hub, and the two relayed connections (processes too).
        #expect(samples[#"wippy_processes_exited_total{outcome="failure"}"#] == 3)
        #expect(samples[#"wippy_processes_exited_total{outcome="result"}"#] == 2)
        #expect(samples["wippy_processes_spawned_total"] == 6)
        #expect(samples["wippy_processes"] == 1)
        #expect(samples[#"wippy_relay_connections_opened_total{server="metrics:gateway"}"#] == 2)
        #expect(samples[#"wippy_relay_connections_closed_total{code="1000",server="metrics:gateway"}"#] == 1)
        #expect(samples[closedAt1006] == 1)
        #expect(samples[#"wippy_relay_connections{server="metrics:gateway"}"#] == 0)
        #expect(samples[#"wippy_relay_frames_total{direction="in",server="metrics:gateway"}"#] == 4)
        #expect(samples[#"wippy_relay_frames_total{direction="out",server="metrics:gateway"}"#] == 4)
        #expect(samples[#"wippy_host_processes{host="system:processes"}"#] == 1)
        #expect(samples["wippy_mailbox_depth_max"] == 0)
        // Each scheduler thread: its queue, its Lua state's bytes, its busy time (values vary; present and sane).
        let threads = samples.filter { $0.key.hasPrefix("wippy_lua_memory_bytes{host=\"system:processes\"") }
        #expect(!threads.isEmpty && threads.values.allSatisfy { $0 > 0 }, "\(threads)")
        #expect(samples.contains { $0.key.hasPrefix("wippy_scheduler_busy_seconds_total{") && $0.value > 0 })
        #expect(samples.contains { $0.key.hasPrefix("wippy_scheduler_queue_length{host=\"system:processes\"") })
        #expect(try await Self.request("http://127.0.0.1:\(scrape)/elsewhere").0 == 404)

        // wippy top reads the same runtime through /status (6 requests: 4 above and 2 upgrades).
        let top = try CLITests.wippy("top", "--addr", "127.0.0.1:\(scrape)", "--once")
        #expect(top.status == 0, "\(top.stderr)")
        let lines = top.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("wippy top — 127.0.0.1:\(scrape) — 1 processes, 6 requests") == true, "\(top.stdout)")
        #expect(lines.contains { $0.hasPrefix("system:processes") && $0.hasSuffix(" 1") }, "\(top.stdout)")
        #expect(lines.contains { $0.hasPrefix("metrics:crasher.service") && $0.contains("down") && $0.hasSuffix(" 2") }, "\(top.stdout)")
        #expect(lines.contains { $0.hasPrefix("metrics:hub.service") && $0.contains("up") }, "\(top.stdout)")
        #expect(lines.contains { $0.hasPrefix("metrics:gateway") && $0.contains(" 4 ") && $0.hasSuffix(" 4") }, "\(top.stdout)")

        run.interrupt()
        #expect(await run.wait(for: .seconds(60)) == 0, "\(run.standardError)")
        let gone = try CLITests.wippy("top", "--addr", "127.0.0.1:\(scrape)", "--once")
        #expect(gone.status == 1 && gone.stdout.contains("connection refused"), "\(gone.stdout)")
    }

    /// The port a `NAME listening on 127.0.0.1:PORT` log line gives.
    static func port(of name: String, in run: Command) async -> Int? {
        let line = await run.waitForLog { $0.contains(" \(name) listening on 127.0.0.1:") }
        return line.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
    }

    static func request(_ url: String, method: String = "GET") async throws -> (Int, String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Every sample of the exposition, as `name{label="value",…}` (labels sorted) → value, parsed
    /// by prometheus_client; a text it cannot parse fails the test.
    static func parse(_ exposition: String) async throws -> [String: Double] {
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                    print("%s%s %r" % (s.name, "{" + labels + "}" if labels else "", s.value))
            """
        let folder = FileManager.default.temporaryDirectory.appending(path: "exposition-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try script.write(to: folder.appending(path: "parse.py"), atomically: true, encoding: .utf8)
        try exposition.write(to: folder.appending(path: "metrics.txt"), atomically: true, encoding: .utf8)
        let (status, output) = try await Subprocess.run(["python3", folder.appending(path: "parse.py").path,
                                                         folder.appending(path: "metrics.txt").path])
        #expect(status == 0, "prometheus_client could not parse:\n\(exposition)")
        var samples: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
