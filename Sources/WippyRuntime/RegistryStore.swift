import Synchronization
import WippyLua
import WippyManifest
import WippyProcess

/// The registry as the `registry` module sees it: the app's manifest, with the `registry.entry`
/// entries created, updated and deleted at run time over it, in numbered versions (v0: the
/// manifest as loaded). A change set applies whole or not at all.
///
/// Bounded: at most ``maximumChanged`` entries changed at run time, and only the last ``kept``
/// versions can still be read (older snapshots get an error). Only data entries change at run
/// time: code and services come from manifests (and hot reload).
final class RegistryStore: Sendable {
    /// What run-time changes made of the manifest in one version.
    struct State: Sendable {
        var version: Int
        /// Entries created or updated at run time, described, by ID.
        var changed: [String: Payload] = [:]
        /// Manifest entries deleted at run time.
        var deleted: Set<String> = []
        /// The estimated size of `changed`.
        var bytes = 0
    }

    static let kept = 16
    static let maximumChanged = 10_000
    /// Most bytes the entries changed at run time may hold together (one version; the kept ones
    /// share what they have in common).
    static let maximumBytes = 64 << 20
    /// Oldest first; the last is the current one.
    private let states = Mutex<[State]>([State(version: 0)])

    var versions: [Int] { states.withLock { $0.map(\.version) } }

    /// The state of `version` (nil: the current one).
    func state(_ version: Int?) -> Result<State, CallError> {
        states.withLock { states in
            guard let version else { return .success(states[states.count - 1]) }
            guard let state = states.first(where: { $0.version == version }) else {
                return .failure(CallError("NOT_FOUND: registry version v\(version) is not kept (the last \(Self.kept) versions are)"))
            }
            return .success(state)
        }
    }

    /// Every entry of `state` over `manifest`, described (manifest order, then run-time entries by ID).
    static func entries(_ state: State, over manifest: Manifest) -> [Payload] {
        var entries = manifest.sortedEntries.compactMap { entry -> Payload? in
            let id = entry.id.description
            return state.changed[id] == nil && !state.deleted.contains(id) ? AppRegistry.describe(entry) : nil
        }
        entries += state.changed.sorted { $0.key < $1.key }.map(\.value)
        return entries
    }

    /// The entry `id` in `state`, described.
    static func entry(_ id: String, in state: State, over manifest: Manifest) -> Payload? {
        if let changed = state.changed[id] { return changed }
        guard !state.deleted.contains(id), let entryID = EntryID(id), let entry = manifest[entryID] else { return nil }
        return AppRegistry.describe(entry)
    }

    /// Applies a change set (`{op = "create"|"update"|"delete", entry = {...} | id = "ns:name"}`
    /// each) to the current version; the new version's number, or why nothing changed.
    func apply(_ operations: [Payload], over manifest: Manifest) -> Result<Int, CallError> {
        states.withLock { states in
            var state = states[states.count - 1]
            for (index, operation) in operations.enumerated() {
                if let error = Self.apply(operation, to: &state, over: manifest) {
                    return .failure(CallError("\(error.message) (change \(index + 1) of \(operations.count); nothing was applied)"))
                }
            }
            guard state.changed.count <= Self.maximumChanged, state.bytes <= Self.maximumBytes else {
                return .failure(CallError("RATE_LIMITED: at most \(Self.maximumChanged) entries and \(Self.maximumBytes >> 20) MiB can be created or changed at run time; nothing was applied"))
            }
            return .success(Self.push(&state, onto: &states))
        }
    }

    /// Makes the state of a kept `version` current again, as a new version.
    func revert(to version: Int) -> Result<Int, CallError> {
        states.withLock { states in
            guard var state = states.first(where: { $0.version == version }) else {
                return .failure(CallError("NOT_FOUND: registry version v\(version) is not kept (the last \(Self.kept) versions are)"))
            }
            return .success(Self.push(&state, onto: &states))
        }
    }

    private static func push(_ state: inout State, onto states: inout [State]) -> Int {
        state.version = states[states.count - 1].version + 1
        states.append(state)
        if states.count > kept { states.removeFirst(states.count - kept) }
        return state.version
    }

    private static func apply(_ operation: Payload, to state: inout State, over manifest: Manifest) -> CallError? {
        guard let kind = operation["op"]?.stringValue else { return CallError("INVALID: a change has no op") }
        let given = operation["entry"]
        guard let id = given?["id"]?.stringValue ?? operation["id"]?.stringValue, let entryID = EntryID(id) else {
            return CallError("INVALID: a \(kind) needs an entry ID (namespace:name)")
        }
        let existing = entry(id, in: state, over: manifest)
        if let existing, existing["kind"]?.stringValue != EntryKind.registryEntry.rawValue {
            return CallError("PERMISSION_DENIED: \(id) is a \(existing["kind"]?.stringValue ?? "?"): only registry.entry entries change at run time")
        }
        switch kind {
        case "create", "update":
            guard let given, case .map = given else { return CallError("INVALID: \(kind) \(id) needs the entry as a table") }
            if kind == "create", existing != nil { return CallError("ALREADY_EXISTS: entry \(id) exists") }
            if kind == "update", existing == nil { return CallError("NOT_FOUND: no entry \(id)") }
            let entryKind = given["kind"]?.stringValue ?? EntryKind.registryEntry.rawValue
            guard entryKind == EntryKind.registryEntry.rawValue else {
                return CallError("INVALID: \(id): only registry.entry entries can be made at run time, not \(entryKind)")
            }
            state.bytes -= state.changed[id]?.estimatedSize ?? 0
            state.changed[id] = .object([
                ("id", .string(id)), ("namespace", .string(entryID.namespace)), ("name", .string(entryID.name)),
                ("kind", .string(entryKind)), ("meta", given["meta"] ?? .object([])), ("data", given["data"] ?? .object([])),
            ])
            state.bytes += state.changed[id]?.estimatedSize ?? 0
            state.deleted.remove(id)
        case "delete":
            guard existing != nil else { return CallError("NOT_FOUND: no entry \(id)") }
            state.bytes -= state.changed[id]?.estimatedSize ?? 0
            state.changed[id] = nil
            if manifest[entryID] != nil { state.deleted.insert(id) }
        default:
            return CallError("INVALID: unknown change \"\(kind)\" (create, update or delete)")
        }
        return nil
    }
}
