import NIOCore
import WippyManifest

/// How long a connection may take (`http.service` `timeouts`; `0s` disables one):
/// - `idle`: waiting for a request's header section, on a new or a kept-alive connection (then the
///   connection closes; a client sending its headers a byte at a time is cut off here);
/// - `read`: from a request's header section to the end of its body (then 408 and close);
/// - `write`: writing an answer the client does not read (then the connection closes).
public struct HTTPTimeouts: Sendable, Equatable {
    public var idle: TimeAmount?
    public var read: TimeAmount?
    public var write: TimeAmount?

    /// Defaults where a field is nil: 60 s each (nginx waits 60 s for a request's header and body
    /// and 75 s on an idle kept-alive connection).
    public init(idle: Duration?, read: Duration?, write: Duration?) {
        func amount(_ duration: Duration?) -> TimeAmount? {
            guard let duration else { return .seconds(60) }
            return duration.wholeNanoseconds <= 0 ? nil : .nanoseconds(duration.wholeNanoseconds)
        }
        self.idle = amount(idle)
        self.read = amount(read)
        self.write = amount(write)
    }
}
