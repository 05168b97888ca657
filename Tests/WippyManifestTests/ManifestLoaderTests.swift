import Foundation
import Testing
import WippyManifest
import WippySchema

@Suite("Manifest loader")
struct ManifestLoaderTests {
    static let fixtures = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures").path

    static func loadAllKinds() throws -> LoadResult {
        try ManifestLoader().load(directory: fixtures + "/valid/all-kinds")
    }

    static func entry(_ result: LoadResult, _ id: String) throws -> Entry {
        try #require(result.manifest[EntryID(id)!], "no entry \(id)")
    }

    @Test func loadsEveryKindWithoutProblems() throws {
        let result = try Self.loadAllKinds()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let kinds = Set(result.manifest.userEntries.map(\.kind))
        #expect(kinds == Set(EntryKind.allCases))
        #expect(result.manifest.namespaces == ["demo", "demo.lib"])
        // notes.yaml has no namespace and .hidden/ is hidden: neither is read as a manifest.
        #expect(result.manifestFiles.map { ($0 as NSString).lastPathComponent } == ["_index.yaml", "_index.yaml"])
        #expect(!result.manifestFiles.contains { $0.contains(".hidden") })
    }

    /// A relative `file_path` is taken from the working folder; `0600` means the octal bits;
    /// numbers are text; `readonly` is `read_only`.
    @Test func terminalHostAndEnvironmentEntries() throws {
        let result = try Self.loadAllKinds()
        guard case let .terminalHost(host) = try Self.entry(result, "demo:terminal").body else { Issue.record("wrong body"); return }
        #expect(host.hideLogs && host.lifecycle.autoStart)
        guard case let .envStorage(file) = try Self.entry(result, "demo:file_env").body else { Issue.record("wrong body"); return }
        let cwd = FileManager.default.currentDirectoryPath
        #expect(file.backend == .file(path: cwd + "/config.env", autoCreate: true, fileMode: 0o600, directoryMode: 0o755))
        guard case let .envStorage(fixed) = try Self.entry(result, "demo:defaults").body else { Issue.record("wrong body"); return }
        #expect(fixed.backend == .fixed(["REGION": "eu", "RETRIES": "3"]))
        guard case let .envStorage(chain) = try Self.entry(result, "demo:chain").body,
              case let .router(storages) = chain.backend else { Issue.record("wrong body"); return }
        #expect(storages.map(\.target.description) == ["demo:mem_env", "demo:file_env", "demo:os_env"])
        guard case let .envVariable(port) = try Self.entry(result, "demo:port").body else { Issue.record("wrong body"); return }
        #expect(port.name == "PORT" && port.defaultValue == "8080" && port.readOnly && port.storage.target.description == "demo:chain")
        guard case let .envVariable(secret) = try Self.entry(result, "demo:secret").body else { Issue.record("wrong body"); return }
        #expect(secret.name == nil && secret.defaultValue == nil && !secret.readOnly)
    }

    @Test func processServiceFieldsAndLifecycle() throws {
        let entry = try Self.entry(Self.loadAllKinds(), "demo:worker.service")
        guard case let .processService(service) = entry.body else { Issue.record("wrong body"); return }
        #expect(service.process.target.description == "demo:worker.process")  // relative reference
        #expect(service.host.target.description == "demo:processes")
        #expect(service.input == [Node(.string("first")), Node(.int(2))])
        let lifecycle = service.lifecycle
        #expect(lifecycle.autoStart)
        #expect(lifecycle.requires.map(\.target.description) == ["demo:db.service"])
        #expect(lifecycle.requires.first?.field == "lifecycle.depends_on[0]")
        #expect(lifecycle.startTimeout == .seconds(2))
        #expect(lifecycle.stopTimeout == .milliseconds(1500))
        #expect(lifecycle.stableThreshold == .seconds(90))
        #expect(lifecycle.restart.initialDelay == .milliseconds(250))
        #expect(lifecycle.restart.maxDelay == .seconds(60))
        #expect(lifecycle.restart.backoffFactor == 3)
        #expect(lifecycle.restart.jitter == 0.2)
        #expect(lifecycle.restart.maxAttempts == 5)
        // Field positions survive: the process reference points at its value in the file.
        #expect(service.process.location.mark == SourceMark(line: 25, column: 14))
        #expect(entry.location.mark == SourceMark(line: 23, column: 5))
    }

    @Test func lifecycleDefaults() throws {
        let entry = try Self.entry(Self.loadAllKinds(), "demo:db.service")
        let lifecycle = try #require(entry.lifecycle)
        #expect(lifecycle.startTimeout == .seconds(10))
        #expect(lifecycle.stopTimeout == .seconds(10))
        #expect(lifecycle.stableThreshold == .seconds(5))
        #expect(lifecycle.restart == RestartSettings())
        #expect(lifecycle.restart.initialDelay == .seconds(1))
        #expect(lifecycle.restart.maxDelay == .seconds(90))
        #expect(lifecycle.restart.backoffFactor == 2)
        #expect(lifecycle.restart.maxAttempts == 0)
    }

