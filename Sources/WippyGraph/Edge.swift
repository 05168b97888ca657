import WippyManifest

/// A dependency: `from` needs `to` (through the field `reference.field`).
public struct Edge: Hashable, Sendable {
    public var from: EntryID
    public var to: EntryID
    public var reference: Reference

    public init(from: EntryID, to: EntryID, reference: Reference) {
        self.from = from
        self.to = to
        self.reference = reference
    }
}
