import Foundation
import Yams

/// `.wippy.yaml` in the folder `wippy run` starts in: the settings of Wippy's configuration file
/// this runtime honours. Today that is `prometheus: {enabled: true, address: "HOST:PORT"}` (the
/// metrics endpoint, as `--metrics-addr`); other sections are accepted and not used.
struct ProjectConfig {
    static let path = ".wippy.yaml"

    /// Where metrics are served, when `prometheus.enabled` is true.
    var metricsAddress: String?

    /// The file's settings; none when there is no file; an error naming the file and field when
    /// it cannot be read.
    static func read(_ path: String = Self.path) throws -> ProjectConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return ProjectConfig() }
        let document: Any?
        do { document = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw ConfigError(description: "\(path): not YAML: \(error)")
        }
        guard let root = document as? [String: Any] else { return ProjectConfig() }
        guard let prometheus = root["prometheus"] else { return ProjectConfig() }
        guard let section = prometheus as? [String: Any] else {
            throw ConfigError(description: "\(path): prometheus: expected a mapping with enabled: and address:")
        }
        guard section["enabled"] as? Bool == true else { return ProjectConfig() }
        guard let address = section["address"] as? String, !address.isEmpty else {
            throw ConfigError(description: "\(path): prometheus.address: required when prometheus.enabled is true (e.g. \"localhost:9090\")")
        }
        return ProjectConfig(metricsAddress: address)
    }

    struct ConfigError: Error, CustomStringConvertible {
        let description: String
    }
}
