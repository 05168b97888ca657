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

    /// 1xx and 204 answers carry no body and no length.
    var isBodyless: Bool { status.code < 200 || status == .noContent }

    /// The status line and fields as written: the reply's own fields (those that frame the body
    /// dropped: the writer sets them), `Content-Length`, `Date` when given, `Server`, and
    /// `Connection` when the connection closes (or an HTTP/1.0 client keeps it).
    func responseHead(close: Bool, keepAliveHTTP10: Bool = false, date: String?) -> HTTPResponseHead {
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count + 4)
        for (name, value) in headers where !Self.framing.contains(name.lowercased()) {
            fields.add(name: name, value: value)
        }
        if !isBodyless { fields.add(name: "Content-Length", value: String(body.readableBytes)) }
        if let date { fields.add(name: "Date", value: date) }
        fields.add(name: "Server", value: "wippy")
        if close {
            fields.add(name: "Connection", value: "close")
        } else if keepAliveHTTP10 {
            fields.add(name: "Connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: .http1_1, status: status, headers: fields)
    }

    /// Fields the writer sets itself: a handler's own would contradict how the body is framed.
    private static let framing: Set<String> = ["content-length", "transfer-encoding", "connection", "date", "server"]

    static func canCarry(_ field: (name: String, value: String)) -> Bool {
        HTTPField.Name(field.name) != nil && HTTPField.isValidValue(field.value)
    }
}
