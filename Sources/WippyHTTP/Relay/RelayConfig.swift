import WippyManifest
import WippyProcess

/// The `X-WS-Relay` header a handler sets (and the `ws.control` payload): where a relayed
/// connection sends what it receives.
public struct RelayConfig: Sendable, Equatable {
    /// PID string or registered name, as written.
    public var target: String
    public var messageTopic = "ws.message"
    public var metadata: Payload = .map([:])
    public var heartbeat: Duration = .seconds(30)
    /// Heartbeats more often than 100 ms would flood the target; rarer than hourly is no heartbeat.
    public static let heartbeatRange: ClosedRange<Duration> = .milliseconds(100) ... .seconds(3600)

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses the header's JSON object.
    public init(json: String) throws(Invalid) {
        let value: Payload
        do { value = try Payload.parseJSON(json) } catch {
            throw Invalid(description: "X-WS-Relay is not valid JSON: \(error)")
        }
        guard case .map = value else { throw Invalid(description: "X-WS-Relay must be a JSON object") }
        guard let target = value["target_pid"]?.stringValue, !target.isEmpty else {
            throw Invalid(description: "X-WS-Relay needs target_pid (a PID or a registered name)")
        }
        self.target = target
        try apply(value)
    }

    /// Applies the fields present in `value` (a `ws.control` update).
    public mutating func apply(_ value: Payload) throws(Invalid) {
        if let target = value["target_pid"] {
            guard let text = target.stringValue, !text.isEmpty else { throw Invalid(description: "target_pid must be a PID or a name") }
            self.target = text
        }
        if let topic = value["message_topic"] {
            guard let text = topic.stringValue, !text.isEmpty else { throw Invalid(description: "message_topic must be a non-empty string") }
            messageTopic = text
        }
        if let metadata = value["metadata"] {
            switch metadata {
            case .map: self.metadata = metadata
            case .array([]): self.metadata = .map([:])  // an empty Lua table
            default: throw Invalid(description: "metadata must be an object")
            }
        }
        if let interval = value["heartbeat_interval"] {
            let parsed: Duration?
            switch interval {
            case let .string(text): parsed = Duration(manifest: text)
            case let .int(ms): parsed = Duration(checkedMilliseconds: Double(ms))
            case let .double(ms): parsed = Duration(checkedMilliseconds: ms)
            default: parsed = nil
            }
            guard let parsed, Self.heartbeatRange.contains(parsed) else {
                throw Invalid(description: "heartbeat_interval must be a duration from 100ms to 1h, like \"30s\"")
            }
            heartbeat = parsed
        }
    }
}
