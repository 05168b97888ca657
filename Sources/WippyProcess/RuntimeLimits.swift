/// The byte limits that keep one process, message or connection from taking the runtime's memory
/// (docs/security.md lists them with their defaults and flags).
public struct RuntimeLimits: Sendable, Equatable {
    /// Most bytes one Lua process's state may allocate (`--process-memory`).
    public var processMemory = 64 << 20
    /// Largest message one process may send, as estimated while it is copied (`--max-message`).
    public var message = 8 << 20
    /// Most bytes of messages waiting in one process's mailbox; a send to a full one is an error
    /// value for the sender (`--mailbox`).
    public var mailbox = 64 << 20

    public init() {}
}
