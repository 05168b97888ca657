import CLua
import Foundation
import Logging
import WippyManifest
import WippyProcess

/// The Swift built-ins the prelude wraps (`B.*`). Each returns its result count, `WIPPY_RAISE`
/// (message on the stack) or `WIPPY_YIELD`; the C trampoline does the raising and yielding, so no
/// longjmp ever crosses a Swift frame. Expected failures return `nil, message` to Lua.
extension LuaProcess {
    typealias Builtin = @convention(c) (OpaquePointer?) -> Int32

    /// Sources of runtime-filled channels, as numbered in the prelude.
    enum Source: Int {
        case inbox = 1, events = 2, listen = 3, timer = 4
    }

    func pushBuiltins(_ L: OpaquePointer) {
        let builtins: [(String, Builtin)] = [
            ("pid", Self.pidBuiltin), ("send", Self.send), ("register", Self.register), ("lookup", Self.lookup),
            ("unregister", Self.unregister), ("poll", Self.poll), ("wait", Self.wait), ("listen", Self.listen),
            ("timer", Self.timer), ("timer_stop", Self.timerStop), ("spawn", Self.spawn),
            ("monitor", Self.monitor), ("unmonitor", Self.unmonitor), ("link", Self.link), ("unlink", Self.unlink),
            ("cancel", Self.cancel), ("terminate", Self.terminateBuiltin), ("trap_links", Self.trapLinks),
            ("json_encode", Self.jsonEncode), ("json_decode", Self.jsonDecode), ("log", Self.log),
            ("now_ns", Self.nowNanoseconds), ("duration_ns", Self.durationNanoseconds), ("format_time", Self.formatTime),
            ("call", Self.call), ("registry_get", Self.registryGet), ("registry_find", Self.registryFind),
            ("load_library", Self.loadLibrary), ("module_chunk", Self.moduleChunk),
            ("http_get", Self.httpGet), ("http_set", Self.httpSet),
        ]
        lua_createtable(L, 0, Int32(builtins.count + 1))
        for (name, function) in builtins {
            wippy_push_swift_function(L, function)
            lua_setfield(L, -2, name)
        }
        wippy_newtable(L)  // B.modules: extra module factories added by higher layers
        lua_setfield(L, -2, "modules")
    }

    // MARK: - Helpers

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

    /// A count of nanoseconds at `index` (from `duration_ns`), clamped to 0…100 years whatever
    /// number arrives (a float too large for an integer included).
    static func nanoseconds(_ L: OpaquePointer, _ index: Int32) -> Int64 {
        let limit = Duration.manifestMaximum.wholeNanoseconds
        if lua_isinteger(L, index) != 0 { return min(max(0, Int64(lua_tointegerx(L, index, nil))), limit) }
        let value = lua_tonumberx(L, index, nil)
        guard !value.isNaN, value > 0 else { return 0 }
        return value >= Double(limit) ? limit : Int64(value)
    }

