/// Wippy's typed Lua → Lua 5.4: type annotations of locals, `for` variables, parameters,
/// varargs and returns, generic parameters, `type` / `export type` aliases, casts (`x :: T`,
/// `x as T`) and the non-nil assertion (`x!`) are blanked out with spaces, so every line and
/// column of the rest stays where the user wrote it (errors and tracebacks point at their
/// source). Types are parsed with their grammar (unions `|`, intersections `&`, optionals `?`,
/// literal types, tables `{T}` / `{[K]: V}` / `{name: T, age?: T}`, function types `(A) -> R`,
/// generics `T<U>`, `typeof(…)`, validators `@min(0)`). A construct that does not parse is left
/// as it is, for the compiler to report. Untyped Lua comes back unchanged.
public enum TypedLua {
    public static func erase(_ source: String) -> String {
        let bytes = Array(source.utf8)
        var eraser = Eraser(source: bytes, tokens: LuaTokenizer.tokens(of: bytes))
        eraser.run()
        guard !eraser.blanks.isEmpty else { return source }
        // Whole tokens (and what lies between them) go, so a multi-byte character goes whole.
        var out = bytes
        for range in eraser.blanks {
            for index in range where out[index] != 0x0A && out[index] != 0x0D { out[index] = 0x20 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One pass over the tokens, noting the byte ranges to blank.
private struct Eraser {
    typealias Token = LuaTokenizer.Token
    let source: [UInt8]
    let tokens: [Token]
    var blanks: [Range<Int>] = []
    var i = 0

    static let keywords: Set<String> = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
                                        "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]

    func text(_ index: Int) -> Substring {
        guard index < tokens.count else { return "" }
        return Substring(decoding: source[tokens[index].start..<tokens[index].end], as: UTF8.self)
    }

    func isSymbol(_ index: Int, _ symbol: String) -> Bool {
        index < tokens.count && tokens[index].kind == .symbol && text(index) == symbol
    }

    /// A name that is no keyword.
    func isName(_ index: Int) -> Bool {
        index < tokens.count && tokens[index].kind == .name && !Self.keywords.contains(String(text(index)))
    }

    func isKeyword(_ index: Int, _ word: String) -> Bool {
        index < tokens.count && tokens[index].kind == .name && text(index) == word
    }

    /// Whether the token at `index` can end an expression (so what follows it starts a new
    /// statement, or continues the expression with an operator).
    func endsExpression(_ index: Int) -> Bool {
        guard index >= 0, index < tokens.count else { return false }
        switch tokens[index].kind {
        case .number, .string: return true
        case .name: return isName(index) || ["nil", "true", "false", "end"].contains(String(text(index)))
        case .symbol: return [")", "]", "}", "..."].contains(String(text(index)))
        }
    }

    /// Blanks tokens `from..<to`.
    mutating func blank(_ from: Int, _ to: Int) {
        guard from < to, to <= tokens.count else { return }
        blanks.append(tokens[from].start..<tokens[to - 1].end)
    }

    mutating func run() {
        while i < tokens.count {
            let token = tokens[i]
            if token.kind == .symbol {
                switch text(i) {
                case "!":
                    blank(i, i + 1)
                    i += 1
                case "::":
                    if isName(i + 1), isSymbol(i + 2, "::") {
                        i += 3  // a label
                    } else if endsExpression(i - 1) {
                        cast()
                    } else {
                        i += 1
                    }
                default:
                    i += 1
                }
                continue
            }
            guard token.kind == .name else {
                i += 1
                continue
            }
            switch text(i) {
            case "function": function()
            case "local": locals(after: i + 1)
            case "for": locals(after: i + 1)
            case "type" where startsStatement(i) && isName(i + 1) && (isSymbol(i + 2, "=") || isSymbol(i + 2, "<")):
                alias(from: i, nameAt: i + 1)
            case "export" where startsStatement(i) && isKeyword(i + 1, "type") && isName(i + 2):
                alias(from: i, nameAt: i + 2)
            case "as" where endsExpression(i - 1) && (isName(i + 1) || ["nil", "true", "false"].contains(String(text(i + 1)))):
                cast()
            default:
                i += 1
            }
        }
    }

    /// A cast (`::` or `as` at `i`, then a type) goes; if no type follows, both stay.
    mutating func cast() {
        guard let end = typeEnd(from: i + 1) else {
            i += 1
            return
        }
        blank(i, end)
        i = end
    }

    /// Whether a statement may start at `index`: the previous token cannot continue an
    /// expression into it (`x = type` ends with `type`; `end type T = …` starts an alias).
    func startsStatement(_ index: Int) -> Bool {
        let previous = index - 1
        guard previous >= 0 else { return true }
        if endsExpression(previous) { return true }
        if tokens[previous].kind == .symbol { return text(previous) == ";" || text(previous) == "::" }
        return ["do", "then", "else", "repeat", "break"].contains(String(text(previous))) || isKeyword(previous, "end")
    }

    /// `type Name<T> = T`: the whole statement goes.
    mutating func alias(from start: Int, nameAt name: Int) {
        var j = name + 1
        if isSymbol(j, "<") {
            guard let end = genericParametersEnd(from: j) else { i = name + 1; return }
            j = end
        }
        guard isSymbol(j, "="), let end = typeEnd(from: j + 1) else { i = name + 1; return }
        blank(start, end)
        i = end
    }

    /// `local a: T <const>, b: U = …` and `for k: K, v: V in …`.
    mutating func locals(after start: Int) {
        var j = start
        if isKeyword(j, "function") {
            i = j
            return
        }
        while isName(j) {
            j += 1
            if isSymbol(j, "<"), isName(j + 1), isSymbol(j + 2, ">") { j += 3 }  // <const>, <close>
            if isSymbol(j, ":") {
                guard let end = typeEnd(from: j + 1) else { break }
                blank(j, end)
                j = end
            }
            if isSymbol(j, "<"), isName(j + 1), isSymbol(j + 2, ">") { j += 3 }
            guard isSymbol(j, ",") else { break }
            j += 1
        }
        i = max(j, start)
    }

    /// `function name.path:method<T>(a: A, ...: V): R` (or anonymous): generics, parameter
    /// types and the return type go.
    mutating func function() {
        var j = i + 1
        if isName(j) {
            j += 1
            while isSymbol(j, ".") || isSymbol(j, ":"), isName(j + 1) { j += 2 }
        }
        if isSymbol(j, "<") {
            guard let end = genericParametersEnd(from: j) else { i = j; return }
            blank(j, end)
            j = end
        }
        guard isSymbol(j, "(") else { i = j; return }
        j += 1
        while !isSymbol(j, ")") {
            guard isName(j) || isSymbol(j, "...") else { i = j; return }
            j += 1
            if isSymbol(j, ":") {
                guard let end = typeEnd(from: j + 1) else { i = j; return }
                blank(j, end)
                j = end
            }
            if isSymbol(j, ",") { j += 1 } else if !isSymbol(j, ")") { i = j; return }
        }
        j += 1
        // The return type; several may be listed bare (`: string?, error?`), as a body cannot
        // start with a comma.
        if isSymbol(j, ":"), var end = typeEnd(from: j + 1) {
            while isSymbol(end, ","), let next = typeEnd(from: end + 1) { end = next }
            blank(j, end)
            j = end
        }
        i = j
    }

    // MARK: - The type grammar (each returns the index past what it read, or nil)

    /// `<T, U: Bound = Default>` of a definition.
    func genericParametersEnd(from start: Int) -> Int? {
        var j = start + 1
        while true {
            guard isName(j) || isSymbol(j, "...") else { return nil }
            j += 1
            if isSymbol(j, "...") { j += 1 }  // a pack: T...
            if isSymbol(j, ":") { guard let end = typeEnd(from: j + 1) else { return nil }; j = end }
            if isSymbol(j, "=") { guard let end = typeEnd(from: j + 1) else { return nil }; j = end }
            if isSymbol(j, ",") { j += 1; continue }
            return isSymbol(j, ">") ? j + 1 : nil
        }
    }

    /// A type: optionals joined by `|` or `&` (a leading `|` allowed).
    func typeEnd(from start: Int) -> Int? {
        var j = start
        if isSymbol(j, "|") || isSymbol(j, "&") { j += 1 }
        guard var end = optionalTypeEnd(from: j) else { return nil }
        while isSymbol(end, "|") || isSymbol(end, "&") {
            guard let next = optionalTypeEnd(from: end + 1) else { return nil }
            end = next
        }
        return end
    }

    /// A primary type, then `?`s and validators (`@min(0)`).
    func optionalTypeEnd(from start: Int) -> Int? {
        guard var j = primaryTypeEnd(from: start) else { return nil }
        while true {
            if isSymbol(j, "?") {
                j += 1
            } else if isSymbol(j, "@"), isName(j + 1) || j + 1 < tokens.count && tokens[j + 1].kind == .name {
                j += 2
                if isSymbol(j, "(") { guard let end = balancedEnd(from: j) else { return nil }; j = end }
            } else {
                return j
            }
        }
    }

    func primaryTypeEnd(from start: Int) -> Int? {
        guard start < tokens.count else { return nil }
        let token = tokens[start]
        switch token.kind {
        case .string, .number: return start + 1
        case .name:
            let word = String(text(start))
            if ["nil", "true", "false", "function"].contains(word) { return start + 1 }
            guard isName(start) else { return nil }
            if word == "typeof", isSymbol(start + 1, "(") { return balancedEnd(from: start + 1) }
            var j = start + 1
            while isSymbol(j, "."), isName(j + 1) { j += 2 }
            if isSymbol(j, "<") { return typeArgumentsEnd(from: j) }
            return j
        case .symbol:
            switch text(start) {
            case "-": return start + 1 < tokens.count && tokens[start + 1].kind == .number ? start + 2 : nil
            case "...": return optionalTypeEnd(from: start + 1) ?? start + 1
            case "{": return tableTypeEnd(from: start)
            case "(": return parenthesizedTypeEnd(from: start)
            default: return nil
            }
        }
    }

    /// `<A, B>` after a type's name; `>>` closes two lists at once.
    func typeArgumentsEnd(from start: Int) -> Int? {
        var depth = 0, j = start
        // The arguments are types; nested lists only count brackets, which is all erasing needs.
        while j < tokens.count {
            if isSymbol(j, "<") { depth += 1 } else if isSymbol(j, ">") { depth -= 1 } else if isSymbol(j, ">>") { depth -= 2 }
            else if tokens[j].kind == .name && Self.keywords.contains(String(text(j))) && !["nil", "true", "false", "function"].contains(String(text(j))) {
                return nil
            } else if isSymbol(j, "=") || isSymbol(j, ";") {
                return nil
            }
            j += 1
            if depth == 0 { return j }
            if depth < 0 { return nil }
        }
        return nil
    }

    /// `{T}`, `{[K]: V}`, `{name: T, age?: T, [K]: V}`.
    func tableTypeEnd(from start: Int) -> Int? {
        var j = start + 1
        while !isSymbol(j, "}") {
            if isSymbol(j, "[") {
                guard let key = typeEnd(from: j + 1), isSymbol(key, "]"), isSymbol(key + 1, ":"),
                      let value = typeEnd(from: key + 2) else { return nil }
                j = value
            } else if j + 1 < tokens.count, tokens[j].kind == .name, isSymbol(j + 1, ":") || (isSymbol(j + 1, "?") && isSymbol(j + 2, ":")) {
                let colon = isSymbol(j + 1, ":") ? j + 1 : j + 2
                guard let value = typeEnd(from: colon + 1) else { return nil }
                j = value
            } else {
                guard let element = typeEnd(from: j) else { return nil }
                j = element
            }
            if isSymbol(j, ",") || isSymbol(j, ";") { j += 1 } else if !isSymbol(j, "}") { return nil }
        }
        return j + 1
    }

    /// `(T)`, a tuple `(A, B?)`, or a function type `(a: A, ...B) -> R`.
    func parenthesizedTypeEnd(from start: Int) -> Int? {
        var j = start + 1
        while !isSymbol(j, ")") {
            if isName(j), isSymbol(j + 1, ":") { j += 2 }  // a named parameter
            guard let end = typeEnd(from: j) else { return nil }
            j = end
            if isSymbol(j, ",") { j += 1 } else if !isSymbol(j, ")") { return nil }
        }
        j += 1
        if isSymbol(j, "->") { return typeEnd(from: j + 1) }
        return j
    }

    /// Past the bracket that closes the one at `start` (`(`, `[` or `{`).
    func balancedEnd(from start: Int) -> Int? {
        var depth = 0, j = start
        while j < tokens.count {
            if tokens[j].kind == .symbol {
                switch text(j) {
                case "(", "[", "{": depth += 1
                case ")", "]", "}": depth -= 1
                default: break
                }
            }
            j += 1
            if depth == 0 { return j }
        }
        return nil
    }
}
