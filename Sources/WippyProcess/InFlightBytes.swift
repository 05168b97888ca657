import Synchronization

/// Bytes one sender has waiting in other processes' mailboxes. A sender that must not run ahead of
/// its receiver (a WebSocket connection feeding its target) waits until they drop below a limit.
public final class InFlightBytes: Sendable {
    private struct State {
        var bytes = 0
        var waiter: (limit: Int, continuation: CheckedContinuation<Void, Never>)?
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

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

    /// The sender is done (its connection closed): a waiting sender goes on, and no wait blocks
    /// from now on.
    public func close() {
        let ready = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        ready?.resume()
    }

    /// Returns once at most `limit` bytes are in flight, or once closed (one waiter at a time).
    public func waitUntil(atMost limit: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.bytes <= limit || state.closed { return true }
                state.waiter = (limit, continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
