import WippySchema

/// The built-in `system` namespace, so that an app needs no host, server or router of its own
/// (the seed's manifest declares none).
///
/// - `system:processes` — the default `process.host`.
/// - `system:http` — the default `http.service` on `:8080` (the CLI can override the address).
/// - `system:api` — the default `http.router` on `system:http`, prefix `/api/v1`, with the
///   `websocket_relay` middleware; an `http.endpoint` without `meta.router` mounts here.
///
/// An app file may declare an entry with one of these IDs; it then replaces the built-in.
public enum SystemNamespace {
    public static let name = "system"
    public static let processes = EntryID(namespace: name, name: "processes")
    public static let http = EntryID(namespace: name, name: "http")
    public static let api = EntryID(namespace: name, name: "api")
    public static let defaultAddress = ":8080"
    public static let apiPrefix = "/api/v1"

    /// The built-in entries.
    public static var entries: [Entry] {
        let at = SourceLocation.builtIn
        let meta = Node(.object([]))
        var alwaysOn = Lifecycle()
        alwaysOn.autoStart = true
        func node(_ kind: EntryKind, _ name: String) -> Node {
            Node(.object([
                .init(key: "name", value: Node(.string(name))),
                .init(key: "kind", value: Node(.string(kind.rawValue))),
            ]))
        }
        return [
            Entry(id: processes, kind: .processHost, meta: meta, location: at, node: node(.processHost, processes.name),
                  body: .processHost(ProcessHost(workers: nil, queueSize: 1024, localQueueSize: 256, lifecycle: alwaysOn))),
            Entry(id: http, kind: .httpService, meta: meta, location: at, node: node(.httpService, http.name),
                  body: .httpService(HTTPService(address: defaultAddress, lifecycle: alwaysOn))),
            Entry(id: api, kind: .httpRouter, meta: meta, location: at, node: node(.httpRouter, api.name),
                  body: .httpRouter(HTTPRouter(
                      server: Reference(target: http, field: "meta.server", location: at, expectedKinds: [.httpService]),
                      prefix: apiPrefix, middleware: ["websocket_relay"], options: [:],
                      postMiddleware: [], postOptions: [:]))),
        ]
    }
}
