import Foundation
import Testing
import WippyTestSupport

/// Every fuzz target's seeds and every input that once crashed it (Tests/Fuzz) run through the
/// regular build of `wippy-fuzz`: none may crash (scripts/fuzz.sh finds new ones).
@Suite("Fuzz inputs replayed")
struct FuzzReplayTests {
    static let folder = CLITests.repository.appending(path: "Tests/Fuzz")

    @Test(arguments: ["manifest", "json", "duration", "relay", "payload", "typedlua"])
    func seedsAndPastCrashesRunCleanly(target: String) async throws {
        var files: [String] = []
        for kind in ["seeds", "crashes"] {
            let dir = Self.folder.appending(path: "\(kind)/\(target)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            files += names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appending(path: $0).path }
        }
        #expect(!files.isEmpty)  // the seeds at least
        let binary = CLITests.binary.deletingLastPathComponent().appending(path: "wippy-fuzz").path
        let (status, output) = try await Subprocess.run([binary, target] + files)
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(target): \(files.count) inputs replayed"), "\(output)")
    }
}
