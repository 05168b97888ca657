import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Time from writing a handler's Lua file to the new code answering, with `wippy run --watch`
/// (debounce included): the file is rewritten `rounds` times; after each write the endpoint is
/// polled every millisecond until it answers with the new text.
struct ReloadBenchmark {
    var rounds: Int
    var wippy: String

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-reload-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        namespace: bench
        entries:
          - {name: version, kind: function.lua, source: "file://version.lua", method: run, modules: [http]}
          - {name: version.endpoint, kind: http.endpoint, method: GET, path: /version, func: version}
        """.write(to: folder.appending(path: "_index.yaml"), atomically: false, encoding: .utf8)
        let handler = folder.appending(path: "version.lua")
        func write(_ version: Int) throws {
            try "return { run = function() require('http').response():write('v\(version)') end }\n"
                .write(to: handler, atomically: false, encoding: .utf8)
        }
        try write(0)

        let port = Int.random(in: 20_000...40_000)
        let server = Process()
        server.executableURL = URL(filePath: wippy)
        server.arguments = ["run", folder.path, "--watch", "--addr", "127.0.0.1:\(port)", "--log-level", "warning"]
        try server.run()
        defer {
            server.interrupt()
            server.waitUntilExit()
        }
        let url = URL(string: "http://127.0.0.1:\(port)/api/v1/version")!
        func answer() async -> String? {
            guard let (data, _) = try? await URLSession.shared.data(from: url) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
        let ready = ContinuousClock.now + .seconds(10)
        while await answer() != "v0" {
            guard ContinuousClock.now < ready else { throw BenchmarkError("wippy did not start on port \(port)") }
            try await Task.sleep(for: .milliseconds(20))
        }

        var times: [Duration] = []
        for round in 1...rounds {
            try await Task.sleep(for: .milliseconds(150))
            let written = ContinuousClock.now
            try write(round)
            while await answer() != "v\(round)" {
                guard ContinuousClock.now - written < .seconds(5) else { throw BenchmarkError("round \(round): no new code after 5 s") }
                try await Task.sleep(for: .milliseconds(1))
            }
            times.append(ContinuousClock.now - written)
        }
        times.sort()
        func ms(_ duration: Duration) -> String { String(format: "%.1f ms", duration.seconds * 1000) }
        print("### Hot reload\n")
        print("`wippy run --watch`: a handler's Lua file rewritten \(rounds) times; after each write the endpoint is "
              + "polled every millisecond until it answers with the new text (the 50 ms debounce included).\n")
        print("| file write → new code answering (\(rounds) edits, debounce included) | median | p90 | max |")
        print("|---|---|---|---|")
        print("| wippy run --watch | \(ms(times[times.count / 2])) | \(ms(times[times.count * 9 / 10])) | \(ms(times.last!)) |")
        let middle = times[times.count / 2]
        print("\n" + verdict("under 200 ms", met: middle < .milliseconds(200), "median " + ms(middle)))
    }
}
