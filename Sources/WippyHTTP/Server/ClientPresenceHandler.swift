import NIOCore
import Synchronization

/// Notices when the client of a connection is gone: its end closed (the server allows half-closed
/// connections, so the channel itself stays active) or the connection dropped. A handler whose
/// client left is terminated instead of running on for nobody. Passes everything through, except
/// that a connection that never sent a byte closes when the server stops (a browser's
/// speculative connection would otherwise hold the stop until its idle timeout).
final class ClientPresenceHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    private let present = Atomic<Bool>(true)
    /// Some bytes came in (on the event loop only; atomic to keep the handler Sendable).
    private let heard = Atomic<Bool>(false)

    /// Whether the client may still read an answer.
    var isPresent: Bool { present.load(ordering: .relaxed) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !heard.load(ordering: .relaxed) { heard.store(true, ordering: .relaxed) }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { present.store(false, ordering: .relaxed) }
        if event is ChannelShouldQuiesceEvent, !heard.load(ordering: .relaxed) { return context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        present.store(false, ordering: .relaxed)
        context.fireChannelInactive()
    }

    /// Whether the client of `channel` is still there (asked on the channel's event loop).
    static func isPresent(on channel: any Channel) async -> Bool {
        guard channel.isActive else { return false }
        return (try? await channel.pipeline.handler(type: ClientPresenceHandler.self).get())?.isPresent ?? true
    }
}
