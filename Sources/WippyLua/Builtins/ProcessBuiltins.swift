import CLua
import Glibc
import WippyProcess

/// `process.*`: identity, sending, names, spawning, monitors and links; and the process's record.
extension Builtins {
    static let process: [(String, Builtin)] = [
        ("pid", pid), ("proc", record), ("send", send), ("register", register), ("lookup", lookup),
        ("unregister", unregister), ("spawn", spawn), ("monitor", monitor), ("unmonitor", unmonitor),
        ("link", link), ("unlink", unlink), ("cancel", cancel), ("terminate", terminate), ("trap_links", trapLinks),
    ]

    /// A PID string or registered name at `index`, resolved to a live PID.
    static func destination(_ L: OpaquePointer, _ index: Int32, _ process: LuaProcess) -> Result<PID, ProcessError> {
        guard let text = string(L, index) else { return .failure(.invalid("expected a PID or a registered name")) }
        guard let pid = process.context.table.resolve(text) else { return .failure(.notFound(text)) }
        return .success(pid)
    }

    static let pid: Builtin = { L in
        let L = L!
        LuaBridge.pushString(owner(L).pid.description, L)
        return 1
    }

    /// `proc()` → the running process's record (P in the prelude).
    static let record: Builtin = { L in
        let L = L!
        _ = wippy_getref(L, owner(L).recordRef)
        return 1
    }

    static let send: Builtin = { L in
        let L = L!, process = owner(L)
        guard lua_type(L, 1) == LUA_TSTRING else {
            return failure(L, "process.send: destination must be a PID or a registered name")
        }
        guard let topic = string(L, 2), !topic.isEmpty else {
            return failure(L, "process.send: topic must be a non-empty string")
        }
        var length = 0
        let destination = UnsafeRawBufferPointer(start: lua_tolstring(L, 1, &length), count: length)
        let payload: Payload, size: Int
        do {
            (payload, size) = try LuaBridge.payloadAndSize(at: 3, L, limit: process.context.limits.message)
        } catch {
            return failure(L, "process.send: \(error)")
        }
        let message = Message(from: process.pid, topic: topic, payload: payload, size: size)
        do {
            if let last = process.lastDestination, last.description.utf8.count == length,
               last.description.utf8.withContiguousStorageIfAvailable({
                   memcmp($0.baseAddress!, destination.baseAddress!, length) == 0
               }) == true {
                try process.context.table.send(to: last, message)
            } else {
                let text = String(decoding: destination, as: UTF8.self)
                if let pid = PID(text) {
                    process.lastDestination = try process.context.table.send(to: pid, message)
                } else {
                    try process.context.table.send(to: text, message)  // a registered name
                }
            }
        } catch {
            return failure(L, "\(error)")
        }
        return ok(L)
    }

    /// `register(name, pid?, scope?)`: `pid` defaults to the caller. Scope LOCAL (0, the default)
    /// names it on this node; EVENTUAL, CONSISTENT and STRONG (1–3), or a name configured as
    /// global, claim it across the cluster (the caller waits for the server's answer). Without a
    /// cluster every scope is this node's.
    static let register: Builtin = { L in
        let L = L!, process = owner(L)
        guard let name = string(L, 1), !name.isEmpty else { return failure(L, "process.registry.register expects a name") }
        var pid = process.pid
        if lua_type(L, 2) > LUA_TNIL {
            guard let text = string(L, 2), let parsed = PID(text) else { return failure(L, "process.registry.register: the second argument must be a PID") }
            pid = parsed
        }
        let scope = lua_type(L, 3) <= LUA_TNIL ? 0 : Int(lua_tointegerx(L, 3, nil))
        guard (0...3).contains(scope) else {
            return failure(L, "process.registry.register: unknown scope \(scope) (LOCAL, EVENTUAL, CONSISTENT or STRONG)")
        }
        let table = process.context.table
        if table.isRemote(pid) { return failure(L, "process.registry.register: \(pid) runs on another node; register it there") }
        if let remote = table.remote, scope > 0 || remote.isGlobal(name) {
            if let holder = table.localHolder(name), holder != pid {
                return failure(L, "\(ProcessError.nameTaken(name, by: holder)) (on this node)")
            }
            return suspend(L, for: .operation { [pid] in
                do {
                    try await remote.register(name, for: pid)
                    return [.bool(true)]
                } catch {
                    return [.null, .string("\(error)")]
                }
            })
        }
        if let holder = table.remote?.lookup(name), holder != pid {
            return failure(L, "\(ProcessError.nameTaken(name, by: holder)) (cluster-wide)")
        }
        do { try table.register(name, for: pid) } catch { return failure(L, "\(error)") }
        return ok(L)
    }

