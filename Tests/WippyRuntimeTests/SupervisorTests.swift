import Foundation
import ServiceLifecycle
import Synchronization
import Testing
import WippyProcess
import WippyRuntime
import WippyTestSupport

/// A clock that jumps forward when slept on, and remembers every sleep.
final class ManualClock: ServiceClock {
    private let state = Mutex<(now: ContinuousClock.Instant, sleeps: [Duration])>((.now, []))
    var now: ContinuousClock.Instant { state.withLock { $0.now } }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }
    func sleep(for duration: Duration) async throws {
        state.withLock {
            $0.sleeps.append(duration)
            $0.now += duration
        }
        await Task.yield()
    }
}

@Suite("Supervisor through the real runtime")
struct SupervisorTests {
    /// Runs `folder`'s services until `done` holds for the log (or 120 s pass: the wait ends as
    /// soon as it holds, and a busy machine may be slow to start them), then shuts down.
    static func runServices(_ folder: String, clock: any ServiceClock = SystemServiceClock(), logs: LogCapture,
                            until done: @escaping @Sendable ([String]) -> Bool) async throws -> AppRuntime {
        let runtime = AppRuntime(app: try RuntimeHarness.load(folder), logger: logs.logger(), clock: clock)
        let group = ServiceGroup(configuration: .init(services: runtime.services.map { .init(service: $0) },
                                                      logger: logs.logger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(120)
            while !done(logs.all), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(done(logs.all), "condition not reached; log: \(logs.all)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        return runtime
    }

    @Test func crashesRestartAfterOneTwoFourSecondsThenGiveUp() async throws {
        let clock = ManualClock(), logs = LogCapture()
        _ = try await Self.runServices("lua/restart", clock: clock, logs: logs) { lines in
            lines.contains { $0.contains("giving up") } && lines.contains { $0.contains("oneshot.service finished") }
        }
        #expect(clock.sleeps == [.seconds(1), .seconds(2), .seconds(4)])
        let lines = logs.all
        #expect(lines.filter { $0.contains("restart:crasher.service failed: crash; restarting in") }.count == 3)
        #expect(lines.contains { $0.hasPrefix("error service restart:crasher.service failed 4 times in a row; giving up (max_attempts 3): crash") })
        // A clean return ends the service: it is started once and never restarted.
        #expect(lines.filter { $0.contains("restart:oneshot.service started") }.count == 1)
        #expect(lines.contains { $0.contains("service restart:oneshot.service finished: returned \"done\"") })
    }

    @Test func requirementsStartFirstAndStopLast() async throws {
        let logs = LogCapture()
        let runtime = try await Self.runServices("lua/order", logs: logs) { lines in
            lines.contains { $0.contains("started 4 service(s)") }
        }
        let lines = logs.all
        func index(_ fragment: String) -> Int { lines.firstIndex { $0.contains(fragment) } ?? -1 }
        // cache.service is not auto_start but api requires it, so it starts too, after db.
        #expect(index("order:db.service started") < index("order:cache.service started"))
        #expect(index("order:cache.service started") < index("order:api.service started"))
        #expect(index("order:db.service started") >= 0)
        // Stop: reverse order; each service got CANCEL and returned its shutdown result.
        #expect(index("order:api.service stopped: returned") < index("order:cache.service stopped: returned"))
        #expect(index("order:cache.service stopped: returned") < index("order:db.service stopped: returned"))
        #expect(lines.contains { $0.contains(#"order:api.service stopped: returned {"name":"api","reason":"service stopping","status":"shutdown"}"#) })
        // The one that ignores CANCEL is terminated after its stop_timeout.
        #expect(lines.contains { $0.contains("order:stubborn.service did not return within stop_timeout") })
        #expect(runtime.table.count == 0)
    }

    /// Services that do not depend on each other stop together; what requires them stops first.
    @Test func independentServicesStopTogether() async throws {
        let logs = LogCapture()
        _ = try await Self.runServices("lua/parallel-stop", logs: logs) { lines in
            lines.contains { $0.contains("started 3 service(s)") }
        }
        let lines = logs.all
        func index(_ fragment: String) -> Int { lines.firstIndex { $0.contains(fragment) } ?? -1 }
        let frontStopped = index("parallel:front.service stopped: returned")
        let cancels = [index("a got cancel"), index("b got cancel")]
        let firstTerminate = index("did not return within stop_timeout")
        #expect(frontStopped >= 0 && cancels.allSatisfy { $0 > frontStopped }, "\(lines)")
        // Both got CANCEL before either was terminated: one after the other, the first would
        // have been terminated before the second heard anything.
        #expect(firstTerminate >= 0 && cancels.allSatisfy { $0 >= 0 && $0 < firstTerminate }, "\(lines)")
        #expect(lines.filter { $0.contains("did not return within stop_timeout") }.count == 2)
    }
}
