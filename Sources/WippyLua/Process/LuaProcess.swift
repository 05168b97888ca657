import CLua
import DequeModule
import Logging
import Synchronization
import WippyManifest
import WippyProcess

/// A process running Lua code: a coroutine in the shared Lua state of one scheduler thread, with
/// private globals, a memory account of its own, and a mailbox.
///
/// The process stays on the thread it was placed on. When it blocks (`channel.select`,
/// `receive`, `time.sleep`) or calls something asynchronous (`funcs.call`), its coroutine yields
/// to the thread, which runs the next ready process; a message, event, timer or result puts it
/// back on the thread's run queue. A process that runs too long without blocking is preempted by
/// the ``PreemptionWatchdog``.
public final class LuaProcess: StartableProcess, @unchecked Sendable {
    /// The process's PID. A function call gets one (and its slot in the process table) only when
    /// its code first asks for it (see ``FunctionCall``); until then only the call's own thread
    /// may read it.
    public var pid: PID { identity ?? register() }
    /// The PID, once assigned.
    private(set) var identity: PID?
    /// The entry whose code runs (`app:worker`), for logs and errors.
    public let entryID: String
    let program: LuaProgram
    /// The method's arguments, until they are pushed (then dropped: a process may live long).
    var arguments: [Payload]
    let context: LuaContext
    /// The thread the process runs on, for its whole life.
    let thread: SchedulerThread
    /// What a function call carries (its warm instance, HTTP exchange, time limit); nil for a process.
    public let call: FunctionCall?
    /// The runtime's logger tagged with this process (made at each use: most processes never
    /// log, and a kept one would cost each of them its size).
    var logger: Logger {
        var logger = context.logger
        if let identity { logger[metadataKey: "pid"] = "\(identity)" }
        logger[metadataKey: "entry"] = "\(entryID)"
        return logger
    }

    /// Everything other threads hand to this process. Lua never runs under this lock.
    struct Mailbox {
        var inbox = Deque<Message>()
        /// Estimated bytes of the messages in `inbox` and `listened`.
        var bytes = 0
        /// The process has ended: what still arrives is dropped.
        var closed = false
        /// Topics with a `process.listen` channel, and what waits in it.
        var listened: [String: Deque<Message>] = [:]
        var events = Deque<ProcessEvent>()
        var timerFires: [Int: Deque<Int64>] = [:]
        var terminated: String?
        /// Where the process is in its scheduling.
        var run = RunState.new
        /// Something arrived while the process ran: its next wait returns at once.
        var wakePending = false
        /// The results of the asynchronous call it waits for.
        var callResults: [Payload]?
    }

    enum RunState {
        case new, queued, running, waiting, waitingForCall, finished
    }

    let mailbox = Mutex(Mailbox())

    // Confined to the process's thread.
    /// The coroutine running the method, while the process lives.
    var coroutine: OpaquePointer?
    /// Registry reference of the process's record (P in the prelude), which anchors the coroutine.
    var recordRef: Int32 = 0
    /// The memory account its allocations are charged to.
    var account: UInt32 = 0
    /// What the account held after the last collection the process's size triggered.
    var collectedAt = 0
    /// Set by `B.wait` before it yields: how long to sleep at most (nil: until something arrives).
    var waitRequest: WaitRequest?
    /// Counts waits, so that a timeout set for an earlier wait does not end a later one.
    var waitSequence = 0
    /// Set by asynchronous built-ins before they yield; its values are the results of the call.
    var pendingOperation: (@Sendable () async -> [Payload])?
    /// Values to resume the coroutine with.
    var resumeArguments: Int32 = 0
    /// The coroutine runs the code's top level; the method is called when it returned.
    var evaluatingModule = false
    /// Timers by ID, with the generation their queued firing must carry.
    var timers: [Int: Int] = [:]
    var timerGeneration = 0
    /// `table.sort` comparators of this process that were running when it was preempted.
    var sorting: Int32 = 0
    /// Called once, when the process first waits (receive, select, sleep): its start-up code has
    /// run. Set before the process starts.
    public var onFirstWait: (@Sendable () -> Void)?
    /// Called once, on the process's thread, with its outcome: after it ended and left the process
    /// table, or, for a function call whose spawned coroutines run on, when it answered.
    var onEnd: (@Sendable (ProcessOutcome) -> Void)?
    /// A function call answered its caller while coroutines it spawned ran on (see `step`).
    var answered = false
    /// Called once on its thread when it ended, after `onEnd` (a call that answered early ends later).
    public var onFinish: (@Sendable () -> Void)?
    /// The last PID `process.send` was given as text: a process usually talks to the same few
    /// peers, and making and parsing the text each time cost a visible share of a send.
    var lastDestination: PID?

    enum WaitRequest {
        case untilWoken
        case atMost(Duration)
    }

