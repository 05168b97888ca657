import Foundation
import Testing

/// Runs the built `wippy` binary the way a user does and checks its output and exit status.
@Suite("wippy command line")
struct CLITests {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `wippy` executable built beside this test bundle.
    static let binary: URL = {
        var folder = Bundle.main.bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appending(path: "wippy")
    }()

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func wippy(_ arguments: String..., in directory: URL = repository) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // A hung command fails its test instead of the whole run.
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { process.terminate() } }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The body curl gets for `url` (loopback only in these tests).
    static func curl(_ url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "--max-time", "5", url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let body = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: body, as: UTF8.self)
    }

    @Test func validateAcceptsTheSeedApp() throws {
        let result = try Self.wippy("validate", "apps/")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ok: 5 entries in 2 namespaces\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func validatePrintsCompilerStyleErrorsRelativeToTheWorkingDirectory() throws {
        let result = try Self.wippy("validate", "Tests/Fixtures/invalid/several-problems")
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let file = "Tests/Fixtures/invalid/several-problems/_index.yaml"
        #expect(lines.prefix(4).map { $0.components(separatedBy: ": error: ").first ?? "" }
            == ["\(file):5:13", "\(file):8:5", "\(file):11:5", "\(file):14:14"])
        #expect(lines.last == "Error: 4 errors")
        #expect(result.stdout.isEmpty)
    }

    @Test func validateRunsFromAnotherFolderToo() throws {
        let fixtures = Self.repository.appending(path: "Tests/Fixtures/invalid")
        let result = try Self.wippy("validate", "unknown-kind", in: fixtures)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("unknown-kind/_index.yaml:4:11: error: app:worker: kind: unknown kind \"process.lau\""))
    }

    @Test func graphPrintsDotAndMermaid() throws {
        let dot = try Self.wippy("graph", "apps/")
        #expect(dot.status == 0)
        #expect(dot.stdout.contains("\"app.websocket.myapp:ws_hub.service\" -> \"app.websocket.myapp:ws_hub.process\" [label=\"process\"];"))
        #expect(dot.stdout.contains("\"app.websocket.myapp:ws_hub.service\" -> \"system:processes\" [label=\"host\"];"))
        #expect(dot.stdout.contains("\"app.websocket.myapp:ws_auth.endpoint\" -> \"app.websocket.myapp:ws_auth\" [label=\"func\"];"))
        #expect(dot.stdout.contains("\"app.websocket.myapp:ws_auth.endpoint\" -> \"system:api\" [label=\"meta.router\"];"))
        #expect(dot.stdout.contains("\"system:api\" -> \"system:http\" [label=\"meta.server\"];"))
        let mermaid = try Self.wippy("graph", "apps/", "--format", "mermaid")
        #expect(mermaid.status == 0)
        #expect(mermaid.stdout.hasPrefix("flowchart LR\n"))
        #expect(mermaid.stdout.components(separatedBy: "-->").count == 7)
    }

    @Test func graphRefusesAnInvalidApp() throws {
        let result = try Self.wippy("graph", "Tests/Fixtures/invalid/cycle")
        #expect(result.status == 1)
        #expect(result.stderr.contains("dependency cycle: app:a -> app:b -> app:c -> app:a"))
        #expect(result.stdout.isEmpty)
    }

    @Test func versionNamesTheEmbeddedLua() throws {
        let result = try Self.wippy("version")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("wippy "))
        #expect(result.stdout.contains("(Lua 5.4)"))
    }
}
