import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request and the response a route's handler builds for it. The request side is a view
/// over what the server parsed: nothing is copied or split (query, header list, body, client
/// address) until a handler asks for it. The handler (one thread at a time) writes the response
/// side; the server reads it after the handler returned.
public final class HTTPExchange: @unchecked Sendable {
    public let method: String
    /// The path without the query string.
    public let path: String
    /// `{name}` segments of the route, by name.
    public let parameters: [String: String]
    /// The request target as sent (path and query).
    private let target: String
    private let fields: HTTPHeaders
    private let requestBody: ByteBuffer?
    /// The `Host` the request named, when the fields do not carry it (an upgrade request's authority).
    private let authority: String?
    /// The connection the request came on: asked for the client's address and presence.
    private let channel: any Channel

    public var status = 200
    public var responseHeaders: [(name: String, value: String)] = []
    public var responseBody = ByteBuffer()

    init(method: String, target: String, path: String, parameters: [String: String], headers: HTTPHeaders,
         body: ByteBuffer?, channel: any Channel, authority: String? = nil) {
        self.method = method
        self.target = target
        self.path = path
        self.parameters = parameters
        self.fields = headers
        self.requestBody = body
        self.channel = channel
        self.authority = authority
    }

    /// The path of a request target (`/a/b?c` → `/a/b`; an absolute one, `http://host/a?c`, loses
    /// its scheme and authority too; `/` when nothing is left).
    static func path(of target: String) -> String {
        var path = Substring(target)
        if path.utf8.first != UInt8(ascii: "/"), let scheme = path.range(of: "://") {
            path = path[scheme.upperBound...]
            path = path[(path.firstIndex { $0 == "/" || $0 == "?" } ?? path.endIndex)...]
        }
        if let mark = path.utf8.firstIndex(of: UInt8(ascii: "?")) { path = path[..<mark] }
        return path.isEmpty ? "/" : String(path)
    }

    /// Query parameters in order (a name may repeat): `&`-separated, each split at its first `=`
    /// (none: an empty value), values percent-decoded (kept as sent when that fails), up to a `#`.
    public var query: [(name: String, value: String)] {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return [] }
        var query = target[target.index(after: mark)...]
        if let fragment = query.utf8.firstIndex(of: UInt8(ascii: "#")) { query = query[..<fragment] }
        return query.split(separator: "&").map { pair in
            guard let equals = pair.firstIndex(of: "=") else { return (String(pair), "") }
            let value = pair[pair.index(after: equals)...]
            return (String(pair[..<equals]), value.removingPercentEncoding ?? String(value))
        }
    }

    /// The first query parameter called `name`.
    public func query(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// Calls `body` with each request header field in order; names as sent.
    public func forEachHeader(_ body: (String, String) -> Void) {
        for (name, value) in fields { body(name, value) }
    }

    /// The first request header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        fields.first(name: name)
    }

    /// The host the client asked for (`Host`).
    public var host: String { authority ?? fields.first(name: "host") ?? "" }

    /// Calls `body` with the request body's bytes (empty when it has none).
    public func withBody<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        guard let requestBody else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return requestBody.withUnsafeReadableBytes(body)
    }

    /// The client's `ip:port`.
    public var remoteAddress: String {
        channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? ""
    }

    /// Whether the client is still connected (a handler whose client left is terminated).
    public func clientConnected() async -> Bool {
        await ClientPresenceHandler.isPresent(on: channel)
    }

    /// The first response header called `name` (case-insensitive).
    public func responseHeader(_ name: String) -> String? {
        responseHeaders.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Sets a response header, replacing one of the same name (case-insensitive).
    public func setHeader(_ name: String, _ value: String) {
        responseHeaders.removeAll { $0.name.caseInsensitiveEquals(name) }
        responseHeaders.append((name, value))
    }
}

extension String {
    /// Equal but for the case of ASCII letters (as HTTP compares field names).
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
        }
    }
}
