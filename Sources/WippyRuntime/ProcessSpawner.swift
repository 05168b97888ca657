import WippyLua
import WippyManifest
import WippyProcess

/// Starts process.lua entries as processes on the runtime's `process.host`s: for services, for
/// `process.spawn`, and for tools and benchmarks.
struct ProcessSpawner: Sendable {
    /// One host per `process.host` entry, by entry ID.
    let hosts: [String: ProcessHostService]
    let table: ProcessTable
    let context: LuaContext

    /// Creates a process for the process.lua `entry` of `manifest` and starts it on `host`;
    /// `parent` (if any) monitors and/or links to it first.
    func launch(_ entry: EntryID, in manifest: Manifest, host: String, arguments: [Payload], parent: PID?,
                monitor: Bool, link: Bool, onFirstWait: (@Sendable () -> Void)?,
                onExit: (@Sendable (ProcessOutcome) -> Void)?) throws(ProcessError) -> LuaProcess {
        guard let code = manifest[entry] else { throw .notFound("entry \(entry)") }
        guard case let .processLua(program) = code.body else {
            throw .invalid("\(entry) is a \(code.kind.rawValue), not a process.lua")
        }
        guard let hostService = hosts[host] else { throw .notFound("host \(host)") }
        let process = LuaProcess(pid: table.makePID(host: host), entryID: entry.description, program: program,
                                 arguments: arguments, context: context, thread: hostService.scheduler.place())
        process.onFirstWait = onFirstWait
        // Captures little (references only): this closure lives as long as the process.
        let context = context
        table.add(process) { outcome in
            if case let .failure(message) = outcome, onExit == nil {
                context.logger.warning("process \(process.pid) (\(process.entryID)) failed: \(message)")
            }
            onExit?(outcome)
        }
        if let parent {
            if monitor { try table.monitor(process.pid, by: parent) }
            if link { try table.link(process.pid, parent) }
        }
        guard hostService.start(process) else {
            table.exited(process.pid, outcome: .failure("host \(host) is stopping"))
            throw .invalid("host \(host) is stopping")
        }
        return process
    }
}
