import ArgumentParser
import Foundation
import WippyGraph
import WippyManifest

/// The `[DIR]` argument shared by the commands that read an app.
struct AppFolderOptions: ParsableArguments {
    @Argument(help: "The app folder: every *.yaml below it with a namespace: is a manifest.")
    var directory: String = "."

    /// Loads and checks the app; prints the diagnostics to standard error when there are any.
    func check() throws -> CheckedApp {
        let loader: ManifestLoader
        do {
            loader = try ManifestLoader()
        } catch {
            throw ValidationError("the bundled schemas are broken: \(error)")
        }
        let app = CheckedApp(directory: directory, loader: loader)
        let cwd = FileManager.default.currentDirectoryPath
        for diagnostic in app.diagnostics {
            FileHandle.standardError.write(Data((diagnostic.formatted(relativeTo: cwd) + "\n").utf8))
        }
        return app
    }
}
