import Synchronization
import WippyHTTP
import WippyLua
import WippyManifest
import WippyProcess

/// The function.lua calls of a runtime (HTTP handlers and `funcs.call`): a pool of warm instances
/// per function, the threads they run on, and the calls running now (so that a graceful stop can
/// end them).
final class FunctionCalls: Sendable {
    /// Warm instances per function.lua.
    private let pools: Mutex<[EntryID: FunctionInstances]>
    /// The threads function calls run on.
    private let threads = LuaScheduler(name: "functions")
    /// Calls running now.
    private let running = Mutex<[ObjectIdentifier: Running]>([:])
    /// A call until its process ended: `exchange` is its HTTP request until it answered (its
    /// spawned coroutines may run on after that).
    private struct Running {
        let process: LuaProcess
        var exchange: HTTPExchange?
    }
    /// Runs ``checkClients()`` once a second while the calls exist.
    private let clientWatch = Mutex<Task<Void, Never>?>(nil)
    private let context: LuaContext

    init(entries: [Entry], context: LuaContext) {
        self.pools = Mutex(Self.makePools(entries))
        self.context = context
        let watch = Task { [weak self] in
            while true {
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
                guard let self else { return }
                await checkClients()
            }
        }
        clientWatch.withLock { $0 = watch }
    }

    deinit {
        clientWatch.withLock { $0?.cancel() }
        threads.shutdown()
    }

    /// One pool per function.lua of `entries`: `pool.workers` (or `max_size`) idle instances per
    /// thread at most, else two.
    private static func makePools(_ entries: [Entry]) -> [EntryID: FunctionInstances] {
        var pools: [EntryID: FunctionInstances] = [:]
        for entry in entries {
            guard case let .functionLua(program, pool, _) = entry.body else { continue }
            let capacity = pool.workers ?? pool.maxSize ?? 2
            pools[entry.id] = FunctionInstances(program: program, capacity: capacity)
        }
        return pools
    }

    /// After a reload: the pools of `removed` functions go, those of `changed` ones (function.lua
    /// entries added or changed) start afresh; the others keep their warm instances.
    func replacePools(removed: some Sequence<EntryID>, changed: [Entry]) {
        let fresh = Self.makePools(changed)
        pools.withLock { pools in
            for id in removed { pools[id] = nil }
            pools.merge(fresh) { _, new in new }
        }
    }

    /// Starts a function.lua call, as a coroutine on a warm instance of the function's pool, on
    /// `scheduler` (an HTTP handler: its connection's event loop; it runs at once when started
    /// there), else on the next function thread; `ended` gets its outcome, on that thread. The
    /// call gets a PID only if its code uses one (see ``FunctionCall``). A call that started
    /// before a reload changed the code (its route was matched earlier) runs the code it started
    /// with.
    ///
    /// A call that runs longer than `timeout` is terminated by its thread; one whose HTTP client
    /// went away, by the once-a-second ``checkClients()``; and so are the calls still running
    /// `stop_timeout` after a graceful stop began (``finish(within:)``).
    func start(_ id: EntryID, program: LuaProgram, timeout: Duration, arguments: [Payload], exchange: HTTPExchange? = nil,
               on scheduler: SchedulerThread? = nil, ended: @escaping @Sendable (ProcessOutcome) -> Void) {
        let pool = pools.withLock { $0[id] }.flatMap { $0.program.hasSameCode(as: program) ? $0 : nil }
        let thread = scheduler ?? threads.place()
        let call = FunctionCall(pool: pool, instance: pool?.take(on: thread), attachment: exchange, timeLimit: timeout)
        let process = LuaProcess(call: call, entryID: id.description, program: program, arguments: arguments,
                                 context: context, thread: thread)
        let key = ObjectIdentifier(process)
        running.withLock { $0[key] = Running(process: process, exchange: exchange) }
        process.onFinish = { [weak self] in _ = self?.running.withLock { $0.removeValue(forKey: key) } }
        process.start { [self] outcome in
            running.withLock { $0[key]?.exchange = nil }
            ended(outcome)
        }
    }

    /// Runs a function.lua once (see ``start(_:program:timeout:arguments:exchange:ended:)``).
    func run(_ id: EntryID, program: LuaProgram, timeout: Duration, arguments: [Payload]) async -> ProcessOutcome {
        await withCheckedContinuation { continuation in
            start(id, program: program, timeout: timeout, arguments: arguments) { continuation.resume(returning: $0) }
        }
    }

    /// Terminates the running HTTP handlers whose client went away.
    private func checkClients() async {
        for call in running.withLock({ Array($0.values) }) {
            if let exchange = call.exchange, await !exchange.clientConnected() {
                call.process.terminate(reason: "terminated: the client went away")
            }
        }
    }

    /// Waits up to `grace` for the running calls (handlers, and the coroutines that outlive
    /// them) to end, then terminates the rest (a graceful stop began).
    func finish(within grace: Duration) async {
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, !running.withLock(\.isEmpty) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for call in running.withLock({ Array($0.values) }) {
            call.process.terminate(reason: "terminated: the server is stopping")
        }
    }
}