    static let lookup: Builtin = { L in
        let L = L!, process = owner(L)
        guard let name = string(L, 1) else { return failure(L, "process.registry.lookup expects a name") }
        guard let pid = process.context.table.lookup(name) else { return failure(L, "name \"\(name)\" is not registered") }
        LuaBridge.pushString(pid.description, L)
        return 1
    }

    /// `unregister(name)`: true when the name was registered (a cluster-wide one only by its holder).
    static let unregister: Builtin = { L in
        let L = L!, process = owner(L)
        guard let name = string(L, 1) else { return failure(L, "process.registry.unregister expects a name") }
        let table = process.context.table
        if table.unregister(name) {
            lua_pushboolean(L, 1)
            return 1
        }
        if let remote = table.remote, remote.lookup(name) == process.pid {
            let pid = process.pid
            return suspend(L, for: .operation { [.bool(await remote.unregister(name, by: pid))] })
        }
        lua_pushboolean(L, 0)
        return 1
    }

    static let spawn: Builtin = { L in
        let L = L!, process = owner(L)
        guard let entry = string(L, 1), let host = string(L, 2) else {
            return failure(L, "process.spawn expects an entry ID and a host ID")
        }
        let mode = Int(lua_tointegerx(L, 3, nil))
        let arguments: [Payload]
        switch payloads(L, from: 4) {
        case let .success(values): arguments = values
        case let .failure(error): return failure(L, "process.spawn: \(error)")
        }
        do {
            let child = try process.context.services.spawn(entry: entry, host: host, arguments: arguments,
                                                           parent: process.pid, monitor: mode & 1 != 0, link: mode & 2 != 0)
            LuaBridge.pushString(child.description, L)
            return 1
        } catch {
            return failure(L, "\(error)")
        }
    }

    /// monitor / unmonitor / link / unlink / cancel / terminate share this shape.
    private static func withTarget(_ L: OpaquePointer, _ action: (LuaProcess, PID) throws(ProcessError) -> Void) -> Int32 {
        let process = owner(L)
        switch destination(L, 1, process) {
        case let .failure(error): return failure(L, "\(error)")
        case let .success(target):
            do { try action(process, target) } catch { return failure(L, "\(error)") }
            return ok(L)
        }
    }

    static let monitor: Builtin = { L in
        withTarget(L!) { (process, target) throws(ProcessError) in try process.context.table.monitor(target, by: process.pid) }
    }

    static let unmonitor: Builtin = { L in
        withTarget(L!) { process, target in process.context.table.demonitor(target, by: process.pid) }
    }

    static let link: Builtin = { L in
        withTarget(L!) { (process, target) throws(ProcessError) in try process.context.table.link(process.pid, target) }
    }

    static let unlink: Builtin = { L in
        withTarget(L!) { process, target in process.context.table.unlink(process.pid, target) }
    }

    static let cancel: Builtin = { L in
        let L = L!
        let reason = string(L, 2) ?? "cancelled"
        return withTarget(L) { (process, target) throws(ProcessError) in
            try process.context.table.cancel(target, from: process.pid, reason: reason)
        }
    }

    static let terminate: Builtin = { L in
        withTarget(L!) { (process, target) throws(ProcessError) in
            try process.context.table.terminate(target, reason: "terminated by \(process.pid)")
        }
    }

    static let trapLinks: Builtin = { L in
        let L = L!, process = owner(L)
        process.context.table.setTrapLinks(process.pid, lua_toboolean(L, 1) != 0)
        return 0
    }
}
