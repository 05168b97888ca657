import Foundation
import Testing

/// `wippy init` and the app folder a command finds when it is given none.
@Suite("wippy init")
struct InitCommandTests {
    static let manifest = """
    version: "1.0"
    namespace: app
    entries:
      - name: hello
        kind: function.lua
        source: "return { run = function() return 1 end }"
        method: run
    """

    /// A fresh project folder, removed afterwards.
    static func withProject(_ body: (URL) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    static func write(_ text: String, to file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    @Test func withoutAFolderCommandsUseSrcThenTheLock() throws {
        try Self.withProject { project in
            try Self.write(Self.manifest, to: project.appending(path: "src/_index.yaml"))
            // No lock: ./src holds manifests.
            let bare = try CLITests.wippy("validate", in: project)
            #expect(bare.status == 0 && bare.stdout.contains("ok: 1 entry in 1 namespace"), "\(bare.stderr)")

            // The lock names another folder: that one is read.
            let other = try CLITests.wippy("init", "-d", "./code", in: project)
            #expect(other.status == 0 && other.stdout.contains("wrote wippy.lock: sources in ./code (not there yet)"))
            let lock = try String(contentsOf: project.appending(path: "wippy.lock"), encoding: .utf8)
            #expect(lock == "directories:\n  modules: .wippy\n  src: ./code\n")
            let missing = try CLITests.wippy("validate", in: project)
            #expect(missing.status == 1 && missing.stderr.contains("code: error: no such folder"), "\(missing.stderr)")

            let again = try CLITests.wippy("init", in: project)
            #expect(again.status == 0 && again.stdout.contains("sources in ./src"))
            #expect(try CLITests.wippy("validate", in: project).status == 0)
        }
    }

    @Test func withoutLockOrSrcTheCurrentFolderIsTheApp() throws {
        try Self.withProject { project in
            try Self.write(Self.manifest, to: project.appending(path: "_index.yaml"))
            let result = try CLITests.wippy("validate", in: project)
            #expect(result.status == 0 && result.stdout.contains("ok: 1 entry in 1 namespace"), "\(result.stderr)")
        }
    }

    /// `wippy init` over a lock that pins modules changes the folders and keeps the pins; it
    /// leaves a lock it cannot read alone.
    @Test func initKeepsWhatElseTheLockHolds() throws {
        try Self.withProject { project in
            let lock = project.appending(path: "wippy.lock")
            try Self.write("directories:\n  src: ./old\nmodules:\n  - {name: acme/http, version: v1.2.0}\n", to: lock)
            let result = try CLITests.wippy("init", "-d", "./src", in: project)
            #expect(result.status == 0, "\(result.stderr)")
            let text = try String(contentsOf: lock, encoding: .utf8)
            #expect(text.contains("src: ./src") && text.contains("acme/http") && text.contains("v1.2.0") && !text.contains("./old"), "\(text)")

            try Self.write("directories: [broken\n", to: lock)
            let refused = try CLITests.wippy("init", in: project)
            #expect(refused.status != 0 && refused.stderr.contains("wippy.lock: not YAML, left as it is"), "\(refused.stderr)")
            #expect(try String(contentsOf: lock, encoding: .utf8) == "directories: [broken\n")
        }
    }

    @Test func aBrokenLockIsAClearError() throws {
        try Self.withProject { project in
            try Self.write("directories:\n  src: [not, a, path]\n", to: project.appending(path: "wippy.lock"))
            let result = try CLITests.wippy("validate", in: project)
            #expect(result.status != 0)
            #expect(result.stderr.contains("wippy.lock: directories.src: expected a folder path"), "\(result.stderr)")
        }
    }
}
