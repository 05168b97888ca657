import CLua
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
        /// The last process that ran on the state stays its owner while the state is idle, so
        /// that finalizers run when the state is closed find a live object behind the pointer.
        var lastOwner: AnyObject?
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

    /// Gives back a state whose call returned normally. One that holds more than half of its
    /// memory limit is dropped instead: a call starts with a few allocations Lua cannot fail
    /// gracefully, so a warm state must keep room.
    func give(_ state: WarmState, memoryLimit: Int) {
        guard Int(state.lua.control.pointee.used) < memoryLimit / 2 else { return }
        idle.withLock { states in
            if states.count < capacity { states.append(state) }
        }
    }

    /// Idle states right now (for tests and metrics).
    public var idleCount: Int { idle.withLock { $0.count } }
}