    @Test func luaSourcesAreReadRelativeToTheirFile() throws {
        let result = try Self.loadAllKinds()
        guard case let .processLua(program) = try Self.entry(result, "demo:worker.process").body else {
            Issue.record("wrong body"); return
        }
        #expect(program.source.hasPrefix("local util = require(\"util\")"))
        #expect(program.sourceFile?.hasSuffix("/valid/all-kinds/worker.lua") == true)
        #expect(program.method == "run")
        #expect(program.modules == ["json", "time"])
        #expect(program.imports.map(\.alias) == ["util"])
        #expect(program.imports.first?.library.target.description == "demo.lib:util")
        guard case let .libraryLua(library) = try Self.entry(result, "demo.lib:util").body else {
            Issue.record("wrong body"); return
        }
        #expect(library.sourceFile?.hasSuffix("/valid/all-kinds/api/util.lua") == true)
        #expect(library.method == nil)
        guard case let .functionLua(inline, pool, _) = try Self.entry(result, "demo:hello").body else {
            Issue.record("wrong body"); return
        }
        #expect(inline.source == "return { handler = function() end }\n")
        #expect(inline.sourceFile == nil)
        #expect(pool.workers == 4)
    }

    @Test func httpEntriesUseTheSystemDefaults() throws {
        let result = try Self.loadAllKinds()
        guard case let .httpEndpoint(mounted) = try Self.entry(result, "demo:hello.endpoint").body,
              case let .httpEndpoint(defaulted) = try Self.entry(result, "demo:default.endpoint").body,
              case let .httpRouter(router) = try Self.entry(result, "demo:router").body,
              case let .httpService(server) = try Self.entry(result, "demo:server").body,
              case let .httpStatic(site) = try Self.entry(result, "demo:site").body else {
            Issue.record("wrong bodies"); return
        }
        #expect(mounted.router.target.description == "demo:router")
        #expect(mounted.path == "/hello/{name}")
        #expect(mounted.function.target.description == "demo:hello")
        #expect(defaulted.router.target == SystemNamespace.api)
        #expect(defaulted.method == "POST")
        #expect(router.server.target.description == "demo:server")
        #expect(router.prefix == "/api")
        #expect(router.middleware == ["websocket_relay"])
        #expect(router.options == ["wsrelay.allowed.origins": "*", "wsrelay.max.message.size": "1024"])
        #expect(server.address == "127.0.0.1:9090")
        #expect(server.readTimeout == .seconds(5))
        #expect(site.server.target == SystemNamespace.http)
        #expect(site.directory.hasSuffix("/valid/all-kinds/public"))
        #expect(site.spa)
        #expect(site.index == "index.html")
    }

    @Test func fileMetaMergesUnderEntryMeta() throws {
        let result = try Self.loadAllKinds()
        let service = try Self.entry(result, "demo:worker.service")
        #expect(service.meta["team"]?.string == "core")
        #expect(service.meta["comment"]?.string == "entry meta wins")
        let host = try Self.entry(result, "demo:processes")
        #expect(host.meta["comment"]?.string == "file-level meta")
    }

    @Test func registryEntryKeepsItsData() throws {
        guard case let .registryEntry(data) = try Self.entry(Self.loadAllKinds(), "demo:settings").body else {
            Issue.record("wrong body"); return
        }
        #expect(data["color"]?.string == "blue")
        #expect(data["limits"]?["max"]?.int == 3)
        #expect(data["name"] == nil)
    }

    @Test func builtInsAreAlwaysPresentAndCanBeReplaced() throws {
        let seed = try ManifestLoader().load(directory: Self.fixtures + "/../../apps")
        #expect(seed.diagnostics.isEmpty)
        guard case let .httpService(http) = try #require(seed.manifest[SystemNamespace.http]).body,
              case let .httpRouter(api) = try #require(seed.manifest[SystemNamespace.api]).body else {
            Issue.record("built-ins missing"); return
        }
        #expect(http.address == ":8080")
        #expect(api.prefix == "/api/v1")
        #expect(api.middleware == ["websocket_relay"])
        #expect(seed.manifest.userEntries.count == 5)  // the seed's 4 and the chat page

        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-override-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        namespace: system
        entries:
          - name: http
            kind: http.service
            addr: "127.0.0.1:9999"
        """.write(to: folder.appending(path: "_index.yaml"), atomically: true, encoding: .utf8)
        let replaced = try ManifestLoader().load(directory: folder.path)
        #expect(replaced.diagnostics.isEmpty, "\(replaced.diagnostics)")
        guard case let .httpService(mine) = try #require(replaced.manifest[SystemNamespace.http]).body else {
            Issue.record("wrong body"); return
        }
        #expect(mine.address == "127.0.0.1:9999")
    }

    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("1s", .seconds(1)), ("2m", .seconds(120)), ("1h30m", .seconds(5400)),
        ("1.5s", .milliseconds(1500)), ("250us", .microseconds(250)), ("10ns", .nanoseconds(10)), ("0", .zero),
    ])
    func durationsParse(_ text: String, _ expected: Duration) {
        #expect(Duration(manifest: text) == expected)
    }

    @Test(arguments: ["", "10", "1 s", "s", "1x", "-1s", "1.2.3s", "10 parsecs", "1e3s"])
    func badDurationsAreRejected(_ text: String) {
        #expect(Duration(manifest: text) == nil)
    }

    @Test func entryIDsResolveRelativeReferences() {
        #expect(EntryID(reference: "ws_auth", in: "app.ws").description == "app.ws:ws_auth")
        #expect(EntryID(reference: "system:processes", in: "app.ws").description == "system:processes")
        #expect(EntryID(reference: "ws_hub.process", in: "app").name == "ws_hub.process")
        #expect(EntryID("a:b:c")?.name == "b:c")
        #expect(EntryID("nocolon") == nil)
        #expect(EntryID(":x") == nil)
    }
}
