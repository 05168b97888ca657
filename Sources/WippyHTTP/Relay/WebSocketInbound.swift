import NIOCore
import NIOWebSocket
import WippyProcess

/// The receiving half of RFC 6455 for one server connection, without sockets: client frames in,
/// what the connection does next out. It joins fragments into messages, bounds their size and
/// checks what the protocol requires (masking, opcodes, fragment order, UTF-8, close codes).
///
/// The frame decoder before it already refuses frames over the server's largest message size and
/// control frames that are fragmented or longer than 125 bytes (1009 and 1002).
struct WebSocketInbound {
    /// What to do after a frame.
    enum Action: Equatable {
        /// Nothing yet (a fragment was kept, or a pong arrived).
        case none
        /// A whole text message.
        case text(String)
        /// A whole binary message.
        case binary(ByteBuffer)
        /// Answer with a pong carrying these bytes.
        case ping(ByteBuffer)
        /// A pong: the client is alive.
        case pong
        /// The client closes, with this code (nil: it gave none); answer with the same and close.
        case close(WebSocketErrorCode?)
        /// The client broke the protocol: close with this code and reason.
        case fail(WebSocketErrorCode, String)
    }

    /// Largest message in bytes, fragments together.
    let maxMessageSize: Int
    /// The message being joined from fragments, and whether it is text.
    private var partial: (data: ByteBuffer, text: Bool)?

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Takes one frame from the client.
    mutating func receive(_ frame: WebSocketFrame) -> Action {
        guard frame.maskKey != nil else { return .fail(.protocolError, "client frames must be masked") }
        guard frame.reservedBits.isEmpty else { return .fail(.protocolError, "reserved bits set without an extension") }
        switch frame.opcode {
        case .ping:
            return .ping(frame.unmaskedData)
        case .pong:
            return .pong
        case .connectionClose:
            return Self.close(frame.unmaskedData)
        case .text, .binary:
            guard partial == nil else { return .fail(.protocolError, "a new message began inside a fragmented one") }
            let text = frame.opcode == .text
            guard frame.length <= maxMessageSize else { return tooLarge() }
            if frame.fin { return Self.message(frame.unmaskedData, text: text) }
            partial = (frame.unmaskedData, text)
            return .none
        case .continuation:
            guard let size = partial?.data.readableBytes else {
                return .fail(.protocolError, "a continuation frame with no message to continue")
            }
            guard size + frame.length <= maxMessageSize else { return tooLarge() }
            var fragment = frame.unmaskedData
            partial!.data.writeBuffer(&fragment)  // in place: the kept buffer is not copied
            guard frame.fin, let done = partial else { return .none }
            partial = nil
            return Self.message(done.data, text: done.text)
        default:
            return .fail(.protocolError, "reserved opcode \(frame.opcode)")
        }
    }

    private mutating func tooLarge() -> Action {
        partial = nil
        return .fail(.messageTooLarge, "message larger than \(maxMessageSize) bytes")
    }

    private static func message(_ data: ByteBuffer, text: Bool) -> Action {
        guard text else { return .binary(data) }
        guard data.withUnsafeReadableBytes({ UTF8Validation.isValid($0) }) else {
            return .fail(.dataInconsistentWithMessage, "text message is not valid UTF-8")
        }
        return .text(String(buffer: data))
    }

    /// A close frame's body: nothing, or a code and a UTF-8 reason.
    private static func close(_ body: ByteBuffer) -> Action {
        var body = body
        guard body.readableBytes > 0 else { return .close(nil) }
        guard let code = body.readInteger(as: UInt16.self) else { return .fail(.protocolError, "close frame with a one-byte body") }
        guard isValidCloseCode(code) else { return .fail(.protocolError, "close code \(code) may not be sent") }
        guard body.withUnsafeReadableBytes({ UTF8Validation.isValid($0) }) else {
            return .fail(.dataInconsistentWithMessage, "close reason is not valid UTF-8")
        }
        return .close(WebSocketErrorCode(codeNumber: Int(code)))
    }

    /// The codes a peer may send (RFC 6455 §7.4): the defined ones other than those reserved for
    /// local use (1004–1006, 1015), and 3000–4999 for libraries and applications.
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: return true
        default: return false
        }
    }
}
