import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One WebSocket client of the chat load generators, on NIO directly: the handshake is written by
/// hand and frames are parsed in place, so that the generator (one process on one core) is not
/// what limits the servers it measures (see `wippy-bench chat-bench`, which first measures it
/// against a trivial broadcaster). Sends the texts it is given (nil closes the socket) and hands
/// every text frame it receives to `onText`.
final class ChatClient: Sendable {
    let index: Int
    let welcomed = Mutex(false)
    /// Set when `run` returned or threw (by the fleet that runs it).
    let ended = Mutex(false)
    private let handler = Mutex<ChatClientHandler?>(nil)
    /// Every client of the process shares one event loop (the generator runs on one core).
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(index: Int) {
        self.index = index
    }

    /// Connects to `url` (`ws://HOST:PORT/PATH`) and serves until told to close or the server closes.
    func run(url: String, onText: @escaping @Sendable (ByteBufferView) -> Void) async throws {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw BenchmarkError("not a ws:// URL with a port: \(url)")
        }
        let handler = ChatClientHandler(host: host, path: parsed.path, onText: { [self] text in
            if text.firstRange(of: Self.welcome) != nil { welcomed.withLock { $0 = true } }
            onText(text)
        })
        self.handler.withLock { $0 = handler }
        let channel = try await ClientBootstrap(group: Self.group)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .connect(host: host, port: port).get()
        try await channel.closeFuture.get()
    }

    private static let welcome = Array(#""topic":"welcome""#.utf8)

    /// Sends `text` as one text frame; nil closes the socket.
    func send(_ text: String?) {
        handler.withLock { $0 }?.send(text)
    }
}

/// The client's channel handler: writes the upgrade request, checks the 101, then parses the
/// server's frames (unmasked, unfragmented) and writes its own (masked).
final class ChatClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let host: String, path: String
    private let onText: (ByteBufferView) -> Void
    private var context: ChannelHandlerContext?
    private var received: ByteBuffer?
    private var upgraded = false
    private static let headEnd = Array("\r\n\r\n".utf8)
    private static let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]

    init(host: String, path: String, onText: @escaping (ByteBufferView) -> Void) {
        self.host = host
        self.path = path
        self.onText = onText
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if received == nil { received = incoming } else { received!.writeBuffer(&incoming) }
        if !upgraded {
            guard let end = received!.readableBytesView.firstRange(of: Self.headEnd) else { return }
            let status = received!.getString(at: received!.readerIndex, length: 12) ?? ""
            guard status == "HTTP/1.1 101" else { return context.close(promise: nil) }
            received!.moveReaderIndex(to: end.upperBound)
            upgraded = true
        }
        while let frame = nextFrame() {
            switch frame.opcode {
            case 0x1: onText(frame.payload.readableBytesView)
            case 0x8: return context.close(promise: nil)
            case 0x9: write(opcode: 0xA, frame.payload.readableBytesView)
            default: break
            }
        }
        received!.discardReadBytes()
    }

    /// The next whole frame in what was received, if any.
    private func nextFrame() -> (opcode: UInt8, payload: ByteBuffer)? {
        guard var buffer = received, let first = buffer.readInteger(as: UInt8.self),
              let second = buffer.readInteger(as: UInt8.self) else { return nil }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let long = buffer.readInteger(as: UInt16.self) else { return nil }
            length = Int(long)
        } else if length == 127 {
            guard let long = buffer.readInteger(as: UInt64.self) else { return nil }
            length = Int(long)
        }
        guard let payload = buffer.readSlice(length: length) else { return nil }
        received = buffer
        return (first & 0x0F, payload)
    }

    /// Sends `text` as a text frame, or (nil) a close frame (on the channel's event loop).
    func send(_ text: String?) {
        guard let loop = context?.eventLoop else { return }
        loop.execute { [self] in
            if let text { write(opcode: 0x1, text.utf8) } else { write(opcode: 0x8, [0x03, 0xE8]) }
        }
    }

    private func write<Bytes: Collection>(opcode: UInt8, _ payload: Bytes) where Bytes.Element == UInt8 {
        guard let context else { return }
        var frame = context.channel.allocator.buffer(capacity: payload.count + 8)
        frame.writeInteger(0x80 | opcode)
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        }
        frame.writeBytes(Self.mask)
        for (offset, byte) in payload.enumerated() { frame.writeInteger(byte ^ Self.mask[offset & 3]) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}