    /// Suspends the coroutine to wait for `reason`; the run loop resumes it. Raises where Lua
    /// cannot yield, and then leaves nothing behind for the run loop. A preemption yield that
    /// follows finds no stale request either (the run loop clears them).
    static func suspend(_ L: OpaquePointer, for reason: Suspension) -> Int32 {
        let process = owner(L)
        guard L == process.mainThread else {
            return raise(L, "cannot block inside a coroutine created with the coroutine library: only the process's own code may wait")
        }
        guard lua_isyieldable(L) != 0, process.state?.lua.control.pointee.sorting == 0 else {
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
        case wait(WaitRequest)
        /// Its values are the results of the call.
        case operation(@Sendable () async -> [Payload])
    }

    /// A PID string or registered name at `index`, resolved to a live PID.
    static func destination(_ L: OpaquePointer, _ index: Int32, _ process: LuaProcess) -> Result<PID, ProcessError> {
        guard let text = string(L, index) else { return .failure(.invalid("expected a PID or a registered name")) }
        guard let pid = process.context.table.resolve(text) else { return .failure(.notFound(text)) }
        return .success(pid)
    }

    /// Pushes a message taken from the mailbox; one that cannot fit in the process's memory is an
    /// error (checked before anything is built in the state).
    static func pushMessage(_ message: Message, _ L: OpaquePointer, _ process: LuaProcess) -> Int32 {
        if let remaining = process.state?.lua.remainingBytes, message.size > remaining {
            return raise(L, "not enough memory for a message of \(message.size >> 10) KiB on topic \"\(message.topic)\" (the process's limit is \(process.context.memoryLimit >> 20) MiB)")
        }
        lua_pushboolean(L, 1)
        LuaBridge.pushString(message.topic, L)
        if let from = message.from { LuaBridge.pushString(from.description, L) } else { lua_pushnil(L) }
        LuaBridge.push(message.payload, L)
        return 4
    }

    static func pushEvent(_ event: ProcessEvent, _ L: OpaquePointer) {
        var fields: [(String, Payload)] = [("kind", .string(event.kind.rawValue))]
        if let from = event.from { fields.append(("from", .string(from.description))) }
        if let reason = event.reason { fields.append(("reason", .string(reason))) }
        switch event.outcome {
        case let .result(value)?: fields.append(("result", .object([("value", value)])))
        case let .failure(message)?: fields.append(("result", .object([("error", .string(message))])))
        case nil: break
        }
        fields.append(("at", .int(Int64(Date().timeIntervalSince1970))))
        LuaBridge.push(.object(fields), L)
    }

    // MARK: - process

    static let pidBuiltin: Builtin = { L in
        let L = L!
        LuaBridge.pushString(owner(L).pid.description, L)
        return 1
    }

    static let send: Builtin = { L in
        let L = L!, process = owner(L)
        guard let destination = string(L, 1), let topic = string(L, 2) else {
            return failure(L, "process.send expects a destination and a topic")
        }
        let payload: Payload, size: Int
        do {
            (payload, size) = try LuaBridge.payloadAndSize(at: 3, L, limit: process.context.limits.message)
        } catch {
            return failure(L, "process.send: \(error)")
        }
        let message = Message(from: process.pid, topic: topic, payload: payload, size: size)
        do {
            if let last = process.lastDestination, last.text == destination {
                try process.context.table.send(to: last.pid, message)
            } else if let pid = PID(destination) {
                process.lastDestination = (destination, pid)
                try process.context.table.send(to: pid, message)
            } else {
                try process.context.table.send(to: destination, message)  // a registered name
            }
        } catch {
            return failure(L, "\(error)")
        }
        return ok(L)
    }

    static let register: Builtin = { L in
        let L = L!, process = owner(L)
        guard let name = string(L, 1), !name.isEmpty else { return failure(L, "process.registry.register expects a name") }
        do { try process.context.table.register(name, for: process.pid) } catch { return failure(L, "\(error)") }
        return ok(L)
    }

    static let lookup: Builtin = { L in
        let L = L!, process = owner(L)
        guard let name = string(L, 1) else { return failure(L, "process.registry.lookup expects a name") }
        guard let pid = process.context.table.lookup(name) else { return failure(L, "name \"\(name)\" is not registered") }
        LuaBridge.pushString(pid.description, L)
        return 1
    }

    static let unregister: Builtin = { L in
        let L = L!, process = owner(L)
        guard let name = string(L, 1) else { return failure(L, "process.registry.unregister expects a name") }
        lua_pushboolean(L, process.context.table.unregister(name) ? 1 : 0)
        return 1
    }

    static let poll: Builtin = { L in
        let L = L!, process = owner(L)
        let source = Source(rawValue: Int(lua_tointegerx(L, 1, nil)))
        switch source {
        case .inbox:
            if let message = process.takeMessage(listened: nil) { return pushMessage(message, L, process) }
        case .listen:
            let topic = string(L, 2) ?? ""
            if let message = process.takeMessage(listened: topic) { return pushMessage(message, L, process) }
        case .events:
            if let event = process.mailbox.withLock({ $0.events.popFirst() }) {
                lua_pushboolean(L, 1)
                pushEvent(event, L)
                return 2
            }
        case .timer:
            let id = Int(lua_tointegerx(L, 2, nil))
            if let fired = process.mailbox.withLock({ $0.timerFires[id]?.popFirst() }) {
                lua_pushboolean(L, 1)
                lua_pushinteger(L, lua_Integer(fired))
                return 2
            }
        case nil:
            return raise(L, "internal: unknown channel source")
        }
        lua_pushboolean(L, 0)
        return 1
    }

    static let wait: Builtin = { L in
        let L = L!
        return suspend(L, for: .wait(lua_type(L, 1) == LUA_TNUMBER ? .atMost(.nanoseconds(nanoseconds(L, 1))) : .untilWoken))
    }

    static let listen: Builtin = { L in
        let L = L!, process = owner(L)
        guard let topic = string(L, 1) else { return raise(L, "process.listen expects a topic") }
        let on = lua_toboolean(L, 2) != 0
        process.mailbox.withLock { mailbox in
            if on {
                if mailbox.listened[topic] == nil { mailbox.listened[topic] = [] }
            } else if let dropped = mailbox.listened.removeValue(forKey: topic) {
                mailbox.bytes -= dropped.reduce(0) { $0 + $1.size }
                for message in dropped { message.consumed() }
            }
        }
        return 0
    }

    static let timer: Builtin = { L in
        let L = L!, process = owner(L)
        let id = Int(lua_tointegerx(L, 1, nil))
        let nanoseconds = nanoseconds(L, 2)
        let repeating = lua_toboolean(L, 3) != 0
        process.timers[id] = Task { [weak process] in
            repeat {
                try? await Task.sleep(for: .nanoseconds(nanoseconds))
                guard !Task.isCancelled, let process else { return }
                let now = Int64(Date().timeIntervalSince1970 * 1e9)
                process.wake { mailbox in
                    // A ticker keeps at most one undelivered tick, like a channel of capacity 1.
                    if !repeating || (mailbox.timerFires[id]?.isEmpty ?? true) {
                        mailbox.timerFires[id, default: []].append(now)
                    }
                }
            } while repeating
        }
        return 0
    }

    static let timerStop: Builtin = { L in
        let L = L!, process = owner(L)
        let id = Int(lua_tointegerx(L, 1, nil))
        process.timers.removeValue(forKey: id)?.cancel()
        process.mailbox.withLock { _ = $0.timerFires.removeValue(forKey: id) }
        return 0
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

    static let terminateBuiltin: Builtin = { L in
        withTarget(L!) { (process, target) throws(ProcessError) in
            try process.context.table.terminate(target, reason: "terminated by \(process.pid)")
        }
    }

    static let trapLinks: Builtin = { L in
        let L = L!, process = owner(L)
        process.context.table.setTrapLinks(process.pid, lua_toboolean(L, 1) != 0)
        return 0
    }

    // MARK: - json

    static let jsonEncode: Builtin = { L in
        let L = L!
        do {
            // The text lands in this state: its memory limit bounds what may be encoded.
            LuaBridge.pushString(try LuaBridge.payload(at: 1, L, limit: owner(L).context.memoryLimit).json, L)
            return 1
        } catch {
            return failure(L, "json.encode: \(error)")
        }
    }

    static let jsonDecode: Builtin = { L in
        let L = L!
        guard lua_type(L, 1) == LUA_TSTRING else { return failure(L, "json.decode expects a string") }
        var length = 0
        let text = Array(UnsafeRawBufferPointer(start: lua_tolstring(L, 1, &length), count: length))
        do {
            // Only what fits in the state's memory is built at all.
            let limit = max(0, owner(L).state?.lua.remainingBytes ?? 0)
            LuaBridge.push(try Payload.parseJSON(bytes: text, limit: limit), L)
            return 1
        } catch {
            return failure(L, "json.decode: \(error)")
        }
    }

    // MARK: - logging and time

    static let log: Builtin = { L in
        let L = L!, process = owner(L)
        let level = Logger.Level(rawValue: string(L, 1) == "warn" ? "warning" : string(L, 1) ?? "info") ?? .info
        let text = string(L, 2) ?? (lua_type(L, 2) == LUA_TNIL ? "nil" : "(not a string)")
        var metadata: Logger.Metadata = [:]
        if lua_type(L, 3) == LUA_TTABLE, case let .map(fields)? = try? LuaBridge.payload(at: 3, L, limit: process.context.limits.message) {
            for (key, value) in fields { metadata[key.description] = .string(value.stringValue ?? value.json) }
        }
        process.logger.log(level: level, "\(text)", metadata: metadata)
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

    // MARK: - funcs, registry, libraries

    static let call: Builtin = { L in
        let L = L!, process = owner(L)
        guard let function = string(L, 1) else { return failure(L, "funcs.call expects a function ID") }
        let arguments: [Payload]
        switch payloads(L, from: 2) {
        case let .success(values): arguments = values
        case let .failure(error): return failure(L, "funcs.call: \(error)")
        }
        let services = process.context.services, caller = process.pid
        return suspend(L, for: .operation {
            switch await services.call(function: function, arguments: arguments, caller: caller) {
            case let .success(value): return [value]
            case let .failure(error): return [.null, .string(error.message)]
            }
        })
    }

    static let registryGet: Builtin = { L in
        let L = L!, process = owner(L)
        guard let id = string(L, 1) else { return failure(L, "registry.get expects an entry ID") }
        guard let entry = process.context.services.registryEntry(id) else { return failure(L, "no entry \"\(id)\"") }
        LuaBridge.push(entry, L)
        return 1
    }

    static let registryFind: Builtin = { L in
        let L = L!, process = owner(L)
        var criteria: [String: Payload] = [:]
        if case let .map(map)? = try? LuaBridge.payload(at: 1, L, limit: process.context.limits.message) {
            for (key, value) in map { criteria[key.description] = value }
        }
        LuaBridge.push(.array(process.context.services.registryFind(criteria)), L)
        return 1
    }

    // MARK: - http

    /// `http_get(field [, key])`: the request of the handler this process runs.
    static let httpGet: Builtin = { L in
        let L = L!, process = owner(L)
        let field = string(L, 1) ?? ""
        guard let exchange = process.exchange else {
            lua_pushnil(L)
            return 1
        }
        let key = string(L, 2)
        func push(_ text: String?) -> Int32 {
            if let text { LuaBridge.pushString(text, L) } else { lua_pushnil(L) }
            return 1
        }
        switch field {
        case "active": return ok(L)
        case "method": return push(exchange.method)
        case "path": return push(exchange.path)
        case "param": return push(key.flatMap { exchange.parameters[$0] })
        case "params":
            LuaBridge.push(.object(exchange.parameters.map { ($0.key, .string($0.value)) }), L)
            return 1
        case "query": return push(key.flatMap { name in exchange.query.first { $0.name == name }?.value })
        case "query_params":
            var values: [String: Payload] = [:]
            for (name, value) in exchange.query where values[name] == nil { values[name] = .string(value) }
            LuaBridge.push(.object(values.map { ($0.key, $0.value) }), L)
            return 1
        case "header": return push(key.flatMap(exchange.header))
        case "headers":
            var values: [String: Payload] = [:]
            for (name, value) in exchange.headers where values[name.lowercased()] == nil { values[name.lowercased()] = .string(value) }
            LuaBridge.push(.object(values.map { ($0.key, $0.value) }), L)
            return 1
        case "body":
            exchange.body.withUnsafeBufferPointer { _ = lua_pushlstring(L, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
            return 1
        case "content_type": return push(exchange.header("Content-Type"))
        case "host": return push(exchange.host)
        case "remote_addr": return push(exchange.remoteAddress)
        default: return raise(L, "internal: unknown request field \(field)")
        }
    }

    /// `http_set(op, ...)`: status, header, write.
    static let httpSet: Builtin = { L in
        let L = L!, process = owner(L)
        guard let exchange = process.exchange else { return failure(L, "not in an HTTP handler") }
        switch string(L, 1) {
        case "status":
            guard lua_type(L, 2) == LUA_TNUMBER, case let code = Int(lua_tointegerx(L, 2, nil)), (100...599).contains(code) else {
                return raise(L, "set_status expects an HTTP status code (100-599)")
            }
            exchange.status = code
        case "header":
            guard let name = string(L, 2), let value = string(L, 3) ?? (lua_type(L, 3) == LUA_TNUMBER ? LuaState.string(L, 3) : nil) else {
                return raise(L, "set_header expects a name and a value")
            }
            exchange.setHeader(name, value)
        case "write":
            var length = 0
            guard lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER, let pointer = lua_tolstring(L, 2, &length) else {
                return raise(L, "write expects a string")
            }
            // The body is charged to the handler's memory budget, as if its Lua state held it.
            let limit = process.context.memoryLimit
            guard let lua = process.state?.lua, length <= lua.remainingBytes else {
                return raise(L, "write: the response body would pass the handler's memory limit (\(limit >> 20) MiB)")
            }
            lua.control.pointee.used += Int64(length)
            process.chargedBytes += length
            exchange.responseBody.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: length))
        default:
            return raise(L, "internal: unknown response operation")
        }
        return ok(L)
    }

    /// `module_chunk(name)` → the precompiled chunk of a built-in module.
    static let moduleChunk: Builtin = { L in
        let L = L!
        guard let name = string(L, 1), let bytes = PreludeBytecode.modules[name] else {
            return raise(L, "internal: no built-in module \(string(L, 1) ?? "?")")
        }
        if let error = PreludeBytecode.load(bytes, L) { return raise(L, "internal: module \(name): \(error)") }
        return 1
    }

    /// `load_library(alias, id, env)` → chunk (with `env` as its _ENV), allowed modules, imports, ID.
    static let loadLibrary: Builtin = { L in
        let L = L!, process = owner(L)
        guard let alias = string(L, 1), let id = string(L, 2), let library = process.context.services.library(id) else {
            return failure(L, "library \(string(L, 2) ?? "?") not found")
        }
        let chunkName = library.program.sourceFile.map { "@" + $0 } ?? "=\(library.id)"
        if let error = library.program.loadChunk(L, chunkName: chunkName) {
            return failure(L, "cannot load library \(library.id) (imported as \(alias)): \(error)")
        }
        lua_pushvalue(L, 3)
        _ = lua_setupvalue(L, -2, 1)  // the chunk's _ENV: library globals fall back to the process's
        lua_createtable(L, 0, Int32(library.program.modules.count))
        for name in library.program.modules {
            lua_pushboolean(L, 1)
            lua_setfield(L, -2, name)
        }
        process.pushImports(library.program.imports, L)
        LuaBridge.pushString(library.id, L)
        return 4
    }
}
