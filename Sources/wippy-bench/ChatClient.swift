import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// One WebSocket client of the chat load generators: sends the texts it is given (nil closes
/// the socket) and hands every text frame it receives to its `onText`.
final class ChatClient: Sendable {
    let index: Int
    let welcomed = Mutex(false)
    /// Set when `run` returned or threw (by the fleet that runs it).
    let ended = Mutex(false)
    private let outgoing: AsyncStream<String?>
    let send: AsyncStream<String?>.Continuation

    init(index: Int) {
        self.index = index
        (outgoing, send) = AsyncStream.makeStream(of: String?.self)
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "load")
        logger.logLevel = .critical
        return logger
    }()

    /// Connects to `url` and serves until told to close or the server closes.
    func run(url: String, onText: @escaping @Sendable (String) -> Void) async throws {
        try await WebSocketClient.connect(url: url, logger: Self.quietLogger) { [self] inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { inner in
                inner.addTask { [self] in
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case let .text(text) = message else { continue }
                        if text.contains("\"topic\":\"welcome\"") { welcomed.withLock { $0 = true } }
                        onText(text)
                    }
                }
                inner.addTask { [outgoing] in
                    for await text in outgoing {
                        guard let text else {
                            try await outbound.close(.normalClosure, reason: nil)
                            return
                        }
                        try await outbound.write(.text(text))
                    }
                }
                try await inner.next()
                inner.cancelAll()
            }
        }
    }
}
