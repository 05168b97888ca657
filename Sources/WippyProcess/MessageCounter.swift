import Synchronization

/// A Swift-side process that counts the messages it receives and lets a task wait until a count
/// is reached: the other end of a Lua process in benchmarks and tools.
public final class MessageCounter: Process {
    public let pid: PID
    private let state = Mutex<(count: Int, waiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?)>((0, nil))

    public init(pid: PID) { self.pid = pid }

    /// Messages received so far.
    public var count: Int { state.withLock { $0.count } }

    public func deliver(_ message: Message) -> Bool {
        message.consumed()
        let ready = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.count += 1
            if let waiter = state.waiter, state.count >= waiter.target {
                state.waiter = nil
                return waiter.continuation
            }
            return nil
        }
        ready?.resume()
        return true
    }

    public func deliver(_ event: ProcessEvent) {}
    public func terminate(reason: String) {}

    /// Returns once `target` messages have arrived in all (one waiter at a time).
    public func wait(for target: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.count >= target { return true }
                state.waiter = (target, continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
