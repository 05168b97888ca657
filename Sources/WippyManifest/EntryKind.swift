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

    /// Kinds run by the supervisor, with a `lifecycle` block.
    public static let services: Set<EntryKind> = [.processService, .processHost, .httpService]
}
