import Foundation
import Yams

/// `wippy.lock`: where a project's sources are (`directories.src`, `directories.modules`), as
/// `wippy init` writes it and `wippy run` with no folder reads it. Module pins (`modules:`) are
/// kept as they are; this runtime loads no modules from them.
struct ProjectLock {
    static let defaultPath = "wippy.lock"

    var source: String
    var modules: String

    /// `./src` and `.wippy`, Wippy's defaults.
    static let defaults = ProjectLock(source: "./src", modules: ".wippy")

    /// The lock at `path`; nil when there is none; an error naming the file when it cannot be read.
    static func read(_ path: String) throws -> ProjectLock? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let document: Any?
        do { document = try Yams.load(yaml: text) } catch {
            throw LockError(description: "\(path): not YAML: \(error)")
        }
        guard let root = document as? [String: Any] else {
            if document == nil { return defaults }  // an empty lock: the defaults
            throw LockError(description: "\(path): expected a mapping with directories:")
        }
        let directories = root["directories"] as? [String: Any] ?? [:]
        func field(_ name: String, _ fallback: String) throws -> String {
            guard let value = directories[name] else { return fallback }
            guard let text = value as? String, !text.isEmpty else {
                throw LockError(description: "\(path): directories.\(name): expected a folder path")
            }
            return text
        }
        return ProjectLock(source: try field("src", defaults.source), modules: try field("modules", defaults.modules))
    }

    /// The lock's text.
    var yaml: String {
        "directories:\n  modules: \(modules)\n  src: \(source)\n"
    }

    /// The text of this lock written over `existing` (the lock file's text, if there is one):
    /// its `directories` are replaced, everything else it holds (module pins) is kept.
    func yaml(over existing: String?, path: String) throws -> String {
        guard let existing, !existing.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return yaml }
        let document: Any?
        do { document = try Yams.load(yaml: existing) } catch {
            throw LockError(description: "\(path): not YAML, left as it is (fix or remove it): \(error)")
        }
        guard var root = document as? [String: Any] else {
            throw LockError(description: "\(path): expected a mapping, left as it is (fix or remove it)")
        }
        guard root.keys.contains(where: { $0 != "directories" }) else { return yaml }
        var directories = root["directories"] as? [String: Any] ?? [:]
        directories["src"] = source
        directories["modules"] = modules
        root["directories"] = directories
        do { return try Yams.dump(object: root, sortKeys: true) } catch {
            throw LockError(description: "\(path): cannot be written back: \(error)")
        }
    }

    struct LockError: Error, CustomStringConvertible {
        var description: String
    }

    /// The app folder when none is given: the lock's source folder, else `./src` when it holds
    /// manifests (`*.yaml`), else the current folder.
    static func appFolder() throws -> String {
        if let lock = try read(defaultPath) { return lock.source }
        let source = defaults.source
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue,
              let files = FileManager.default.enumerator(atPath: source),
              files.contains(where: { ($0 as? String).map { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") } ?? false }) else {
            return "."
        }
        return source
    }
}
