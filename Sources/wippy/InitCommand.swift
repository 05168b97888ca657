import ArgumentParser
import Foundation

/// `wippy init`: writes `wippy.lock`, so that `wippy run` and `wippy validate` find the app's
/// sources without being told.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write wippy.lock: where the project's sources are."
    )

    @Option(name: [.customShort("d"), .long], help: "The source folder.")
    var directory: String = ProjectLock.defaults.source

    @Option(name: .customLong("modules-dir"), help: "The folder of vendored modules.")
    var modulesDirectory: String = ProjectLock.defaults.modules

    @Option(name: [.customShort("l"), .long], help: "The lock file to write.")
    var lock: String = ProjectLock.defaultPath

    func run() throws {
        // Written over an existing lock, its other contents (module pins) stay.
        let existing = FileManager.default.contents(atPath: lock).map { String(decoding: $0, as: UTF8.self) }
        let contents: String
        do { contents = try ProjectLock(source: directory, modules: modulesDirectory).yaml(over: existing, path: lock) } catch {
            throw ValidationError("\(error)")
        }
        do {
            try contents.write(toFile: lock, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(lock): \(error.localizedDescription)")
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
        print("wrote \(lock): sources in \(directory)\(exists ? "" : " (not there yet)")")
    }
}
