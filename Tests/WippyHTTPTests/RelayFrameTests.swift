import NIOCore
import NIOWebSocket
import Testing
@testable import WippyHTTP

/// The relay's frame rules (RFC 6455), first on ``WebSocketInbound`` alone, then on a real server
/// through a raw socket that sends frames a WebSocket library would not.
@Suite("WebSocket frames")
struct RelayFrameTests {
    static func frame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, masked: Bool = true) -> WebSocketFrame {
        var frame = WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))
        if masked {
            let key: WebSocketMaskingKey = [1, 2, 3, 4]
            frame.maskKey = key
            var data = frame.data
            data.webSocketMask(key)
            frame.data = data
        }
        return frame
    }

    @Test func fragmentsJoinAndProtocolErrorsGetTheirCodes() {
        var inbound = WebSocketInbound(maxMessageSize: 10)
        #expect(inbound.receive(Self.frame(.text, Array("héllo".utf8))) == .text("héllo"))
        #expect(inbound.receive(Self.frame(.binary, [0xFF, 0xFE], fin: false)) == .none)
        #expect(inbound.receive(Self.frame(.ping, [7])) == .ping(ByteBuffer(bytes: [7])))  // between fragments
        #expect(inbound.receive(Self.frame(.continuation, [0x00])) == .binary(ByteBuffer(bytes: [0xFF, 0xFE, 0x00])))

        func code(_ action: WebSocketInbound.Action) -> WebSocketErrorCode? {
            if case let .fail(code, _) = action { return code }
            return nil
        }
        #expect(code(inbound.receive(Self.frame(.text, [0x61], masked: false))) == .protocolError)
        #expect(code(inbound.receive(Self.frame(.continuation, [0x61]))) == .protocolError)
        #expect(code(inbound.receive(Self.frame(WebSocketOpcode(encodedWebSocketOpcode: 3)!, []))) == .protocolError)
        #expect(code(inbound.receive(Self.frame(.text, [0xC3, 0x28]))) == .dataInconsistentWithMessage)

        var fragmented = WebSocketInbound(maxMessageSize: 10)
        #expect(fragmented.receive(Self.frame(.text, [0x61], fin: false)) == .none)
        #expect(code(fragmented.receive(Self.frame(.text, [0x61]))) == .protocolError)  // a new message inside one

        var large = WebSocketInbound(maxMessageSize: 10)
        #expect(large.receive(Self.frame(.text, Array("abcd".utf8), fin: false)) == .none)
        #expect(large.receive(Self.frame(.continuation, Array("abcd".utf8), fin: false)) == .none)
        #expect(code(large.receive(Self.frame(.continuation, Array("abcd".utf8), fin: false))) == .messageTooLarge)

        var closing = WebSocketInbound(maxMessageSize: 10)
        #expect(closing.receive(Self.frame(.connectionClose, [])) == .close(nil))
        #expect(closing.receive(Self.frame(.connectionClose, [0x0F, 0xA0, 0x62])) == .close(.unknown(4000)))
        #expect(code(closing.receive(Self.frame(.connectionClose, [0x03, 0xED]))) == .protocolError)  // 1005
        #expect(code(closing.receive(Self.frame(.connectionClose, [0x03]))) == .protocolError)
        #expect(code(closing.receive(Self.frame(.connectionClose, [0x03, 0xE8, 0xFF]))) == .dataInconsistentWithMessage)
    }

    @Test func closeReasonsAreCutBetweenCharactersTo123Bytes() {
        #expect(Array(RelayChannelHandler.closeReason("bye")) == Array("bye".utf8))
        let cut = Array(RelayChannelHandler.closeReason(String(repeating: "é", count: 500)))
        #expect(cut.count == 122)
        #expect(String(validating: cut, as: UTF8.self) == String(repeating: "é", count: 61))
    }
}

/// What a raw WebSocket client sees: the frames the server sent before it closed.
private struct RawWebSocket {
    let connection: RawConnection

