import NIOCore
import Testing
import WippyProcess
@testable import WippyHTTP

/// A broadcast is encoded once per thread and its frame shared.
@Suite("Relay frame cache")
struct RelayFrameCacheTests {
    static let sender = PID(host: "app:host", number: 1)

    static func message(_ topic: String, _ payload: Payload) -> Message {
        Message(from: sender, topic: topic, payload: payload)
    }

    static func storage(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    @Test func theSameMessageSharesOneBufferAndAnotherGetsItsOwn() {
        let chat = Payload.object([("from", .string("ada")), ("message", .string("hi"))])
        let first = RelayFrameCache.frame(for: Self.message("chat", chat))
        // A new payload of the same content, as a hub's loop makes one per recipient.
        let second = RelayFrameCache.frame(for: Self.message("chat", Payload.object([("message", .string("hi")), ("from", .string("ada"))])))
        #expect(String(buffer: first) == #"{"data":{"from":"ada","message":"hi"},"topic":"chat"}"#)
        #expect(Self.storage(first) == Self.storage(second))

        let otherTopic = RelayFrameCache.frame(for: Self.message("news", chat))
        #expect(String(buffer: otherTopic) == #"{"data":{"from":"ada","message":"hi"},"topic":"news"}"#)
        let otherPayload = RelayFrameCache.frame(for: Self.message("news", .string("bye")))
        #expect(String(buffer: otherPayload) == #"{"data":"bye","topic":"news"}"#)
        #expect(Self.storage(otherTopic) != Self.storage(otherPayload))
    }

    @Test func largeFramesAreNotKept() {
        let big = Payload.string(String(repeating: "x", count: RelayFrameCache.largestKept))
        let first = RelayFrameCache.frame(for: Self.message("big", big))
        let second = RelayFrameCache.frame(for: Self.message("big", big))
        #expect(first == second)  // the same text
        #expect(Self.storage(first) != Self.storage(second))  // encoded twice, nothing held
    }
}
