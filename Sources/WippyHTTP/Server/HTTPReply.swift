import Foundation
import NIOCore
import NIOHTTP1
import WippyProcess

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
        ByteBuffer(string: Payload.object(object.map { ($0.key, .string($0.value)) }).json)
    }

    /// What a handler set on its exchange; header fields HTTP cannot carry (a name that is no
    /// token, a value with a line break) are dropped.
    init(_ exchange: HTTPExchange) {
        self.init(status: HTTPResponseStatus(statusCode: exchange.status),
                  headers: exchange.responseHeaders.filter(Self.canCarry),
                  body: exchange.responseBody)
    }

    /// 1xx and 204 answers carry no body and no length.
    var isBodyless: Bool { status.code < 200 || status == .noContent }

    /// Calls `field` with each field as written: the reply's own (those that frame the body
    /// dropped: the writer sets them), `Content-Length`, `Date` when given, `Server`, and
    /// `Connection` when the connection closes (or an HTTP/1.0 client keeps it).
    func forEachField(close: Bool, keepAliveHTTP10: Bool, date: String?, _ field: (String, String) -> Void) {
        for (name, value) in headers where !Self.isFraming(name) { field(name, value) }
        if !isBodyless { field("Content-Length", String(body.readableBytes)) }
        if let date { field("Date", date) }
        field("Server", "wippy")
        if close {
            field("Connection", "close")
        } else if keepAliveHTTP10 {
            field("Connection", "keep-alive")
        }
    }

    /// The status line and fields as NIO's encoder takes them (for an answer written before the
    /// connection knows whether it upgrades).
    func responseHead(close: Bool, keepAliveHTTP10: Bool = false, date: String?) -> HTTPResponseHead {
        var fields = HTTPHeaders()
        forEachField(close: close, keepAliveHTTP10: keepAliveHTTP10, date: date) { fields.add(name: $0, value: $1) }
        return HTTPResponseHead(version: .http1_1, status: status, headers: fields)
    }

    /// The whole response in one buffer: status line, fields, and the body unless the request
    /// was a `HEAD` (or the status has none).
    func encoded(close: Bool, keepAliveHTTP10: Bool, date: String?, head: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        let withBody = !isBodyless && !head
        var buffer = allocator.buffer(capacity: 128 + headers.count * 48 + (withBody ? body.readableBytes : 0))
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        forEachField(close: close, keepAliveHTTP10: keepAliveHTTP10, date: date) { name, value in
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        if withBody { buffer.writeImmutableBuffer(body) }
        return buffer
    }

    /// Fields the writer sets itself: a handler's own would contradict how the body is framed.
    private static let framing: Set<String> = ["content-length", "transfer-encoding", "connection", "date", "server"]

    private static func isFraming(_ name: String) -> Bool {
        name.utf8.count <= 17 && framing.contains(name.lowercased())  // "transfer-encoding" is the longest
    }

    /// A name that is an HTTP token and a value without control characters (tabs inside aside)
    /// or surrounding white space (RFC 9110 §5.1, §5.5).
    static func canCarry(_ field: (name: String, value: String)) -> Bool {
        let name = field.name.utf8, value = field.value.utf8
        guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else { return false }
        func isBlank(_ byte: UInt8?) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        return !isBlank(value.first) && !isBlank(value.last)
            && value.allSatisfy { $0 == UInt8(ascii: "\t") || (0x20...0x7E).contains($0) || $0 >= 0x80 }
    }

    /// `tchar`: a letter, a digit or one of ``!#$%&'*+-.^_`|~``.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
