import Synchronization

/// What a node sent to and received from the others, for the metrics endpoint: counted only
/// while ``measuring`` (metrics are on), once per batch.
public final class ClusterStatistics: Sendable {
    /// Set once when metrics are on; until then nothing is counted.
    public static let measuring = Atomic<Bool>(false)

    /// Totals since the node joined.
    public struct Totals: Sendable {
        public var framesOut = 0, framesIn = 0, batchesOut = 0, batchesIn = 0
        /// Frames too large for a notification, sent through the mail table.
        public var mailOut = 0
        /// Other nodes this one counted lost.
        public var nodesLost = 0
    }

    private let counts = Mutex(Totals())

    public var totals: Totals { counts.withLock { $0 } }

    /// Adds `count` to one total when metrics are on.
    func add(_ total: WritableKeyPath<Totals, Int>, _ count: Int = 1) {
        guard Self.measuring.load(ordering: .relaxed) else { return }
        counts.withLock { $0[keyPath: total] += count }
    }
}
