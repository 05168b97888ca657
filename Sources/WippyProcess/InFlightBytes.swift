import Synchronization

/// Bytes one sender has waiting in other processes' mailboxes. A sender that must not run ahead of
/// its receiver (a WebSocket connection feeding its target) stops until they drop below a limit.
public final class InFlightBytes: Sendable {
    private struct State {
        var bytes = 0
        var waiter: (limit: Int, resume: @Sendable () -> Void)?
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    func add(_ count: Int) {
        state.withLock { $0.bytes += count }
    }

    func release(_ count: Int) {
        let ready = state.withLock { state -> (@Sendable () -> Void)? in
            state.bytes = max(0, state.bytes - count)
            guard let waiter = state.waiter, state.bytes <= waiter.limit else { return nil }
            state.waiter = nil
            return waiter.resume
        }
        ready?()
    }

    /// The bytes in flight now.
    public var bytes: Int { state.withLock { $0.bytes } }

    /// The sender is done (its connection closed): a waiting sender goes on, and no wait blocks
    /// from now on.
    public func close() {
        let ready = state.withLock { state -> (@Sendable () -> Void)? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter?.resume
        }
        ready?()
    }

    /// Calls `resume` (on the thread that released the bytes, or at once) when at most `limit`
    /// bytes are in flight, or once closed. One waiter at a time: a new one replaces the last.
    public func whenAtMost(_ limit: Int, _ resume: @escaping @Sendable () -> Void) {
        let ready = state.withLock { state -> Bool in
            if state.bytes <= limit || state.closed { return true }
            state.waiter = (limit, resume)
            return false
        }
        if ready { resume() }
    }
}
