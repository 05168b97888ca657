import CLua
import Foundation
import WippyProcess

/// What the prelude's channels need from the runtime: reading the runtime-filled sources (inbox,
/// events, listened topics, timers), waiting, and listening to a topic.
extension Builtins {
    static let channels: [(String, Builtin)] = [
        ("poll", poll), ("receive", receive), ("wait", wait), ("listen", listen), ("message_metatable", messageMetatable),
    ]

    /// Sources of runtime-filled channels, as numbered in the prelude.
    enum Source: Int {
        case inbox = 1, events = 2, listen = 3, timer = 4
    }

    /// Pushes a message taken from the mailbox as the prelude's message object `{topic, from,
    /// payload, is_bytes}`; one that cannot fit in the process's memory is an error (checked before
    /// anything is built in the state).
    static func pushMessageObject(_ message: Message, _ L: OpaquePointer, _ process: LuaProcess) -> Int32 {
        if message.size > remainingBytes(L, process) {
            return raise(L, "not enough memory for a message of \(message.size >> 10) KiB on topic \"\(message.topic)\" (the process's limit is \(process.context.memoryLimit >> 20) MiB)")
        }
        lua_createtable(L, 3, 0)
        LuaBridge.pushString(message.topic, L)
        lua_rawseti(L, -2, 1)
        if let from = message.from {
            LuaBridge.pushString(from.description, L)
            lua_rawseti(L, -2, 2)
        }
        LuaBridge.push(message.payload, L)
        lua_rawseti(L, -2, 3)
        if case .bytes = message.payload {
            lua_pushboolean(L, 1)
            lua_rawseti(L, -2, 4)
        }
        _ = wippy_getref(L, wippy_control_of(L).pointee.message_metatable)
        lua_setmetatable(L, -2)
        return 1
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

    /// `poll(source, key)` → `true, value` with what an event or timer source holds next, or
    /// `false`. Messages (inbox, listened topics) are read with ``receive``.
    static let poll: Builtin = { L in
        let L = L!, process = owner(L)
        let source = Source(rawValue: Int(lua_tointegerx(L, 1, nil)))
        switch source {
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
        case .inbox, .listen, nil:
            return raise(L, "internal: not a source of B.poll")
        }
        lua_pushboolean(L, 0)
        return 1
    }

    /// `receive(source, key)` → the next message of the inbox (source 1) or of the listened topic
    /// `key` (source 3) as a message object, or nothing: the receive loop of the prelude's
    /// channels in one call.
    static let receive: Builtin = { L in
        let L = L!, process = owner(L)
        let topic = Int(lua_tointegerx(L, 1, nil)) == Source.listen.rawValue ? string(L, 2) : nil
        guard let message = process.takeMessage(listened: topic) else { return 0 }
        return pushMessageObject(message, L, process)
    }

    /// `message_metatable(mt)`: the metatable of message objects made by ``receive``, given once
    /// by the prelude.
    static let messageMetatable: Builtin = { L in
        let L = L!
        lua_settop(L, 1)
        wippy_control_of(L).pointee.message_metatable = wippy_ref(L)
        return 0
    }

    /// `wait([nanoseconds])`: yields until something arrives (or the time is up).
    static let wait: Builtin = { L in
        let L = L!
        return suspend(L, for: .wait(lua_type(L, 1) == LUA_TNUMBER ? .atMost(.nanoseconds(nanoseconds(L, 1))) : .untilWoken))
    }

    /// `listen(topic, on)`: messages on `topic` go to its own queue (on) or back to the inbox (off;
    /// what waited there is dropped).
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
}
