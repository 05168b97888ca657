import CLua
import Foundation
import WippyManifest

/// `time`: clocks, durations, and the timers behind `time.after`, `timer` and `ticker` (kept on
/// the process's scheduler thread).
extension Builtins {
    static let time: [(String, Builtin)] = [
        ("timer", timer), ("timer_stop", timerStop), ("now_ns", nowNanoseconds), ("duration_ns", durationNanoseconds),
        ("format_time", formatTime),
    ]

    /// A count of nanoseconds at `index` (from `duration_ns`), clamped to 0…100 years whatever
    /// number arrives (a float too large for an integer included).
    static func nanoseconds(_ L: OpaquePointer, _ index: Int32) -> Int64 {
        let limit = Duration.manifestMaximum.wholeNanoseconds
        if lua_isinteger(L, index) != 0 { return min(max(0, Int64(lua_tointegerx(L, index, nil))), limit) }
        let value = lua_tonumberx(L, index, nil)
        guard !value.isNaN, value > 0 else { return 0 }
        return value >= Double(limit) ? limit : Int64(value)
    }

    /// `timer(id, nanoseconds, repeating)`: timer `id` fires into its channel after the time (and
    /// then every time again, when repeating).
    static let timer: Builtin = { L in
        let L = L!, process = owner(L)
        let id = Int(lua_tointegerx(L, 1, nil))
        let interval = UInt64(nanoseconds(L, 2))
        let repeating = lua_toboolean(L, 3) != 0 && interval > 0
        process.timerGeneration += 1
        process.timers[id] = process.timerGeneration
        process.thread.timers.add(at: TimerQueue.now &+ interval,
                                  .tick(process, id: id, generation: process.timerGeneration, interval: interval, repeating: repeating))
        return 0
    }

    static let timerStop: Builtin = { L in
        let L = L!, process = owner(L)
        let id = Int(lua_tointegerx(L, 1, nil))
        process.timers[id] = nil
        process.mailbox.withLock { _ = $0.timerFires.removeValue(forKey: id) }
        return 0
    }

    static let nowNanoseconds: Builtin = { L in
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        lua_pushinteger(L!, lua_Integer(spec.tv_sec) * 1_000_000_000 + lua_Integer(spec.tv_nsec))
        return 1
    }

    /// `duration_ns(v)`: a duration string or a number of milliseconds (negative counts as 0) →
    /// nanoseconds, or `nil, message` (bad text, NaN, infinite, above the 100-year maximum).
    static let durationNanoseconds: Builtin = { L in
        let L = L!
        let duration: Duration?
        switch lua_type(L, 1) {
        case LUA_TNUMBER:
            let milliseconds = lua_tonumberx(L, 1, nil)
            duration = milliseconds < 0 ? .zero : Duration(checkedMilliseconds: milliseconds)  // NaN stays NaN
        case LUA_TSTRING: duration = string(L, 1).flatMap(Duration.init(manifest:))
        default: duration = nil
        }
        guard let duration else {
            let shown = lua_type(L, 1) == LUA_TSTRING ? "\"\(string(L, 1)!)\"" : (LuaState.string(L, 1) ?? "value")
            return failure(L, "invalid duration \(shown): use e.g. \"500ms\", \"1s\", \"2m\" or a number of milliseconds, at most 100 years")
        }
        lua_pushinteger(L, lua_Integer(duration.wholeNanoseconds))
        return 1
    }

    static let formatTime: Builtin = { L in
        let L = L!
        let nanoseconds = Int64(lua_tointegerx(L, 1, nil))
        let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
        LuaBridge.pushString(date.formatted(.iso8601), L)
        return 1
    }
}
