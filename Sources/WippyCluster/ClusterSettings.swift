import Foundation
import PostgresNIO

/// How a runtime joins a cluster: `wippy run --cluster postgres://… --node NAME` or `.wippy.yaml`'s
/// `cluster:` section.
public struct ClusterSettings: Sendable {
    /// `postgres://user:password@host:port/database`: the server the nodes coordinate through.
    public var url: String
    /// This node's name, unique in the cluster: it prefixes every PID made here.
    public var node: String
    /// How long a node stays a member without renewing (it renews eight times per lease); a node
    /// lost without leaving is dead to the others within this time.
    public var lease: Duration
    /// Names that are registered cluster-wide whatever scope the registering code asks for: an
    /// unchanged app's `process.registry.register("hub")` then names one hub for every node.
    public var globalNames: Set<String>

    public init(url: String, node: String, lease: Duration = .seconds(10), globalNames: Set<String> = []) {
        self.url = url
        self.node = node
        self.lease = lease
        self.globalNames = globalNames
    }

    /// Why `name` cannot name a node, or nil: 1–48 of `a-z 0-9 - _`, starting with a letter or
    /// digit (it is part of PIDs and of a PostgreSQL channel name).
    public static func problem(withNode name: String) -> String? {
        guard (1...48).contains(name.utf8.count) else { return "a node name has 1 to 48 characters" }
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard allowed, let first = name.utf8.first, first != UInt8(ascii: "-"), first != UInt8(ascii: "_") else {
            return "a node name is lowercase letters, digits, - and _, starting with a letter or digit: \"\(name.prefix(60))\""
        }
        return name == "local" ? "\"local\" means no node in a PID; pick another name" : nil
    }

    /// The host name made into a node name (lowercase; other characters become `-`).
    public static var defaultNode: String {
        let host = ProcessInfo.processInfo.hostName.lowercased()
        let cleaned = String(host.map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "-" }.prefix(48))
        return problem(withNode: cleaned) == nil ? cleaned : "node"
    }

    /// The connection settings in `url`; an error naming what is wrong with it.
    public func connection() throws -> PostgresConnection.Configuration {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""),
              let host = parts.host, !host.isEmpty else {
            throw ClusterError("--cluster: expected postgres://user:password@host:port/database, got \"\(url.prefix(120))\"")
        }
        guard let user = parts.user, !user.isEmpty else { throw ClusterError("--cluster: the URL names no user (postgres://USER@host/database)") }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        let mode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard mode == "disable" else {
            throw ClusterError("--cluster: sslmode=\(mode) is not supported: the cluster connects without TLS (keep the server on a private network)")
        }
        var configuration = PostgresConnection.Configuration(host: host, port: parts.port ?? 5432, username: user,
                                                             password: parts.password?.removingPercentEncoding, database: database.isEmpty ? nil : database,
                                                             tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}

/// A cluster that cannot be joined or used; the message says why.
public struct ClusterError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
