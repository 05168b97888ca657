import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The chat protocol with nothing behind it: a WebSocket server on one event loop that welcomes
/// each client and writes every chat message, encoded once, to every client. No server does
/// less per delivery, so the deliveries/s the load generator reaches against it is the
/// generator's own ceiling: figures of real servers near it measure the generator, not them.
/// Usage: wippy-bench broadcaster PORT (on 127.0.0.1, any path).
enum Broadcaster {
    static func run(port: Int) throws -> Never {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let hub = Hub()
        let upgrader = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Member(hub: hub)) }
            })
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 4096)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        try channel.closeFuture.wait()
        exit(0)
    }

    /// Every connected member (all on the one event loop).
    final class Hub: @unchecked Sendable {
        var members: [ObjectIdentifier: ChannelHandlerContext] = [:]

        func broadcast(_ frame: WebSocketFrame) {
            for context in members.values { context.writeAndFlush(NIOAny(frame), promise: nil) }
        }
    }

    final class Member: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        private let hub: Hub
        private static let messageKey = Array(#""message": ""#.utf8)

        init(hub: Hub) {
            self.hub = hub
        }

        func handlerAdded(context: ChannelHandlerContext) {
            hub.members[ObjectIdentifier(self)] = context
            let welcome = #"{"data":{"client_count":\#(hub.members.count),"message":"Connected successfully"},"topic":"welcome"}"#
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: welcome))), promise: nil)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            hub.members[ObjectIdentifier(self)] = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text:
                // The generator's messages hold no escapes: the text between the quotes is the message.
                let text = frame.unmaskedData.readableBytesView
                guard let key = text.firstRange(of: Self.messageKey),
                      let end = text[key.upperBound...].firstIndex(of: UInt8(ascii: "\"")) else { return }
                var out = ByteBuffer(string: #"{"data":{"from":"Anonymous","message":""#)
                out.writeBytes(text[key.upperBound..<end])
                out.writeString(#"","timestamp":\#(Int(Date().timeIntervalSince1970))},"topic":"chat"}"#)
                hub.broadcast(WebSocketFrame(fin: true, opcode: .text, data: out))
            case .connectionClose:
                context.close(promise: nil)
            default:
                break
            }
        }
    }
}