    /// Connects and upgrades `path` of the relay fixture.
    init(_ base: String, path: String) async throws {
        connection = try RawConnection(base)
        connection.send("GET \(path) HTTP/1.1\r\nHost: \(base)\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    }

    /// A client frame (masked unless told otherwise).
    func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, masked: Bool = true) {
        var out: [UInt8] = [(fin ? 0x80 : 0) | UInt8(webSocketOpcode: opcode)]
        let mask: UInt8 = masked ? 0x80 : 0
        if bytes.count < 126 {
            out.append(mask | UInt8(bytes.count))
        } else {
            out.append(mask | 126)
            out += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)]
        }
        if masked {
            let key: [UInt8] = [9, 8, 7, 6]
            out += key
            out += bytes.enumerated().map { $0.element ^ key[$0.offset % 4] }
        } else {
            out += bytes
        }
        connection.send(bytes: out)
    }

    /// The server's frames (opcode, payload) until it closed the connection.
    func framesUntilClosed() async -> [(opcode: UInt8, payload: [UInt8])] {
        let (bytes, _) = await connection.readBytesUntilClosed()
        let marker = Array("\r\n\r\n".utf8)
        guard let head = (0...max(0, bytes.count - 4)).first(where: { Array(bytes[$0..<min($0 + 4, bytes.count)]) == marker }),
              String(decoding: bytes[..<head], as: UTF8.self).hasPrefix("HTTP/1.1 101") else { return [] }
        var frames: [(UInt8, [UInt8])] = []
        var at = head + 4
        while at + 2 <= bytes.count {
            var length = Int(bytes[at + 1] & 0x7F), start = at + 2
            if length == 126 {
                length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
                start += 2
            } else if length == 127 {
                length = bytes[(at + 2)..<(at + 10)].reduce(0) { $0 << 8 | Int($1) }
                start += 8
            }
            guard start + length <= bytes.count else { break }
            frames.append((bytes[at] & 0x0F, Array(bytes[start..<(start + length)])))
            at = start + length
        }
        return frames
    }
}

extension RelayScenarioTests {
    /// The close code of a close frame's payload.
    private static func closeCode(_ frames: [(opcode: UInt8, payload: [UInt8])]) -> Int? {
        guard let close = frames.last(where: { $0.opcode == 0x8 }), close.payload.count >= 2 else { return nil }
        return Int(close.payload[0]) << 8 | Int(close.payload[1])
    }

    @Test func unmaskedFramesAndStrayContinuationsClose1002() async throws {
        try await Self.withRelayApp { base, _ in
            let unmasked = try await RawWebSocket(base, path: "/ws/connect")
            unmasked.send(.text, Array("hi".utf8), masked: false)
            #expect(Self.closeCode(await unmasked.framesUntilClosed()) == 1002)

            let stray = try await RawWebSocket(base, path: "/ws/connect")
            stray.send(.continuation, Array("hi".utf8))
            #expect(Self.closeCode(await stray.framesUntilClosed()) == 1002)

            let invalid = try await RawWebSocket(base, path: "/ws/connect")
            invalid.send(.text, [0x61, 0xFF])
            #expect(Self.closeCode(await invalid.framesUntilClosed()) == 1007)
        }
    }

    @Test func aMessageOverTheLimitInSmallFragmentsCloses1009() async throws {
        try await Self.withRelayApp { base, _ in
            let socket = try await RawWebSocket(base, path: "/ws/connect")
            let fragment = [UInt8](repeating: 0x78, count: 1000)
            socket.send(.text, fragment, fin: false)
            for _ in 0..<70 { socket.send(.continuation, fragment, fin: false) }  // 71 KB > 64 KiB
            #expect(Self.closeCode(await socket.framesUntilClosed()) == 1009)
        }
    }

    @Test func rawTextAndBinaryFramesAndALongCloseReason() async throws {
        try await Self.withRelayApp { base, _ in
            let socket = try await RawWebSocket(base, path: "/ws/connect")
            socket.send(.text, Array("raw:plain text".utf8))
            socket.send(.binary, [0x00, 0xFF, 0x80])
            socket.send(.binary, Array("text-like".utf8))
            socket.send(.text, Array("long close".utf8))
            let frames = await socket.framesUntilClosed()
            let data = frames.filter { $0.opcode != 0x8 && $0.opcode != 0x9 }
            #expect(data.count == 4, "\(frames)")  // the hub's "joined" frame first
            #expect(data.dropFirst().first.map { $0.opcode == 0x1 && $0.payload == Array("plain text".utf8) } == true)
            #expect(data.dropFirst(2).first.map { $0.opcode == 0x2 && $0.payload == [0x00, 0xFF, 0x80] } == true)
            #expect(data.dropFirst(3).first.map { $0.opcode == 0x2 && $0.payload == Array("text-like".utf8) } == true)
            let close = try #require(frames.last { $0.opcode == 0x8 })
            #expect(Self.closeCode(frames) == 4001)
            #expect(close.payload.count == 2 + 122)
        }
    }
}
