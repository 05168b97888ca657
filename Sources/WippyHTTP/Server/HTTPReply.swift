import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import WippyLua

/// A whole HTTP response, written in one piece by ``HTTPRequestHandler``: the server's own
/// answers (health, 404, 405, 413, static files, declined upgrades) and what a handler built.
struct HTTPReply: Sendable {
    var status: HTTPResponseStatus
    /// Header fields besides `Content-Length`, `Date`, `Server` and `Connection`, which the writer adds.
    var headers: [(name: String, value: String)]
    var body: ByteBuffer
    /// The connection closes once the reply is written.
    var close = false

    init(status: HTTPResponseStatus, headers: [(name: String, value: String)] = [], body: ByteBuffer = ByteBuffer(), close: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.close = close
    }

    /// A JSON object of strings as the body (the server's own error answers).
    static func json(_ status: HTTPResponseStatus, _ object: [String: String], close: Bool = false) -> HTTPReply {
        HTTPReply(status: status, headers: [("Content-Type", "application/json")], body: jsonBody(object), close: close)
    }

    static func jsonBody(_ object: [String: String]) -> ByteBuffer {
        ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// What a handler set on its exchange; header fields HTTP cannot carry (a name that is no
    /// token, a value with a line break) are dropped.
    init(_ exchange: HTTPExchange) {
        self.init(status: HTTPResponseStatus(statusCode: exchange.status),
                  headers: exchange.responseHeaders.filter(Self.canCarry),
                  body: ByteBuffer(bytes: exchange.responseBody))
    }

    static func canCarry(_ field: (name: String, value: String)) -> Bool {
        HTTPField.Name(field.name) != nil && HTTPField.isValidValue(field.value)
    }
}
