import CLua
import Foundation
import Testing
@testable import WippyLua

/// The typed dialect's front end: what it erases, what it keeps, and that lines and columns stay.
@Suite("Typed Lua")
struct TypedLuaTests {
    /// Typed sources, what the front end erases between `⟦` and `⟧`.
    static let cases: [String] = [
        "local x⟦: number⟧ = 1",
        "local a⟦: string?⟧, b⟦: {[string]: any}⟧ = f()",
        "local c <const>⟦: integer⟧ = 3",
        "local function add(a⟦: number⟧, b⟦: number⟧)⟦: number⟧ return a + b end",
        "function M.get(id⟦: string⟧)⟦: (User?, error?)⟧ end",
        "function obj:m⟦<T>⟧(x⟦: T⟧, ...⟦: any⟧)⟦: T⟧ end",
        "local f = function(x⟦: number⟧)⟦: number⟧ return x end",
        "local function ask(r⟦: {prompt: string?}⟧)⟦: string?, error?⟧\n    return nil, 'no'\nend",
        "⟦type Job = {id: integer, input: integer}⟧",
        "⟦export type Pair<A, B> = {first: A, second: B}⟧\nreturn 1",
        "⟦type Status = \"pending\" | \"active\" | \"done\"⟧",
        "⟦type Result<T, E> =\n    {ok: true, value: T}\n    | {ok: false, error: E}⟧\nlocal r = 1",
        "⟦type Fn = (number, string) -> boolean⟧",
        "⟦type M = Map<string, List<number>>⟧",
        "local u = data ⟦:: User⟧",
        "local u = data ⟦as User⟧",
        "local n = (user⟦!⟧).name",
        "for k⟦: string⟧, v⟦: number⟧ in pairs(t) do end",
        "local x⟦: number @min(0) @max(10)⟧ = 5",
        "local double⟦: (number) -> number⟧ = function(x) return x * 2 end",
        "local t⟦: {start: number, end: number}⟧ = {}",
        "local p⟦: typeof(x)⟧ = x",
        "if ok then end ⟦type T = number⟧",
        "goto done ::done::",
    ]

    /// The source without the marks, and what it becomes.
    static func split(_ marked: String) -> (typed: String, plain: String) {
        var typed = "", plain = "", erasing = false
        for character in marked {
            switch character {
            case "⟦": erasing = true
            case "⟧": erasing = false
            default:
                typed.append(character)
                plain += erasing && character != "\n" ? String(repeating: " ", count: character.utf8.count) : String(character)
            }
        }
        return (typed, plain)
    }

    @Test func typesAreErasedInPlace() {
        for marked in Self.cases {
            let (typed, plain) = Self.split(marked)
            #expect(TypedLua.erase(typed) == plain, "\(marked)")
        }
    }

    /// Plain Lua where the dialect's words and symbols appear as Lua: nothing changes.
    @Test(arguments: [
        "local type = type(x)\nif type == 'table' then end",
        "local x = type\ny = 1",
        "t.type = 'a'; t:type()",
        "as = 1; as.x = 2; as(3); local y = f(x)\nas = 4",
        "local s = 'a: number' .. \"x :: T\" .. [[type X = Y]] -- local x: number\n--[==[ x! ]==]",
        "::continue:: goto continue",
        "local a <const>, b <close> = 1, nil",
        "function f(...) return select('#', ...) end",
        "local t = { a = 1, [2] = 3; 'x' }; print(t.a < 2 and 1 > 0)",
        "return function(a, b) return a < b end",
        "for i = 1, 10 do end for k, v in pairs(t) do end",
        "local x = 0x1p-2 + 1e-3 + .5; local y = a//b",
        "f{a = 1}; f'str'; obj:method 'x'",
        "local s = 'a\\z\n   x! as T' .. \"b\\\r\nlocal y: T\"",
    ])
    func plainLuaIsUnchanged(_ source: String) {
        #expect(TypedLua.erase(source) == source)
    }

    /// A typed file compiles, and a runtime error in it names the line the user wrote.
    @Test func aTypedChunkRunsAndItsErrorsPointAtTheUsersLine() throws {
        let state = try #require(LuaState())
        let L = state.L
        let source = """
        type Point = {x: number, y: number}
        local function dist(p: Point, q: Point): number
            local dx: number, dy: number = p.x - q.x, p.y - q.y
            return math.sqrt(dx * dx + dy * dy)
        end
        local d = dist({x = 0, y = 0}, {x = 3, y = 4} :: Point)
        assert(d == 5)
        local broken: any = nil
        return broken!.field
        """
        #expect(LuaState.load(L, TypedLua.erase(source), chunkName: "=typed.lua") == nil)
        #expect(wippy_pcall(L, 0, 0) != LUA_OK)
        let message = LuaState.string(L, -1) ?? ""
        #expect(message.hasPrefix("typed.lua:9:"), "\(message)")
    }

    /// A syntax error in a typed file: the compiler's message names the user's line.
    @Test func syntaxErrorsKeepTheirLine() throws {
        let state = try #require(LuaState())
        let source = "type A = number\nlocal function f(x: A): A\n    return x +\nend"
        let error = LuaState.load(state.L, TypedLua.erase(source), chunkName: "=bad.lua")
        #expect(error?.hasPrefix("bad.lua:4:") == true, "\(error ?? "compiled")")
    }

    /// Random bytes and random mixes of Lua and type syntax: the front end ends, keeps the
    /// length and the line breaks, and leaves plain tokens alone.
    @Test func neverCrashesHangsOrMovesALine() {
        let pieces = ["local ", "function ", "f", "(", ")", ": ", "number", "?", "|", "<", ">", ">>", "{", "}", "[", "]", "=", ",",
                      "type ", "export ", "as ", "::", "!", "->", "...", "\"s\"", "'t'", "[[l]]", "--c\n", "--[[c]]", "\n", " ",
                      "end ", "return ", "x", "1", ".", ";", "@min(0)", "typeof(", "for ", "in ", "do "]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20_000 {
            let source: String
            if round % 4 == 0 {
                source = String(decoding: (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                                as: UTF8.self)
            } else {
                source = (0..<Int.random(in: 0...30, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            }
            let erased = TypedLua.erase(source)
            #expect(erased.utf8.count == source.utf8.count)
            #expect(zip(erased.utf8, source.utf8).allSatisfy { $0 == $1 || $0 == 0x20 })
            #expect(erased.utf8.filter { $0 == 0x0A }.count == source.utf8.filter { $0 == 0x0A }.count)
        }
    }
}
