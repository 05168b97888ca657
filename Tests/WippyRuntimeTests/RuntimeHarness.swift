import Foundation
import Logging
import ServiceLifecycle
import Testing
import WippyGraph
import WippyManifest
import WippyProcess
import WippyRuntime
import WippyTestSupport

/// Runs fixture apps through the real runtime: real hosts, real Lua processes.
enum RuntimeHarness {
    static func load(_ folder: String) throws -> CheckedApp {
        try TestApp.load(TestApp.fixtures + "/" + folder)
    }

    /// Runs the process.lua `entry` of the fixture app `folder` to its end on running hosts.
    static func run(_ entry: String, in folder: String = "lua/processes", arguments: [Payload] = [],
                    memoryLimit: Int = 64 << 20, limits: RuntimeLimits? = nil, logs: LogCapture = LogCapture(),
                    timeout: Duration = .seconds(20)) async throws -> ProcessOutcome {
        var limits = limits ?? RuntimeLimits()
        if limits.processMemory == RuntimeLimits().processMemory { limits.processMemory = memoryLimit }
        let runtime = AppRuntime(app: try load(folder), logger: logs.logger(), limits: limits)
        let group = ServiceGroup(configuration: .init(
            services: runtime.hosts.values.map { .init(service: $0) }, logger: logs.logger()))
        let (outcomes, input) = AsyncStream.makeStream(of: ProcessOutcome.self)
        return try await withThrowingTaskGroup(of: ProcessOutcome?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            let process = try runtime.launch(EntryID(entry)!, host: "system:processes", arguments: arguments,
                                             parent: nil, monitor: false, link: false, onExit: { input.yield($0) })
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
