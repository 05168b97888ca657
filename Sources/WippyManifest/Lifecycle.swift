/// How the supervisor runs a service entry (`lifecycle:`), with the runtime's defaults.
public struct Lifecycle: Sendable, Equatable {
    public var autoStart = false
    /// `requires` and its alias `depends_on`, merged.
    public var requires: [Reference] = []
    public var startTimeout: Duration = .seconds(10)
    public var stopTimeout: Duration = .seconds(10)
    public var stableThreshold: Duration = .seconds(5)
    public var restart = RestartSettings()

    public init() {}
}

/// Backoff settings for restarting a failed service.
public struct RestartSettings: Sendable, Equatable {
    public var initialDelay: Duration = .seconds(1)
    public var maxDelay: Duration = .seconds(90)
    public var backoffFactor = 2.0
    public var jitter = 0.1
    /// Restarts before the service is marked failed; 0 means unlimited.
    public var maxAttempts = 0

    public init() {}
}
