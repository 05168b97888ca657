import Synchronization

/// A server's responses by status code, every one it wrote: a handler's, a static file's, and
/// those the server made itself (404, 405, 413, 431, 400, …), for the metrics endpoint. Counted
/// only while ``measuring`` (metrics are on), with one relaxed atomic increment per response.
public final class HTTPStatistics: @unchecked Sendable {  // `counts` holds atomics only
    /// One counter per status code 100…599 (index: the code).
    private let counts: UnsafeMutablePointer<Atomic<Int>>
    private static let codes = 600
    /// Metrics are on: servers count their responses and their relays (``RelayStatistics``).
    public static let measuring = Atomic<Bool>(false)

    public init() {
        counts = .allocate(capacity: Self.codes)
        for code in 0..<Self.codes { (counts + code).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: Self.codes)
        counts.deallocate()
    }

    /// Responses so far, by status code (the codes with none left out).
    public var responses: [Int: Int] {
        var result: [Int: Int] = [:]
        for code in 100..<Self.codes {
            let count = counts[code].load(ordering: .relaxed)
            if count > 0 { result[code] = count }
        }
        return result
    }

    func responded(_ status: Int) {
        guard Self.measuring.load(ordering: .relaxed), (100..<Self.codes).contains(status) else { return }
        counts[status].add(1, ordering: .relaxed)
    }
}
