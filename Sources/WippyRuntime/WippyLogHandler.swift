import Foundation
import Logging
import WippyLua
import WippyProcess

/// Log lines on standard error, as text for people or JSON for collectors:
///
///     2026-11-26T15:40:01.123Z info [app:hub {system:processes|0x00001}] hub started
///     {"time":"2026-11-26T15:40:01.123Z","level":"info","message":"hub started","entry":"app:hub","pid":"…"}
///
/// A Lua `logger` call's fields follow the text line as `key=value`, and sit under `"fields"`
/// in the JSON line, so a field called `entry` or `pid` stays a field.
public struct WippyLogHandler: LogHandler {
    public enum Format: String, CaseIterable, Sendable {
        case text, json
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let format: Format

    public init(format: Format, level: Logger.Level) {
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        // A Lua `logger` call's fields: printed as fields, never taken for the `entry`/`pid` tags.
        var user: [String: Logger.MetadataValue] = [:]
        if case let .dictionary(given)? = fields.removeValue(forKey: Builtins.logFieldsKey) { user = given }
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        let line: String
        switch format {
        case .text:
            var tags: [String] = []
            if let entry = fields.removeValue(forKey: "entry") { tags.append("\(entry)") }
            if let pid = fields.removeValue(forKey: "pid") { tags.append("\(pid)") }
            let prefix = tags.isEmpty ? "" : "[\(tags.joined(separator: " "))] "
            let rest = (fields.sorted { $0.key < $1.key } + user.sorted { $0.key < $1.key }).map { " \($0.key)=\($0.value)" }.joined()
            line = "\(time) \(event.level) \(prefix)\(event.message)\(rest)\n"
        case .json:
            var object: [(String, Payload)] = [("time", .string(time)), ("level", .string("\(event.level)")),
                                               ("message", .string("\(event.message)"))]
            object += fields.map { ($0.key, .string("\($0.value)")) }
            if !user.isEmpty { object.append((Builtins.logFieldsKey, .object(user.map { ($0.key, .string("\($0.value)")) }))) }
            line = Payload.object(object).json + "\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
