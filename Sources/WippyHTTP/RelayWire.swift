import WippyProcess

/// The relay's wire formats (SPEC §4, from the seed): the text frame a browser receives for a
/// message sent to its connection, and the JSON-string payloads a connection sends its target.
public enum RelayWire {
    /// `{"topic": "<topic>", "data": <payload as JSON>}`: one text frame per message.
    public static func frame(for message: Message) -> String {
        Payload.object([("topic", .string(message.topic)), ("data", message.payload)]).json
    }

    /// `{"ClientPID": "<pid>", "Metadata": {...}}` as a JSON string: the payload of `ws.join`
    /// and `ws.leave` (the seed's hub decodes it).
    public static func joinPayload(client: PID, metadata: Payload) -> Payload {
        .string(Payload.object([("ClientPID", .string(client.description)), ("Metadata", metadata)]).json)
    }

    /// `{"ClientPID": "<pid>", "Uptime": <seconds>, "MessageCount": <frames received>}` as a
    /// JSON string: the payload of `ws.heartbeat`.
    public static func heartbeatPayload(client: PID, uptime: Double, messageCount: Int) -> Payload {
        .string(Payload.object([("ClientPID", .string(client.description)), ("Uptime", .double(uptime)),
                                ("MessageCount", .int(Int64(messageCount)))]).json)
    }
}
