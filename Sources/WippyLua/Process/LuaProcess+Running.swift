import CLua
import Glibc
import WippyManifest
import WippyProcess

/// Running a process on its thread: preparing its coroutine, resuming it, and ending it.
extension LuaProcess {
    /// What the thread does with the process after one resume.
    enum Step {
        /// Ready again at once (preempted, or it yielded without waiting).
        case again
        /// Waits until woken, or until `deadline` (monotonic nanoseconds) ends wait `sequence`.
        case wait(deadline: UInt64, sequence: Int)
        /// Waits until woken (a message, an event, a call's results, termination).
        case parked
        case ended
    }

    /// Resumes the process once, on its thread.
    func step(_ shared: SharedState) -> Step {
        let (terminated, results) = mailbox.withLock { mailbox -> (String?, [Payload]?) in
            mailbox.run = .running
            mailbox.wakePending = false
            defer { mailbox.callResults = nil }
            return (mailbox.terminated, mailbox.callResults)
        }
        if let reason = terminated {
            finish(shared, .failure(reason))
            return .ended
        }
        let lua = shared.lua, control = lua.control
        if coroutine == nil, let failure = prepare(shared) {
            finish(shared, failure)
            return .ended
        }
        guard let co = coroutine else { return .ended }
        if let results {
            for value in results { LuaBridge.push(value, co) }
            resumeArguments = Int32(results.count)
            if lua.remainingBytes(account) < 0 {
                wippy_pop(co, resumeArguments)
                lua_pushnil(co)
                LuaBridge.pushString("the result does not fit in the process's memory limit (\(context.memoryLimit >> 20) MiB)", co)
                resumeArguments = 2
            }
        }

        var (status, nresults) = resume(co, shared)
        if status == LUA_OK, evaluatingModule {
            // The code's top level ran; the method runs next on the same coroutine.
            evaluatingModule = false
            if nresults == 0 { lua_pushnil(co) } else { wippy_pop(co, nresults - 1) }
            if let failure = callMethod(co, shared) {
                finish(shared, failure)
                return .ended
            }
            (status, nresults) = resume(co, shared)
        }

        if status == LUA_OK, call != nil, onEnd != nil, pushDrain(co) {
            // Coroutines it spawned still run: the call answers now, and they run on to their end.
            lua_rotate(co, 1, 1)  // the drain below the results
            let outcome = result(co, count: nresults)
            lua_settop(co, 1)
            answer(outcome)
            (status, nresults) = resume(co, shared)
        }

        switch status {
        case LUA_OK:
            finish(shared, result(co, count: nresults))
            return .ended
        case LUA_YIELD:
            wippy_pop(co, nresults)
            armTimeLimit()
            if control.pointee.preempted != 0 {
                // A request left by a built-in that then raised instead of yielding is stale.
                (pendingOperation, waitRequest) = (nil, nil)
                return requeue()
            }
            if let operation = pendingOperation {
                pendingOperation = nil
                mailbox.withLock { $0.run = .waitingForCall }
                Task { [self] in
                    let values = await operation()
                    wake { $0.callResults = values }
                }
                return .parked
            }
            if let request = waitRequest {
                waitRequest = nil
                if let ready = onFirstWait {
                    onFirstWait = nil
                    ready()
                }
                waitSequence += 1
                let woken = mailbox.withLock { mailbox -> Bool in
                    if mailbox.wakePending || mailbox.terminated != nil {
                        mailbox.wakePending = false
                        mailbox.run = .queued
                        return true
                    }
                    mailbox.run = .waiting
                    return false
                }
                if woken { return .again }
                if case let .atMost(duration) = request {
                    let nanoseconds = UInt64(max(0, duration.components.seconds)) * 1_000_000_000
                        + UInt64(max(0, duration.components.attoseconds / 1_000_000_000))
                    return .wait(deadline: TimerQueue.now &+ nanoseconds, sequence: waitSequence)
                }
                return .parked
            }
            return requeue()
        default:
            let reason = mailbox.withLock { $0.terminated }
            finish(shared, .failure(reason ?? errorMessage(co, status: status)))
            return .ended
        }
    }

    /// Pushes the prelude's `drain` when coroutines the process spawned still run (the record's
    /// `tasks` is not empty); otherwise leaves the stack as it was and returns false.
    private func pushDrain(_ co: OpaquePointer) -> Bool {
        guard lua_checkstack(co, 4) != 0 else { return false }
        let top = lua_gettop(co)
        _ = wippy_getref(co, recordRef)
        var pending = lua_getfield(co, top + 1, "tasks") == LUA_TTABLE
        if pending { pending = lua_rawgeti(co, top + 2, 1) == LUA_TTHREAD }
        if pending { pending = lua_getfield(co, top + 1, "drain") == LUA_TFUNCTION }
        if pending { wippy_replace(co, top + 1) }
        lua_settop(co, pending ? top + 1 : top)
        return pending
    }

