/// A loaded app: every entry by ID, the built-in `system` ones included.
public struct Manifest: Sendable {
    /// The app folder (absolute).
    public var root: String
    public private(set) var entries: [EntryID: Entry] = [:]
    /// IDs of entries that were declared but are invalid; references to them are not reported again.
    public var invalidIDs: Set<EntryID> = []

    public init(root: String) {
        self.root = root
    }

    public subscript(id: EntryID) -> Entry? { entries[id] }

    /// Adds or replaces an entry.
    public mutating func insert(_ entry: Entry) {
        entries[entry.id] = entry
    }

    /// All entries in ID order.
    public var sortedEntries: [Entry] { entries.values.sorted { $0.id < $1.id } }

    /// Entries written in the app's files (not the built-ins).
    public var userEntries: [Entry] { sortedEntries.filter { !$0.location.isBuiltIn } }

    /// Namespaces the app's files declare.
    public var namespaces: Set<String> { Set(userEntries.map(\.id.namespace)) }
}
