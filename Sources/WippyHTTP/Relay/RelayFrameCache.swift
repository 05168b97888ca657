import NIOCore
import NIOPosix
import WippyProcess

/// The text frame of the last message encoded on each thread. A hub broadcasts by sending one
/// message to every client, each send a new table of the same content: with this, the message is
/// encoded once and every connection's queue holds the same buffer (one allocation, however many
/// connections wait to write it). Messages are compared by value, so a hub that changes what it
/// sends gets a new frame.
final class RelayFrameCache: @unchecked Sendable {  // each instance belongs to one thread
    private static let perThread = ThreadSpecificVariable<RelayFrameCache>()
    /// Frames larger than this are not kept: the cache must not hold much memory per thread.
    static let largestKept = 64 * 1024

    private var topic = ""
    private var payload = Payload.null
    private var frame: ByteBuffer?

    /// `{"data":…,"topic":…}` of `message` (``RelayWire/frame(for:)``), shared with the last
    /// message of the same topic and payload encoded on this thread.
    static func frame(for message: Message) -> ByteBuffer {
        let cache = perThread.currentValue ?? {
            let cache = RelayFrameCache()
            perThread.currentValue = cache
            return cache
        }()
        if let frame = cache.frame, cache.topic == message.topic, cache.payload == message.payload { return frame }
        let frame = ByteBuffer(bytes: RelayWire.frame(for: message))
        if frame.readableBytes <= largestKept {
            (cache.topic, cache.payload, cache.frame) = (message.topic, message.payload, frame)
        } else {
            (cache.topic, cache.payload, cache.frame) = ("", .null, nil)
        }
        return frame
    }
}