    /// Gives the call's outcome to its caller before the process ended (its spawned coroutines
    /// run on): what it answers (an HTTP exchange) is no longer reachable from Lua.
    private func answer(_ outcome: ProcessOutcome) {
        call?.ended()
        let ended = onEnd
        onEnd = nil
        answered = true
        ended?(outcome)
    }

    /// A function call that yielded is timed by its thread from now on: until then the preemption
    /// watchdog watched its deadline while it ran, so a call that never waits adds no timer.
    private func armTimeLimit() {
        guard let call, !call.timerArmed else { return }
        call.timerArmed = true
        thread.timers.add(at: call.deadline, .timeLimit(self))
    }

    /// One `lua_resume` of the process's coroutine, charged to its account and watched by the
    /// preemption watchdog.
    private func resume(_ co: OpaquePointer, _ shared: SharedState) -> (status: Int32, results: Int32) {
        let lua = shared.lua, control = lua.control
        control.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
        control.pointee.current = account
        control.pointee.doomed = 0
        control.pointee.sorting = sorting
        let slot = PreemptionWatchdog.shared.enter(self, control: control, thread: co, deadline: call?.deadline ?? .max)
        if doomed.load(ordering: .sequentiallyConsistent) { wippy_doom(control) }
        var nresults: Int32 = 0
        let status = wippy_resume(co, shared.L, resumeArguments, &nresults)
        PreemptionWatchdog.shared.leave(slot)
        sorting = control.pointee.sorting
        control.pointee.sorting = 0
        control.pointee.current = 0
        control.pointee.owner = nil
        resumeArguments = 0
        collectIfNearLimit(lua)
        return (status, nresults)
    }

    /// The collector is shared and paced by the whole state, so a process's garbage can wait
    /// while others allocate. When the process's own count passes half its limit (and grew by an
    /// eighth of it since the last such collection), a full collection runs now, before the
    /// process fails for memory it no longer uses. (At three quarters, a process holding 2 of its
    /// 8 MiB and making 768 KiB of garbage per message once died of its own garbage on a loaded
    /// machine, next to an allocation bomb that kept the shared collector busy.)
    private func collectIfNearLimit(_ lua: LuaState) {
        let used = lua.usedBytes(account), limit = context.memoryLimit
        guard used > limit / 2, used > collectedAt + limit / 8 else { return }
        _ = wippy_gc_collect(lua.L)
        collectedAt = lua.usedBytes(account)
    }

    private func requeue() -> Step {
        mailbox.withLock { $0.run = .queued }
        return .again
    }

    /// Makes the coroutine: the process's record, private globals (or its function instance's),
    /// and the runner with the code's factory and the arguments. nil, or how the process failed.
    private func prepare(_ shared: SharedState) -> ProcessOutcome? {
        let L = shared.L, lua = shared.lua
        // The code is compiled on the state's own account: it serves every process of the program.
        lua.control.pointee.current = 0
        defer { lua.control.pointee.current = 0 }
        if let error = shared.pushProgram(program, id: entryID, onto: L) {
            return .failure("\(entryID): cannot load the code: \(error)")
        }
        let base = lua_gettop(L)  // factory at base - 1, require information at base
        if let call {
            let (deadline, overflow) = TimerQueue.now.addingReportingOverflow(UInt64(max(0, call.timeLimit.wholeNanoseconds)))
            call.deadline = overflow ? .max : deadline
            if call.instance == nil, let pool = call.pool {
                guard let made = pool.makeInstance(on: thread, shared, limit: context.memoryLimit) else {
                    lua_settop(L, base - 2)
                    return .failure("out of memory: cannot open a memory account")
                }
                call.instance = made
            }
        }
        let instance = call?.instance
        account = instance?.account ?? lua.openAccount(limit: context.memoryLimit)
        guard account != 0 else {
            lua_settop(L, base - 2)
            return .failure("out of memory: cannot open a memory account")
        }
        lua.control.pointee.current = account
        lua_createtable(L, 0, 4)  // the record, base + 1
        lua_pushvalue(L, base)
        lua_setfield(L, base + 1, "info")
        guard let co = lua_newthread(L) else { return .failure("out of memory") }
        lua_setfield(L, base + 1, "co")  // the record anchors the coroutine
        coroutine = co
        if let instance { _ = wippy_getref(L, instance.ref) } else { lua_pushnil(L) }  // base + 2
        if instance != nil { _ = lua_getfield(L, base + 2, "env") } else { wippy_new_env(L) }  // base + 3
        lua_pushvalue(L, base + 3)
        lua_setfield(L, base + 1, "env")  // for `require` of libraries
        lua_pushvalue(L, base + 1)
        recordRef = wippy_ref(L)
        // A warm instance evaluated its code on its first call; otherwise the coroutine runs the
        // code's top level first (`factory(env)`), then the method (see `step`). Nothing else sits
        // beneath the method on the coroutine: an idle process's stack stays at Lua's initial size.
        if instance != nil, lua_getfield(L, base + 2, "module") != LUA_TNIL {
            lua_xmove(L, co, 1)
            lua_settop(L, base - 2)
            return callMethod(co, shared)
        }
        lua_pushvalue(L, base - 1)
        lua_pushvalue(L, base + 3)
        lua_xmove(L, co, 2)
        lua_settop(L, base - 2)
        resumeArguments = 1
        evaluatingModule = true
        return nil
    }