    /// A process of `program` with `pid` (already in the process table, or added before it
    /// starts), placed on `thread` (see ``LuaScheduler/place()``).
    public convenience init(pid: PID, entryID: String, program: LuaProgram, arguments: [Payload], context: LuaContext,
                            thread: SchedulerThread) {
        self.init(identity: pid, call: nil, entryID: entryID, program: program, arguments: arguments, context: context, thread: thread)
    }

    /// A function call of `program` (entry `entryID`), without a PID until its code uses one. It
    /// runs on the call's warm instance, if it has one, whose thread `thread` must be (see
    /// ``FunctionInstances/take()``).
    public convenience init(call: FunctionCall, entryID: String, program: LuaProgram, arguments: [Payload],
                            context: LuaContext, thread: SchedulerThread) {
        self.init(identity: nil, call: call, entryID: entryID, program: program, arguments: arguments, context: context, thread: thread)
    }

    private init(identity: PID?, call: FunctionCall?, entryID: String, program: LuaProgram, arguments: [Payload],
                 context: LuaContext, thread: SchedulerThread) {
        self.identity = identity
        self.call = call
        self.entryID = entryID
        self.program = program
        self.arguments = arguments
        self.context = context
        self.thread = thread
    }

    /// Gives a function call its PID (hosted by its entry's ID) and its slot in the process table.
    private func register() -> PID {
        let pid = context.table.makePID(host: entryID)
        identity = pid
        context.table.add(self)
        return pid
    }

    // MARK: - Process

    public func deliver(_ message: Message) -> Bool {
        let limit = context.limits.mailbox
        var accepted = true, dropped = false
        wake { mailbox in
            guard !mailbox.closed else {
                dropped = true
                return
            }
            // A message alone bigger than the limit still goes into an empty mailbox: the sender
            // was allowed to send it, and the receiver decides whether it fits its memory.
            guard mailbox.bytes == 0 || mailbox.bytes + message.size <= limit else {
                accepted = false
                return
            }
            mailbox.bytes += message.size
            if !mailbox.listened.isEmpty, mailbox.listened[message.topic] != nil {
                mailbox.listened[message.topic]!.append(message)
            } else {
                mailbox.inbox.append(message)
            }
        }
        if dropped { message.consumed() }
        return accepted
    }

    public var mailboxLimit: Int { context.limits.mailbox }

    public var mailboxDepth: Int {
        mailbox.withLock { $0.inbox.count + $0.listened.values.reduce(0) { $0 + $1.count } }
    }

    public var entryName: String { entryID }

    /// The next message of the inbox (`topic` nil) or of a listened topic, counted out of the mailbox.
    func takeMessage(listened topic: String?) -> Message? {
        let message = mailbox.withLock { mailbox -> Message? in
            let message = topic.map { mailbox.listened[$0]?.popFirst() } ?? mailbox.inbox.popFirst()
            if let message { mailbox.bytes -= message.size }
            return message
        }
        message?.consumed()
        return message
    }

    public func deliver(_ event: ProcessEvent) {
        wake { $0.events.append(event) }
    }

    public func terminate(reason: String) {
        wake { mailbox in
            if mailbox.terminated == nil { mailbox.terminated = reason }
        }
        doomed.store(true, ordering: .sequentiallyConsistent)
        PreemptionWatchdog.shared.interrupt(self)
    }

    /// Terminates a function call whose time limit passed.
    func outOfTime() {
        guard let call else { return }
        terminate(reason: "terminated: \(entryID) ran longer than its time limit of \(call.timeLimit) (meta.options.timeout)")
    }

    /// Set by ``terminate(reason:)`` before it looks for the process in the watchdog's slots;
    /// read by the thread after it entered its slot, so that one of the two always sees the other.
    let doomed = Atomic<Bool>(false)

    /// Changes the mailbox and puts the process on its thread's run queue if it waits for what
    /// arrived (a waiting call is resumed only by its results or by termination).
    func wake(_ change: (inout Mailbox) -> Void) {
        let ready = mailbox.withLock { mailbox -> Bool in
            change(&mailbox)
            switch mailbox.run {
            case .waiting:
                mailbox.run = .queued
                return true
            case .waitingForCall where mailbox.callResults != nil || mailbox.terminated != nil:
                mailbox.run = .queued
                return true
            case .running:
                mailbox.wakePending = true
                return false
            default:
                return false
            }
        }
        if ready { thread.enqueue(self) }
    }

    // MARK: - Starting

    /// Puts the process on its thread's run queue; `ended` is called once it ended.
    public func start(ended: @escaping @Sendable (ProcessOutcome) -> Void) {
        onEnd = ended
        mailbox.withLock { $0.run = .queued }
        thread.enqueue(self)
    }
}
