import Synchronization

/// A server's responses by status code, every one it wrote: a handler's, a static file's, and
/// those the server made itself (404, 405, 413, 431, 400, …), for the metrics endpoint. Counted
/// only while ``measuring`` (metrics are on).
public final class HTTPStatistics: Sendable {
    private let byStatus = Mutex<[Int: Int]>([:])
    /// Metrics are on: servers count their responses.
    public static let measuring = Atomic<Bool>(false)

    public init() {}

    /// Responses so far, by status code.
    public var responses: [Int: Int] { byStatus.withLock { $0 } }

    func responded(_ status: Int) {
        guard Self.measuring.load(ordering: .relaxed) else { return }
        byStatus.withLock { $0[status, default: 0] += 1 }
    }
}
