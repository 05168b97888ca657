/// `http.service`: a listener.
public struct HTTPService: Sendable, Equatable {
    /// `":8080"`, `"127.0.0.1:9000"`.
    public var address: String
    public var readTimeout: Duration?
    public var writeTimeout: Duration?
    public var idleTimeout: Duration?
    /// Largest request body in bytes (`max_body_size`, default 1 MiB); larger ones get 413.
    public var maxBodySize: Int = 1 << 20
    /// HTTPS and WSS with these PEM files (`tls: {cert:, key:}`); nil: plain HTTP.
    public var tls: TLSFiles?
    public var lifecycle: Lifecycle
}

/// An `http.service`'s certificate chain and private key, PEM.
public struct TLSFiles: Sendable, Equatable {
    /// Where a PEM text comes from: a file (`file://…`, relative to the manifest) or the text itself.
    public enum Source: Sendable, Equatable {
        case file(String)
        case inline(String)
    }

    public var certificate: Source
    public var key: Source

    public init(certificate: Source, key: Source) {
        self.certificate = certificate
        self.key = key
    }
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
