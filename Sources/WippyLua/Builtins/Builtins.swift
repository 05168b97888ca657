import CLua
import Foundation
import WippyProcess

/// The Swift built-ins the prelude wraps (`B.*`), one file per module. Each returns its result
/// count, `WIPPY_RAISE` (message on the stack) or `WIPPY_YIELD`; the C trampoline does the raising
/// and yielding, so no longjmp ever crosses a Swift frame. Expected failures return `nil, message`
/// to Lua. Every built-in finds the process it runs for through the state's control block (the
/// scheduler sets it before each resume). The helpers marked public serve the built-ins of
/// ``BuiltinModule``s defined in other targets.
public enum Builtins {
    typealias Builtin = @convention(c) (OpaquePointer?) -> Int32

    /// Pushes the table `B` onto `L`: the runtime's built-ins, those of the registered
    /// ``BuiltinModule``s, and `B.modules`, the names of those modules.
    static func push(_ L: OpaquePointer) {
        let registered = BuiltinModule.all
        let all = process + channels + time + json + logger + funcs + registry + events + loader + io + env + metrics + system
            + registered.flatMap { $0.module.functions.map { ($0.name, $0.function) } }
        lua_createtable(L, 0, Int32(all.count + 4))
        for (name, function) in all {
            wippy_push_swift_function(L, function)
            lua_setfield(L, -2, name)
        }
        lua_createtable(L, Int32(registered.count), 0)
        for (index, compiled) in registered.enumerated() {
            LuaBridge.pushString(compiled.module.name, L)
            lua_rawseti(L, -2, lua_Integer(index + 1))
        }
        lua_setfield(L, -2, "modules")
        lua_pushcclosure(L, wippy_freeze_function, 0)
        lua_setfield(L, -2, "freeze")
        lua_pushcclosure(L, wippy_raw_getmetatable, 0)
        lua_setfield(L, -2, "raw_getmetatable")
        lua_pushcclosure(L, wippy_raw_setmetatable, 0)
        lua_setfield(L, -2, "raw_setmetatable")
    }

    // MARK: - Helpers

    /// The process running now.
    public static func owner(_ L: OpaquePointer) -> LuaProcess {
        Unmanaged<LuaProcess>.fromOpaque(wippy_get_owner(L)!).takeUnretainedValue()
    }

    /// The string at `index`; nil for any other type (a number too).
    public static func string(_ L: OpaquePointer, _ index: Int32) -> String? {
        lua_type(L, index) == LUA_TSTRING ? LuaState.string(L, index) : nil
    }

    /// `nil, message`
    public static func failure(_ L: OpaquePointer, _ message: String) -> Int32 {
        lua_pushnil(L)
        LuaBridge.pushString(message, L)
        return 2
    }

    /// Raises `message` as a Lua error.
    public static func raise(_ L: OpaquePointer, _ message: String) -> Int32 {
        LuaBridge.pushString(message, L)
        return WIPPY_RAISE
    }

    /// `true`
    public static func ok(_ L: OpaquePointer) -> Int32 {
        lua_pushboolean(L, 1)
        return 1
    }

    /// The string or number at `index` as text; nil for any other type.
    public static func text(_ L: OpaquePointer, _ index: Int32) -> String? {
        lua_type(L, index) == LUA_TSTRING || lua_type(L, index) == LUA_TNUMBER ? LuaState.string(L, index) : nil
    }

    /// Pushes `payload` onto the stack (one value).
    public static func push(_ payload: Payload, _ L: OpaquePointer) {
        LuaBridge.push(payload, L)
    }

    /// The memory budget of the running process (bytes).
    public static func memoryLimit(_ L: OpaquePointer) -> Int {
        owner(L).context.memoryLimit
    }

    /// Pushes `text` onto the stack, or nil.
    public static func push(_ text: String?, _ L: OpaquePointer) {
        if let text { LuaBridge.pushString(text, L) } else { lua_pushnil(L) }
    }

    /// Charges `bytes` held outside Lua for the running function call (a response body) to its
    /// memory budget, as if its Lua state held them, until the call ends; false when they would
    /// pass the budget (nothing charged).
    public static func chargeCall(_ L: OpaquePointer, bytes: Int) -> Bool {
        let process = owner(L)
        guard let call = process.call, bytes <= remainingBytes(L, process) else { return false }
        wippy_account_charge(wippy_control_of(L), process.account, Int64(bytes))
        call.chargedBytes += bytes
        return true
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
