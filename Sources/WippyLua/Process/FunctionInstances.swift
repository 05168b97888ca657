import CLua
import Synchronization
import WippyManifest

/// Warm instances of one `function.lua`: its code evaluated once in some thread's Lua state, with
/// private globals and a memory account of its own, so that a call only starts a coroutine. An
/// instance serves one call at a time; it goes back to the pool after a call that returned
/// normally, and one that failed (error, out of memory, terminated) is dropped, so a broken
/// instance never serves twice.
///
/// What a handler leaves in its globals or module upvalues is seen by the next call on the same
/// instance, as with any pooled Lua runtime; per-call data belongs in locals.
public final class FunctionInstances: Sendable {
    /// The code every instance runs.
    public let program: LuaProgram
    /// Most idle instances kept per thread; more concurrent calls make extra instances dropped
    /// afterwards.
    public let capacity: Int
    /// Idle instances by the thread whose state holds them.
    private let idle = Mutex<[ObjectIdentifier: [Instance]]>([:])

    /// One evaluated copy of the code: a table `{env=, module=}` in its thread's state.
    public final class Instance: @unchecked Sendable {  // used by one call at a time, handed over by the pool
        public let thread: SchedulerThread
        /// Registry reference of the instance table.
        let ref: Int32
        /// The account the instance and its calls are charged to.
        let account: UInt32

        init(thread: SchedulerThread, ref: Int32, account: UInt32) {
            self.thread = thread
            self.ref = ref
            self.account = account
        }

        /// Drops the instance from its state (on its thread): its memory goes to the collector.
        func release(_ shared: SharedState) {
            wippy_unref(shared.L, ref)
            shared.lua.closeAccount(account)
        }
    }

    public init(program: LuaProgram, capacity: Int) {
        self.program = program
        self.capacity = max(1, capacity)
    }

    deinit {
        for instance in idle.withLock({ $0.values.joined() }) {
            instance.thread.perform { shared in if let shared { instance.release(shared) } }
        }
    }

    /// An idle instance on `thread`, or nil (the call then makes one there).
    public func take(on thread: SchedulerThread) -> Instance? {
        idle.withLock { $0[ObjectIdentifier(thread)]?.popLast() }
    }

    /// A new instance in `shared`, the state of `thread`, with `limit` bytes; nil when no account
    /// can be opened.
    func makeInstance(on thread: SchedulerThread, _ shared: SharedState, limit: Int) -> Instance? {
        let lua = shared.lua, L = shared.L
        let account = lua.openAccount(limit: limit)
        guard account != 0 else { return nil }
        let previous = lua.control.pointee.current
        lua.control.pointee.current = account
        defer { lua.control.pointee.current = previous }
        lua_createtable(L, 0, 2)
        wippy_new_env(L)
        lua_setfield(L, -2, "env")
        return Instance(thread: thread, ref: wippy_ref(L), account: account)
    }

    /// Takes back an instance whose call returned normally, unless the pool is full or the
    /// instance holds more than half of its memory limit (a call starts with a few allocations
    /// Lua cannot fail gracefully, so a warm instance must keep room). False: the caller drops it.
    func give(_ instance: Instance, used: Int, memoryLimit: Int) -> Bool {
        guard used < memoryLimit / 2 else { return false }
        return idle.withLock { idle in
            let key = ObjectIdentifier(instance.thread)
            guard idle[key, default: []].count < capacity else { return false }
            idle[key, default: []].append(instance)
            return true
        }
    }
}
