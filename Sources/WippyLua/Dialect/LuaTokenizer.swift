/// Lua source as tokens, with their byte ranges: names, numbers, strings (short and long),
/// symbols. Comments and white space are skipped. It follows Lua 5.4's lexer closely enough that
/// the tokens of valid Lua are Lua's tokens; it never fails: a malformed piece (an unfinished
/// string, a stray byte) becomes a token of its own and scanning goes on.
struct LuaTokenizer {
    enum Kind: Equatable {
        case name
        case number
        case string
        /// Punctuation and operators, Lua's and the type syntax's (`->`, `?`, `!`, `@`).
        case symbol
    }

    struct Token {
        let kind: Kind
        /// Byte offsets in the source: `start..<end`.
        let start: Int
        let end: Int
    }

    /// Symbols of more than one byte, longest first.
    private static let multiByte: [[UInt8]] = ["...", "..", "==", "~=", "<=", ">=", "<<", ">>", "//", "::", "->"].map { Array($0.utf8) }

    static func tokens(of source: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        let n = source.count
        func at(_ index: Int) -> UInt8 { index < n ? source[index] : 0 }
        func isNameStart(_ c: UInt8) -> Bool { c == UInt8(ascii: "_") || (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        /// The level of a long bracket opening at `index` (`[[` 0, `[=[` 1, …), or nil.
        func longBracket(at index: Int) -> Int? {
            guard at(index) == UInt8(ascii: "[") else { return nil }
            var level = 0
            while at(index + 1 + level) == UInt8(ascii: "=") { level += 1 }
            return at(index + 1 + level) == UInt8(ascii: "[") ? level : nil
        }
        /// The end of a long bracket of `level` whose body starts at `index` (past its closing).
        func longBracketEnd(from index: Int, level: Int) -> Int {
            var j = index
            while j < n {
                if source[j] == UInt8(ascii: "]") {
                    var k = 0
                    while k < level, at(j + 1 + k) == UInt8(ascii: "=") { k += 1 }
                    if k == level, at(j + 1 + level) == UInt8(ascii: "]") { return j + level + 2 }
                }
                j += 1
            }
            return n
        }
        while i < n {
            let c = source[i]
            switch c {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
                i += 1
            case UInt8(ascii: "-") where at(i + 1) == UInt8(ascii: "-"):
                if let level = longBracket(at: i + 2) {
                    i = longBracketEnd(from: i + 4 + level, level: level)
                } else {
                    while i < n, source[i] != 0x0A { i += 1 }
                }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let start = i
                i += 1
                while i < n, source[i] != c, source[i] != 0x0A, source[i] != 0x0D {
                    guard source[i] == UInt8(ascii: "\\") else {
                        i += 1
                        continue
                    }
                    i += 1
                    switch at(i) {
                    case UInt8(ascii: "z"):  // skips the white space after it, line breaks too
                        i += 1
                        while i < n, [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(source[i]) { i += 1 }
                    case 0x0A, 0x0D:  // an escaped line break: \n, \r, \r\n or \n\r
                        let first = source[i]
                        i += 1
                        if i < n, (source[i] == 0x0A || source[i] == 0x0D), source[i] != first { i += 1 }
                    default:
                        i += 1
                    }
                }
                i = min(i + 1, n)
                tokens.append(Token(kind: .string, start: start, end: i))
            case UInt8(ascii: "["):
                if let level = longBracket(at: i) {
                    let start = i
                    i = longBracketEnd(from: i + 2 + level, level: level)
                    tokens.append(Token(kind: .string, start: start, end: i))
                } else {
                    tokens.append(Token(kind: .symbol, start: i, end: i + 1))
                    i += 1
                }
            default:
                let start = i
                if isNameStart(c) || c >= 0x80 {
                    while i < n, isNameStart(source[i]) || isDigit(source[i]) || source[i] >= 0x80 { i += 1 }
                    tokens.append(Token(kind: .name, start: start, end: i))
                } else if isDigit(c) || (c == UInt8(ascii: ".") && isDigit(at(i + 1))) {
                    // Lua's rule: digits, letters, dots, and a sign right after an exponent mark.
                    let hex = c == UInt8(ascii: "0") && (at(i + 1) | 0x20) == UInt8(ascii: "x")
                    i += 1
                    while i < n {
                        let d = source[i]
                        if isDigit(d) || isNameStart(d) || d == UInt8(ascii: ".") {
                            i += 1
                        } else if (d == UInt8(ascii: "+") || d == UInt8(ascii: "-")),
                                  (source[i - 1] | 0x20) == (hex ? UInt8(ascii: "p") : UInt8(ascii: "e")) {
                            i += 1
                        } else {
                            break
                        }
                    }
                    tokens.append(Token(kind: .number, start: start, end: i))
                } else {
                    let length = multiByte.first { symbol in
                        symbol.indices.allSatisfy { at(i + $0) == symbol[$0] }
                    }?.count ?? 1
                    i += length
                    tokens.append(Token(kind: .symbol, start: start, end: i))
                }
            }
        }
        return tokens
    }
}
