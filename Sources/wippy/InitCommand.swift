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
        let contents = ProjectLock(source: directory, modules: modulesDirectory).yaml
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
