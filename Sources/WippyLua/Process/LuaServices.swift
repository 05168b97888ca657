import Logging
import WippyManifest
import WippyProcess

/// What Lua code may ask of the runtime beyond the process table: spawning entries, calling
/// functions, reading the registry, loading libraries. Implemented by the runtime layer.
public protocol LuaServices: AnyObject, Sendable {
    /// Starts the process.lua `entry` on `host` with `arguments`; monitored by / linked to `parent`
    /// as asked, before it runs.
    func spawn(entry: String, host: String, arguments: [Payload], parent: PID, monitor: Bool, link: Bool) throws(ProcessError) -> PID
    /// Runs the function.lua `function` and returns its result, or an error message.
    func call(function: String, arguments: [Payload]) async -> Result<Payload, CallError>
    /// A registry entry as `{id=, kind=, meta=, data=}` at `version` (nil: the current one), or
    /// nil when there is none; an error when that version is no longer kept.
    func registryEntry(_ id: String, at version: Int?) -> Result<Payload?, CallError>
    /// Entries whose fields match `criteria` (e.g. `{["meta.type"] = "setting", kind = "registry.entry"}`)
    /// at `version` (nil: the current one).
    func registryFind(_ criteria: [String: Payload], at version: Int?) -> Result<[Payload], CallError>
    /// The registry versions still kept, oldest first; the last is the current one.
    func registryVersions() -> [Int]
    /// Applies a change set (`{op=, entry= | id=}` each) as one new version; its number, or why
    /// nothing changed (a message that starts with its kind).
    func registryApply(_ operations: [Payload]) -> Result<Int, CallError>
    /// Makes a kept version's entries current again, as a new version.
    func registryRevert(to version: Int) -> Result<Int, CallError>
    /// The library.lua with this ID, or nil.
    func library(_ id: String) -> (id: String, program: LuaProgram)?
    /// The value of the `env.variable` called `name` (its public name or entry ID), or why it
    /// has none; each message starts with its kind (`NOT_FOUND: …`).
    func envGet(_ name: String) -> Result<String, CallError>
    /// Sets the variable's value in its storage; nil, or why not (`PERMISSION_DENIED: …`).
    func envSet(_ name: String, value: String) -> CallError?
    /// Every public variable that has a value, by name.
    func envAll() -> [String: String]
    /// Records a Lua metric (`operation`: counter, gauge, gauge_set, histogram); nil, or why
    /// not. Without metrics it records nothing and succeeds.
    func recordMetric(_ operation: String, name: String, value: Double, labels: [(String, String)]) -> CallError?
    /// A `system` query the runtime answers (`runtime.processes`, `hosts.list`,
    /// `hosts.processes` of a host, `supervisor.state` of a service, `modules`); an error for
    /// anything else.
    func system(_ query: String, argument: String?) -> Result<Payload, CallError>
}

/// A failed function call, with a message for Lua.
public struct CallError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Everything a Lua process needs from the runtime: one per runtime, shared by all its processes.
public final class LuaContext: @unchecked Sendable {  // `runtime` is set once, before any process runs
    public let table: ProcessTable
    public let logger: Logger
    public let limits: RuntimeLimits
    /// The terminals of the `terminal.host`s, by host ID (what the `io` module reads and writes).
    public let terminals: [String: Terminal]
    /// Most bytes one process's Lua state may allocate.
    public var memoryLimit: Int { limits.processMemory }
    /// Weak: the runtime keeps its context, and the context must not keep the runtime.
    private weak var runtime: (any LuaServices)?

    public init(table: ProcessTable, logger: Logger, limits: RuntimeLimits = RuntimeLimits(), terminals: [String: Terminal] = [:]) {
        self.table = table
        self.logger = logger
        self.limits = limits
        self.terminals = terminals
    }

    /// Connects the runtime whose services Lua code asks for; called once, before any process runs.
    public func attach(_ services: any LuaServices) {
        runtime = services
    }

    /// The runtime's services; once the runtime is gone, each request fails with an error value.
    public var services: any LuaServices { runtime ?? StoppedRuntime.shared }
}

/// The services a process sees after its runtime was released: every request fails.
private final class StoppedRuntime: LuaServices {
    static let shared = StoppedRuntime()
    private static let message = "the runtime has stopped"

    func spawn(entry: String, host: String, arguments: [Payload], parent: PID, monitor: Bool, link: Bool) throws(ProcessError) -> PID {
        throw .invalid(Self.message)
    }

    func call(function: String, arguments: [Payload]) async -> Result<Payload, CallError> {
        .failure(CallError(Self.message))
    }

    func registryEntry(_ id: String, at version: Int?) -> Result<Payload?, CallError> { .failure(CallError("UNAVAILABLE: \(Self.message)")) }
    func registryFind(_ criteria: [String: Payload], at version: Int?) -> Result<[Payload], CallError> {
        .failure(CallError("UNAVAILABLE: \(Self.message)"))
    }
    func registryVersions() -> [Int] { [] }
    func registryApply(_ operations: [Payload]) -> Result<Int, CallError> { .failure(CallError("UNAVAILABLE: \(Self.message)")) }
    func registryRevert(to version: Int) -> Result<Int, CallError> { .failure(CallError("UNAVAILABLE: \(Self.message)")) }
    func library(_ id: String) -> (id: String, program: LuaProgram)? { nil }
    func envGet(_ name: String) -> Result<String, CallError> { .failure(CallError("UNAVAILABLE: \(Self.message)")) }
    func envSet(_ name: String, value: String) -> CallError? { CallError("UNAVAILABLE: \(Self.message)") }
    func envAll() -> [String: String] { [:] }
    func recordMetric(_ operation: String, name: String, value: Double, labels: [(String, String)]) -> CallError? { nil }
    func system(_ query: String, argument: String?) -> Result<Payload, CallError> { .failure(CallError("UNAVAILABLE: \(Self.message)")) }
}
