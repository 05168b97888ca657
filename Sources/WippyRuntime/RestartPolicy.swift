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
        let base = min(settings.initialDelay * pow(settings.backoffFactor, Double(attempts)), settings.maxDelay)
        let spread = 1 + settings.jitter * (2 * min(max(random, 0), 1) - 1)
        attempts += 1
        let milliseconds = (base * spread) / .milliseconds(1)
        return .restart(after: .milliseconds(Int64(milliseconds.rounded())))  // whole ms: no float noise
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(exponent) { result *= base }
    return result
}
