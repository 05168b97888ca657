import Foundation
import Logging
import ServiceLifecycle
import WippyGraph
import WippyManifest

/// `wippy run --watch`: re-applies the app when a manifest or Lua file below its folder changes.
///
/// A burst of changes (an editor's save) is one reload: the reloader waits until the folder has
/// been quiet for `debounce`. Each reload loads and validates the whole app first; an invalid app
/// is refused — the errors are logged in the `validate` format and the running app stays as it
/// was — else ``AppRuntime/reload(to:)`` applies what changed and one line is logged.
public final class AppReloader: Service, Sendable {
    let directory: String
    let runtime: AppRuntime
    let loader: ManifestLoader
    let logger: Logger
    let debounce: Duration

    public init(directory: String, runtime: AppRuntime, loader: ManifestLoader, logger: Logger, debounce: Duration = .milliseconds(50)) {
        self.directory = directory
        self.runtime = runtime
        self.loader = loader
        self.logger = logger
        self.debounce = debounce
    }

    public func run() async throws {
        let watcher = try FileWatcher(directory: directory)
        defer { watcher.stop() }
        logger.info("watching \(directory) for changes")
        await cancelWhenGracefulShutdown {
            for await _ in watcher.changes {
                // Quiet period: changes within `debounce` of the latest one join this reload.
                while true {
                    let quietFor = Int64(DispatchTime.now().uptimeNanoseconds) - Int64(watcher.lastChange)
                    let wait = self.debounce - .nanoseconds(quietFor)
                    if wait <= .zero { break }
                    try? await Task.sleep(for: wait)
                }
                if Task.isCancelled { return }
                await self.reloadOnce()
            }
        }
    }

    /// Loads, validates and applies the app once.
    public func reloadOnce() async {
        let began = ContinuousClock.now
        let checked = CheckedApp(directory: directory, loader: loader)
        guard checked.isValid else {
            runtime.metrics?.reload(applied: false, duration: ContinuousClock.now - began)
            let cwd = FileManager.default.currentDirectoryPath
            let count = checked.diagnostics.count
            logger.error("reload refused, the running app is unchanged: \(count) \(count == 1 ? "error" : "errors")")
            for diagnostic in checked.diagnostics { logger.error("\(diagnostic.formatted(relativeTo: cwd))") }
            return
        }
        let report = await runtime.reload(to: checked)
        runtime.metrics?.reload(applied: true, duration: ContinuousClock.now - began)
        if report.diff.isEmpty {
            logger.debug("\(report)")
        } else {
            logger.info("\(report)")
        }
    }
}
