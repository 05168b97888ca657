import Foundation
import Synchronization
import Testing
import WippyRuntime
import WippyTestSupport

/// `wippy run --watch` as a user meets it: the fixture app Tests/Fixtures/reload copied to a temp
/// folder, served on a real port with the file watcher on, edited on disk while clients use it.
@Suite("Hot reload", .serialized)
struct HotReloadTests {
    /// A fresh copy of the fixture app, removed afterwards.
    static func withApp(_ body: (_ folder: URL, _ base: String, _ runtime: AppRuntime, _ logs: LogCapture) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-reload-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: TestApp.fixtures + "/reload", toPath: folder.path)
        defer { try? FileManager.default.removeItem(at: folder) }
        let logs = LogCapture()
        try await TestApp.serve(folder.path, logs: logs, watch: true, ready: {
            $0.table.lookup("reload_hub") != nil && $0.table.lookup("reload_other") != nil && $0.table.lookup("reload_dependent") != nil
        }) { base, runtime in
            try await Task.sleep(for: .milliseconds(100))  // the watcher is up
            try await body(folder, base, runtime, logs)
        }
    }

    static func edit(_ file: URL, _ change: (String) -> String) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        try change(text).write(to: file, atomically: false, encoding: .utf8)
    }

    static func get(_ base: String, _ path: String) async throws -> (status: Int, body: String) {
        let reply = try await HTTPServerTests.request(URL(string: "http://\(base)\(path)")!)
        return (reply.status, reply.body)
    }

    /// Waits until `condition` holds; false after `seconds`.
    static func eventually(_ seconds: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    @Test func editedHandlerAnswersWithNewCodeWhileRequestInFlightFinishesOnOld() async throws {
        try await Self.withApp { folder, base, _, logs in
            #expect(try await Self.get(base, "/api/version").body == "v1")
            async let slow = Self.get(base, "/api/version?sleep=600")
            #expect(try await Self.eventually { logs.all.contains { $0.contains("version v1 waits") } })  // it runs the v1 code now
            let written = ContinuousClock.now
            try Self.edit(folder.appending(path: "handlers.lua")) { $0.replacingOccurrences(of: "\"v1\"", with: "\"v2\"") }
            let live = try await Self.eventually { try await Self.get(base, "/api/version").body == "v2" }
            #expect(live)
            #expect(ContinuousClock.now - written < .seconds(1))
            #expect(try await slow.body == "v1")
            #expect(logs.all.contains { $0.contains("reloaded in") && $0.contains("reload:version") })
        }
    }

    @Test func brokenManifestKeepsTheOldAppAndTheFixIsApplied() async throws {
        try await Self.withApp { folder, base, _, logs in
            let manifest = folder.appending(path: "_index.yaml")
            let original = try String(contentsOf: manifest, encoding: .utf8)
            // A YAML syntax error: refused, logged with file:line, the old app keeps serving.
            try (original + "  - name: [broken\n").write(to: manifest, atomically: false, encoding: .utf8)
            #expect(try await Self.eventually { logs.all.contains { $0.contains("reload refused") } })
            #expect(logs.all.contains { $0.contains("_index.yaml:") && $0.contains("error: YAML syntax error") })
            #expect(try await Self.get(base, "/api/version").body == "v1")

            // A missing reference: refused too, the error names the field and the missing entry.
            try original.replacingOccurrences(of: "func: version", with: "func: versoin")
                .write(to: manifest, atomically: false, encoding: .utf8)
            #expect(try await Self.eventually { logs.all.contains { $0.contains("reload:versoin") } })
            #expect(try await Self.get(base, "/api/version").body == "v1")

            // Fixed, with new code: the new version is live.
            try original.write(to: manifest, atomically: false, encoding: .utf8)
            try Self.edit(folder.appending(path: "handlers.lua")) { $0.replacingOccurrences(of: "\"v1\"", with: "\"v3\"") }
            #expect(try await Self.eventually { try await Self.get(base, "/api/version").body == "v3" })
        }
    }

    @Test func addedAndRemovedEndpoint() async throws {
        try await Self.withApp { folder, base, _, _ in
            #expect(try await Self.get(base, "/api/extra").status == 404)
            let extra = folder.appending(path: "extra")
            try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
            try """
            namespace: reload.extra
            entries:
              - name: extra
                kind: function.lua
                source: "return { run = function() require('http').response():write('extra') end }"
                method: run
                modules: [http]
              - name: extra.endpoint
                kind: http.endpoint
                meta: {router: reload:api}
                method: GET
                path: /extra
                func: extra
            """.write(to: extra.appending(path: "_index.yaml"), atomically: false, encoding: .utf8)
            #expect(try await Self.eventually { try await Self.get(base, "/api/extra") == (200, "extra") })
            try FileManager.default.removeItem(at: extra)
            #expect(try await Self.eventually { try await Self.get(base, "/api/extra").status == 404 })
        }
    }

    /// An added http.service starts listening, a new address rebinds it, removing it stops it.
    @Test func listenersStartRebindAndStop() async throws {
        try await Self.withApp { folder, _, runtime, _ in
            let second = folder.appending(path: "second.yaml")
            func write(_ address: String) throws {
                try """
                namespace: reload.second
                entries:
                  - {name: server, kind: http.service, addr: "\(address)"}
                  - {name: api, kind: http.router, meta: {server: server}, prefix: /two}
                  - name: hi
                    kind: function.lua
                    source: "return { run = function() require('http').response():write('second') end }"
                    method: run
                    modules: [http]
                  - {name: hi.endpoint, kind: http.endpoint, meta: {router: api}, method: GET, path: /hi, func: hi}
                """.write(to: second, atomically: false, encoding: .utf8)
            }
            func port() -> Int? { runtime.servers.first { $0.id.description == "reload.second:server" }?.port }
            try write("127.0.0.1:0")
            #expect(try await Self.eventually { port() != nil })
            let first = try #require(port())
            #expect(try await Self.get("127.0.0.1:\(first)", "/two/hi") == (200, "second"))

            try write("localhost:0")
            #expect(try await Self.eventually { port().map { $0 != first } ?? false })
            let moved = try #require(port())
            #expect(try await Self.get("127.0.0.1:\(moved)", "/two/hi") == (200, "second"))
            // The old listener closes after it left the list: wait for it, without a fixed delay.
            #expect(try await Self.eventually { (try? await Self.get("127.0.0.1:\(first)", "/two/hi")) == nil })

            try FileManager.default.removeItem(at: second)
            #expect(try await Self.eventually { port() == nil })
            #expect(try await Self.eventually { (try? await Self.get("127.0.0.1:\(moved)", "/two/hi")) == nil })
        }
    }

    @Test func unrelatedServiceChangeLeavesTheHubRunning() async throws {
        try await Self.withApp { folder, _, runtime, logs in
            let hub = try #require(runtime.table.lookup("reload_hub"))
            let other = try #require(runtime.table.lookup("reload_other"))
            let dependent = try #require(runtime.table.lookup("reload_dependent"))
            try Self.edit(folder.appending(path: "other.lua")) { $0 + "-- edited\n" }
            #expect(try await Self.eventually { runtime.table.lookup("reload_other").map { $0 != other } ?? false })
            #expect(try await Self.eventually { runtime.table.lookup("reload_dependent").map { $0 != dependent } ?? false })
            #expect(runtime.table.lookup("reload_hub") == hub)
            // Both run the edited code; the one that requires the other restarts after it.
            #expect(logs.all.contains {
                $0.contains("restarted reload:other.service, reload:dependent.service") && !$0.contains("hub.service")
            })
        }
    }

    /// 50 relayed clients stay connected while their hub's code changes, and again when it crashes.
    @Test func relayedClientsFollowTheirHubAcrossReloadAndCrash() async throws {
        try await Self.withApp { folder, base, runtime, _ in
            let sockets = (0..<50).map { _ in TestSocket() }
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for socket in sockets { tasks.addTask { try await socket.run("ws://\(base)/ws/connect") } }
                func joins(_ version: String) -> (TestSocket) -> Int {
                    { socket in socket.messages("joined").filter { ($0["data"] as? [String: Any])?["version"] as? String == version }.count }
                }
                try await sockets[0].wait("50 joined v1") { sockets.allSatisfy { joins("v1")($0) == 1 } }
                let oldHub = try #require(runtime.table.lookup("reload_hub"))

                // New code: the new hub gets a ws.join from every client; nobody is disconnected.
                try Self.edit(folder.appending(path: "hub.lua")) { $0.replacingOccurrences(of: "\"v1\"", with: "\"v2\"") }
                try await sockets[0].wait("50 joined v2") { sockets.allSatisfy { joins("v2")($0) == 1 } }
                #expect(runtime.table.lookup("reload_hub") != oldHub)
                #expect(sockets.allSatisfy { $0.closed.withLock { $0 } == nil })
                sockets[7].send("hello")
                try await sockets[7].wait("echo") { !sockets[7].messages("echo").isEmpty }
                let echo = try #require(sockets[7].messages("echo").first?["data"] as? [String: Any])
                #expect(echo["version"] as? String == "v2")
                #expect(echo["clients"] as? Int == 50)

                // A crash: the supervisor restarts the hub and every client joins it again.
                sockets[3].send("die")
                try await sockets[0].wait("50 re-joined v2") { sockets.allSatisfy { joins("v2")($0) == 2 } }
                #expect(sockets.allSatisfy { $0.closed.withLock { $0 } == nil })
                sockets[9].send("again")
                try await sockets[9].wait("echo after crash") { !sockets[9].messages("echo").isEmpty }
                #expect((sockets[9].messages("echo").first?["data"] as? [String: Any])?["clients"] as? Int == 50)

                for socket in sockets { socket.close() }
                try await tasks.waitForAll()
            }
        }
    }
}
