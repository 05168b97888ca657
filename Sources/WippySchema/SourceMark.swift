/// A position in a source file: 1-based line and column (columns count Unicode scalars).
public struct SourceMark: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The mark of values that do not come from a file (built-ins, JSON test data).
    public static let none = SourceMark(line: 0, column: 0)

    public var description: String { "\(line):\(column)" }

    public static func < (lhs: SourceMark, rhs: SourceMark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}
