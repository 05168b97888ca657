import Logging
import WippyManifest
import WippyProcess

/// What Lua code may ask of the runtime beyond the process table: spawning entries, calling
/// functions, reading the registry, loading libraries. Implemented by the runtime layer.
public protocol LuaServices: Sendable {
    /// Starts the process.lua `entry` on `host` with `arguments`; monitored by / linked to `parent`
    /// as asked, before it runs.
    func spawn(entry: String, host: String, arguments: [Payload], parent: PID, monitor: Bool, link: Bool) throws(ProcessError) -> PID
    /// Runs the function.lua `function` and returns its result, or an error message.
    func call(function: String, arguments: [Payload], caller: PID) async -> Result<Payload, CallError>
    /// A registry entry as `{id=, kind=, meta=, data=}`, or nil.
    func registryEntry(_ id: String) -> Payload?
    /// Entries whose fields match `criteria` (e.g. `{["meta.type"] = "setting", kind = "registry.entry"}`).
    func registryFind(_ criteria: [String: Payload]) -> [Payload]
    /// The library.lua with this ID, or nil.
    func library(_ id: String) -> (id: String, program: LuaProgram)?
}

/// A failed function call, with a message for Lua.
public struct CallError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Everything a Lua process needs from the runtime.
public struct LuaContext: Sendable {
    public var table: ProcessTable
    public var services: any LuaServices
    public var logger: Logger
    public var limits: RuntimeLimits
    /// Most bytes one process's Lua state may allocate.
    public var memoryLimit: Int { limits.processMemory }

    public init(table: ProcessTable, services: any LuaServices, logger: Logger, limits: RuntimeLimits = RuntimeLimits()) {
        self.table = table
        self.services = services
        self.logger = logger
        self.limits = limits
    }
}
