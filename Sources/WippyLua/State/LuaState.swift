import CLua
import CWippyPatterns
import Foundation

/// One `lua_State` shared by the processes of a scheduler thread, with memory accounts and the
/// sandboxed standard library: `string`, `table`, `math`, `utf8`, `coroutine`, and `os` limited to
/// `time`, `clock`, `date` and `difftime`. No `io`, `debug`, `package`, `load`, `loadfile` or
/// `dofile`; `collectgarbage` only reports the caller's own memory.
///
/// The global table holds what processes share; the runtime freezes it once its own globals are
/// in (``freezeGlobals()``). Each process reads and writes a private globals table of its own.
///
/// Not thread-safe: only its scheduler thread uses it.
final class LuaState {
    let L: OpaquePointer
    /// The state's control block (see the shim): memory accounts and preemption.
    let control: UnsafeMutablePointer<wippy_control>

    /// nil when out of memory.
    init?() {
        guard let control = wippy_control_new() else { return nil }
        guard let state = lua_newstate(wippy_allocate, control) else {
            wippy_control_free(control)
            return nil
        }
        self.control = control
        L = state
        wippy_open_shared_libraries(L)
        _ = lua_getglobal(L, "string")
        wippy_install_bounded_patterns(L, -1)  // no pattern may backtrack for hours inside C
        wippy_pop(L, 1)
        // Incremental: the generational mode walks every coroutine (every process) on each minor cycle.
        _ = wippy_gc_incremental(L, 200, 100)
    }

    deinit {
        lua_close(L)
        wippy_control_free(control)
    }

    /// Makes every table-valued global read-only and protects the string metatable.
    func freezeGlobals() {
        wippy_freeze_globals(L)
    }

    /// Opens a memory account of `limit` bytes (0: none could be opened).
    func openAccount(limit: Int) -> UInt32 {
        wippy_account_open(control, Int64(limit))
    }

    /// Closes an account; what its blocks still hold counts as the state's own from now on. When
    /// that is a lot (a process that held megabytes ended), the collector runs a full cycle at
    /// once: with no one allocating, an incremental cycle would leave it unreclaimed.
    func closeAccount(_ account: UInt32) {
        let left = usedBytes(account)
        wippy_account_close(control, account)
        if left >= Self.collectAfter { _ = wippy_gc_collect(L) }
    }

    /// Bytes an ended process may leave for the collector before a full cycle runs at once.
    static let collectAfter = 8 << 20

    /// Bytes `account` may still allocate before its limit.
    func remainingBytes(_ account: UInt32) -> Int {
        Int(wippy_account_remaining(control, account))
    }

    /// Bytes `account` holds.
    func usedBytes(_ account: UInt32) -> Int {
        Int(wippy_account_used(control, account))
    }

    /// Compiles onto the stack of `L`, which may be any thread of the state.
    static func load(_ L: OpaquePointer, _ source: String, chunkName: String) -> String? {
        let status = source.withCString { pointer in
            wippy_loadbuffer(L, pointer, strlen(pointer), chunkName)
        }
        guard status == LUA_OK else {
            let message = string(L, -1) ?? "cannot load \(chunkName)"
            wippy_pop(L, 1)
            return message
        }
        return nil
    }

    /// The string at `index` (a number there is converted in place, as `lua_tolstring` does), else nil.
    static func string(_ L: OpaquePointer, _ index: Int32) -> String? {
        var length = 0
        guard let pointer = lua_tolstring(L, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
