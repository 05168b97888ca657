import WippyManifest

/// What the supervisor does when a service's process ends: the pure policy, with no clock and no
/// processes, so that it can be tested step by step.
///
/// A clean return ends the service. A failure restarts it after `initial_delay × factor^n` (n =
/// failures in a row, capped at `max_delay`, spread by ±`jitter`), until `max_attempts` restarts in
/// a row have failed. Running at least `stable_threshold` before failing resets the count.
public struct RestartPolicy: Sendable, Equatable {
    public let settings: RestartSettings
    public let stableThreshold: Duration
    /// Restarts in a row so far (reset by a stable run).
    public private(set) var attempts = 0

    public enum Decision: Sendable, Equatable {
        /// The process returned: the service is done, not restarted.
        case finished
        case restart(after: Duration)
        /// `max_attempts` restarts in a row failed: the service is marked failed.
        case giveUp(attempts: Int)
    }

    public init(settings: RestartSettings, stableThreshold: Duration) {
        self.settings = settings
        self.stableThreshold = stableThreshold
    }

    /// - Parameters:
    ///   - failed: the process raised an error, was terminated or could not start.
    ///   - uptime: how long it ran.
    ///   - random: a number in 0...1 that places the delay within the jitter band (0.5 = no jitter).
    public mutating func processExited(failed: Bool, uptime: Duration, random: Double) -> Decision {
        guard failed else { return .finished }
        if uptime >= stableThreshold { attempts = 0 }
        if settings.maxAttempts > 0, attempts >= settings.maxAttempts {
            return .giveUp(attempts: attempts)
        }
        // In seconds as doubles, clamped before anything becomes a Duration again: a factor of
        // 1e30 or the 100th failure in a row must give max_delay, not an overflow.
        let maxDelay = max(0, settings.maxDelay / .seconds(1))
        var base = min(max(0, settings.initialDelay / .seconds(1)), maxDelay)
        let factor = max(1, settings.backoffFactor.isFinite ? settings.backoffFactor : 1)
        var step = 0
        while step < attempts, base < maxDelay {
            base = min(base * factor, maxDelay)
            step += 1
        }
        let jitter = min(max(settings.jitter.isFinite ? settings.jitter : 0, 0), 1)
        let spread = 1 + jitter * (2 * min(max(random, 0), 1) - 1)
        attempts += 1
        let milliseconds = min(base * spread * 1000, Double(Duration.manifestMaximum / .milliseconds(1)))
        return .restart(after: .milliseconds(Int64(milliseconds.rounded())))  // whole ms: no float noise
    }
}
