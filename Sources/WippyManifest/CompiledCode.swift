import Synchronization

/// What the layer that runs a program compiled from its source, kept with the program so that
/// each new process loads it instead of parsing the text again. Shared by every copy of the
/// program, and gone with the last one (a reload that changes the code drops it).
public final class CompiledCode: Sendable {
    private let stored = Mutex<[UInt8]?>(nil)

    public init() {}

    /// The compiled bytes, if a process compiled them already.
    public var bytes: [UInt8]? { stored.withLock { $0 } }

    /// Keeps `bytes` (the first store wins; every store holds the same code).
    public func store(_ bytes: [UInt8]) {
        stored.withLock { if $0 == nil { $0 = bytes } }
    }
}
