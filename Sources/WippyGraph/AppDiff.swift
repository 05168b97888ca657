import WippyManifest

/// What changed between two versions of an app: entries added, removed and changed, compared by
/// ID and by content (what is written, its meta, and the text of a Lua entry's source file).
public struct AppDiff: Sendable, Equatable {
    public var added: Set<EntryID> = []
    public var removed: Set<EntryID> = []
    public var changed: Set<EntryID> = []
    /// Lua entries (`function.lua`, `process.lua`, `library.lua`) whose own code changed or that
    /// import a library that did, directly or through other libraries.
    public var codeChanged: Set<EntryID> = []

    public init(from old: Manifest, to new: Manifest) {
        for entry in new.entries.values {
            guard let before = old[entry.id] else {
                added.insert(entry.id)
                continue
            }
            if !entry.hasSameContent(as: before) { changed.insert(entry.id) }
        }
        removed = Set(old.entries.keys.filter { new[$0] == nil })

        // A Lua entry's code is its own source plus every library it imports, transitively.
        codeChanged = changed.filter { new[$0]?.program != nil }
        var grew = true
        while grew {
            grew = false
            for entry in new.entries.values where !codeChanged.contains(entry.id) {
                guard let program = entry.program else { continue }
                if program.imports.contains(where: { codeChanged.contains($0.library.target) }) {
                    codeChanged.insert(entry.id)
                    grew = true
                }
            }
        }
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// `2 added (a:x, a:y), 1 changed (a:z)`, or `nothing changed`.
    public var summary: String {
        let parts = [("added", added), ("removed", removed), ("changed", changed)].compactMap { name, ids -> String? in
            ids.isEmpty ? nil : "\(ids.count) \(name) (\(ids.sorted().map(\.description).joined(separator: ", ")))"
        }
        return parts.isEmpty ? "nothing changed" : parts.joined(separator: ", ")
    }
}

extension Entry {
    /// The Lua code of `function.lua`, `process.lua` and `library.lua` entries.
    public var program: LuaProgram? {
        switch body {
        case let .processLua(program), let .libraryLua(program), let .functionLua(program, _, _): return program
        default: return nil
        }
    }

    /// Same kind, same fields as written, same meta, same Lua source text; where it is written
    /// (file, line) does not matter.
    public func hasSameContent(as other: Entry) -> Bool {
        kind == other.kind && node == other.node && meta == other.meta && program?.source == other.program?.source
    }
}
