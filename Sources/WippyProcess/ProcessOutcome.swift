/// How a process ended.
public enum ProcessOutcome: Sendable, Equatable {
    /// Its method returned this value.
    case result(Payload)
    /// It raised an error, was terminated, or failed to start.
    case failure(String)

    public var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
