import WippySchema

/// One typed manifest entry.
public struct Entry: Sendable, Equatable {
    public var id: EntryID
    public var kind: EntryKind
    /// The entry's meta merged over its file's meta (an object node).
    public var meta: Node
    /// Where the entry starts.
    public var location: SourceLocation
    /// The entry as written (every field with its line and column).
    public var node: Node
    public var body: Body

    /// The kind-specific part of an entry.
    public enum Body: Sendable, Equatable {
        case processLua(LuaProgram)
        case processService(ProcessService)
        case processHost(ProcessHost)
        /// The code, its warm states, and how long one call may run (`meta.options.timeout`).
        case functionLua(LuaProgram, FunctionPool, timeout: Duration)
        case libraryLua(LuaProgram)
        case httpService(HTTPService)
        case httpRouter(HTTPRouter)
        case httpEndpoint(HTTPEndpoint)
        case httpStatic(HTTPStatic)
        /// `registry.entry`: the entry's fields other than name, kind and meta.
        case registryEntry(Node)
        case terminalHost(TerminalHost)
        case envStorage(EnvStorage)
        case envVariable(EnvVariable)
    }

    public init(id: EntryID, kind: EntryKind, meta: Node, location: SourceLocation, node: Node, body: Body) {
        self.id = id
        self.kind = kind
        self.meta = meta
        self.location = location
        self.node = node
        self.body = body
    }

    /// Every other entry this one names: the edges of the dependency graph.
    public var references: [Reference] {
        switch body {
        case let .processLua(program), let .libraryLua(program), let .functionLua(program, _, _):
            return program.imports.map(\.library)
        case let .processService(service):
            return [service.process, service.host] + service.lifecycle.requires
        case let .processHost(host):
            return host.lifecycle.requires
        case let .httpService(service):
            return service.lifecycle.requires
        case let .httpRouter(router):
            return [router.server]
        case let .httpEndpoint(endpoint):
            return [endpoint.function, endpoint.router]
        case let .httpStatic(site):
            return [site.server]
        case .registryEntry:
            return []
        case let .terminalHost(host):
            return host.lifecycle.requires
        case let .envStorage(storage):
            if case let .router(storages) = storage.backend { return storages }
            return []
        case let .envVariable(variable):
            return [variable.storage]
        }
    }

    /// The supervisor settings of service kinds; nil for the others.
    public var lifecycle: Lifecycle? {
        switch body {
        case let .processService(service): return service.lifecycle
        case let .processHost(host): return host.lifecycle
        case let .httpService(service): return service.lifecycle
        case let .terminalHost(host): return host.lifecycle
        default: return nil
        }
    }
}
