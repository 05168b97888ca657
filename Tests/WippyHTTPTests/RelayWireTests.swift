import Testing
import WippyHTTP
import WippyProcess

@Suite("Relay wire formats")
struct RelayWireTests {
    @Test func frameIsTheJSONObjectOfTopicAndData() {
        let payloads: [Payload] = [
            .object([("from", .string("Anonymous")), ("message", .string("say \"hi\"\n")), ("n", .int(3))]),
            .string("plain"), .array([]), .null,
        ]
        for payload in payloads {
            let message = Message(from: nil, topic: "chat \"room\"", payload: payload)
            #expect(String(decoding: RelayWire.frame(for: message), as: UTF8.self)
                == Payload.object([("topic", .string(message.topic)), ("data", payload)]).json)
        }
        #expect(RelayWire.frame(for: Message(from: nil, topic: "t", payload: .int(1))) == Array(#"{"data":1,"topic":"t"}"#.utf8))
    }
}
