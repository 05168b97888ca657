/// One problem with an app, in compiler style: `apps/chat/_index.yaml:12:7: error: message`.
public struct Diagnostic: Sendable, Hashable, Comparable {
    public var location: SourceLocation
    public var message: String
    /// Other places the message refers to, e.g. the first definition of a duplicate ID.
    public var related: [Related]

    /// A second place a diagnostic points at, with a few words on what is there.
    public struct Related: Sendable, Hashable {
        public var label: String
        public var location: SourceLocation
        public init(_ label: String, _ location: SourceLocation) {
            self.label = label
            self.location = location
        }
    }

    public init(_ location: SourceLocation, _ message: String, related: [Related] = []) {
        self.location = location
        self.message = message
        self.related = related
    }

    /// `path:LINE:COL: error: message (label path:LINE:COL)`, paths relative to `directory`.
    public func formatted(relativeTo directory: String?) -> String {
        var text = "\(location.formatted(relativeTo: directory)): error: \(message)"
        for note in related {
            text += " (\(note.label) \(note.location.formatted(relativeTo: directory)))"
        }
        return text
    }

    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.location, lhs.message) < (rhs.location, rhs.message)
    }
}

