import WippySchema

/// A file and a line:column in it. Built-in entries have the file `<built-in>`.
public struct SourceLocation: Hashable, Sendable, Comparable {
    /// Absolute path of the file.
    public var file: String
    public var mark: SourceMark

    public init(file: String, mark: SourceMark) {
        self.file = file
        self.mark = mark
    }

    public static let builtIn = SourceLocation(file: "<built-in>", mark: .none)

    public var isBuiltIn: Bool { file == Self.builtIn.file }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.mark) < (rhs.file, rhs.mark)
    }

    /// `path:LINE:COL` with the path shown relative to `directory` when it lies below it.
    public func formatted(relativeTo directory: String?) -> String {
        var path = file
        if let directory {
            let base = directory.hasSuffix("/") ? directory : directory + "/"
            if path.hasPrefix(base) { path.removeFirst(base.count) }
        }
        return mark.line > 0 ? "\(path):\(mark.line):\(mark.column)" : path
    }
}
