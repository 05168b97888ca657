import Foundation
import WippyGraph
import WippyManifest

/// Loads and validates a generated app (`files` manifests of `entriesPerFile` entries, with Lua
/// sources) and reports the median wall time of `runs` runs. With a peer command, runs the
/// PyYAML + jsonschema peer (bench/peers/manifest_peer.py) on the same files and prints the ratio.
struct ManifestBenchmark {
    var files: Int
    var entriesPerFile: Int
    var runs: Int
    var peer: String?

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-bench-manifest-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let entries = try generate(into: folder)
        print("### Manifest loading\n")
        print("A generated app of \(entries) entries in \(files) files, loaded, validated against the JSON Schemas and "
              + "turned into the dependency graph (median of \(max(1, runs)) runs); the peer loads the same folder with "
              + "PyYAML (libyaml) and validates it with `jsonschema` against the same schemas.\n")

        let loader = try ManifestLoader()
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = ContinuousClock.now
            let app = CheckedApp(directory: folder.path, loader: loader)
            let elapsed = ContinuousClock.now - start
            guard app.isValid, app.manifest.userEntries.count == entries else {
                throw BenchmarkError("generated app did not validate: \(app.diagnostics.prefix(3))")
            }
            times.append(elapsed.seconds)
        }
        let ours = median(times)
        let verdictLine = verdict("under 1 s for \(entries) entries", met: ours < 1, String(format: "%.3f s", ours))
        guard let peer else { return print(verdictLine) }

        let script = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "bench/peers/manifest_peer.py").path
        let schemas = URL(filePath: script).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "schemas").path
        let output = try capture(peer, [script, folder.path, schemas, String(max(1, runs)), String(entries)])
        guard let peerTime = output.split(separator: "\n").last.flatMap({ Double($0) }) else {
            throw BenchmarkError("peer printed no time: \(output)")
        }
        print("| scenario | wippy | PyYAML + jsonschema | wippy speed-up |")
        print("|---|---|---|---|")
        print(String(format: "| load+validate %d entries / %d files | %.3f s | %.3f s | %.1f× |",
                     entries, files, ours, peerTime, peerTime / ours))
        print("\n" + verdictLine)
    }

    /// Writes the app: per file one host, Lua code (file://), services, functions, endpoints, data.
    private func generate(into folder: URL) throws -> Int {
        var total = 0
        for f in 0..<files {
            let dir = folder.appending(path: "mod\(f / 100)/part\(f)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try "return { run = function() return \(f) end, handler = function() end }\n"
                .write(to: dir.appending(path: "code.lua"), atomically: false, encoding: .utf8)
            var yaml = "version: \"1.0\"\nnamespace: app.m\(f)\nmeta:\n  owner: bench\nentries:\n"
            for e in 0..<entriesPerFile {
                switch e % 5 {
                case 0:
                    yaml += """
                      - name: proc\(e)
                        kind: process.lua
                        source: file://code.lua
                        method: run
                        modules: [json, time]

                    """
                case 1:
                    yaml += """
                      - name: svc\(e)
                        kind: process.service
                        process: proc\(e - 1)
                        host: system:processes
                        lifecycle:
                          auto_start: true
                          stop_timeout: 2s
                          restart: {initial_delay: 500ms, max_attempts: 3}

                    """
                case 2:
                    yaml += """
                      - name: fn\(e)
                        kind: function.lua
                        source: file://code.lua
                        method: handler
                        modules: [http, json]

                    """
                case 3:
                    yaml += """
                      - name: ep\(e)
                        kind: http.endpoint
                        method: GET
                        path: /m\(f)/e\(e)/{id}
                        func: fn\(e - 1)

                    """
                default:
                    yaml += """
                      - name: data\(e)
                        kind: registry.entry
                        meta: {type: setting}
                        value: \(e)
                        tags: [a, b]

                    """
                }
                total += 1
            }
            try yaml.write(to: dir.appending(path: "_index.yaml"), atomically: false, encoding: .utf8)
        }
        return total
    }
}
