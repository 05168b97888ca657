/// Why a process operation failed; returned to Lua as `nil, "message"`.
public enum ProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No live process has this PID, or no process holds this name.
    case notFound(String)
    /// The name is held by another process.
    case nameTaken(String, by: PID)
    case invalid(String)
    /// The receiver's mailbox holds as many bytes as it may: the message was not delivered.
    case mailboxFull(PID, limit: Int)
    /// The process's node is not a live member of the cluster (lost, or never joined).
    case nodeDown(String, pid: PID)

    public var description: String {
        switch self {
        case let .notFound(destination): return "no process \(destination)"
        case let .nameTaken(name, pid): return "name \"\(name)\" is already registered by \(pid)"
        case let .invalid(message): return message
        case let .nodeDown(node, pid): return "node \(node) of \(pid) is down: not delivered"
        case let .mailboxFull(pid, limit): return "mailbox of \(pid) is full (\(limit >> 20) MiB waiting): message not delivered"
        }
    }
}
