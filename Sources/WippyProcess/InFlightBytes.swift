import Synchronization

/// Bytes one sender has waiting in other processes' mailboxes. A sender that must not run ahead of
/// its receiver (a WebSocket connection feeding its target) waits until they drop below a limit.
public final class InFlightBytes: Sendable {
    private struct State {
        var bytes = 0
        var waiter: (limit: Int, continuation: CheckedContinuation<Void, Never>)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Bytes waiting now.
    public var bytes: Int { state.withLock { $0.bytes } }

    func add(_ count: Int) {
        state.withLock { $0.bytes += count }
    }

    func release(_ count: Int) {
        let ready = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.bytes = max(0, state.bytes - count)
            guard let waiter = state.waiter, state.bytes <= waiter.limit else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        ready?.resume()
    }

    /// Forgets every byte in flight (their receiver is gone) and lets a waiting sender go on.
    public func reset() {
        let ready = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.bytes = 0
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        ready?.resume()
    }

    /// Returns once at most `limit` bytes are in flight (one waiter at a time).
    public func waitUntil(atMost limit: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.bytes <= limit { return true }
                state.waiter = (limit, continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
