import Foundation
import Testing
import WippyGraph
import WippyManifest

/// One broken app under Tests/Fixtures/invalid and the diagnostic it must produce.
struct InvalidCase: CustomTestStringConvertible, Sendable {
    var folder: String
    var file: String
    var line: Int
    var column: Int
    var fragments: [String]
    var testDescription: String { folder }
}

@Suite("Invalid apps are reported at the right line")
struct InvalidAppTests {
    static let fixtures = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures/invalid").path

    static let cases: [InvalidCase] = [
        .init(folder: "yaml-syntax", file: "_index.yaml", line: 5, column: 4, fragments: ["YAML syntax error"]),
        .init(folder: "not-utf8", file: "_index.yaml", line: 3, column: 14, fragments: ["not valid UTF-8", "0xE9"]),
        .init(folder: "missing-namespace", file: "_index.yaml", line: 2, column: 1, fragments: ["no namespace:"]),
        .init(folder: "missing-name", file: "_index.yaml", line: 3, column: 5,
              fragments: ["entry 1 of namespace app", "missing required field \"name\""]),
        .init(folder: "missing-kind", file: "_index.yaml", line: 3, column: 5,
              fragments: ["app:thing", "missing required field \"kind\""]),
        .init(folder: "missing-required-field", file: "_index.yaml", line: 3, column: 5,
              fragments: ["app:handler", "missing required field \"method\""]),
        .init(folder: "unknown-kind", file: "_index.yaml", line: 4, column: 11,
              fragments: ["app:worker", "unknown kind \"process.lau\"", "did you mean \"process.lua\"?"]),
        .init(folder: "unknown-field", file: "_index.yaml", line: 7, column: 5,
              fragments: ["app:worker", "unknown field \"modeles\"", "did you mean \"modules\"?"]),
        .init(folder: "wrong-type", file: "_index.yaml", line: 7, column: 19,
              fragments: ["app:server", "lifecycle.auto_start", "expected boolean, got string \"sometimes\""]),
        .init(folder: "bad-duration", file: "_index.yaml", line: 7, column: 21,
              fragments: ["app:server", "lifecycle.stop_timeout", "\"10 parsecs\"", "bad duration"]),
        .init(folder: "duplicate-id", file: "two/_index.yaml", line: 5, column: 5,
              fragments: ["duplicate entry ID \"app:settings\"", "first defined at one/_index.yaml:3:5"]),
        .init(folder: "missing-reference", file: "_index.yaml", line: 5, column: 14,
              fragments: ["app:hub.service", "process", "no entry \"app:hub.proces\"", "did you mean \"app:hub.process\"?"]),
        .init(folder: "wrong-kind-reference", file: "_index.yaml", line: 5, column: 14,
              fragments: ["app:hub.service", "\"app:helper\" is a function.lua, expected a process.lua"]),
        .init(folder: "cycle", file: "_index.yaml", line: 20, column: 18,
              fragments: ["dependency cycle: app:a -> app:b -> app:c -> app:a"]),
        .init(folder: "source-missing", file: "_index.yaml", line: 5, column: 13,
              fragments: ["app:worker", "source", "\"file://worker.lua\" not found"]),
        .init(folder: "source-outside/app", file: "_index.yaml", line: 5, column: 13,
              fragments: ["app:worker", "source", "outside the app folder"]),
        // Before: 9^9 values once expanded; `wippy validate` took gigabytes (a live server too, under --watch).
        .init(folder: "yaml-aliases", file: "_index.yaml", line: 3, column: 4,
              fragments: ["YAML aliases expand to more than 11132 values here"]),
        // Before: the sum overflowed 64-bit nanoseconds.
        .init(folder: "duration-too-long", file: "_index.yaml", line: 7, column: 21,
              fragments: ["app:server", "lifecycle.stop_timeout", "longer than the maximum of 100 years"]),
        .init(folder: "tls-missing", file: "_index.yaml", line: 6, column: 17,
              fragments: ["app:server", "tls.cert", "file \"missing.pem\" not found"]),
        .init(folder: "function-timeout", file: "_index.yaml", line: 6, column: 26,
              fragments: ["app:handler", "meta.options.timeout", "must be a duration above zero"]),
        .init(folder: "env-duplicate-variable", file: "_index.yaml", line: 5, column: 5,
              fragments: ["app:port_again", "variable", "\"PORT\" is already the name of app:port"]),
        .init(folder: "env-wrong-storage", file: "_index.yaml", line: 6, column: 14,
              fragments: ["app:port", "storage", "\"app:terminal\" is a terminal.host, expected a env.storage.file or env.storage.memory"]),
    ]

    @Test(arguments: cases)
    func reportsOneClearError(_ fixture: InvalidCase) throws {
        let folder = Self.fixtures + "/" + fixture.folder
        let app = CheckedApp(directory: folder, loader: try ManifestLoader())
        #expect(!app.isValid)
        let lines = app.diagnostics.map { $0.formatted(relativeTo: folder) }
        #expect(app.diagnostics.count == 1, "\(lines)")
        let expectedPrefix = "\(fixture.file):\(fixture.line):\(fixture.column): error: "
        let line = try #require(lines.first)
        #expect(line.hasPrefix(expectedPrefix), "\(line)")
        for fragment in fixture.fragments {
            #expect(line.contains(fragment), "\(line) lacks \(fragment)")
        }
    }

    @Test func emptyFolderIsAnError() throws {
        let folder = Self.fixtures + "/empty-folder"
        let app = CheckedApp(directory: folder, loader: try ManifestLoader())
        #expect(app.diagnostics.map(\.message) == ["no manifests found: no *.yaml file below this folder has a namespace:"])
    }

    @Test func missingFolderIsAnError() throws {
        let app = CheckedApp(directory: Self.fixtures + "/no-such-folder", loader: try ManifestLoader())
        #expect(app.diagnostics.map(\.message) == ["no such folder"])
    }

    @Test func everyProblemIsReportedInOneRun() throws {
        let folder = Self.fixtures + "/several-problems"
        let app = CheckedApp(directory: folder, loader: try ManifestLoader())
        let lines = app.diagnostics.map { $0.formatted(relativeTo: folder) }
        #expect(lines == [
            "_index.yaml:5:13: error: app:one: method: unknown HTTP method \"FETCH\"; expected \"GET\", \"POST\", \"PUT\", \"DELETE\", \"PATCH\", \"HEAD\" or \"OPTIONS\"",
            "_index.yaml:8:5: error: app:two: missing required field \"method\"",
            "_index.yaml:11:5: error: app:two: unknown field \"methd\"; did you mean \"method\"?",
            "_index.yaml:14:14: error: app:three: process: no entry \"app:nowhere\" (a process.lua is expected here)",
        ])
    }
}
