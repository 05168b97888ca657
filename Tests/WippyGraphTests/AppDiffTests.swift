import Foundation
import Testing
import WippyGraph
import WippyManifest

@Suite("App diff")
struct AppDiffTests {
    /// Writes `files` to a fresh folder and loads it.
    static func app(_ files: [String: String]) throws -> Manifest {
        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-diff-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in files {
            try FileManager.default.createDirectory(at: folder.appending(path: name).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try text.write(to: folder.appending(path: name), atomically: false, encoding: .utf8)
        }
        let checked = CheckedApp(directory: folder.path, loader: try ManifestLoader())
        #expect(checked.diagnostics.isEmpty, "\(checked.diagnostics)")
        return checked.manifest
    }

    static let manifest = """
        namespace: app
        entries:
          - {name: lib, kind: library.lua, source: file://lib.lua}
          - {name: worker, kind: process.lua, source: file://worker.lua, method: main, imports: {lib: lib}}
          - {name: plain, kind: process.lua, source: "return { main = function() end }", method: main}
          - {name: setting, kind: registry.entry, value: 1}
        """

    static let files = ["_index.yaml": manifest, "lib.lua": "return {}", "worker.lua": "return { main = function() end }"]

    @Test func identicalAppsHaveNoDifference() throws {
        let diff = AppDiff(from: try Self.app(Self.files), to: try Self.app(Self.files))
        #expect(diff.isEmpty)
        #expect(diff.summary == "nothing changed")
    }

    @Test func movingAnEntryIsNoChangeButEditingItIs() throws {
        var moved = Self.files
        moved["_index.yaml"] = "# a comment moves every line\n\n" + Self.manifest.replacingOccurrences(of: "value: 1", with: "value: 2")
        let diff = AppDiff(from: try Self.app(Self.files), to: try Self.app(moved))
        #expect(diff.changed == [EntryID("app:setting")!])
        #expect(diff.added.isEmpty && diff.removed.isEmpty && diff.codeChanged.isEmpty)
    }

    @Test func aLibraryChangeChangesTheCodeOfItsImporters() throws {
        var edited = Self.files
        edited["lib.lua"] = "return { edited = true }"
        let diff = AppDiff(from: try Self.app(Self.files), to: try Self.app(edited))
        #expect(diff.changed == [EntryID("app:lib")!])
        #expect(diff.codeChanged == [EntryID("app:lib")!, EntryID("app:worker")!])
    }

    @Test func addedAndRemovedEntries() throws {
        var next = Self.files
        next["_index.yaml"] = Self.manifest.replacingOccurrences(of: "  - {name: setting, kind: registry.entry, value: 1}",
                                                                 with: "  - {name: other, kind: registry.entry, value: 1}")
        let diff = AppDiff(from: try Self.app(Self.files), to: try Self.app(next))
        #expect(diff.added == [EntryID("app:other")!])
        #expect(diff.removed == [EntryID("app:setting")!])
        #expect(diff.summary == "1 added (app:other), 1 removed (app:setting)")
    }
}
