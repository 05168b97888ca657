import Foundation
import Logging
import ServiceLifecycle
import Testing
import WippyGraph
import WippyManifest
import WippyRuntime

/// A fixture app run through the real runtime, for as long as a test's body runs.
public enum TestApp {
    /// The repository's `Tests/Fixtures` folder.
    public static let fixtures = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures").path

    /// Loads `directory` and expects no problems.
    public static func load(_ directory: String) throws -> CheckedApp {
        let app = CheckedApp(directory: directory, loader: try ManifestLoader())
        #expect(app.diagnostics.isEmpty, "\(app.diagnostics.map { $0.formatted(relativeTo: fixtures) })")
        return app
    }

    /// Runs every service of the app in `directory` (its first HTTP server on `address` when
    /// given), waits until that server listens and `ready` holds, runs `body` with
    /// `127.0.0.1:PORT` and the runtime, then shuts everything down gracefully. With `watch`, the
    /// app is hot-reloaded as `wippy run --watch` does.
    public static func serve(_ directory: String, address: String? = nil, logs: LogCapture = LogCapture(), watch: Bool = false,
                             ready: @escaping @Sendable (AppRuntime) -> Bool = { _ in true },
                             _ body: (String, AppRuntime) async throws -> Void) async throws {
        let runtime = AppRuntime(app: try load(directory), logger: logs.logger(level: .info), address: address)
        let server = try #require(runtime.servers.first)
        let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }
        var services = runtime.services
        if watch {
            services.append(AppReloader(directory: directory, runtime: runtime, loader: try ManifestLoader(),
                                        logger: logs.logger(level: .info)))
        }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: quiet))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(120)  // ends as soon as it listens
            while server.port == nil || !ready(runtime), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let port = try #require(server.port)
            try await body("127.0.0.1:\(port)", runtime)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
