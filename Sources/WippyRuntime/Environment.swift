import Foundation
import Synchronization
import WippyLua
import WippyManifest

/// The app's `env.variable` entries and the storages that keep their values: what the Lua `env`
/// module reads and sets. Only declared variables can be reached, so what a process may set is
/// bounded by the manifest. Messages start with their kind (`NOT_FOUND: …`), as Wippy's errors do.
final class Environment: Sendable {
    /// Values of `env.storage.memory` entries, by storage (kept across hot reloads).
    private let memory = Mutex<[EntryID: [String: String]]>([:])
    /// Serialises the rewrites of `.env` files.
    private let files = Mutex<Void>(())
    /// Largest `.env` file read (a bigger one is an error, not a read into memory).
    static let maximumFileSize = 1 << 20

    /// The variable `name` (public name, else entry ID) of `manifest`, and the key its storage keeps it under.
    private func variable(_ name: String, in manifest: Manifest) -> (entry: Entry, variable: EnvVariable)? {
        var byID: (Entry, EnvVariable)?
        for entry in manifest.sortedEntries {
            guard case let .envVariable(variable) = entry.body else { continue }
            if variable.name == name { return (entry, variable) }
            if entry.id.description == name { byID = (entry, variable) }
        }
        return byID
    }

    func get(_ name: String, in manifest: Manifest) -> Result<String, CallError> {
        guard let (entry, variable) = variable(name, in: manifest) else {
            return .failure(CallError("NOT_FOUND: no env variable \(name) (declare it as an env.variable entry)"))
        }
        switch read(Self.key(entry, variable), from: variable.storage.target, in: manifest, depth: 0) {
        case let .success(value?): return .success(value)
        case .success(nil):
            if let fallback = variable.defaultValue { return .success(fallback) }
            return .failure(CallError("NOT_FOUND: env variable \(name) has no value in \(variable.storage.target) and no default"))
        case let .failure(error): return .failure(error)
        }
    }

    func set(_ name: String, value: String, in manifest: Manifest) -> CallError? {
        guard let (entry, variable) = variable(name, in: manifest) else {
            return CallError("NOT_FOUND: no env variable \(name) (declare it as an env.variable entry)")
        }
        guard !variable.readOnly else { return CallError("PERMISSION_DENIED: env variable \(name) is read-only (\(entry.id))") }
        return write(value, key: Self.key(entry, variable), to: variable.storage.target, in: manifest, depth: 0)
    }

    /// Every public variable that has a value (or a default).
    func all(in manifest: Manifest) -> [String: String] {
        var values: [String: String] = [:]
        for entry in manifest.sortedEntries {
            guard case let .envVariable(variable) = entry.body, let name = variable.name,
                  case let .success(value) = get(name, in: manifest) else { continue }
            values[name] = value
        }
        return values
    }

    /// A variable is kept under its public name, else under its entry's name.
    private static func key(_ entry: Entry, _ variable: EnvVariable) -> String {
        variable.name ?? entry.id.name
    }

    private func storage(_ id: EntryID, in manifest: Manifest) -> EnvStorage.Backend? {
        guard case let .envStorage(storage) = manifest[id]?.body else { return nil }
        return storage.backend
    }

    private func read(_ key: String, from id: EntryID, in manifest: Manifest, depth: Int) -> Result<String?, CallError> {
        guard depth < 16, let backend = storage(id, in: manifest) else {
            return .failure(CallError("NOT_FOUND: env storage \(id) not found"))
        }
        switch backend {
        case .os: return .success(ProcessInfo.processInfo.environment[key])
        case .memory: return .success(memory.withLock { $0[id]?[key] })
        case let .fixed(values): return .success(values[key])
        case let .file(path, _, _, _):
            return files.withLock { _ in Self.readFile(path) }.map { $0[key] }
        case let .router(storages):
            for storage in storages {
                switch read(key, from: storage.target, in: manifest, depth: depth + 1) {
                case .success(nil): continue
                case let found: return found
                }
            }
            return .success(nil)
        }
    }

    private func write(_ value: String, key: String, to id: EntryID, in manifest: Manifest, depth: Int) -> CallError? {
        guard depth < 16, let backend = storage(id, in: manifest) else { return CallError("NOT_FOUND: env storage \(id) not found") }
        switch backend {
        case .os, .fixed: return CallError("PERMISSION_DENIED: env storage \(id) is read-only")
        case .memory:
            memory.withLock { $0[id, default: [:]][key] = value }
            return nil
        case let .file(path, autoCreate, fileMode, directoryMode):
            guard !value.contains(where: \.isNewline) else {
                return CallError("INVALID: a value kept in a .env file cannot hold a line break (\(key))")
            }
            return files.withLock { _ in
                Self.writeFile(path, key: key, value: value, create: autoCreate, fileMode: fileMode, directoryMode: directoryMode)
            }
        case let .router(storages):
            guard let first = storages.first else { return CallError("INVALID: env storage \(id) has no storages") }
            return write(value, key: key, to: first.target, in: manifest, depth: depth + 1)
        }
    }

    // MARK: - .env files

    /// `KEY=VALUE` lines; blank lines and `#` comments skipped, `export ` and matching quotes
    /// around a value dropped. A missing file has no values.
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            var line = line.trimmingCharacters(in: .whitespaces)[...]
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = String(value.dropFirst().dropLast())
            }
            if !key.isEmpty { values[key] = value }
        }
        return values
    }

    private static func readFile(_ path: String) -> Result<[String: String], CallError> {
        readText(path).map { $0.map(parse) ?? [:] }
    }

    /// The file's text (at most ``maximumFileSize``); nil when there is no file.
    private static func readText(_ path: String) -> Result<String?, CallError> {
        guard FileManager.default.fileExists(atPath: path) else { return .success(nil) }
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size <= maximumFileSize,
              let data = FileManager.default.contents(atPath: path) else {
            return .failure(CallError("INTERNAL: cannot read \(path) (unreadable, or larger than \(maximumFileSize >> 20) MiB)"))
        }
        return .success(String(decoding: data, as: UTF8.self))
    }

    /// Replaces the key's line (or adds one), keeping every other line as it was; the new file
    /// replaces the old one whole (a rename), so a reader never sees half of it.
    private static func writeFile(_ path: String, key: String, value: String, create: Bool, fileMode: Int,
                                  directoryMode: Int) -> CallError? {
        let manager = FileManager.default
        var lines: [String] = []
        switch readText(path) {
        case let .failure(error): return error
        case let .success(text?):
            lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
        case .success(nil):
            guard create else { return CallError("NOT_FOUND: \(path) does not exist (set auto_create: true to create it)") }
        }
        let line = "\(key)=\(value)"
        if let index = lines.firstIndex(where: { parse($0)[key] != nil }) { lines[index] = line } else { lines.append(line) }
        let text = lines.joined(separator: "\n") + "\n"
        guard text.utf8.count <= maximumFileSize else {
            return CallError("INVALID: \(path) would hold more than \(maximumFileSize >> 20) MiB with \(key) set")
        }
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: directoryMode])
            let temporary = path + ".wippy-\(getpid())"
            guard manager.createFile(atPath: temporary, contents: Data(text.utf8),
                                     attributes: [.posixPermissions: fileMode]) else {
                return CallError("INTERNAL: cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else {
                try? manager.removeItem(atPath: temporary)
                return CallError("INTERNAL: cannot replace \(path)")
            }
        } catch {
            return CallError("INTERNAL: cannot create the folder of \(path): \(error.localizedDescription)")
        }
        return nil
    }
}
