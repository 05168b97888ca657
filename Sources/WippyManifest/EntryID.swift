/// An entry's identity, `namespace:name` (e.g. `app.websocket.myapp:ws_hub.service`).
public struct EntryID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// Parses a reference. A text without a colon names an entry of `namespace` (relative reference);
    /// otherwise it splits on the first colon.
    public init(reference: String, in namespace: String) {
        if let colon = reference.firstIndex(of: ":") {
            self.init(namespace: String(reference[..<colon]), name: String(reference[reference.index(after: colon)...]))
        } else {
            self.init(namespace: namespace, name: reference)
        }
    }

    /// Parses a full ID (`ns:name`); nil when there is no colon or a side is empty.
    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let namespace = String(text[..<colon]), name = String(text[text.index(after: colon)...])
        guard !namespace.isEmpty, !name.isEmpty else { return nil }
        self.init(namespace: namespace, name: name)
    }

    public var description: String { "\(namespace):\(name)" }

    public static func < (lhs: EntryID, rhs: EntryID) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}
