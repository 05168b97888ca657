import Testing
import WippyProcess
@testable import WippyRuntime

/// A supervised service's states, without processes or a clock.
@Suite("Service runner state machine")
struct ServiceRunnerStateMachineTests {
    typealias Machine = ServiceRunner.StateMachine
    static let first = PID(host: "app:host", number: 1), second = PID(host: "app:host", number: 2)
    static let t0 = ContinuousClock.now

    /// `launched` (`#expect` cannot call a mutating method).
    static func launch(_ machine: inout Machine, _ pid: PID) -> Bool {
        machine.launched(pid, at: t0)
    }

    @Test func healthyOnlyOnceTheRunningProcessIsReady() {
        var machine = Machine()
        #expect(!machine.isHealthy)
        #expect(Self.launch(&machine, Self.first))
        #expect(machine.phase == .running(Self.first, ready: false) && !machine.isHealthy)
        machine.ready()
        #expect(machine.isHealthy)
        let exit = machine.exited()
        #expect(exit == .decide(startedAt: Self.t0))
        #expect(machine.phase == .idle && !machine.isHealthy)
    }

    @Test func aProcessReadyBeforeItsLaunchReturnedCountsAsReady() {
        var machine = Machine()
        machine.ready()  // the process reached its first wait on another thread first
        #expect(Self.launch(&machine, Self.first))
        #expect(machine.isHealthy)
        // That does not carry over to the next process.
        _ = machine.exited()
        #expect(Self.launch(&machine, Self.second))
        #expect(!machine.isHealthy)
    }

    @Test func aCleanFinishStaysHealthyAndAFailedLaunchHasAnUptime() {
        var machine = Machine()
        machine.launchFailed(at: Self.t0)
        let exit = machine.exited()
        #expect(exit == .decide(startedAt: Self.t0))
        machine.finished()
        #expect(machine.phase == .finished && machine.isHealthy)
    }

    @Test func aStopTakesTheRunningProcessAndEndsEverythingAfter() {
        var machine = Machine()
        _ = machine.launched(Self.first, at: Self.t0)
        let stopped = machine.beginStop()
        #expect(stopped == Self.first)
        #expect(machine.isStopping && !machine.isHealthy)
        let exit = machine.exited()
        #expect(exit == .stopped)
        // A launch that was under way when the stop began is ended by the caller.
        #expect(!Self.launch(&machine, Self.second))
        let again = machine.beginStop()
        #expect(again == nil)
    }

    @Test func aStopBetweenRunsHasNoProcessToStop() {
        var machine = Machine()
        _ = machine.launched(Self.first, at: Self.t0)
        _ = machine.exited()  // waiting to restart
        let stopped = machine.beginStop()
        #expect(stopped == nil)
        #expect(!Self.launch(&machine, Self.second))
    }
}
