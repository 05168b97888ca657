import ArgumentParser
import Foundation
import WippyGraph
import WippyManifest

/// The `[DIR]` argument shared by the commands that read an app.
struct AppFolderOptions: ParsableArguments {
    @Argument(help: "The app folder: every *.yaml below it with a namespace: is a manifest. Default: the source folder of wippy.lock, else ./src when it holds manifests, else the current folder.")
    var folder: String?

    /// The folder given, else the one the project names (``ProjectLock/appFolder()``).
    var directory: String {
        get throws {
            if let folder { return folder }
            do { return try ProjectLock.appFolder() } catch { throw ValidationError("\(error)") }
        }
    }

    /// Loads and checks the app in `folder` (by default ``directory``); prints the diagnostics to
    /// standard error when there are any.
    func check(_ folder: String? = nil) throws -> CheckedApp {
        let loader: ManifestLoader
        do {
            loader = try ManifestLoader()
        } catch {
            throw ValidationError("the bundled schemas are broken: \(error)")
        }
        let app = CheckedApp(directory: try folder ?? directory, loader: loader, progress: LoadProgress().report)
        let cwd = FileManager.default.currentDirectoryPath
        for diagnostic in app.diagnostics {
            FileHandle.standardError.write(Data((diagnostic.formatted(relativeTo: cwd) + "\n").utf8))
        }
        return app
    }
}
