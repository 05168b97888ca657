import WippyProcess

/// The relay's wire formats (SPEC §4, from the seed): the text frame a browser receives for a
/// message sent to its connection, and the JSON-string payloads a connection sends its target.
public enum RelayWire {
    /// `{"topic": "<topic>", "data": <payload as JSON>}`: one text frame per message (written as
    /// `{"data":…,"topic":…}`, the sorted key order of every JSON object the runtime writes).
    public static func frame(for message: Message) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.append(contentsOf: #"{"data":"#.utf8)
        message.payload.writeJSON(into: &out)
        out.append(contentsOf: #","topic":"#.utf8)
        Payload.writeJSONString(message.topic, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
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
