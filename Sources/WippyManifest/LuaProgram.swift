/// Lua code of a `process.lua`, `function.lua` or `library.lua` entry.
///
/// A reference: every process of the entry keeps its program, and one pointer costs each of
/// thousands of processes less than a copy of these fields.
public final class LuaProgram: Sendable, Equatable {
    /// The code itself.
    public let source: String
    /// The file it was read from (`file://`), absolute; nil for code written inline.
    public let sourceFile: String?
    /// The function to call in the table the chunk returns; nil for libraries.
    public let method: String?
    /// Built-in modules `require()` may load.
    public let modules: [String]
    /// Libraries `require(alias)` may load.
    public let imports: [Import]
    /// The compiled form of `source`, filled by the first process that loads it. Not part of the
    /// program's identity.
    public let compiled = CompiledCode()

    /// One `alias: ns:library` line of `imports:`.
    public struct Import: Sendable, Equatable {
        public var alias: String
        public var library: Reference
    }

    public static func == (lhs: LuaProgram, rhs: LuaProgram) -> Bool {
        lhs.source == rhs.source && lhs.sourceFile == rhs.sourceFile && lhs.method == rhs.method
            && lhs.modules == rhs.modules && lhs.imports == rhs.imports
    }

    /// Same code, method, modules and imported libraries; where the entry is written (and so the
    /// location of its `imports:` lines) does not matter.
    public func hasSameCode(as other: LuaProgram) -> Bool {
        source == other.source && sourceFile == other.sourceFile && method == other.method && modules == other.modules
            && imports.map(\.alias) == other.imports.map(\.alias)
            && imports.map(\.library.target) == other.imports.map(\.library.target)
    }

    public init(source: String, sourceFile: String?, method: String?, modules: [String], imports: [Import]) {
        self.source = source
        self.sourceFile = sourceFile
        self.method = method
        self.modules = modules
        self.imports = imports
    }
}
