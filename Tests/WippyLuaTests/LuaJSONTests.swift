import CLua
import Testing
import WippyProcess
@_spi(Benchmarks) @testable import WippyLua

/// `json.encode` writes JSON straight from Lua values; it must give exactly the text (or the
/// error) that reading the value into a payload and writing that payload gives.
@Suite("Lua values as JSON")
struct LuaJSONTests {
    /// Builds values in Lua (a seeded generator of nested tables, strings with escapes and
    /// invalid UTF-8, integers and floats at their extremes, mixed keys), then compares both
    /// ways of writing each.
    static let generator = """
    local seed = ...
    local function rand(n) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n end
    local strings = { "", "a", "é", "\\"q\\"", "back\\\\slash", "line\\nbreak", "\\t\\r\\1\\31", "\\255\\254", "x\\0y",
                      "1", "10", "true", "zé", "Z", "_", "€uro", "\\xF0\\x9F\\x98\\x80" }
    local numbers = { 0, 1, -1, 42, math.maxinteger, math.mininteger, 0.5, -0.0, 1e300, 1e15, 1e14, 2^53, 0.1,
                      1/0, -1/0, 0/0, 3.0, -7.25 }
    local function value(depth)
      local kind = rand(depth > 3 and 4 or 7)
      if kind == 0 then return strings[rand(#strings) + 1]
      elseif kind == 1 then return numbers[rand(#numbers) + 1]
      elseif kind == 2 then return rand(2) == 0
      elseif kind == 3 then return nil
      elseif kind == 4 then  -- an array, maybe with a hole
        local t = {}
        for i = 1, rand(5) do t[i] = value(depth + 1) end
        if rand(4) == 0 then t[rand(6) + 1] = nil end
        return t
      else  -- a table with mixed keys
        local t = {}
        for _ = 1, rand(6) do
          local k = rand(5)
          local key = k == 0 and strings[rand(#strings) + 1] or k == 1 and numbers[rand(#numbers) + 1]
                      or k == 2 and (rand(2) == 0) or k == 3 and rand(4) + 1 or ("k" .. rand(100))
          if key == key then t[key] = value(depth + 1) end  -- NaN cannot be a key
        end
        return t
      end
    end
    local out = {}
    for i = 1, 500 do out[i] = value(0) end
    return out
    """

    static func withState(_ body: (OpaquePointer) throws -> Void) throws {
        let state = try #require(LuaState())
        try body(state.L)
    }

    /// Both ways of writing the value on top of the stack: text, or the error message.
    static func both(_ L: OpaquePointer) -> (direct: String, viaPayload: String) {
        let direct: String, viaPayload: String
        do { direct = String(decoding: try LuaBridge.json(at: -1, L, limit: 1 << 20), as: UTF8.self) } catch {
            direct = "error: \(error)"
        }
        do { viaPayload = try LuaBridge.payload(at: -1, L, limit: 1 << 20).json } catch {
            viaPayload = "error: \(error)"
        }
        return (direct, viaPayload)
    }

    @Test(arguments: [1, 7, 1234, 99_991])
    func writesWhatThePayloadWouldWrite(seed: Int) throws {
        try Self.withState { L in
            #expect(LuaState.load(L, Self.generator, chunkName: "=generator") == nil)
            lua_pushinteger(L, lua_Integer(seed))
            try #require(wippy_pcall(L, 1, 1) == LUA_OK, "\(LuaState.string(L, -1) ?? "")")
            var compared = 0
            for index in 1...500 {
                _ = lua_rawgeti(L, -1, lua_Integer(index))
                let (direct, viaPayload) = Self.both(L)
                #expect(direct == viaPayload, "value \(index) of seed \(seed)")
                wippy_pop(L, 1)
                compared += 1
            }
            #expect(compared == 500)
        }
    }

    @Test(arguments: [
        "return { f = function() end }",                       // a function value
        "local t = {}; t.self = t; return t",                  // a cycle
        "local t = {}; for i = 1, 300 do t = { t } end; return t",  // too deep
        "return { [{}] = 1 }",                                 // a table as a key
        "return { a = string.rep('x', 2 * 1024 * 1024) }",     // over the limit
        "return { ['\\255'] = 'raw key', [1] = 2 }",           // a key that is not UTF-8
        // Keys that read alike once repaired: one stands for both, the other's value still counts.
        "return { ['\\255'] = string.rep('x', 2 * 1024 * 1024), ['\\254'] = 1 }",
        "return { ['\\255'] = 1, ['\\254'] = string.rep('x', 2 * 1024 * 1024) }",
        "return { ['\\255'] = function() end, ['\\254'] = 1 }",
        "return { ['\\255'] = 'a', ['\\254'] = 'b', ['\\253'] = 'c' }",
        "return {}", "return { [1] = 'a', [3] = 'c' }", "return { [0] = 'zero' }", "return { [1.5] = 'x' }",
    ])
    func edgeCasesMatchToo(source: String) throws {
        try Self.withState { L in
            #expect(LuaState.load(L, source, chunkName: "=case") == nil)
            try #require(wippy_pcall(L, 0, 1) == LUA_OK, "\(LuaState.string(L, -1) ?? "")")
            let (direct, viaPayload) = Self.both(L)
            #expect(direct == viaPayload, "\(source)")
        }
    }
}
