import NIOCore
import NIOHTTP1

/// Answers a request HTTP cannot parse before the connection closes: 431 when its header
/// section passes the decoder's limits (80 KB of fields, a request line included), 400 for
/// anything else malformed (a bare LF, conflicting `Content-Length` and `Transfer-Encoding`, a
/// bad chunk). In the pipeline from the start, so that a connection's first request gets its
/// answer too; it stays silent while another answer is being written.
final class HTTPErrorResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Its name in the pipeline (it leaves when the connection becomes a WebSocket).
    static let name = "wippy.http-errors"
    private var answering = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // The decoder closes the connection right after this returns: the answer is written now.
        if let error = error as? HTTPParserError, !answering {
            let reply = error == .headerOverflow
                ? HTTPReply.json(.requestHeaderFieldsTooLarge, ["error": "the request line and header fields are larger than 80 KB"])
                : HTTPReply.json(.badRequest, ["error": "malformed HTTP request (\(error))"])
            context.write(wrapOutboundOut(.head(reply.responseHead(close: true, date: nil))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            answering = true
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: answering = true
        case .end: answering = false
        case .body: break
        }
        context.write(data, promise: promise)
    }
}
