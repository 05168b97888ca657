import CLua
import CWippyPatterns
import Foundation

/// One `lua_State` with a memory cap and the sandboxed standard library: `string`, `table`,
/// `math`, `utf8`, `coroutine`, and `os` limited to `time`, `clock`, `date` and `difftime` (all
/// but `string` opened on first use).
/// No `io`, `debug`, `package`, `load`, `loadfile`, `dofile` or `collectgarbage`.
///
/// Not thread-safe: one owner uses it at a time (a process is the unit of mutual exclusion).
final class LuaState {
    let L: OpaquePointer
    /// The state's control block (see the shim): its memory budget and preemption.
    let control: UnsafeMutablePointer<wippy_control>

    /// nil when even the empty state does not fit in `memoryLimit`.
    init?(memoryLimit: Int) {
        control = .allocate(capacity: 1)
        control.initialize(to: wippy_control(used: 0, limit: Int64(memoryLimit), strict: 0, preempted: 0, lock: 0,
                                             running: nil, doomed: 0, sorting: 0))
        guard let state = lua_newstate(wippy_allocate, control) else {
            control.deallocate()
            return nil
        }
        L = state
        openSandboxedLibraries()
        guard control.pointee.used <= memoryLimit else { return nil }  // deinit closes it
    }

    deinit {
        lua_close(L)
        control.deallocate()
    }

    /// Bytes the state may still allocate before its limit.
    var remainingBytes: Int { Int(control.pointee.limit - control.pointee.used) }

    /// `string` now, `table`/`math`/`utf8`/`coroutine`/`os` on first use (see the shim); then the
    /// base library's loaders and escape hatches are removed.
    private func openSandboxedLibraries() {
        wippy_open_sandboxed_libraries(L)
        _ = lua_getglobal(L, "string")
        wippy_install_bounded_patterns(L, -1)  // no pattern may backtrack for hours inside C
        wippy_pop(L, 1)
        lua_pushglobaltable(L)
        for name in ["dofile", "loadfile", "load", "loadstring", "collectgarbage", "require"] {
            lua_pushnil(L)
            lua_setfield(L, -2, name)
        }
        wippy_pop(L, 1)
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

extension LuaState {
    /// `lua_pushglobaltable`, a macro.
    func lua_pushglobaltable(_ L: OpaquePointer) {
        _ = lua_rawgeti(L, wippy_registryindex(), wippy_ridx_globals())
    }
}
