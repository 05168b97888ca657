import Synchronization
import WippyManifest

/// Warm Lua states for one `function.lua`: the prelude has run and the code is loaded, so a call
/// only starts a coroutine. A state goes back to the pool after a call that returned normally;
/// one that failed (error, out of memory, terminated) is dropped, so a broken state never serves
/// twice.
///
/// What a handler leaves in its globals or module upvalues is seen by the next call on the same
/// state, as with any pooled Lua runtime; per-call data belongs in locals.
public final class LuaStatePool: Sendable {
    /// The code every state of the pool runs.
    public let program: LuaProgram
    /// Most idle states kept; more concurrent calls make extra states that are dropped afterwards.
    public let capacity: Int
    private let idle = Mutex<[WarmState]>([])

    /// A state with the prelude's runner at stack index 1 and the entry's chunk at index 2.
    final class WarmState: @unchecked Sendable {  // used by one process at a time, handed over by the pool
        let lua: LuaState
        init(_ lua: LuaState) { self.lua = lua }
    }

    public init(program: LuaProgram, capacity: Int) {
        self.program = program
        self.capacity = max(1, capacity)
    }

    /// An idle state, or nil (the caller builds one).
    func take() -> WarmState? {
        idle.withLock { $0.popLast() }
    }

    /// Gives back a state whose call returned normally.
    func give(_ state: WarmState) {
        idle.withLock { states in
            if states.count < capacity { states.append(state) }
        }
    }

    /// Idle states right now (for tests and metrics).
    public var idleCount: Int { idle.withLock { $0.count } }
}
