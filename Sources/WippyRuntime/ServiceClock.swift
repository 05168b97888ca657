/// Time as the supervisor sees it; tests substitute a manual clock.
public protocol ServiceClock: Sendable {
    var now: ContinuousClock.Instant { get }
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemServiceClock: ServiceClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}
