import CLua
import DequeModule
import Logging
import Synchronization
import WippyManifest
import WippyProcess

/// A process running Lua code: its own `lua_State`, a coroutine for its method, and a mailbox.
///
/// The method runs as a coroutine. When it blocks (`channel.select`, `receive`, `time.sleep`) or
/// calls something asynchronous (`funcs.call`), the coroutine yields and ``run()`` suspends until
/// a message, event, timer or result arrives; thousands of processes share the few threads of the
/// concurrency pool this way. A process that runs too long without blocking is preempted by the
/// ``PreemptionWatchdog``.
public final class LuaProcess: Process, @unchecked Sendable {
    public let pid: PID
    /// The entry whose code runs (`app:worker`), for logs and errors.
    public let entryID: String
    let program: LuaProgram
    let arguments: [Payload]
    let context: LuaContext
    /// The runtime's logger tagged with this process (made on first use: most calls never log).
    lazy var logger: Logger = {
        var logger = context.logger
        logger[metadataKey: "pid"] = "\(pid)"
        logger[metadataKey: "entry"] = "\(entryID)"
        return logger
    }()
    /// Where the process borrows its Lua state from and returns it to (function calls); nil: a
    /// state of its own, closed when the process ends. Weak: an idle state keeps its last process
    /// alive, and a pool a reload replaced while a call ran is not given the state back.
    weak var pool: LuaStatePool?

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
        var waiter: UnsafeContinuation<Void, Never>?
        var wakePending = false
    }

    let mailbox = Mutex(Mailbox())

    // Owned by the task running the process (one at a time).
    var state: LuaStatePool.WarmState?
    /// Set by `B.wait` before it yields: how long to sleep at most (nil: until something arrives).
    var waitRequest: WaitRequest?
    /// Set by asynchronous built-ins before they yield; its values are the results of the call.
    var pendingOperation: (@Sendable () async -> [Payload])?
    var timers: [Int: Task<Void, Never>] = [:]
    /// The HTTP request this process answers, when it runs a handler (for the `http` module).
    public var exchange: HTTPExchange?
    /// Bytes outside Lua (the response body) charged to the state's budget; given back at the end.
    var chargedBytes = 0
    /// Called once, when the process first waits (receive, select, sleep): its start-up code has
    /// run. Set before the process starts.
    public var onFirstWait: (@Sendable () -> Void)?
    /// The coroutine running the method: the only thread that may block.
    var mainThread: OpaquePointer?
    /// The last PID string `process.send` was given and its parsed form (a process usually
    /// talks to the same few peers; parsing each time cost a visible share of a send).
    var lastDestination: (text: String, pid: PID)?

    enum WaitRequest {
        case untilWoken
        case atMost(Duration)
    }

    public init(pid: PID, entryID: String, program: LuaProgram, arguments: [Payload], context: LuaContext,
                pool: LuaStatePool? = nil) {
        self.pid = pid
        self.pool = pool
        self.entryID = entryID
        self.program = program
        self.arguments = arguments
        self.context = context
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
            if mailbox.listened[message.topic] != nil {
                mailbox.listened[message.topic]!.append(message)
            } else {
                mailbox.inbox.append(message)
            }
        }
        if dropped { message.consumed() }
        return accepted
    }

    public var mailboxLimit: Int { context.limits.mailbox }

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

    /// Set by ``terminate(reason:)`` before it looks for the process in the watchdog's slots;
    /// read by the run loop after it entered its slot, so that one of the two always sees the other.
    private let doomed = Atomic<Bool>(false)

    /// Changes the mailbox and wakes the process if it waits.
    func wake(_ change: (inout Mailbox) -> Void) {
        let waiter = mailbox.withLock { mailbox -> UnsafeContinuation<Void, Never>? in
            change(&mailbox)
            if let waiter = mailbox.waiter {
                mailbox.waiter = nil
                return waiter
            }
            mailbox.wakePending = true
            return nil
        }
        waiter?.resume()
    }

    // MARK: - Running

    /// Runs the method to its end, then removes the process from the table (which tells monitors
    /// and links). Returns how it ended.
    @discardableResult
    public func run() async -> ProcessOutcome {
        let outcome = await execute()
        state?.lua.control.pointee.used -= Int64(chargedBytes)
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
        // Messages never read: their senders stop counting them as in flight.
        let unread = mailbox.withLock { mailbox -> [Message] in
            defer {
                mailbox.inbox.removeAll()
                mailbox.listened.removeAll()
                mailbox.bytes = 0
                mailbox.closed = true
            }
            return Array(mailbox.inbox) + mailbox.listened.values.flatMap { $0 }
        }
        for message in unread { message.consumed() }
        if let pool, let state, case .result = outcome {
            lua_settop(state.lua.L, 2)  // drop the call's coroutine; keep the runner and the chunk
            state.lastOwner = self
            pool.give(state, memoryLimit: context.memoryLimit)
        }
        state = nil
        context.table.exited(pid, outcome: outcome)
        return outcome
    }

    private func execute() async -> ProcessOutcome {
        let warm: LuaStatePool.WarmState
        if let pooled = pool?.take() {
            warm = pooled
        } else {
            switch prepareState() {
            case let .success(fresh): warm = fresh
            case let .failure(failure): return failure.outcome
            }
        }
        state = warm
        let L = warm.lua.L, control = warm.lua.control
        wippy_set_owner(L, Unmanaged.passUnretained(self).toOpaque())
        control.pointee.doomed = 0
        control.pointee.sorting = 0
        guard let co = lua_newthread(L) else { return .failure("out of memory") }
        mainThread = co  // stays referenced from L's stack (index 3) while it runs
        lua_pushvalue(L, 1)
        lua_pushvalue(L, 2)
        lua_xmove(L, co, 2)
        LuaBridge.pushString(program.method ?? "main", co)
        // Pushed lenient (see the shim), then measured: what does not fit is refused here.
        for argument in arguments { LuaBridge.push(argument, co) }
        guard warm.lua.remainingBytes >= 0 else {
            return .failure("out of memory: the arguments do not fit in the process's memory limit (\(context.memoryLimit >> 20) MiB)")
        }
        var nargs = Int32(2 + arguments.count)

        while true {
            if let reason = mailbox.withLock({ $0.terminated }) { return .failure(reason) }
            var nresults: Int32 = 0
            let slot = PreemptionWatchdog.shared.enter(self, control: control, thread: co)
            if doomed.load(ordering: .sequentiallyConsistent) { wippy_doom(control) }
            let status = wippy_resume(co, L, nargs, &nresults)
            PreemptionWatchdog.shared.leave(slot)
            switch status {
            case LUA_OK:
                return result(co, count: nresults)
            case LUA_YIELD:
                wippy_pop(co, nresults)
                nargs = 0
                if control.pointee.preempted != 0 {
                    // A request left by a built-in that then raised instead of yielding is stale.
                    (pendingOperation, waitRequest) = (nil, nil)
                    await Task.yield()  // preempted: let the others run
                } else if let operation = pendingOperation {
                    pendingOperation = nil
                    let values = await operation()
                    for value in values { LuaBridge.push(value, co) }
                    nargs = Int32(values.count)
                    if warm.lua.remainingBytes < 0 {
                        wippy_pop(co, nargs)
                        lua_pushnil(co)
                        LuaBridge.pushString("the result does not fit in the process's memory limit (\(context.memoryLimit >> 20) MiB)", co)
                        nargs = 2
                    }
                } else if let request = waitRequest {
                    waitRequest = nil
                    if let ready = onFirstWait {
                        onFirstWait = nil
                        ready()
                    }
                    await sleep(request)
                } else {
                    await Task.yield()
                }
            default:
                if let reason = mailbox.withLock({ $0.terminated }) { return .failure(reason) }
                return .failure(errorMessage(co, status: status))
            }
        }
    }

    private struct PreparationFailure: Error {
        var outcome: ProcessOutcome
    }

    /// A new state: sandbox, prelude (its runner at stack index 1), the entry's code (index 2).
    private func prepareState() -> Result<LuaStatePool.WarmState, PreparationFailure> {
        guard let lua = LuaState(memoryLimit: context.memoryLimit) else {
            return .failure(.init(outcome: .failure("out of memory: cannot create a Lua state within \(context.memoryLimit) bytes")))
        }
        let L = lua.L
        wippy_set_owner(L, Unmanaged.passUnretained(self).toOpaque())
        // The prelude returns the entry runner: main(chunk, method, ...).
        if let error = PreludeBytecode.load(PreludeBytecode.prelude, L) {
            return .failure(.init(outcome: .failure("internal: prelude: \(error)")))
        }
        pushBuiltins(L)
        pushModuleSet(program.modules, L)
        pushImports(program.imports, L)
        LuaBridge.pushString(entryID, L)
        guard wippy_pcall(L, 4, 1) == LUA_OK else {
            return .failure(.init(outcome: .failure(errorMessage(L, status: LUA_ERRRUN))))
        }
        let chunkName = program.sourceFile.map { "@" + $0 } ?? "=\(entryID)"
        if let error = program.loadChunk(L, chunkName: chunkName) {
            return .failure(.init(outcome: .failure("\(entryID): cannot load the code: \(error)")))
        }
        return .success(LuaStatePool.WarmState(lua))
    }

    /// The method's return values: `value` is a result; `nil, "message"` is a failure.
    private func result(_ co: OpaquePointer, count: Int32) -> ProcessOutcome {
        guard count > 0 else { return .result(.null) }
        let first = lua_gettop(co) - count + 1
        if count >= 2, lua_type(co, first + 1) == LUA_TSTRING, let message = LuaState.string(co, first + 1) {
            return .failure(message)
        }
        do {
            return .result(try LuaBridge.payload(at: first, co, limit: context.limits.message))
        } catch {
            return .failure("\(entryID): the result cannot leave the process: \(error.message)")
        }
    }

    private func errorMessage(_ thread: OpaquePointer, status: Int32) -> String {
        if status == LUA_ERRMEM {
            return "out of memory (the process may use at most \(context.memoryLimit / (1 << 20)) MiB)"
        }
        switch lua_type(thread, -1) {
        case LUA_TSTRING, LUA_TNUMBER: return LuaState.string(thread, -1) ?? "error"
        case LUA_TNIL: return "error (nil)"
        default: return "error (a \(String(cString: lua_typename(thread, lua_type(thread, -1)))) value)"
        }
    }

    /// Suspends until the mailbox changes, the process is terminated, or `request`'s time is up.
    private func sleep(_ request: WaitRequest) async {
        var timeout: Task<Void, Never>?
        if case let .atMost(duration) = request {
            timeout = Task { [weak self] in
                try? await Task.sleep(for: duration)
                if !Task.isCancelled { self?.wake { _ in } }
            }
        }
        // Unsafe (no checking box per wait): the lock above guarantees exactly one resume.
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let resumeNow = mailbox.withLock { mailbox -> Bool in
                if mailbox.wakePending || mailbox.terminated != nil {
                    mailbox.wakePending = false
                    return true
                }
                mailbox.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timeout?.cancel()
    }

    // MARK: - Prelude arguments

    private func pushModuleSet(_ modules: [String], _ L: OpaquePointer) {
        lua_createtable(L, 0, Int32(modules.count))
        for name in modules {
            lua_pushboolean(L, 1)
            lua_setfield(L, -2, name)
        }
    }

    func pushImports(_ imports: [LuaProgram.Import], _ L: OpaquePointer) {
        lua_createtable(L, 0, Int32(imports.count))
        for item in imports {
            LuaBridge.pushString(item.library.target.description, L)
            lua_setfield(L, -2, item.alias)
        }
    }
}
