import Foundation
import Testing
import WippyTestSupport

/// Several `wippy run --cluster` on loopback, each test with a PostgreSQL server of its own
/// (scripts/postgres.sh): sends, names, monitors and links across nodes, a node lost to SIGKILL,
/// and the seed's chat app on three nodes.
@Suite("Cluster on PostgreSQL", .serialized)
struct ClusterTests {
    static let fixture = TestApp.fixtures + "/cluster"

    /// `wippy run` of the cluster fixture as `node`, once it has joined and started its services.
    static func node(_ name: String, _ postgres: PostgresServer, extra: [String] = []) async throws -> RunCommandTests.Running {
        let wippy = try RunCommandTests.Running(["run", fixture, "--cluster", postgres.url, "--node", name, "--lease", "5s",
                                                 "--addr", "127.0.0.1:0"] + extra, withOutput: true)
        #expect(try await wippy.wait(for: "started 1 service(s)", timeout: .seconds(120)), "\(wippy.stderr)")
        return wippy
    }

    /// The JSON object of the last line of `text` that holds one.
    static func lastObject(_ text: String) -> [String: Any]? {
        for line in text.split(separator: "\n").reversed() where line.hasPrefix("{") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { return object }
        }
        return nil
    }

    /// The value of the series `name` (with its labels, as written) in a Prometheus exposition.
    static func sample(_ name: String, in exposition: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func messagesNamesMonitorsAndLinksCrossNodes() async throws {
        let postgres = try await PostgresServer.start()
        let a = try await Self.node("a", postgres, extra: ["--metrics-addr", "127.0.0.1:0"])
        let metricsPort = try await a.port(after: "metrics listening on 127.0.0.1:")
        let probe = try RunCommandTests.Running(["run", Self.fixture, "--cluster", postgres.url, "--node", "b", "--addr", "127.0.0.1:0",
                                                 "-x", "cluster:probe"], withOutput: true)
        let status = try await probe.exit(timeout: .seconds(120))
        let result = try #require(Self.lastObject(probe.stderr), "\(probe.stderr)")
        #expect(status == 0, "\(probe.stderr)")
        // The echo that holds the name runs on a; every reply came from there.
        #expect((result["echo"] as? String)?.hasPrefix("{a@cluster:workers|0x") == true, "\(result)")
        #expect(result["pong_from"] as? String == result["echo"] as? String)
        #expect(result["shapes"] as? Bool == true, "integers, floats, nested tables, bytes and 100 KB: \(result)")
        #expect(result["in_order"] as? Bool == true)
        #expect((result["second_register"] as? String)?.contains("already registered by {a@") == true, "\(result)")
        #expect((result["local_shadow"] as? String)?.contains("(cluster-wide)") == true, "\(result)")
        #expect(result["own_register"] as? Bool == true && result["own_lookup"] as? Bool == true && result["own_unregister"] as? Bool == true)
        #expect((result["long_name"] as? String)?.contains("at most 256 bytes") == true, "\(result)")
        let monitor = try #require(result["monitor_event"] as? [String: Any])
        #expect(monitor["kind"] as? String == "pid.exit" && (monitor["error"] as? String)?.contains("asked to fail") == true, "\(monitor)")
        #expect((monitor["from"] as? String)?.hasPrefix("{a@") == true)
        let link = try #require(result["link_event"] as? [String: Any])
        #expect(link["kind"] as? String == "pid.link.down" && (link["from"] as? String)?.hasPrefix("{a@") == true, "\(link)")
        #expect((result["dead_node_send"] as? String)?.contains("node nowhere") == true, "\(result)")
        // Both nodes registered then; b left when its command ended.
        #expect(try await postgres.query("SELECT name || ' ' || node FROM wippy_names ORDER BY name") == "echo a\n")
        // a's view: b left (counted lost once), two pongs of 100 KB went through the mail table.
        var exposition = ""
        for _ in 0..<600 {
            exposition = try await Subprocess.output(["curl", "-s", "http://127.0.0.1:\(metricsPort)/metrics"])
            if Self.sample("wippy_cluster_nodes", in: exposition) == 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(Self.sample("wippy_cluster_nodes", in: exposition) == 1, "\(exposition)")
        #expect(Self.sample("wippy_cluster_nodes_lost_total", in: exposition) == 1)
        #expect(Self.sample("wippy_cluster_mail_total", in: exposition) == 2)
        #expect((Self.sample(#"wippy_cluster_frames_total{direction="out"}"#, in: exposition) ?? 0) >= 302)
        #expect((Self.sample(#"wippy_cluster_frames_total{direction="in"}"#, in: exposition) ?? 0) >= 302)
        #expect((Self.sample(#"wippy_cluster_batches_total{direction="in"}"#, in: exposition) ?? 0) >= 1)
        #expect(Self.sample("wippy_cluster_queued_bytes", in: exposition) == 0)
        a.process.interrupt()
        #expect(try await a.exit() == 0, "\(a.stderr)")
        #expect(try await postgres.query("SELECT count(*) FROM wippy_names") == "0\n", "a gave up its names when it left")
        await postgres.stop()
    }

    /// A node lost without leaving (SIGKILL): a monitor of its process on another node fires EXIT
    /// once its lease lapses, naming the node, and its cluster-wide names are released.
    @Test func aKilledNodeFiresMonitorsAndReleasesItsNames() async throws {
        let postgres = try await PostgresServer.start()
        let a = try await Self.node("a", postgres)
        let watch = try RunCommandTests.Running(["run", Self.fixture, "--cluster", postgres.url, "--node", "b", "--addr", "127.0.0.1:0",
                                                 "-x", "cluster:watch"], withOutput: true)
        #expect(try await watch.wait(for: "watching {a@", timeout: .seconds(120)), "\(watch.stderr)")
        kill(a.process.processIdentifier, SIGKILL)
        let killed = ContinuousClock.now
        #expect(try await watch.exit(timeout: .seconds(120)) == 0, "\(watch.stderr)")
        print("cluster: EXIT for a process of the killed node after \(ContinuousClock.now - killed) (lease 5 s)")
        let event = try #require(Self.lastObject(watch.stderr), "\(watch.stderr)")
        #expect(event["kind"] as? String == "pid.exit")
        #expect(event["error"] as? String == "node a is down: its lease lapsed", "\(event)")
        #expect(event["released"] as? Bool == true, "the name \"echo\" of the lost node was still found")
        _ = try await a.exit()
        await postgres.stop()
    }

    /// The Done-when scenario: the seed's chat app, unchanged, on three nodes (Tests/Cluster/chat_scenario.py).
    @Test func theSeedChatOnThreeNodesSurvivesALostNode() async throws {
        let postgres = try await PostgresServer.start()
        let script = CLITests.repository.appending(path: "Tests/Cluster/chat_scenario.py").path
        let report = try await Subprocess.output(["python3", script, CLITests.binary.path, "apps/", postgres.url, "300", "6"])
        await postgres.stop()
        let result = try #require(Self.lastObject(report), "\(report)")
        #expect(result["error"] == nil, "\(result)")
        for round in ["round1", "round2", "round3"] {
            let r = try #require(result[round] as? [String: Any], "\(round) missing: \(result)")
            #expect(r["complete"] as? Int == r["clients"] as? Int, "\(round): \(r)")
            #expect(r["missing"] as? Int == 0 && r["duplicates"] as? Int == 0 && r["out_of_order"] as? Int == 0, "\(round): \(r)")
        }
        #expect((result["round1"] as? [String: Any])?["clients"] as? Int == 300)
        #expect(result["killed"] as? String != result["hub_node"] as? String)
        #expect(result["doomed_ended"] as? Int == 100, "the killed node's clients saw their sockets end: \(result)")
        #expect(result["leaves_seen"] as? Int == 100, "the hub heard ws.leave for each client of the lost node: \(result)")
        print("cluster chat: ws.leave for the lost node's 100 clients after \(result["leave_seconds"] ?? "?") s (lease 6 s)")
        let exits = try #require(result["exit"] as? [String: Any])
        #expect(exits.values.allSatisfy { $0 as? Int == 0 }, "\(exits)")
    }

    /// A browser's connection on node b, its hub on node a: every relay feature crosses nodes
    /// (Tests/Cluster/relay_across.py against the relay fixture, its hub's name made global).
    @Test func theRelayWorksWithItsHubOnAnotherNode() async throws {
        let postgres = try await PostgresServer.start()
        let relay = TestApp.fixtures + "/http/relay"
        func start(_ node: String) async throws -> (RunCommandTests.Running, Int) {
            let wippy = try RunCommandTests.Running(["run", relay, "--cluster", postgres.url, "--node", node, "--lease", "5s",
                                                     "--global-name", "relay_hub"])
            #expect(try await wippy.wait(for: "started 1 service(s)", timeout: .seconds(120)), "\(wippy.stderr)")
            let port = try await wippy.port()
            return (wippy, port)
        }
        let (a, _) = try await start("a")
        // a's hub holds the name before b starts.
        var holder = ""
        for _ in 0..<600 where holder != "a\n" {
            holder = try await postgres.query("SELECT node FROM wippy_names WHERE name = 'relay_hub'")
            if holder != "a\n" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(holder == "a\n")
        let (b, port) = try await start("b")
        let script = CLITests.repository.appending(path: "Tests/Cluster/relay_across.py").path
        let output = try await Subprocess.output(["python3", script, "\(port)"])
        let r = try #require(Self.lastObject(output), "\(output)\n\(b.stderr)")
        let joined = try #require(r["joined"] as? [String: Any])
        #expect((joined["data"] as? [String: Any])?["client"] as? String == "{b@relay:server|0x00002}", "\(joined)")
        #expect(((r["echo"] as? [String: Any])?["data"] as? [String: Any])?["text"] as? String == "hello")
        #expect(r["raw"] as? String == "plain text")
        #expect((r["binary"] as? [String: Any])?["data"] as? String == "00ff62696e")
        #expect((r["retarget"] as? [String: Any])?["topic"] as? String == "side.joined", "ws.control to a process spawned on a: \(r)")
        #expect((r["side"] as? [String: Any])?["data"] as? String == "to the side")
        #expect((r["heartbeat"] as? [String: Any])?["topic"] as? String == "hb", "\(r)")
        let close = try #require(r["close"] as? [String: Any])
        #expect(close["code"] as? Int == 4000 && close["reason"] as? String == "asked to close", "\(close)")
        for node in [b, a] {
            node.process.interrupt()
            #expect(try await node.exit() == 0, "\(node.stderr)")
        }
        await postgres.stop()
    }

    /// `.wippy.yaml`'s cluster section does what the flags do.
    @Test func theProjectFileJoinsACluster() async throws {
        let postgres = try await PostgresServer.start()
        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-cluster-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "cluster:\n  url: \(postgres.url)\n  node: from-yaml\n  lease: 5s\n  global_names: [echo]\n"
            .write(to: folder.appending(path: ".wippy.yaml"), atomically: true, encoding: .utf8)
        let run = try CLITests.wippy("run", Self.fixture, "--addr", "127.0.0.1:0", "-x", "cluster:probe", in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(Self.lastObject(run.stdout), "\(run.stdout)\n\(run.stderr)")
        #expect((result["echo"] as? String)?.hasPrefix("{from-yaml@cluster:workers|") == true, "\(result)")
        try "cluster:\n  url: 5\n".write(to: folder.appending(path: ".wippy.yaml"), atomically: true, encoding: .utf8)
        let bad = try CLITests.wippy("run", Self.fixture, in: folder)
        #expect(bad.status != 0 && bad.stderr.contains(".wippy.yaml: cluster.url: expected a string"), "\(bad.stderr)")
        try? FileManager.default.removeItem(at: folder)
        await postgres.stop()
    }

    /// The server goes away under a running node: it says so, /healthz answers 503 `cut_off` (an
    /// orchestrator restarts it), its own services keep running, and it still stops cleanly.
    @Test func aNodeCutOffFromItsServerReportsItAndStopsCleanly() async throws {
        let postgres = try await PostgresServer.start()
        let wippy = try RunCommandTests.Running(["run", TestApp.fixtures + "/http/relay", "--cluster", postgres.url, "--node", "a"])
        let port = try await wippy.port()
        let url = "http://127.0.0.1:\(port)/healthz"
        #expect(try await Subprocess.output(["curl", "-s", url]) == #"{"status":"running"}"#)
        await postgres.stop()
        #expect(try await wippy.wait(for: "node a is cut off from the others", timeout: .seconds(120)), "\(wippy.stderr)")
        #expect(try await Subprocess.output(["curl", "-s", "-w", " %{http_code}", url]) == #"{"status":"cut_off"} 503"#)
        wippy.process.interrupt()
        #expect(try await wippy.exit() == 0, "\(wippy.stderr)")
    }

    /// A server that stops answering without closing anything (frozen with SIGSTOP): the node
    /// gives up on it within half a lease, is cut off, and still stops cleanly.
    @Test func aServerThatHangsCutsTheNodeOff() async throws {
        let postgres = try await PostgresServer.start()
        let wippy = try RunCommandTests.Running(["run", TestApp.fixtures + "/http/relay", "--cluster", postgres.url, "--node", "a", "--lease", "2s"])
        let port = try await wippy.port()
        try await postgres.signal(SIGSTOP)
        #expect(try await wippy.wait(for: "the server did not answer within", timeout: .seconds(120)), "\(wippy.stderr)")
        #expect(try await wippy.wait(for: "node a is cut off from the others", timeout: .seconds(120)), "\(wippy.stderr)")
        #expect(try await Subprocess.output(["curl", "-s", "http://127.0.0.1:\(port)/healthz"]) == #"{"status":"cut_off"}"#)
        wippy.process.interrupt()
        #expect(try await wippy.exit() == 0, "\(wippy.stderr)")
        try await postgres.signal(SIGCONT)
        await postgres.stop()
    }

    /// A node frozen past its lease (SIGSTOP) is counted lost by the others; once it runs again it
    /// cuts itself off instead of carrying on with a view the others do not share.
    @Test func aNodeFrozenPastItsLeaseCutsItselfOffWhenItWakes() async throws {
        let postgres = try await PostgresServer.start()
        let b = try await Self.node("b", postgres)
        let a = try RunCommandTests.Running(["run", TestApp.fixtures + "/http/relay", "--cluster", postgres.url, "--node", "a", "--lease", "3s"])
        let port = try await a.port()
        kill(a.process.processIdentifier, SIGSTOP)
        #expect(try await b.wait(for: "node a is down (its lease lapsed)", timeout: .seconds(120)), "\(b.stderr)")
        kill(a.process.processIdentifier, SIGCONT)
        #expect(try await a.wait(for: "so the others count it lost: node a is cut off", timeout: .seconds(120)), "\(a.stderr)")
        #expect(try await Subprocess.output(["curl", "-s", "http://127.0.0.1:\(port)/healthz"]) == #"{"status":"cut_off"}"#)
        for node in [a, b] {
            node.process.interrupt()
            #expect(try await node.exit() == 0, "\(node.stderr)")
        }
        await postgres.stop()
    }

    @Test func badClusterSettingsAreRefusedWithTheirFlag() async throws {
        let badNode = try CLITests.wippy("run", "apps/", "--cluster", "postgres://wippy@127.0.0.1:1/x", "--node", "Bad Name")
        #expect(badNode.status != 0 && badNode.stderr.contains("--node: a node name is lowercase letters"), "\(badNode.stderr)")
        let badURL = try CLITests.wippy("run", "apps/", "--cluster", "mysql://x")
        #expect(badURL.status != 0 && badURL.stderr.contains("--cluster: expected postgres://"), "\(badURL.stderr)")
        let lonely = try CLITests.wippy("run", "apps/", "--node", "a")
        #expect(lonely.status != 0 && lonely.stderr.contains("need --cluster"), "\(lonely.stderr)")
        let badLease = try CLITests.wippy("run", "apps/", "--cluster", "postgres://wippy@127.0.0.1:1/x", "--lease", "5ms")
        #expect(badLease.status != 0 && badLease.stderr.contains("--lease: expected a duration"), "\(badLease.stderr)")
        // Nothing listens on port 1: a clear error, no crash.
        let unreachable = try CLITests.wippy("run", "apps/", "--cluster", "postgres://wippy@127.0.0.1:1/x", "--node", "a")
        #expect(unreachable.status == 1 && unreachable.stderr.contains("cannot connect to the cluster's server at 127.0.0.1:1"), "\(unreachable.stderr)")
    }
}
