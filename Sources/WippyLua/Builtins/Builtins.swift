import CLua
import Foundation
import WippyProcess

/// The Swift built-ins the prelude wraps (`B.*`), one file per module. Each returns its result
/// count, `WIPPY_RAISE` (message on the stack) or `WIPPY_YIELD`; the C trampoline does the raising
/// and yielding, so no longjmp ever crosses a Swift frame. Expected failures return `nil, message`
/// to Lua. Every built-in finds the process it runs for through the state's control block (the
/// scheduler sets it before each resume).
enum Builtins {
    typealias Builtin = @convention(c) (OpaquePointer?) -> Int32

    /// Pushes the table `B` onto `L`.
    static func push(_ L: OpaquePointer) {
        let all = process + channels + time + json + logger + funcs + registry + http + loader
        lua_createtable(L, 0, Int32(all.count + 3))
        for (name, function) in all {
            wippy_push_swift_function(L, function)
            lua_setfield(L, -2, name)
        }
        lua_pushcclosure(L, wippy_freeze_function, 0)
        lua_setfield(L, -2, "freeze")
        lua_pushcclosure(L, wippy_raw_getmetatable, 0)
        lua_setfield(L, -2, "raw_getmetatable")
        lua_pushcclosure(L, wippy_raw_setmetatable, 0)
        lua_setfield(L, -2, "raw_setmetatable")
    }

    // MARK: - Helpers

    /// The process running now.
    static func owner(_ L: OpaquePointer) -> LuaProcess {
        Unmanaged<LuaProcess>.fromOpaque(wippy_get_owner(L)!).takeUnretainedValue()
    }

    static func string(_ L: OpaquePointer, _ index: Int32) -> String? {
        lua_type(L, index) == LUA_TSTRING ? LuaState.string(L, index) : nil
    }

    /// `nil, message`
    static func failure(_ L: OpaquePointer, _ message: String) -> Int32 {
        lua_pushnil(L)
        LuaBridge.pushString(message, L)
        return 2
    }

    static func raise(_ L: OpaquePointer, _ message: String) -> Int32 {
        LuaBridge.pushString(message, L)
        return WIPPY_RAISE
    }

    static func ok(_ L: OpaquePointer) -> Int32 {
        lua_pushboolean(L, 1)
        return 1
    }

    /// Bytes the running process may still allocate.
    static func remainingBytes(_ L: OpaquePointer, _ process: LuaProcess) -> Int {
        Int(wippy_account_remaining(wippy_control_of(L), process.account))
    }

    /// The arguments from stack index `first` to the top as payloads (deep copies), together at
    /// most the process's message limit.
    static func payloads(_ L: OpaquePointer, from first: Int32) -> Result<[Payload], LuaBridge.Unsendable> {
        var values: [Payload] = []
        let top = lua_gettop(L)
        guard top >= first else { return .success(values) }
        var remaining = owner(L).context.limits.message
        for index in first...top {
            do {
                let (value, size) = try LuaBridge.payloadAndSize(at: index, L, limit: remaining)
                values.append(value)
                remaining -= size
            } catch {
                return .failure(.init(message: "argument \(index - first + 1): \(error.message)"))
            }
        }
        return .success(values)
    }

    /// Suspends the coroutine to wait for `reason`; the thread resumes it. Raises where Lua
    /// cannot yield, and then leaves nothing behind for the thread. A preemption yield that
    /// follows finds no stale request either (the thread clears them).
    static func suspend(_ L: OpaquePointer, for reason: Suspension) -> Int32 {
        let process = owner(L)
        guard L == process.coroutine else {
            return raise(L, "cannot block inside a coroutine created with the coroutine library: only the process's own code may wait")
        }
        guard lua_isyieldable(L) != 0, wippy_control_of(L).pointee.sorting == 0 else {
            return raise(L, "cannot block here: blocking calls are not allowed inside metamethods, C iterators or sort comparators")
        }
        switch reason {
        case let .wait(request): process.waitRequest = request
        case let .operation(operation): process.pendingOperation = operation
        }
        return WIPPY_YIELD
    }

    /// What a suspended process waits for.
    enum Suspension {
        case wait(LuaProcess.WaitRequest)
        /// Its values are the results of the call.
        case operation(@Sendable () async -> [Payload])
    }
}
