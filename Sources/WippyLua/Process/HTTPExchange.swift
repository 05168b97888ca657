/// One HTTP request and the response a `function.lua` handler builds for it, as the Lua `http`
/// module sees them. The server fills the request side; the handler process (one thread at a time)
/// writes the response side; the server reads it after the handler returned.
public final class HTTPExchange: @unchecked Sendable {
    public let method: String
    /// The path without the query string.
    public let path: String
    /// `{name}` segments of the route, by name.
    public let parameters: [String: String]
    /// Query parameters in order (a name may repeat).
    public let query: [(name: String, value: String)]
    /// Request headers in order; names as sent.
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    /// The client's `ip:port`.
    public var remoteAddress: String { formatRemoteAddress() }
    private let formatRemoteAddress: @Sendable () -> String
    public let host: String
    /// Whether the client is still connected (a handler whose client left is terminated).
    public let clientConnected: @Sendable () async -> Bool

    public var status = 200
    public var responseHeaders: [(name: String, value: String)] = []
    public var responseBody: [UInt8] = []

    public init(method: String, path: String, parameters: [String: String], query: [(name: String, value: String)],
                headers: [(name: String, value: String)], body: [UInt8], remoteAddress: @escaping @Sendable () -> String,
                host: String, clientConnected: @escaping @Sendable () async -> Bool = { true }) {
        self.clientConnected = clientConnected
        self.method = method
        self.path = path
        self.parameters = parameters
        self.query = query
        self.headers = headers
        self.body = body
        self.formatRemoteAddress = remoteAddress
        self.host = host
    }

    /// The first request header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        header(name, in: headers)
    }

    /// The first header called `name` (case-insensitive) of `fields`.
    public func header(_ name: String, in fields: [(name: String, value: String)]) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    /// Sets a response header, replacing one of the same name (case-insensitive).
    public func setHeader(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        responseHeaders.removeAll { $0.name.lowercased() == lowered }
        responseHeaders.append((name, value))
    }
}
