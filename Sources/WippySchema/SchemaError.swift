/// One step into a document: an object key or an array index.
public enum PathComponent: Hashable, Sendable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case let .key(k): return k
        case let .index(i): return "[\(i)]"
        }
    }
}

/// A place where a document breaks its schema.
public struct SchemaError: Sendable, Equatable, CustomStringConvertible {
    /// Where in the document: the keys and indexes from the root to the offending value.
    public var path: [PathComponent]
    /// Where in the source file.
    public var mark: SourceMark
    /// What is wrong, for a person: `unknown field "sourc"; did you mean "source"?`.
    public var message: String
    /// The schema keyword that failed (`required`, `type`, …).
    public var keyword: String

    public init(path: [PathComponent], mark: SourceMark, message: String, keyword: String) {
        self.path = path
        self.mark = mark
        self.message = message
        self.keyword = keyword
    }

    public var description: String {
        let where_ = path.isEmpty ? "(root)" : Self.dotted(path)
        return "\(where_): \(message)"
    }

    /// `lifecycle.restart.max_delay`, `modules[2]`.
    public static func dotted<C: Collection>(_ path: C) -> String where C.Element == PathComponent {
        var text = ""
        for component in path {
            switch component {
            case let .key(k): text += text.isEmpty ? k : "." + k
            case let .index(i): text += "[\(i)]"
            }
        }
        return text
    }
}
