import CLua
import WippyProcess

/// `metrics`: counters, gauges and histograms recorded by Lua code, exposed with the runtime's
/// own (see `RuntimeMetrics`); without a metrics endpoint they record nothing and succeed.
extension Builtins {
    static let metrics: [(String, Builtin)] = [("metric", metric)]

    /// `metric(operation, name, value, labels)` → `true` | `nil, message`. `operation` is one of
    /// `counter`, `gauge`, `gauge_set`, `histogram` (the prelude's wrappers give it).
    static let metric: Builtin = { L in
        let L = L!
        let operation = string(L, 1) ?? ""
        guard let name = string(L, 2) else { return failure(L, "INVALID: metrics: the metric name must be a string") }
        guard lua_type(L, 3) == LUA_TNUMBER else { return failure(L, "INVALID: metrics: \(name): the value must be a number") }
        let value = lua_tonumberx(L, 3, nil)
        var labels: [(String, String)] = []
        switch lua_type(L, 4) {
        case LUA_TNIL, LUA_TNONE: break
        case LUA_TTABLE:
            lua_pushnil(L)
            while lua_next(L, 4) != 0 {
                // The key stays for lua_next (a string key: reading it changes nothing); the value goes.
                let key = lua_type(L, -2) == LUA_TSTRING ? LuaState.string(L, -2) : nil
                let text: String?
                switch lua_type(L, -1) {
                case LUA_TSTRING, LUA_TNUMBER: text = LuaState.string(L, -1)
                case LUA_TBOOLEAN: text = lua_toboolean(L, -1) != 0 ? "true" : "false"
                default: text = nil
                }
                wippy_pop(L, 1)
                guard let key else { return failure(L, "INVALID: metrics: \(name): label names must be strings") }
                guard let text else {
                    return failure(L, "INVALID: metrics: \(name): the value of label \(key) must be a string, number or boolean")
                }
                labels.append((key, text))
                if labels.count > 64 { return failure(L, "INVALID: metrics: \(name): too many labels") }
            }
        default: return failure(L, "INVALID: metrics: \(name): labels must be a table")
        }
        if let error = owner(L).context.services.recordMetric(operation, name: name, value: value, labels: labels) {
            return failure(L, error.message)
        }
        return ok(L)
    }
}
