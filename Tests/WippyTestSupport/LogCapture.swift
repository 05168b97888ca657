import Logging
import Synchronization
import Testing

/// Log lines kept in memory, for tests that check what the runtime logged. Each line is
/// `level message key=value…` (metadata sorted).
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// Waits until a line contains `text`; records an issue after `timeout` (generous: the
    /// machine may be busy; the wait ends as soon as the line comes).
    public func wait(for text: String, timeout: Duration = .seconds(60),
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + timeout
        while !all.contains(where: { $0.contains(text) }) {
            guard ContinuousClock.now < deadline else {
                Issue.record("no log line with \"\(text)\" after \(timeout)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A logger writing here, at `level` and above.
    public func logger(level: Logger.Level = .debug) -> Logger {
        Logger(label: "test") { _ in CapturingHandler(capture: self, logLevel: level) }
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var fields = metadata
            if let extra = event.metadata { fields.merge(extra) { _, new in new } }
            // A Lua logger call's own fields (a dictionary under one key) print as `user.key=value`.
            var user: [String: Logger.MetadataValue] = [:]
            if case let .dictionary(given)? = fields.removeValue(forKey: "fields") { user = given }
            let tags = (fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                        + user.sorted { $0.key < $1.key }.map { "user.\($0.key)=\($0.value)" }).joined(separator: " ")
            capture.append("\(event.level) \(event.message) \(tags)")
        }
    }
}
