import NIOCore
import WippyHTTP
import WippyLua

/// Hosts a Lua ``SchedulerThread`` on a NIO event loop: its turns run as tasks of the loop, so
/// the HTTP handlers of the loop's connections run on the thread that reads their requests.
public final class EventLoopSchedulerHost: SchedulerHost, @unchecked Sendable {  // `timer` is confined to the loop
    let eventLoop: any EventLoop
    /// The task that runs the scheduler's next timer turn.
    private var timer: Scheduled<Void>?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public var isCurrent: Bool { eventLoop.inEventLoop }

    public func requestTurn(_ scheduler: SchedulerThread) {
        eventLoop.execute { scheduler.runTurn() }
    }

    /// A task of the loop runs every task queued meanwhile before the loop reads its sockets
    /// again, so the turn is scheduled a little later instead: the loop then waits for its
    /// sockets until that time.
    public func requestTurnAfterOtherWork(_ scheduler: SchedulerThread) {
        eventLoop.scheduleTask(in: Self.ioPause) { scheduler.runDeferredTurn() }
    }

    /// How long a loop with busy Lua code looks at its sockets between two turns.
    private static let ioPause: TimeAmount = .microseconds(50)

    public func requestTurn(_ scheduler: SchedulerThread, in nanoseconds: UInt64) {
        timer?.cancel()
        timer = eventLoop.scheduleTask(in: .nanoseconds(Int64(min(nanoseconds, UInt64(Int64.max))))) { [self] in
            timer = nil
            scheduler.runTimerTurn()
        }
    }
}

extension EventLoopSchedulerHost {
    /// The Lua scheduler of each of the HTTP servers' event loops: handlers run on the loop that
    /// read their request, with that loop's warm function instances.
    private static let schedulers: [ObjectIdentifier: SchedulerThread] = Dictionary(
        uniqueKeysWithValues: HTTPServerService.eventLoops.makeIterator().enumerated().map { index, loop in
            (ObjectIdentifier(loop), SchedulerThread(name: "http-lua-\(index)", host: EventLoopSchedulerHost(eventLoop: loop)))
        })

    /// The Lua scheduler of `eventLoop`, one of the HTTP servers' loops.
    /// The scheduler of every event loop (for the metrics endpoint).
    public static var all: [SchedulerThread] { schedulers.values.sorted { $0.name < $1.name } }

    public static func scheduler(of eventLoop: any EventLoop) -> SchedulerThread {
        guard let scheduler = schedulers[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("an HTTP request on an event loop of no server")
        }
        return scheduler
    }
}
