import WippyManifest
import WippySchema
import WippyProcess

/// What the `registry` module reads: the entries of an app's manifest as Lua sees them.
enum AppRegistry {
    /// The entry `id` described, or nil when there is none.
    static func entry(_ id: String, in manifest: Manifest) -> Payload? {
        guard let entryID = EntryID(id), let entry = manifest[entryID] else { return nil }
        return describe(entry)
    }

    /// Every entry whose described value at each dotted path of `criteria` equals the wanted value.
    static func find(_ criteria: [String: Payload], in manifest: Manifest) -> [Payload] {
        manifest.sortedEntries.map(describe).filter { entry in
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
