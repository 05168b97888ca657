import WippyManifest
import WippySchema
import WippyProcess

/// How the `registry` module shows entries to Lua, and how it finds them.
enum AppRegistry {
    /// Every described entry whose value at each dotted path of `criteria` equals the wanted
    /// value (`.kind`, Wippy's spelling, is `kind`; `.ns` is `namespace`).
    static func find(_ criteria: [String: Payload], in entries: [Payload]) -> [Payload] {
        let criteria = criteria.map { key, wanted in (key == ".ns" ? "namespace" : key, wanted) }
        return entries.filter { entry in
            criteria.allSatisfy { key, wanted in value(at: key, in: entry) == wanted }
        }
    }

    /// `{id=, namespace=, name=, kind=, meta=, data=}`; data = the entry's own fields.
    static func describe(_ entry: Entry) -> Payload {
        let data = (entry.node.members ?? []).filter { !["name", "kind", "meta"].contains($0.key) }
        return .object([
            ("id", .string(entry.id.description)), ("namespace", .string(entry.id.namespace)),
            ("name", .string(entry.id.name)), ("kind", .string(entry.kind.rawValue)),
            ("meta", Payload(entry.meta)), ("data", Payload(Node(.object(data)))),
        ])
    }

    /// The value at a dotted path (`meta.type`) of a described entry.
    static func value(at path: String, in payload: Payload) -> Payload? {
        var current: Payload? = payload
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }
}
