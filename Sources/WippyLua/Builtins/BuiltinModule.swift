import CLua
import Synchronization

/// A built-in Lua module defined outside this target (the `http` module of WippyLuaHTTP): a Lua
/// chunk and the Swift built-ins it wraps. Registered once, before the first Lua state is made;
/// every state made afterwards offers it to `require` like the runtime's own modules (made on
/// first `require`, frozen, shared by the state's processes).
///
/// The chunk is called with `B` (every built-in, these included) and the prelude's helpers
/// (`proc()`: the running process's record; `raw_setmetatable`, …) and returns the module. A
/// built-in gets the running process from ``Builtins/owner(_:)`` and answers as the runtime's
/// own do: a result count, `WIPPY_RAISE` (message on the stack) or `WIPPY_YIELD`.
public struct BuiltinModule: Sendable {
    public typealias Function = @convention(c) (OpaquePointer?) -> Int32

    /// The name code passes to `require` (and lists in an entry's `modules:`).
    public let name: String
    /// The module's Lua chunk.
    public let source: String
    /// Built-ins added to `B`, by name.
    public let functions: [(name: String, function: Function)]

    public init(name: String, source: String, functions: [(name: String, function: Function)]) {
        self.name = name
        self.source = source
        self.functions = functions
    }

    /// Adds `module` to the states made from now on (a module of the same name is replaced). A
    /// chunk that does not compile is a programming error of the runtime.
    public static func register(_ module: BuiltinModule) {
        let bytes = PreludeCode.compile(module.source)
        precondition(!bytes.isEmpty, "built-in module \(module.name) does not compile")
        registered.withLock { $0[module.name] = Compiled(module: module, bytes: bytes) }
    }

    /// A registered module with its chunk compiled.
    struct Compiled {
        let module: BuiltinModule
        let bytes: [UInt8]
    }

    /// The modules registered so far, by name.
    static let registered = Mutex<[String: Compiled]>([:])

    /// The registered modules, in name order (a state's `B` and its module list are made from it).
    static var all: [Compiled] {
        registered.withLock { $0.values.sorted { $0.module.name < $1.module.name } }
    }
}
