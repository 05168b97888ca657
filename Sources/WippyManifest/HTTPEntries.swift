/// `http.service`: a listener.
public struct HTTPService: Sendable, Equatable {
    /// `":8080"`, `"127.0.0.1:9000"`.
    public var address: String
    public var readTimeout: Duration?
    public var writeTimeout: Duration?
    public var idleTimeout: Duration?
    /// Largest request body in bytes (`max_body_size`, default 1 MiB); larger ones get 413.
    public var maxBodySize: Int = 1 << 20
    public var lifecycle: Lifecycle
}

/// `http.router`: a prefix and middleware on a server.
public struct HTTPRouter: Sendable, Equatable {
    public var server: Reference
    public var prefix: String
    public var middleware: [String]
    /// `"wsrelay.allowed.origins": "*"` and the like, values as text.
    public var options: [String: String]
    public var postMiddleware: [String]
    public var postOptions: [String: String]
}

/// `http.endpoint`: a route answered by a function.
public struct HTTPEndpoint: Sendable, Equatable {
    public var router: Reference
    public var method: String
    public var path: String
    public var function: Reference
}

/// `http.static`: a folder served under a path.
public struct HTTPStatic: Sendable, Equatable {
    public var server: Reference
    public var path: String
    /// Absolute path of the folder.
    public var directory: String
    public var index: String
    public var spa: Bool
    public var cacheControl: String?
    public var middleware: [String]
    public var options: [String: String]
}
