import NIOCore
import NIOHTTP1

/// Answers a connection's first request when HTTP cannot parse it, before the connection
/// closes: 431 when its header section passes the decoder's limits (``decoderLimits``: 160 KB
/// of fields, a request line included), 400 for anything else malformed (a bare LF, conflicting `Content-Length` and
/// `Transfer-Encoding`, a bad chunk). It leaves the pipeline once the first request is parsed;
/// the ``HTTPRequestHandler`` answers later malformed requests the same way.
final class HTTPErrorResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Its server's counts of responses.
    let statistics: HTTPStatistics

    init(statistics: HTTPStatistics) {
        self.statistics = statistics
    }

    /// Its name in the pipeline.
    static let name = "wippy.http-errors"
    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // The decoder closes the connection right after this returns: the answer is written now.
        if let error = error as? HTTPParserError, !answered {
            let reply = Self.reply(to: error)
            statistics.responded(Int(reply.status.code))
            context.write(wrapOutboundOut(.head(reply.responseHead(close: true, date: nil))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            answered = true
        }
        context.fireErrorCaught(error)
    }

    /// How much of a header section the decoder reads. Above ``HTTPRequestHandler``'s own limits
    /// (8 KB of URL, 80 KB of fields), so that it can tell a long URL (414) from long fields (431).
    static var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 2 * HTTPRequestHandler.maxHeaderBytes
        limits.maxHeaderListSize = 2 * HTTPRequestHandler.maxHeaderBytes
        return limits
    }

    /// 431 for a header section over the decoder's limits, else 400; the connection closes after it.
    static func reply(to error: HTTPParserError) -> HTTPReply {
        error == .headerOverflow
            ? .json(.requestHeaderFieldsTooLarge, ["error": "the request line and header fields are larger than 160 KB"], close: true)
            : .json(.badRequest, ["error": "malformed HTTP request (\(error))"], close: true)
    }
}
