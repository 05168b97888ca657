/// Lua code of a `process.lua`, `function.lua` or `library.lua` entry.
public struct LuaProgram: Sendable, Equatable {
    /// The code itself.
    public var source: String
    /// The file it was read from (`file://`), absolute; nil for code written inline.
    public var sourceFile: String?
    /// The function to call in the table the chunk returns; nil for libraries.
    public var method: String?
    /// Built-in modules `require()` may load.
    public var modules: [String]
    /// Libraries `require(alias)` may load.
    public var imports: [Import]

    /// One `alias: ns:library` line of `imports:`.
    public struct Import: Sendable, Equatable {
        public var alias: String
        public var library: Reference
    }

    public init(source: String, sourceFile: String?, method: String?, modules: [String], imports: [Import]) {
        self.source = source
        self.sourceFile = sourceFile
        self.method = method
        self.modules = modules
        self.imports = imports
    }
}
