import Testing
import WippyManifest
import WippyRuntime

@Suite("Restart policy (pure)")
struct RestartPolicyTests {
    static func policy(maxAttempts: Int = 0, jitter: Double = 0) -> RestartPolicy {
        var settings = RestartSettings()
        settings.maxAttempts = maxAttempts
        settings.jitter = jitter
        return RestartPolicy(settings: settings, stableThreshold: .seconds(5))
    }

    @Test func backoffDoublesUpToTheCap() {
        var policy = Self.policy()
        var delays: [Duration] = []
        for _ in 0..<9 {
            guard case let .restart(delay) = policy.processExited(failed: true, uptime: .milliseconds(10), random: 0.5) else {
                Issue.record("expected a restart"); return
            }
            delays.append(delay)
        }
        #expect(delays == [1, 2, 4, 8, 16, 32, 64, 90, 90].map { Duration.seconds($0) })
    }

    @Test func cleanExitIsNotRestarted() {
        var policy = Self.policy()
        #expect(policy.processExited(failed: false, uptime: .zero, random: 0.5) == .finished)
        #expect(policy.attempts == 0)
    }

    @Test func maxAttemptsGivesUp() {
        var policy = Self.policy(maxAttempts: 3)
        for expected in [1, 2, 4] {
            #expect(policy.processExited(failed: true, uptime: .zero, random: 0.5) == .restart(after: .seconds(expected)))
        }
        #expect(policy.processExited(failed: true, uptime: .zero, random: 0.5) == .giveUp(attempts: 3))
    }

    @Test func aStableRunResetsTheCount() {
        var policy = Self.policy()
        _ = policy.processExited(failed: true, uptime: .zero, random: 0.5)
        _ = policy.processExited(failed: true, uptime: .zero, random: 0.5)
        #expect(policy.processExited(failed: true, uptime: .seconds(5), random: 0.5) == .restart(after: .seconds(1)))
        #expect(policy.attempts == 1)
    }

    @Test func jitterSpreadsWithinTheBand() {
        var low = Self.policy(jitter: 0.1), high = Self.policy(jitter: 0.1)
        #expect(low.processExited(failed: true, uptime: .zero, random: 0) == .restart(after: .milliseconds(900)))
        #expect(high.processExited(failed: true, uptime: .zero, random: 1) == .restart(after: .milliseconds(1100)))
    }
}

@Suite("Restart policy: extreme settings")
struct RestartPolicyExtremeTests {
    /// Before: a factor of 1e30 overflowed the delay at the first restart and crashed the runtime
    /// (SIGILL); with factor 2 and a 1 ms start it did at the 78th restart in a row.
    @Test(arguments: [2.0, 1e30, .greatestFiniteMagnitude])
    func hugeFactorsAndLongCrashLoopsStopAtMaxDelay(factor: Double) {
        var settings = RestartSettings()
        settings.initialDelay = .milliseconds(1)
        settings.backoffFactor = factor
        settings.jitter = 0
        var policy = RestartPolicy(settings: settings, stableThreshold: .seconds(5))
        var last: Duration = .zero
        for _ in 0..<10_000 {
            guard case let .restart(delay) = policy.processExited(failed: true, uptime: .zero, random: 0.5) else {
                Issue.record("expected a restart"); return
            }
            last = delay
        }
        #expect(last == .seconds(90))
    }

    @Test func maxDelayLongerThanEverythingStillGivesAFiniteDelay() {
        var settings = RestartSettings()
        settings.initialDelay = .seconds(1)
        settings.maxDelay = Duration.manifestMaximum
        settings.backoffFactor = 1e300
        settings.jitter = 1
        var policy = RestartPolicy(settings: settings, stableThreshold: .seconds(5))
        _ = policy.processExited(failed: true, uptime: .zero, random: 1)
        guard case let .restart(delay) = policy.processExited(failed: true, uptime: .zero, random: 1) else {
            Issue.record("expected a restart"); return
        }
        #expect(delay <= Duration.manifestMaximum)
    }
}
