import CLua
import Logging
import WippyProcess

/// `logger` and `print`: lines in the runtime's log, tagged with the process.
extension Builtins {
    static let logger: [(String, Builtin)] = [("log", log)]

    /// The metadata key of a `logger` call's fields (the runtime's log handler knows it too).
    public static let logFieldsKey = "fields"

    /// `log(level, text, fields)`.
    static let log: Builtin = { L in
        let L = L!, process = owner(L)
        let level = Logger.Level(rawValue: string(L, 1) == "warn" ? "warning" : string(L, 1) ?? "info") ?? .info
        let text = string(L, 2) ?? (lua_type(L, 2) == LUA_TNIL ? "nil" : "(not a string)")
        // The fields go under one key, apart from the line's own tags (`entry`, `pid`), which
        // a field of the same name must not replace (WippyLogHandler prints them as fields).
        var user: Logger.Metadata = [:]
        if lua_type(L, 3) == LUA_TTABLE, case let .map(fields)? = try? LuaBridge.payload(at: 3, L, limit: process.context.limits.message) {
            for (key, value) in fields { user[key.description] = .string(value.stringValue ?? value.json) }
        }
        process.logger.log(level: level, "\(text)", metadata: user.isEmpty ? nil : [Self.logFieldsKey: .dictionary(user)])
        return 0
    }
}
