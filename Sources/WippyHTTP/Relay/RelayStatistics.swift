import Synchronization

/// What a server's relayed connections did, for the metrics endpoint: connections opened and
/// closed (by the close code of the closing handshake: sent or received first; 1006 when the
/// socket went without one) and frames each way. Counted only while metrics are on
/// (``HTTPStatistics/measuring``); frames with relaxed atomics: a broadcast to thousands of
/// connections adds one increment each.
public final class RelayStatistics: Sendable {
    private let framesIn = Atomic<Int>(0)
    private let framesOut = Atomic<Int>(0)

    private let connections = Mutex(Connections())

    public struct Connections: Sendable {
        public var opened = 0
        /// Closed connections by close code.
        public var closed: [Int: Int] = [:]
    }

    public init() {}

    /// The counts so far.
    public var snapshot: (connections: Connections, framesIn: Int, framesOut: Int) {
        (connections.withLock { $0 }, framesIn.load(ordering: .relaxed), framesOut.load(ordering: .relaxed))
    }

    func opened() {
        guard HTTPStatistics.measuring.load(ordering: .relaxed) else { return }
        connections.withLock { $0.opened += 1 }
    }

    func closed(code: Int) {
        guard HTTPStatistics.measuring.load(ordering: .relaxed) else { return }
        connections.withLock { $0.closed[code, default: 0] += 1 }
    }

    func frameIn() {
        guard HTTPStatistics.measuring.load(ordering: .relaxed) else { return }
        framesIn.add(1, ordering: .relaxed)
    }

    func frameOut() {
        guard HTTPStatistics.measuring.load(ordering: .relaxed) else { return }
        framesOut.add(1, ordering: .relaxed)
    }
}