    /// With the value of the code's top level (its module) alone on `co`: keeps it in the warm
    /// instance, if any, and readies the coroutine to call the method with the arguments. nil, or
    /// how the process failed.
    private func callMethod(_ co: OpaquePointer, _ shared: SharedState) -> ProcessOutcome? {
        let lua = shared.lua
        lua.control.pointee.current = account
        defer { lua.control.pointee.current = 0 }
        if let instance = call?.instance {
            _ = wippy_getref(co, instance.ref)
            lua_pushvalue(co, 1)
            lua_setfield(co, -2, "module")
            wippy_pop(co, 1)
        }
        let method = program.method ?? "main"
        if lua_type(co, 1) == LUA_TTABLE {
            LuaBridge.pushString(method, co)
            _ = lua_rawget(co, 1)  // raw: no metamethod runs outside the coroutine's protection
            wippy_replace(co, 1)
        }
        guard lua_type(co, 1) == LUA_TFUNCTION else {
            lua_settop(co, 0)
            return .failure("\(entryID): the code returns no function \"\(method)\" (end the file with: return { \(method) = \(method) })")
        }
        // Pushed lenient (see the shim), then measured: what does not fit is refused here.
        for argument in arguments { LuaBridge.push(argument, co) }
        resumeArguments = Int32(arguments.count)
        arguments = []
        guard lua.remainingBytes(account) >= 0 else {
            return .failure("out of memory: the arguments do not fit in the process's memory limit (\(context.memoryLimit >> 20) MiB)")
        }
        return nil
    }

    /// Ends the process: releases what it holds in the Lua state (its memory goes to the
    /// collector), drops its unread messages, and leaves the process table. `shared` is nil
    /// when its thread has no Lua state (it could not be made, or the thread stopped).
    func finish(_ shared: SharedState?, _ outcome: ProcessOutcome) {
        if let shared {
            let lua = shared.lua
            if let call, call.chargedBytes > 0 {
                wippy_account_charge(lua.control, account, Int64(-call.chargedBytes))
                call.chargedBytes = 0
            }
            let used = lua.usedBytes(account)
            if recordRef != 0 { wippy_unref(shared.L, recordRef) }
            recordRef = 0
            coroutine = nil
            if let call, let instance = call.instance {
                call.instance = nil
                let kept: Bool
                if case .result = outcome, let pool = call.pool {
                    kept = pool.give(instance, used: lua.usedBytes(account), memoryLimit: context.memoryLimit)
                } else {
                    kept = false
                }
                if !kept { instance.release(shared) }
            } else if account != 0 {
                lua.closeAccount(account)
            }
            account = 0
            // A call that used much memory leaves its garbage in a state that may not allocate
            // again for long (an event loop's, between requests): it is collected now.
            if call != nil, used > context.memoryLimit / 4 { _ = wippy_gc_collect(lua.L) }
        }
        timers.removeAll()
        waitSequence += 1  // its queued timers and timeouts are stale now
        // Messages never read: their senders stop counting them as in flight.
        let unread = mailbox.withLock { mailbox -> [Message] in
            defer {
                mailbox.inbox.removeAll()
                mailbox.listened.removeAll()
                mailbox.bytes = 0
                mailbox.closed = true
                mailbox.run = .finished
            }
            return Array(mailbox.inbox) + mailbox.listened.values.flatMap { $0 }
        }
        for message in unread { message.consumed() }
        call?.ended()
        if answered, case let .failure(message) = outcome {
            context.logger.error("\(entryID): a coroutine it spawned failed after the call answered: \(message)")
        }
        if let identity { context.table.exited(identity, outcome: outcome) }
        let ended = onEnd, finished = onFinish
        (onEnd, onFinish) = (nil, nil)
        ended?(outcome)
        finished?()
    }

    /// Timer `id` fired: its channel gets the time (a ticker keeps at most one undelivered tick,
    /// like a channel of capacity 1).
    func timerFired(_ id: Int, repeating: Bool) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let now = Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
        wake { mailbox in
            if !repeating || (mailbox.timerFires[id]?.isEmpty ?? true) {
                mailbox.timerFires[id, default: []].append(now)
            }
        }
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
}
