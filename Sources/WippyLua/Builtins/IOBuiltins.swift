import CLua
import WippyProcess

/// `io`: the terminal of the running process's `terminal.host` (see ``Terminal``). Reads wait
/// (the process yields) while a thread of the terminal blocks on standard input.
extension Builtins {
    static let io: [(String, Builtin)] = [
        ("io_write", ioWrite), ("io_read", ioRead), ("io_readline", ioReadLine), ("io_flush", ioFlush),
        ("io_raw", ioRaw), ("io_args", ioArgs),
    ]

    /// The terminal of the running process's host; nil for a process on another host and for
    /// function calls (they run on no terminal).
    private static func terminal(_ L: OpaquePointer) -> Terminal? {
        let process = owner(L)
        guard process.call == nil else { return nil }
        return process.context.terminals[process.pid.host]
    }

    private static func unavailable(_ L: OpaquePointer) -> Int32 {
        let process = owner(L)
        let place = process.call == nil ? "on host \(process.pid.host)" : "as a function call"
        return failure(L, "UNAVAILABLE: the io module works only in processes on a terminal.host (\(process.entryID) runs \(place))")
    }

    /// `io_write(descriptor, text)` → `true` | `nil, message`.
    static let ioWrite: Builtin = { L in
        let L = L!
        guard let terminal = terminal(L) else { return unavailable(L) }
        var length = 0
        guard let bytes = lua_tolstring(L, 2, &length) else { return failure(L, "INVALID: io.write expects text") }
        let buffer = UnsafeRawBufferPointer(start: bytes, count: length)
        guard terminal.write(buffer, to: lua_tointegerx(L, 1, nil) == 2 ? 2 : 1) else {
            return failure(L, "INTERNAL: cannot write to the terminal")
        }
        return ok(L)
    }

    /// `io_read(n)` → up to `n` bytes (1024 when not above 0; at most the message limit) |
    /// `nil, message` at the end of input.
    static let ioRead: Builtin = { L in
        let L = L!
        guard let terminal = terminal(L) else { return unavailable(L) }
        let asked = lua_type(L, 1) == LUA_TNUMBER ? Int(clamping: lua_tointegerx(L, 1, nil)) : 0
        let count = min(asked <= 0 ? 1024 : asked, owner(L).context.limits.message)
        return suspend(L, for: .operation {
            switch await terminal.read(upTo: count) {
            case let .success(bytes?): return [String(validating: bytes, as: UTF8.self).map(Payload.string) ?? .bytes(bytes)]
            case .success(nil): return [.null, .string("EOF: the end of input")]
            case let .failure(failure): return [.null, .string(failure.message)]
            }
        })
    }

    /// `io_readline()` → the next line without its line end | `nil, message` at the end of input.
    static let ioReadLine: Builtin = { L in
        let L = L!
        guard let terminal = terminal(L) else { return unavailable(L) }
        let limit = owner(L).context.limits.message
        return suspend(L, for: .operation {
            switch await terminal.readLine(limit: limit) {
            case let .success(line?): return [.string(line)]
            case .success(nil): return [.null, .string("EOF: the end of input")]
            case let .failure(failure): return [.null, .string(failure.message)]
            }
        })
    }

    /// `io_flush()` → `true`: writes are not buffered.
    static let ioFlush: Builtin = { L in
        let L = L!
        return terminal(L) == nil ? unavailable(L) : ok(L)
    }

    /// `io_raw(on)` → `true` | `nil, message`.
    static let ioRaw: Builtin = { L in
        let L = L!
        guard let terminal = terminal(L) else { return unavailable(L) }
        if let failure = terminal.setRaw(lua_toboolean(L, 1) != 0) { return Builtins.failure(L, "INTERNAL: \(failure.message)") }
        return ok(L)
    }

    /// `io_args()` → the arguments of `wippy run -x` after the entry.
    static let ioArgs: Builtin = { L in
        let L = L!
        guard let terminal = terminal(L) else { return unavailable(L) }
        push(.array(terminal.arguments.map(Payload.string)), L)
        return 1
    }
}
