import Synchronization
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
    private let running = Mutex<[PID: LuaProcess]>([:])
    private let table: ProcessTable
    private let context: LuaContext

    init(entries: [Entry], table: ProcessTable, context: LuaContext) {
        self.pools = Mutex(Self.makePools(entries))
        self.table = table
        self.context = context
    }

    deinit {
        threads.shutdown()
    }

    /// One pool per function.lua of `entries`: `pool.workers` (or `max_size`) idle instances at
    /// most, else two per core.
    private static func makePools(_ entries: [Entry]) -> [EntryID: FunctionInstances] {
        var pools: [EntryID: FunctionInstances] = [:]
        for entry in entries {
            guard case let .functionLua(program, pool, _) = entry.body else { continue }
            let capacity = pool.workers ?? pool.maxSize ?? 2 * AvailableCores.count
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

    /// Runs a function.lua once, as a short-lived process of its own (own PID, inbox) on a warm
    /// instance of the function's pool, on the instance's thread (a new instance goes to the next
    /// function thread). A call that started before a reload changed the code (its route was
    /// matched earlier) runs the code it started with.
    ///
    /// A call that runs longer than `timeout`, or whose HTTP client went away, is terminated; so
    /// are the calls still running `stop_timeout` after a graceful stop began (``stopAll(after:)``).
    func run(_ id: EntryID, program: LuaProgram, timeout: Duration, arguments: [Payload],
             exchange: HTTPExchange? = nil) async -> ProcessOutcome {
        let pool = pools.withLock { $0[id] }.flatMap { $0.program.hasSameCode(as: program) ? $0 : nil }
        let instance = pool?.take()
        let process = LuaProcess(pid: table.makePID(host: id.description), entryID: id.description, program: program,
                                 arguments: arguments, context: context, thread: instance?.thread ?? threads.place(),
                                 pool: pool, instance: instance)
        process.exchange = exchange
        table.add(process)
        running.withLock { $0[process.pid] = process }
        let guardian = Task { [weak process] in await Self.watch(process, id: id, timeout: timeout, exchange: exchange) }
        defer {
            guardian.cancel()
            _ = running.withLock { $0.removeValue(forKey: process.pid) }
        }
        return await withCheckedContinuation { continuation in
            process.start { continuation.resume(returning: $0) }
        }
    }

    /// Terminates `process` when its time is up or its client left (checked every second).
    private static func watch(_ process: LuaProcess?, id: EntryID, timeout: Duration, exchange: HTTPExchange?) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do { try await Task.sleep(for: min(.seconds(1), deadline - ContinuousClock.now)) } catch { return }
            if let exchange, await !exchange.clientConnected() {
                process?.terminate(reason: "terminated: the client went away")
                return
            }
        }
        process?.terminate(reason: "terminated: \(id) ran longer than its time limit of \(timeout) (meta.options.timeout)")
    }

    /// Terminates every call still running after `grace` (a graceful stop began).
    func stopAll(after grace: Duration) async {
        try? await Task.sleep(for: grace)
        for process in running.withLock({ Array($0.values) }) {
            process.terminate(reason: "terminated: the server is stopping")
        }
    }
}
