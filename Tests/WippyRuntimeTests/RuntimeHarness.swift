import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WippyGraph
import WippyManifest
import WippyProcess
import WippyRuntime

/// Log lines kept in memory, for tests that check what the runtime logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(capture: self) }
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            var fields = metadata
            if let extra = event.metadata { fields.merge(extra) { _, new in new } }
            let tags = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level) \(event.message) \(tags)")
        }
    }
}

/// Runs fixture apps through the real runtime: real hosts, real Lua processes.
enum RuntimeHarness {
    static let fixtures = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures").path

    static func load(_ folder: String) throws -> CheckedApp {
        let app = CheckedApp(directory: fixtures + "/" + folder, loader: try ManifestLoader())
        #expect(app.diagnostics.isEmpty, "\(app.diagnostics.map { $0.formatted(relativeTo: fixtures) })")
        return app
    }

    /// Runs the process.lua `entry` of the fixture app `folder` to its end on running hosts.
    static func run(_ entry: String, in folder: String = "lua/processes", arguments: [Payload] = [],
                    memoryLimit: Int = 64 << 20, logs: LogCapture = LogCapture(),
                    timeout: Duration = .seconds(20)) async throws -> ProcessOutcome {
        let runtime = AppRuntime(app: try load(folder), logger: logs.logger, memoryLimit: memoryLimit)
        let group = ServiceGroup(configuration: .init(
            services: runtime.hosts.values.map { .init(service: $0) }, logger: logs.logger))
        let (outcomes, input) = AsyncStream.makeStream(of: ProcessOutcome.self)
        return try await withThrowingTaskGroup(of: ProcessOutcome?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            let process = try runtime.launch(EntryID(entry)!, host: "system:processes", arguments: arguments,
                                             parent: nil, monitor: false, link: false) { input.yield($0) }
            tasks.addTask {
                for await outcome in outcomes { return outcome }
                return nil
            }
            tasks.addTask {
                try await Task.sleep(for: timeout)
                try? runtime.table.terminate(process.pid, reason: "test timeout")
                return .failure("test timeout after \(timeout)")
            }
            var result: ProcessOutcome?
            while result == nil, let next = try await tasks.next() { result = next }
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
            return result ?? .failure("no outcome")
        }
    }
}

extension ProcessOutcome {
    /// The result payload, or a recorded issue.
    func value(sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Payload {
        switch self {
        case let .result(value): return value
        case let .failure(message):
            Issue.record("process failed: \(message)", sourceLocation: sourceLocation)
            return .null
        }
    }
}
