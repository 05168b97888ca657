import Synchronization

/// The runtime's event bus (the Lua `events` module): a process subscribes to a pattern of
/// systems, and optionally one kind, and every event sent that matches reaches it as a message
/// on the subscription's own topic, with the payload `{system, kind, path, data}`. Delivery is
/// best effort, as Wippy's is: a subscriber whose mailbox is full misses the event. A process's
/// subscriptions end with it.
public final class EventBus: Sendable {
    /// Most subscriptions one process may hold at once.
    public static let maxPerProcess = 256

    private struct Subscription: Sendable {
        let pid: PID
        let pattern: SystemPattern
        let kind: String?
    }

    private struct State {
        var next: UInt64 = 0
        var byTopic: [String: Subscription] = [:]
        /// The topics each subscriber holds.
        var byPID: [PID: Set<String>] = [:]
    }

    private let state = Mutex(State())

    /// Longest system name or pattern, and most segments in one: matching stays cheap whatever
    /// a script sends.
    public static let maxSystemBytes = 256
    public static let maxSegments = 16

    public init() {}

    /// Subscribes `pid`; the topic its events will come on.
    public func subscribe(_ pid: PID, pattern: String, kind: String?) throws(ProcessError) -> String {
        guard pattern.utf8.count <= Self.maxSystemBytes, let parsed = SystemPattern(pattern), parsed.segments.count <= Self.maxSegments else {
            throw .invalid("events.subscribe: bad system pattern \"\(pattern.prefix(64))\" (up to \(Self.maxSegments) segments split on \".\": a name, *, ** or (a|b); at most \(Self.maxSystemBytes) bytes)")
        }
        return try state.withLock { state throws(ProcessError) -> String in
            guard state.byPID[pid, default: []].count < Self.maxPerProcess else {
                throw .invalid("events.subscribe: more than \(Self.maxPerProcess) subscriptions in one process; close some first")
            }
            state.next += 1
            let topic = "@events/\(state.next)"
            state.byTopic[topic] = Subscription(pid: pid, pattern: parsed, kind: kind)
            state.byPID[pid, default: []].insert(topic)
            return topic
        }
    }

    /// Ends the subscription on `topic` if `pid` holds it.
    public func unsubscribe(_ topic: String, by pid: PID) {
        state.withLock { state in
            guard state.byTopic[topic]?.pid == pid else { return }
            state.byTopic[topic] = nil
            state.byPID[pid]?.remove(topic)
            if state.byPID[pid]?.isEmpty == true { state.byPID[pid] = nil }
        }
    }

    /// Drops every subscription of `pid` (it ended).
    func forget(_ pid: PID) {
        state.withLock { state in
            guard let topics = state.byPID.removeValue(forKey: pid) else { return }
            for topic in topics { state.byTopic[topic] = nil }
        }
    }

    /// Whether events may be sent as coming from `system`: a name of at most ``maxSegments``
    /// segments and ``maxSystemBytes`` bytes.
    public static func isValidSystem(_ system: String) -> Bool {
        !system.isEmpty && system.utf8.count <= maxSystemBytes && system.utf8.count(where: { $0 == UInt8(ascii: ".") }) < maxSegments
    }

    /// Sends the event to every matching subscription; how many got it.
    @discardableResult
    public func publish(system: String, kind: String, path: String, data: Payload, from sender: PID?, via table: ProcessTable) -> Int {
        let targets = state.withLock { state in
            state.byTopic.filter { $0.value.pattern.matches(system) && ($0.value.kind == nil || $0.value.kind == kind) }
        }
        guard !targets.isEmpty else { return 0 }
        let payload = Payload.object([("system", .string(system)), ("kind", .string(kind)), ("path", .string(path)), ("data", data)])
        var delivered = 0
        for (topic, subscription) in targets {
            // A subscriber that has ended was forgotten when it did (ProcessTable.exited).
            if (try? table.send(to: subscription.pid, Message(from: sender, topic: topic, payload: payload))) != nil { delivered += 1 }
        }
        return delivered
    }
}

/// A pattern of event systems: segments split on `.`, each a name, `*` (any one segment), `**`
/// (any number of segments, none included) or `(a|b)` (one of the names).
public struct SystemPattern: Sendable {
    enum Segment: Sendable {
        case name(String)
        case one
        case any
        case oneOf(Set<String>)
    }

    let segments: [Segment]

    public init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        var segments: [Segment] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            switch part {
            case "": return nil
            case "*": segments.append(.one)
            case "**": segments.append(.any)
            default:
                if part.hasPrefix("("), part.hasSuffix(")") {
                    let names = part.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                    guard !names.contains(where: \.isEmpty) else { return nil }
                    segments.append(.oneOf(Set(names)))
                } else {
                    guard !part.contains(where: { "*()|".contains($0) }) else { return nil }
                    segments.append(.name(String(part)))
                }
            }
        }
        self.segments = segments
    }

    public func matches(_ system: String) -> Bool {
        let parts = system.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // reachable[j]: the pattern's segments so far can match the first j parts.
        var reachable = [Bool](repeating: false, count: parts.count + 1)
        reachable[0] = true
        for segment in segments {
            var next = [Bool](repeating: false, count: parts.count + 1)
            for j in 0...parts.count where reachable[j] {
                switch segment {
                case .any:
                    for k in j...parts.count { next[k] = true }
                case .one:
                    if j < parts.count { next[j + 1] = true }
                case let .name(name):
                    if j < parts.count, parts[j] == name { next[j + 1] = true }
                case let .oneOf(names):
                    if j < parts.count, names.contains(parts[j]) { next[j + 1] = true }
                }
            }
            reachable = next
        }
        return reachable[parts.count]
    }
}
