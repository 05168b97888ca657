import Synchronization

/// Which process runs each supervised service, so that what is bound to a service's process (a
/// relayed WebSocket connection) can follow the service to its next process when it restarts —
/// after a crash or a reload — instead of ending with it.
public final class ServiceDirectory: Sendable {
    private struct Service {
        var current: PID?
        /// The process before `current`: those bound to it may ask for its successor late.
        var retired: PID?
        /// No process will follow (finished, gave up, stopped or removed).
        var ended = false
        var waiters: [@Sendable (PID?) -> Void] = []
    }

    private struct State {
        var services: [String: Service] = [:]
        var serviceOf: [PID: String] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// `pid` now runs `service`; whoever waits for a successor gets it.
    public func started(_ service: String, pid: PID) {
        let waiters = state.withLock { state -> [@Sendable (PID?) -> Void] in
            var entry = state.services[service] ?? Service()
            if let old = entry.current {
                if let older = entry.retired { state.serviceOf[older] = nil }
                entry.retired = old
            }
            entry.current = pid
            entry.ended = false
            state.serviceOf[pid] = service
            let waiters = entry.waiters
            entry.waiters = []
            state.services[service] = entry
            return waiters
        }
        for waiter in waiters { waiter(pid) }
    }

    /// `service` will run no further process; whoever waits for a successor gets nil.
    public func ended(_ service: String) {
        let waiters = state.withLock { state -> [@Sendable (PID?) -> Void] in
            guard var entry = state.services[service] else { return [] }
            entry.ended = true
            let waiters = entry.waiters
            entry.waiters = []
            state.services[service] = entry
            return waiters
        }
        for waiter in waiters { waiter(nil) }
    }

    /// Calls `handler` with the process that succeeds `pid` in its service — at once when one
    /// already runs, else when the service restarts — or with nil when the service ends instead.
    /// Returns false (and never calls `handler`) when `pid` runs no service.
    public func whenSucceeded(_ pid: PID, _ handler: @escaping @Sendable (PID?) -> Void) -> Bool {
        enum Now { case notAService, wait, call(PID?) }
        let now = state.withLock { state -> Now in
            guard let name = state.serviceOf[pid], var entry = state.services[name] else { return .notAService }
            if entry.ended { return .call(nil) }
            if let current = entry.current, current != pid { return .call(current) }
            entry.waiters.append(handler)
            state.services[name] = entry
            return .wait
        }
        switch now {
        case .notAService: return false
        case .wait: return true
        case let .call(successor):
            handler(successor)
            return true
        }
    }
}
