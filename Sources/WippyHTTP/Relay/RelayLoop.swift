import HeapModule
import NIOCore
import Synchronization

/// What the relayed connections of one event loop share: one drain that writes every connection's
/// queued frames and flushes each connection once, and one timer for all their heartbeats, pings
/// and close deadlines.
///
/// A message for a connection may be sent from any thread; the first one for a loop since its last
/// drain schedules the drain, the rest join it. So a broadcast to a thousand connections costs
/// one wake-up of each loop, not one per connection.
final class RelayLoop: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let dirty = Mutex<(connections: [RelayConnection], scheduled: Bool)>(([], false))

    /// One due time: `handler`'s timer of that generation (older generations are stale).
    private struct Due: Comparable {
        let at: NIODeadline
        let handler: RelayChannelHandler
        let generation: Int

        static func < (lhs: Due, rhs: Due) -> Bool { lhs.at < rhs.at }
        static func == (lhs: Due, rhs: Due) -> Bool { lhs.at == rhs.at && lhs.handler === rhs.handler && lhs.generation == rhs.generation }
    }

    // Only touched on the event loop.
    private var timers = Heap<Due>()
    private var armed: (at: NIODeadline, task: Scheduled<Void>)?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// `connection` has frames queued: it writes them in the loop's next drain (any thread).
    func needsDrain(_ connection: RelayConnection) {
        let schedule = dirty.withLock { state -> Bool in
            state.connections.append(connection)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if schedule { eventLoop.execute { self.drain() } }
    }

    private func drain() {
        var connections: [RelayConnection] = []
        dirty.withLock { state in
            swap(&connections, &state.connections)
            state.scheduled = false
        }
        for connection in connections { connection.writeQueued() }
    }

    /// Calls `handler.timerFired(generation:)` at `at` (on the event loop).
    func schedule(_ handler: RelayChannelHandler, at: NIODeadline, generation: Int) {
        eventLoop.assertInEventLoop()
        timers.insert(Due(at: at, handler: handler, generation: generation))
        if let armed, armed.at <= at { return }
        armed?.task.cancel()
        arm(at)
    }

    private func arm(_ at: NIODeadline) {
        armed = (at, eventLoop.scheduleTask(deadline: at) { [self] in fire() })
    }

    private func fire() {
        armed = nil
        let now = NIODeadline.now()
        while let first = timers.min, first.at <= now {
            _ = timers.removeMin()
            first.handler.timerFired(generation: first.generation, now: now)
        }
        // What the handlers scheduled meanwhile may have armed a later time than the earliest left.
        if let next = timers.min, armed?.at != next.at {
            armed?.task.cancel()
            arm(next.at)
        }
    }
}
