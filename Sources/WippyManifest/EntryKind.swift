/// Every kind of entry a manifest may declare.
public enum EntryKind: String, Sendable, CaseIterable, Hashable {
    case processLua = "process.lua"
    case processService = "process.service"
    case processHost = "process.host"
    case functionLua = "function.lua"
    case libraryLua = "library.lua"
    case httpService = "http.service"
    case httpRouter = "http.router"
    case httpEndpoint = "http.endpoint"
    case httpStatic = "http.static"
    case registryEntry = "registry.entry"
    case terminalHost = "terminal.host"
    case envStorageOS = "env.storage.os"
    case envStorageMemory = "env.storage.memory"
    case envStorageFile = "env.storage.file"
    case envStorageStatic = "env.storage.static"
    case envStorageRouter = "env.storage.router"
    case envVariable = "env.variable"

    /// Kinds run by the supervisor, with a `lifecycle` block.
    public static let services: Set<EntryKind> = [.processService, .processHost, .httpService, .terminalHost]
    /// Kinds a `process.service` may run its process on.
    public static let hosts: Set<EntryKind> = [.processHost, .terminalHost]
    /// Where `env.variable` values are kept.
    public static let envStorages: Set<EntryKind> = [.envStorageOS, .envStorageMemory, .envStorageFile, .envStorageStatic,
                                                     .envStorageRouter]
}
