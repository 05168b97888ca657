import Foundation
import Yams

/// `.wippy.yaml` in the folder `wippy run` starts in: the settings of Wippy's configuration file
/// this runtime honours: `prometheus: {enabled: true, address: "HOST:PORT"}` (the metrics
/// endpoint, as `--metrics-addr`) and `cluster: {url:, node:, lease:, global_names: []}` (as
/// `--cluster`, `--node`, `--lease`, `--global-name`); other sections are accepted and not used.
struct ProjectConfig {
    static let path = ".wippy.yaml"

    /// Where metrics are served, when `prometheus.enabled` is true.
    var metricsAddress: String?
    /// The `cluster:` section.
    var cluster = Cluster()

    struct Cluster {
        var url: String?
        var node: String?
        var lease: String?
        var globalNames: [String] = []
    }

    /// The file's settings; none when there is no file; an error naming the file and field when
    /// it cannot be read.
    static func read(_ path: String = Self.path) throws -> ProjectConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return ProjectConfig() }
        let document: Any?
        do { document = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw ConfigError(description: "\(path): not YAML: \(error)")
        }
        guard let root = document as? [String: Any] else { return ProjectConfig() }
        var config = ProjectConfig()
        config.cluster = try cluster(root["cluster"], path: path)
        guard let prometheus = root["prometheus"] else { return config }
        guard let section = prometheus as? [String: Any] else {
            throw ConfigError(description: "\(path): prometheus: expected a mapping with enabled: and address:")
        }
        guard section["enabled"] as? Bool == true else { return config }
        guard let address = section["address"] as? String, !address.isEmpty else {
            throw ConfigError(description: "\(path): prometheus.address: required when prometheus.enabled is true (e.g. \"localhost:9090\")")
        }
        config.metricsAddress = address
        return config
    }

    private static func cluster(_ value: Any?, path: String) throws -> Cluster {
        guard let value else { return Cluster() }
        guard let section = value as? [String: Any] else {
            throw ConfigError(description: "\(path): cluster: expected a mapping with url:, node:, lease:, global_names:")
        }
        func text(_ key: String) throws -> String? {
            guard let field = section[key] else { return nil }
            guard let string = field as? String, !string.isEmpty else { throw ConfigError(description: "\(path): cluster.\(key): expected a string") }
            return string
        }
        var cluster = Cluster(url: try text("url"), node: try text("node"), lease: try text("lease"))
        if let names = section["global_names"] {
            guard let list = names as? [String] else { throw ConfigError(description: "\(path): cluster.global_names: expected a list of names") }
            cluster.globalNames = list
        }
        return cluster
    }

    struct ConfigError: Error, CustomStringConvertible {
        let description: String
    }
}
