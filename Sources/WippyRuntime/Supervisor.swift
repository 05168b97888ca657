import Logging
import Synchronization
import ServiceLifecycle
import WippyGraph
import WippyManifest
import WippyProcess

/// Runs the app's `process.service`s: starts the auto-start ones (and what they require) in
/// dependency order, supervises them, and on graceful shutdown stops them in reverse order.
public final class Supervisor: Service, Sendable {
    private let services = Mutex<[ServiceRunner]>([])
    let logger: Logger
    /// Called when shutdown begins, before any service is stopped.
    let onShutdown: @Sendable () -> Void

    init(logger: Logger, onShutdown: @escaping @Sendable () -> Void = {}) {
        self.logger = logger
        self.onShutdown = onShutdown
    }

    /// The supervised services, in start order (set once, before ``run()``).
    var runners: [ServiceRunner] {
        get { services.withLock { $0 } }
        set { services.withLock { $0 = newValue } }
    }

    public func run() async throws {
        let runners = self.runners
        await withDiscardingTaskGroup { group in
            for runner in runners {
                runner.start()
                group.addTask { await runner.supervise() }
            }
            if !runners.isEmpty {
                logger.info("started \(runners.count) service(s): \(runners.map(\.id.description).joined(separator: ", "))")
            }
            try? await gracefulShutdown()
            onShutdown()
            for runner in runners.reversed() { await runner.stop() }
            group.cancelAll()
        }
    }
}
