import CLua
import WippyProcess

/// `events`: subscribe to systems of the runtime's event bus, and send events on it.
extension Builtins {
    static let events: [(String, Builtin)] = [("events_subscribe", eventsSubscribe), ("events_unsubscribe", eventsUnsubscribe),
                                              ("events_send", eventsSend)]

    /// `events_subscribe(pattern [, kind])` → the topic the events come on, or `nil, message`.
    static let eventsSubscribe: Builtin = { L in
        let L = L!, process = owner(L)
        guard let pattern = string(L, 1) else { return failure(L, "events.subscribe expects a system pattern") }
        let kind = string(L, 2)
        guard kind != nil || lua_type(L, 2) <= LUA_TNIL else { return failure(L, "events.subscribe: the kind must be a string") }
        do {
            push(try process.context.table.events.subscribe(process.pid, pattern: pattern, kind: kind), L)
            return 1
        } catch {
            return failure(L, "\(error)")
        }
    }

    /// `events_unsubscribe(topic)`.
    static let eventsUnsubscribe: Builtin = { L in
        let L = L!, process = owner(L)
        if let topic = string(L, 1) { process.context.table.events.unsubscribe(topic, by: process.pid) }
        return 0
    }

    /// `events_send(system, kind, path [, data])` → `true`, or `nil, message`.
    static let eventsSend: Builtin = { L in
        let L = L!, process = owner(L)
        guard let system = string(L, 1), let kind = string(L, 2) else {
            return failure(L, "events.send expects a system and a kind (strings)")
        }
        guard EventBus.isValidSystem(system) else {
            return failure(L, "events.send: the system must be a name of at most \(EventBus.maxSegments) segments and \(EventBus.maxSystemBytes) bytes")
        }
        let path = text(L, 3) ?? ""
        let data: Payload
        do { data = try LuaBridge.payload(at: 4, L, limit: process.context.limits.message) } catch {
            return failure(L, "events.send: data: \(error)")
        }
        process.context.table.events.publish(system: system, kind: kind, path: path, data: data, from: process.pid,
                                             via: process.context.table)
        return ok(L)
    }
}
