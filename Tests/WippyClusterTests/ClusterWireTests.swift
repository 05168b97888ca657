import Testing
import WippyProcess
@testable import WippyCluster

/// The form in which nodes send each other messages and signals.
@Suite("Cluster wire format")
struct ClusterWireTests {
    static let a = PID(node: "a", host: "app:workers", number: 0x1_0000_0007)
    static let b = PID(node: "node-2", host: "system:http", number: 12)

    static func roundTrip(_ frames: [ClusterWire.Frame]) throws -> (ClusterWire.Header, [ClusterWire.Frame]) {
        var writer = ClusterWire.Writer()
        let header = ClusterWire.Header(sequence: .max, node: "node-2", incarnation: 3)
        writer.header(header)
        for frame in frames { writer.frame(frame) }
        var reader = ClusterWire.Reader(try ClusterWire.bytes(ClusterWire.text(writer.bytes)))
        let read = try reader.header()
        var out: [ClusterWire.Frame] = []
        while !reader.atEnd { out.append(try reader.frame()) }
        return (read, out)
    }

    @Test func payloadsKeepTheirExactShape() throws {
        let payload = Payload.map([
            .string("int"): .int(.min), .string("max"): .int(.max), .string("float"): .double(-0.5),
            .string("nan-free"): .double(1e308), .string("text"): .string("héllo\u{0}"), .string("bytes"): .bytes([0, 255, 10]),
            .int(7): .array([.null, .bool(true), .bool(false), .array([])]), .bool(true): .map([:]), .double(1.5): .string("x"),
        ])
        let frames: [ClusterWire.Frame] = [
            .message(to: Self.a, from: Self.b, topic: "ws.message", payload: payload),
            .message(to: Self.a, from: nil, topic: "", payload: .null),
        ]
        let (header, read) = try Self.roundTrip(frames)
        #expect(header == ClusterWire.Header(sequence: .max, node: "node-2", incarnation: 3))
        #expect(read == frames)
        guard case let .message(_, _, _, back) = read[0] else { Issue.record("not a message"); return }
        #expect(back == payload)
    }

    @Test func everySignalRoundTrips() throws {
        let frames: [ClusterWire.Frame] = [
            .signal(to: Self.a, from: Self.b, .event(ProcessEvent(kind: .exit, from: Self.b, outcome: .failure("boom")))),
            .signal(to: Self.a, from: nil, .event(ProcessEvent(kind: .cancel, from: nil, reason: "stop"))),
            .signal(to: Self.a, from: nil, .event(ProcessEvent(kind: .linkDown, from: Self.b, outcome: .result(.int(1))))),
            .signal(to: Self.a, from: nil, .terminate(reason: "now")),
            .signal(to: Self.a, from: nil, .monitor(by: Self.b)), .signal(to: Self.a, from: nil, .demonitor(by: Self.b)),
            .signal(to: Self.a, from: nil, .link(Self.b)), .signal(to: Self.a, from: nil, .unlink(Self.b)),
            .signal(to: Self.a, from: nil, .linkFailed(from: Self.b, outcome: .failure("x"))),
            .signal(to: Self.a, from: nil, .will(Message(from: Self.b, topic: "ws.leave", payload: .string("{}")))),
            .signal(to: Self.a, from: nil, .revokeWill(from: Self.b)),
            .mail(.max), .mail(-1),
        ]
        #expect(try Self.roundTrip(frames).1 == frames)
    }

    /// Batches come from the database: a damaged one is an error, never a crash or a hang.
    @Test func damagedBatchesAreErrors() throws {
        var writer = ClusterWire.Writer()
        writer.header(ClusterWire.Header(sequence: 1, node: "a", incarnation: 0))
        writer.frame(.message(to: Self.a, from: Self.b, topic: "t", payload: .array([.string("x"), .map([.int(1): .double(2)])])))
        let good = writer.bytes
        var generator = SystemRandomNumberGenerator()
        for cut in 0..<good.count {  // every truncation
            var reader = ClusterWire.Reader(Array(good[..<cut]))
            #expect(throws: ClusterWire.DecodeError.self) {
                _ = try reader.header()
                while true { _ = try reader.frame() }
            }
        }
        for _ in 0..<2000 {  // random corruption: an error or a frame, never a trap
            var bytes = good
            bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            var reader = ClusterWire.Reader(bytes)
            _ = try? reader.header()
            while !reader.atEnd { if (try? reader.frame()) == nil { break } }
        }
        // A length that claims more than there is, and nesting past the limit.
        var huge = ClusterWire.Writer()
        huge.bytes = [5]
        huge.unsigned(.max)
        var reader = ClusterWire.Reader(huge.bytes)
        #expect(throws: ClusterWire.DecodeError.self) { _ = try reader.payload() }
        var deep = ClusterWire.Writer()
        for _ in 0...(Payload.maxDepth + 1) { deep.bytes += [7, 1] }
        deep.bytes.append(0)
        reader = ClusterWire.Reader(deep.bytes)
        #expect(throws: ClusterWire.DecodeError.self) { _ = try reader.payload() }
        #expect(throws: ClusterWire.DecodeError.self) { _ = try ClusterWire.bytes("not base64!") }
    }
}
