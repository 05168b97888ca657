import NIOCore
import WippyLua

/// Hosts a Lua ``SchedulerThread`` on a NIO event loop: its turns run as tasks of the loop, so
/// the HTTP handlers of the loop's connections run on the thread that reads their requests.
final class EventLoopSchedulerHost: SchedulerHost, @unchecked Sendable {  // `timer` is confined to the loop
    let eventLoop: any EventLoop
    /// The task that runs the scheduler's next timer turn.
    private var timer: Scheduled<Void>?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    var isCurrent: Bool { eventLoop.inEventLoop }

    func requestTurn(_ scheduler: SchedulerThread) {
        eventLoop.execute { scheduler.runTurn() }
    }

    /// A task of the loop runs every task queued meanwhile before the loop reads its sockets
    /// again, so the turn is scheduled a little later instead: the loop then waits for its
    /// sockets until that time.
    func requestTurnAfterOtherWork(_ scheduler: SchedulerThread) {
        eventLoop.scheduleTask(in: Self.ioPause) { scheduler.runDeferredTurn() }
    }

    /// How long a loop with busy Lua code looks at its sockets between two turns.
    private static let ioPause: TimeAmount = .microseconds(50)

    func requestTurn(_ scheduler: SchedulerThread, in nanoseconds: UInt64) {
        timer?.cancel()
        timer = eventLoop.scheduleTask(in: .nanoseconds(Int64(min(nanoseconds, UInt64(Int64.max))))) { [self] in
            timer = nil
            scheduler.runTimerTurn()
        }
    }
}
