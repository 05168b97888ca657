/*
 * Differential test of the step-bounded patterns (Sources/CWippyPatterns) against the stock Lua
 * 5.4 string library, in one Lua state: string.find/match/gmatch/gsub stay stock, the bounded
 * ones live in a table of their own. Every case runs both and compares everything observable: the
 * returned values (types included) or the error message.
 *
 *   1. a hand-written corpus of Lua call expressions covering every pattern feature;
 *   2. random short patterns and subjects over a small alphabet (seeded, so deterministic);
 *   3. checks of the bounded version alone: pathological patterns fail fast, deep patterns fail
 *      cleanly on a small C stack, and the limit API works.
 *
 * Random cases run under a modest step limit; a case whose bounded run exceeds it is skipped
 * rather than compared (it is one the stock library might take long over).
 * Prints "N passed, M failed" and exits non-zero on any failure. Built and run by run.sh.
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wippy_patterns.h"

#define RANDOM_PAIRS 250000
#define RANDOM_STEP_LIMIT 100000
#define MISMATCHES_SHOWN 25

static int passed, failed, skipped;

/*
 * The Lua side. `api(lib)` wraps one implementation so that both are called the same way: each
 * wrapper calls the library function through an upvalue of the same name (so argument errors
 * read "bad argument #1 to 'find'" for both) and packs all results; gmatch is drained into a
 * list. `outcome(f, ...)` runs a wrapper and describes what happened as one string.
 */
static const char harness[] =
    "local stock, bounded = ...\n"
    "local pack, concat, fmt = table.pack, table.concat, string.format\n"
    "local function api(lib)\n"
    "  local find, match, gmatch, gsub = lib.find, lib.match, lib.gmatch, lib.gsub\n"
    "  local env = {\n"
    "    find = function(...) return pack(find(...)) end,\n"
    "    match = function(...) return pack(match(...)) end,\n"
    "    gsub = function(...) return pack(gsub(...)) end,\n"
    "    gmatch = function(...)\n"
    "      local it = gmatch(...)\n"
    "      local out = {n = 0}\n"
    "      while out.n < 100 do\n"
    "        local r = pack(it())\n"
    "        if r.n == 0 then break end\n"
    "        out.n = out.n + 1; out[out.n] = r\n"
    "      end\n"
    "      return out\n"
    "    end,\n"
    "  }\n"
    "  return setmetatable(env, {__index = _G})\n"
    "end\n"
    "local function describe(v)\n"
    "  if type(v) == 'table' then\n"
    "    local parts = {}\n"
    "    for i = 1, v.n do parts[i] = describe(v[i]) end\n"
    "    return '{' .. concat(parts, ', ') .. '}'\n"
    "  elseif type(v) == 'string' then return fmt('%q', v)\n"
    "  else return (math.type(v) or type(v)) .. ' ' .. tostring(v) end\n"
    "end\n"
    "local function outcome(f, ...)\n"
    "  local ok, r = pcall(f, ...)\n"
    "  if ok then return 'ok ' .. describe(r) end\n"
    "  return 'error ' .. tostring(r)\n"
    "end\n"
    "local all = {}\n"
    "for i = 0, 255 do all[#all + 1] = string.char(i) end\n"
    "ALL = concat(all)  -- every byte, for the class cases\n"
    "local replacements = {\n"
    "  '<%0>', '%1', '%2-%1', 'x', '', '%%', '%', '%a', '%9', 'a%', '%0%0', 7, 1.5,\n"
    "  {a = 'A', b = false, x = 1, ['('] = 'P', [1] = 'one', [2] = true, ['\\0'] = 'Z'},\n"
    "  function(...) return select('#', ...) .. ':' .. concat({...}, '|') end,\n"
    "  function(x) if x == 'a' then return nil elseif x == 'b' then return false\n"
    "    elseif x == 'c' then return {} end return x end,\n"
    "  function() return 42 end,\n"
    "  true,\n"
    "}\n"
    "return {stock = api(stock), bounded = api(bounded), outcome = outcome,\n"
    "        replacements = replacements}\n";

/* Stack slots of the harness's parts, for the whole run. */
enum { STOCK = 1, BOUNDED, OUTCOME, REPLACEMENTS };

static void open_harness(lua_State *L) {
    luaL_openlibs(L);
    if (luaL_loadbuffer(L, harness, sizeof harness - 1, "=harness") != LUA_OK) {
        fprintf(stderr, "harness: %s\n", lua_tostring(L, -1));
        exit(2);
    }
    lua_getglobal(L, "string");
    lua_newtable(L);
    wippy_install_bounded_patterns(L, -1);
    lua_call(L, 2, 1);
    const char *const parts[] = {"stock", "bounded", "outcome", "replacements"};
    for (int i = 0; i < 4; i++) lua_getfield(L, 1, parts[i]);
    lua_remove(L, 1);
}

/* ---- Reporting ---- */

static void fail(const char *what, const char *detail) {
    failed++;
    if (failed <= MISMATCHES_SHOWN) printf("FAIL %s\n%s\n", what, detail);
}

/* Compares the two outcome strings on top of the stack (stock below bounded) and pops them. */
static void compare(lua_State *L, const char *what) {
    size_t sl, bl;
    const char *s = lua_tolstring(L, -2, &sl);
    const char *b = lua_tolstring(L, -1, &bl);
    if (sl == bl && memcmp(s, b, sl) == 0) {
        passed++;
    } else {
        char detail[2048];
        snprintf(detail, sizeof detail, "  stock:   %.900s\n  bounded: %.900s", s, b);
        fail(what, detail);
    }
    lua_pop(L, 2);
}

static int is_step_limit_error(const char *outcome) {
    return strncmp(outcome, "error ", 6) == 0 && strstr(outcome, ": pattern too complex: more than ");
}

/* ---- 1. The corpus: Lua expressions, each evaluated with either implementation ---- */

static const char *const corpus[] = {
    /* find: init, plain, anchors, captures, argument handling */
    "find('hello world', 'o w')", "find('hello world', 'o', 5)", "find('hello world', 'o', 6)",
    "find('hello', 'l', -2)", "find('hello', 'l', -100)", "find('hello', 'h', 0)", "find('hello', 'o', -1)",
    "find('hello', '', 6)", "find('hello', '', 7)", "find('hello', '', 100)", "find('hello', 'x', 100)",
    "find('hello', '%', 10)", "find('hello', '[', 7)", "find('', '')", "find('', 'a')", "find('', '.?')",
    "find('', '', 1)", "find('', '', 2)", "find('', '', -1)",
    "find('a.b', '.', 1, true)", "find('a.b', '.', 2, true)", "find('a+b', '+', 1, true)",
    "find('a%b', '%', 1, true)", "find('abc', '[b', 1, true)", "find('abc', 'b', nil, true)",
    "find('abc', 'b', 1, false)", "find('abc', '.', 1, 0)", "find('abc', '.', 1, nil)", "find('aXb', '%u')",
    "find('abcabc', 'ca', 1, true)", "find('abcabc', 'abc', 2, true)", "find('aab', 'ab', 1, true)",
    "find('abc', 'abcd', 1, true)", "find('abc', '', 2, true)", "find('abc', '', 4, true)",
    "find('abc', '^b')", "find('abc', '^a')", "find('abc', '^')", "find('abc', '$')", "find('abc', 'c$')",
    "find('abc$', 'c$')", "find('a$b', '$b')", "find('a$b', 'a$b')", "find('a^b', 'a^')", "find('a^b', '^^')",
    "find('^a', '^^a')", "find('abc', '^$')", "find('', '^$')", "find('abc', 'b', 2, true)",
    "find('abc', '()b()')", "find('abc', '(b)(c)')", "find('abcabc', 'b', -3)", "find('abc', '(a)', 1)",
    "find('abc', 'b', 2^53)", "find('abc', 'b', 1.5)", "find('abc', 'b', '2')", "find('abc', 'b', 'x')",
    "find(nil, 'a')", "find('a', nil)", "find('a')", "find()", "find(12345, 34)", "find('abc', {})",
    "find('abc', 'b', math.mininteger)", "find('abc', 'b', math.maxinteger)", "find('abc', '', math.mininteger)",
    "find('abc', '', math.maxinteger)", "find('abc', '^a', 2)", "find('abc', '^b', 2)",
    "find('a\\0b\\0c', '\\0', 1, true)", "find('a\\0b\\0c', '\\0c')", "find('a\\0b', '%z')", "find('a\\0b', '[\\0]')",
    "find('a\\0b', '[^%z]+', 2)", "find('a\\0b', '.\\0.')", "find('a\\0b', 'b', 1, true)", "find('a\\0\\0b', '%Z+', 2)",
    "find('a\\0b', '\\0')", "find('a\\0b', 'a\\0b')", "find('a\\0b', '%\\0')", "find('x', 'x\\0*')",
    /* match: whole match, captures, position captures */
    "match('hello world', '(h)(e)(l)(l)(o)')", "match('key = value', '(%w+)%s*=%s*(%w+)')",
    "match('abc', '()')", "match('abc', '()a()')", "match('abc', '((a)(b))')", "match('abc', '(a(b(c)))')",
    "match('  trim me  ', '^%s*(.-)%s*$')", "match('2024-01-02', '(%d+)-(%d+)-(%d+)')",
    "match('abc', 'b', 3)", "match('abc', 'b', -2)", "match('abc', '.', 10)", "match('abc', '', 4)",
    "match('abc', '', 5)", "match(3.0, '%.')", "match('abc', '%a', '2')",
    "match(('a'):rep(32), ('(a)'):rep(32))", "match(('a'):rep(33), ('(a)'):rep(33))",
    "match('a', ('('):rep(40))", "match('abc', ('()'):rep(32))", "match('abc', ('()'):rep(33))",
    "match('abc', '(a')", "match('abc', 'a)')", "match('abc', ')')", "match('abc', '(()')", "match('abc', '(a)(b')",
    "match('abc', 'x(')", "match('abc', 'x)')", "match('', '()')", "match('', '(')",
    /* back-references */
    "match('abc', '%1')", "match('aa', '(a)%1')", "match('abab', '(ab)%1')", "match('abc', '(a)%2')",
    "match('abc', '(a%1)')", "match('abc', '()%1')", "match('aa', '(a)%0')", "match('xyyx', '(.)(.)%2%1')",
    "match('abcabc', '(.+)%1')", "match('aaaa', '(a*)%1$')", "match('x', 'y%1')", "match('say \"hi\" ok', '([\"\\'])(.-)%1')",
    "match('aXa', '(a)X%1')", "match('aXb', '(a)X%1')", "match('abc', '(a)%9')", "match('aa', '(a)%1%1')",
    /* quantifiers */
    "match('aaa', 'a*')", "match('aaa', 'a+')", "match('aaa', 'a-')", "match('aaa', 'a?')", "match('aaab', 'a-b')",
    "match('aaa', '(a*)(a*)')", "match('aaa', '(a-)(a-)$')", "match('aaa', '(a?)(a?)(a?)(a?)')",
    "match('', 'a*')", "match('', 'a+')", "match('', 'a-')", "match('', 'a?')", "match('b', 'a?b')",
    "match('abc', '.-$')", "match('abababc', '[ab]*c')", "match('3.14 x', '%d+%.?%d*')", "match('a*b', 'a**')",
    "match('*a', '*a')", "match('a+', '+')", "match('a-', '-')", "match('a?', '?')", "match('aa-', 'a-?')",
    "match('a', 'a-?')", "match('<a><b>', '<(.-)>')", "match('<a><b>', '<(.*)>')", "match('ab', '.+b')",
    "match('ab', '.-b')", "match('aab', 'a+b')", "match('b', 'a+b')", "match('xaaay', 'xa*y')", "match('xy', 'xa*y')",
    "match('xy', 'xa-y')", "match('xaay', 'xa-y')", "match('aaa', '^(a-)$')", "match('aaa', '^(a-)a$')",
    /* classes, sets */
    "match('abc-]', '[]]')", "match('a]b', '[^]]+')", "match('a-b', '[a-]+')", "match('-ab', '[-a]+')",
    "match('x]', '[%]]')", "match('x-', '[%-]')", "match('a-e', '[a-c-e]+')", "match('abc', '[z-a]')",
    "match('a-z', '[%a-z]+')", "match('a-z', '[a%-z]+')", "match('ab1', '[^%a]')", "match('x', '[%')",
    "match('x', '[a%')", "match('x', '[%]')", "match('x', '[')", "match('x', '[^')", "match('x', '[]')",
    "match('x', '[^]')", "match('x', 'x[')", "match('y', 'x[')", "match('x', '[a-%d]')", "match('x', '%')",
    "match('y', 'x%')", "match('x', 'x%')", "match('%', '%%')", "match('q', '%q')", "match('Q', '%Q')",
    "match('.', '%.')", "match('a', '%.')", "match(']', '%]')", "match('x', '[x-]')", "match('-', '[x-]')",
    "match('b', '[a-c]')", "match('d', '[a-c]')", "match('^', '[\\\\^]')", "match('^', '[a^]')", "match('a', '[^^]')",
    "match('^', '[^^]')", "match('\\200', '[\\128-\\255]')", "match('\\127', '[\\128-\\255]')",
    "match('x', '[^%z]')", "match('\\0', '[^%z]')", "match('\\0', '[%Z]')", "match('hello', '[%l][%l]')",
    "match('f', '[%x]')", "match('g', '[%x]')", "match('_', '[%w_]')", "match('.', '[^%w_]')",
    /* %b */
    "match('f(a(b)c)d', '%b()')", "match('((a)', '%b()')", "match('x', '%b')", "match('x', '%bx')",
    "match('xyz', 'a%b')", "match('a', 'a%b')", "match('aXbXa', '%bXX')", "match('x', '%b()')", "match('', '%b()')",
    "match('(a)(b)', '(%b())*')", "match('[[x]]', '%b[]')", "match('a(b', '%b()')", "match('a)b(c)', '%b()')",
    "find('if (a and (b or c)) then', '%b()')", "match('{a}', '%b{}$')", "match('(x)y', '%b()y')",
    /* %f */
    "find('hello', '%f[%l]')", "find('hello', '%f[%z]')", "find('hello', '%f[^%z]')", "find('abc', '%f[%a]', 2)",
    "match('x', '%f')", "match('x', '%fx')", "match('x', '%f[x')", "match('x', '%f[')", "match('y', 'x%f')",
    "find('THE (quick) fox', '%f[%a]%a+', 5)", "find('x1', '%f[%d]')", "find('', '%f[%z]')", "find('', '%f[^%z]')",
    "find('a', '%f[a]')", "find('a', '%f[^a]')", "find('ba', '%f[a]')", "find('aa', '%f[a]', 2)",
    /* gmatch */
    "gmatch('hello world from Lua', '%a+')", "gmatch('k1=v1, k2=v2', '(%w+)=(%w+)')", "gmatch('abc', '')",
    "gmatch('abc', '.-')", "gmatch('abc', 'a*')", "gmatch('aaa', 'a*')", "gmatch('abc', '()')", "gmatch('abc', 'b*')",
    "gmatch('abc', '%a', 2)", "gmatch('abc', '%a', -1)", "gmatch('abc', '%a', -10)", "gmatch('abc', '%a', 10)",
    "gmatch('abc', '', 4)", "gmatch('abc', '', 5)", "gmatch('abc', '', 0)", "gmatch('^a^a', '^a')",
    "gmatch('abc', '^')", "gmatch('abc', '$')", "gmatch('abc', '[')", "gmatch('abc', '(a')", "gmatch('', '')",
    "gmatch('a,b,,c', '([^,]*)')", "gmatch('a,b,,c', '[^,]*')", "gmatch(nil, 'a')", "gmatch('abc', 'x', 'y')",
    "gmatch('abc')", "gmatch('a\\0b\\0', '%Z')", "gmatch('one two', '()(%a+)()')", "gmatch('aXbXc', 'X-')",
    "gmatch('abab', '(a)(b)%1')", "gmatch('ab', '.', 1.0)", "gmatch('ab', '.', 1.5)", "gmatch(123, '%d')",
    "gmatch('THE (quick) fox', '%f[%a]%a+')", "gmatch('(a)(b)', '%b()')", "gmatch('abc', '.', math.mininteger)",
    "gmatch('abc', '.', math.maxinteger)", "gmatch('xyz', 'a%')", "gmatch('a', 'a%')",
    /* gsub: string replacements */
    "gsub('hello world', 'o', '0')", "gsub('hello world', '(o)', '[%1]')", "gsub('hello world', 'o', '[%0]')",
    "gsub('abc', '%w', '%1%1')", "gsub('abc', '(%w)', '%2')", "gsub('abc', '%w', '%')", "gsub('abc', '%w', '%x')",
    "gsub('abc', 'b', '%%')", "gsub('abc', 'b', '%%%%')", "gsub('abc', 'b', 'a%')", "gsub('abc', 'x', '%')",
    "gsub('abc', '()', '%1')", "gsub('abc', '', '-')", "gsub('', '', 'x')", "gsub('', 'a*', 'x')",
    "gsub('abc', '.-', 'x')", "gsub('abc', 'b*', 'X')", "gsub('a b c', ' ', '', 1)", "gsub('a b c', ' ', '', 0)",
    "gsub('a b c', ' ', '', -1)", "gsub('a b c', ' ', '', 2.0)", "gsub('a b c', ' ', '', 2.5)", "gsub('a b c', ' ', '', '1')",
    "gsub('a b c', ' ', '', 'x')", "gsub('abc', '(a)(b)(c)', '%3%2%1')", "gsub('abc', 'b', 5)", "gsub('abc', 'b', 1.5)",
    "gsub('abc', 'b', 2^63)", "gsub('abc', 'b', '\\0')", "gsub('a\\0c', '\\0', '%%0')", "gsub('abc', 'b', '%0\\0%0')",
    "gsub('hello', '^h', 'H')", "gsub('hello', '^', '>')", "gsub('hello', '$', '<')", "gsub('hello', '^$', 'x')",
    "gsub('', '^$', 'x')", "gsub('abc', '^.', 'X', 5)", "gsub('aaa', '^a', 'b')", "gsub('aaa', '^x', 'b')",
    "gsub('aaa', '^', 'b', 0)", "gsub('abc', 'b', nil)", "gsub('abc', 'b', true)", "gsub('abc', 'b')",
    "gsub('a', 'a', true, 'x')", "gsub(nil, 'a', 'b')", "gsub('a', nil, 'b')", "gsub(1234, '2', 9)",
    "gsub('abc', '%w', '%9')", "gsub('abc', '(a)', '%2')", "gsub('x', 'x', '%1')", "gsub('abc', '(b)', '%0%1%%')",
    "gsub('abc', '(', 'x')", "gsub('abc', 'b(', 'x')", "gsub('abc', '[', 'x')", "gsub('hello world', '%f[%w]', '|')",
    "gsub('hello world', '%f[%W]', '|')", "gsub('a\\0b', '%f[%z]', '|')", "gsub('a\\0b', '%f[^%z]', '|')",
    "gsub('THE (quick) fox', '%f[%a]%a+', 'W')", "gsub('(a)(b)', '%b()', '[]')", "gsub('abc', '', '', 2)",
    "gsub('one two', '(%w+)', '<%1>')", "gsub('one two', '(%w+) (%w+)', '%2 %1')", "gsub('x = 1', '()=()', '%1%2')",
    /* gsub: tables and functions */
    "gsub('hello world', 'o', {o = 'O'})", "gsub('hello world', '%w+', {hello = 'HI', world = false})",
    "gsub('abc', '%w', {a = true})", "gsub('abc', '%w', {a = 1, b = 2.5})", "gsub('abc', '()', {[1] = 'one', [2] = false})",
    "gsub('abc', '(%w)(%w)', {ab = 'X', a = 'Y'})", "gsub('abc', '%w', setmetatable({}, {__index = function(_, k) return k:upper() end}))",
    "gsub('abc', '%w', {a = {}})", "gsub('hello', 'l+', function(x) return #x end)",
    "gsub('abc', '%w', function() return {} end)", "gsub('abc', '%w', function() return nil end)",
    "gsub('abc', '%w', function() return false end)", "gsub('abc', '%w', function() return true end)",
    "gsub('abc', '%w', function() error('boom') end)", "gsub('abc', '%w', function() error('boom', 0) end)",
    "gsub('abc', '()(%w)', function(p, c) return c .. p end)", "gsub('abc', '', function(...) return select('#', ...) end)",
    "gsub('abc', '(a)(b)', function(...) return table.concat({...}, ',') end)", "gsub('abc', '%w', print and string.upper)",
    "gsub('abc', '%w', function(c) return ('abc'):gsub(c, 'x') end)", "gsub('abc', '(a', function() return 'x' end)",
    "gsub('abc', '%w', {}, 2)", "gsub('abc', '%w', function() return 1e300 end)", "gsub('abc', '%w', function() return 0/0 end)",
    /* class tables over every byte */
    "gsub(ALL, '%a', '')", "gsub(ALL, '%c', '')", "gsub(ALL, '%d', '')", "gsub(ALL, '%g', '')", "gsub(ALL, '%l', '')",
    "gsub(ALL, '%p', '')", "gsub(ALL, '%s', '')", "gsub(ALL, '%u', '')", "gsub(ALL, '%w', '')", "gsub(ALL, '%x', '')",
    "gsub(ALL, '%z', '')", "gsub(ALL, '%A', '')", "gsub(ALL, '%C', '')", "gsub(ALL, '%D', '')", "gsub(ALL, '%G', '')",
    "gsub(ALL, '%L', '')", "gsub(ALL, '%P', '')", "gsub(ALL, '%S', '')", "gsub(ALL, '%U', '')", "gsub(ALL, '%W', '')",
    "gsub(ALL, '%X', '')", "gsub(ALL, '%Z', '')", "gsub(ALL, '[%a%d]', '')", "gsub(ALL, '[^%a%d]', '')",
    "gsub(ALL, '[a-f%d]', '')", "gsub(ALL, '[^%w_]', '')", "gsub(ALL, '[\\128-\\255]', '')", "gsub(ALL, '[%z-\\5]', '')",
    "gsub(ALL, '[\\0-\\31]', '')", "gsub(ALL, '[%]-]', '')", "gsub(ALL, '[]-a]', '')", "gsub(ALL, '.', '')",
    "gsub(ALL, '[%S%s]', '')", "gsub(ALL, '%f[%w]%w+', 'W')", "gsub(ALL, '%f[%p]', '|')", "find(ALL, '%p+')",
    "find(ALL, '%s+()')", "find(ALL, '%x+', 60)", "match(ALL, '%u+')", "match(ALL, '[%l%u]+')",
    /* recursion depth: 200 nested matcher calls are allowed, the 201st is "pattern too complex" */
    "match(('a'):rep(300), ('a?'):rep(198))", "match(('a'):rep(300), ('a?'):rep(199))",
    "match(('a'):rep(300), ('a?'):rep(200))", "match(('a'):rep(300), ('a?'):rep(201))",
    "match('', ('a?'):rep(1000))", "match(('a'):rep(300), ('a*'):rep(199))", "match(('a'):rep(300), ('a*'):rep(200))",
    "match(('a'):rep(300), ('a-'):rep(199))", "match(('a'):rep(300), ('a-'):rep(200))",
    "match(('a'):rep(300), ('(a)'):rep(30) .. ('a?'):rep(139))", "match(('a'):rep(300), ('(a)'):rep(30) .. ('a?'):rep(140))",
    "match(('a'):rep(300), ('()'):rep(30) .. ('a?'):rep(169))", "match(('a'):rep(300), ('()'):rep(30) .. ('a?'):rep(170))",
    "gsub(('a'):rep(300), ('a?'):rep(200), 'x')", "gsub(('a'):rep(300), ('a?'):rep(199), 'x')",
    "find(('ab'):rep(300), ('%f[a]a%f[b]b'):rep(250))", "match(('ab'):rep(300), ('%bab'):rep(250))",
    "match(('a'):rep(300), ('(a)%1?'):rep(20))", "match(('a'):rep(400), ('a?'):rep(150) .. ('a*'):rep(60))",
    "gmatch(('a'):rep(300), ('a?'):rep(200))", "gmatch(('a'):rep(10), ('a?'):rep(5))",
};

static void run_corpus(lua_State *L) {
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
        for (int lib = STOCK; lib <= BOUNDED; lib++) {
            lua_pushvalue(L, OUTCOME);
            lua_pushfstring(L, "return %s", corpus[i]);
            const char *chunk = lua_tostring(L, -1);
            lua_pushvalue(L, lib);  /* the chunk's environment */
            if (luaL_loadbufferx(L, chunk, strlen(chunk), "=case", "t") != LUA_OK) {
                fprintf(stderr, "corpus entry does not compile: %s\n", corpus[i]);
                exit(2);
            }
            lua_insert(L, -2);
            lua_setupvalue(L, -2, 1);
            lua_remove(L, -2);
            lua_call(L, 1, 1);
        }
        compare(L, corpus[i]);
    }
}

/* ---- 2. Random cases ---- */

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

static unsigned long long next_random(void) {  /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static int below(int n) { return (int)(next_random() % (unsigned long long)n); }

typedef struct { const char *text; size_t len; } Piece;
#define PIECE(s) {s, sizeof(s) - 1}

/* Pattern pieces: items, quantifiers, and pieces of malformed patterns. */
static const Piece pattern_pieces[] = {
    PIECE("a"), PIECE("b"), PIECE("c"), PIECE("x"), PIECE("."), PIECE(" "), PIECE("1"), PIECE("\0"),
    PIECE("("), PIECE(")"), PIECE("()"), PIECE("(a)"), PIECE("(.)"), PIECE("(a*)"), PIECE("(.-)"),
    PIECE("%a"), PIECE("%d"), PIECE("%s"), PIECE("%w"), PIECE("%p"), PIECE("%l"), PIECE("%z"), PIECE("%x"),
    PIECE("%A"), PIECE("%S"), PIECE("%W"), PIECE("%P"), PIECE("%Z"), PIECE("%."), PIECE("%%"), PIECE("%("),
    PIECE("%)"), PIECE("%]"), PIECE("%-"), PIECE("%"), PIECE("%q"),
    PIECE("[ab]"), PIECE("[^a]"), PIECE("[a-c]"), PIECE("[%d.]"), PIECE("[]a]"), PIECE("[^]]"), PIECE("[a-]"),
    PIECE("[%a-z]"), PIECE("[^%s]"), PIECE("[("), PIECE("]"), PIECE("[a"), PIECE("[%"), PIECE("[^"),
    PIECE("%1"), PIECE("%2"), PIECE("%0"), PIECE("%b()"), PIECE("%bab"), PIECE("%baa"), PIECE("%b"), PIECE("%bx"),
    PIECE("%f[%w]"), PIECE("%f[%W]"), PIECE("%f[a]"), PIECE("%f[^a]"), PIECE("%f"), PIECE("%fa"), PIECE("%f["),
    PIECE("*"), PIECE("+"), PIECE("-"), PIECE("?"), PIECE("*"), PIECE("+"), PIECE("-"), PIECE("?"),
    PIECE("^"), PIECE("$"), PIECE("$"), PIECE(".*"), PIECE(".-"), PIECE("a*"), PIECE("a+"), PIECE("a-"), PIECE("b?"),
};
static const char subject_alphabet[] = "aaabbbcx. 1\0()%[]-^$";

typedef struct {
    int function;  /* 0 find, 1 match, 2 gmatch, 3 gsub */
    char subject[48];
    size_t subject_len;
    char pattern[64];
    size_t pattern_len;
    int has_init;
    lua_Integer init;
    int plain;        /* find's fourth argument: -1 absent, else its truth */
    int replacement;  /* gsub: 1-based index in the harness's replacements */
    int has_max;
    lua_Integer max;
} Case;

static const char *const function_names[] = {"find", "match", "gmatch", "gsub"};

/* Mostly short; one pair in eight is longer, for deeper backtracking. */
static void random_subject(Case *c, int longer) {
    c->subject_len = (size_t)below(longer ? 41 : 11);
    for (size_t i = 0; i < c->subject_len; i++) c->subject[i] = subject_alphabet[below(sizeof subject_alphabet - 1)];
}

static void random_pattern(Case *c, int longer) {
    size_t len = 0;
    if (below(5) == 0) c->pattern[len++] = '^';
    for (int n = 1 + below(longer ? 8 : 5); n > 0; n--) {
        const Piece *piece = &pattern_pieces[below(sizeof pattern_pieces / sizeof *pattern_pieces)];
        memcpy(c->pattern + len, piece->text, piece->len);
        len += piece->len;
    }
    c->pattern_len = len;
}

static lua_Integer random_init(size_t len) {
    switch (below(8)) {
        case 0: return LUA_MININTEGER;
        case 1: return LUA_MAXINTEGER;
        default: return below((int)len * 2 + 7) - (int)len - 3;
    }
}

static void random_arguments(Case *c, int function) {
    c->function = function;
    c->has_init = below(3) == 0;
    c->init = random_init(c->subject_len);
    c->plain = below(4) == 0 ? below(2) : -1;
    c->replacement = 0;
    c->has_max = below(4) == 0;
    c->max = below(5) - 1;
}

static void push_arguments(lua_State *L, const Case *c) {
    lua_pushlstring(L, c->subject, c->subject_len);
    lua_pushlstring(L, c->pattern, c->pattern_len);
    if (c->function == 3) {
        lua_rawgeti(L, REPLACEMENTS, c->replacement);
        if (c->has_max) lua_pushinteger(L, c->max);
        return;
    }
    if (c->has_init || c->plain >= 0) {
        if (c->has_init) lua_pushinteger(L, c->init);
        else lua_pushnil(L);
    }
    if (c->function == 0 && c->plain >= 0) lua_pushboolean(L, c->plain);
}

/* Pushes the outcome of the case with the implementation at slot lib. */
static void run_case(lua_State *L, const Case *c, int lib) {
    int top = lua_gettop(L);
    lua_pushvalue(L, OUTCOME);
    lua_getfield(L, lib, function_names[c->function]);
    push_arguments(L, c);
    lua_call(L, lua_gettop(L) - top - 1, 1);
}

static void describe_case(const Case *c, char *out, size_t size) {
    char subject[200], pattern[300];
    size_t n = 0;
    for (size_t i = 0; i < c->subject_len && n + 5 < sizeof subject; i++)
        n += (size_t)snprintf(subject + n, sizeof subject - n, c->subject[i] ? "%c" : "\\0", c->subject[i]);
    subject[n] = '\0';
    n = 0;
    for (size_t i = 0; i < c->pattern_len && n + 5 < sizeof pattern; i++)
        n += (size_t)snprintf(pattern + n, sizeof pattern - n, c->pattern[i] ? "%c" : "\\0", c->pattern[i]);
    pattern[n] = '\0';
    snprintf(out, size, "%s('%s', '%s', init %s%lld, plain %d, replacement #%d, max %s%lld)",
             function_names[c->function], subject, pattern, c->has_init ? "" : "absent ", (long long)c->init,
             c->plain, c->replacement, c->has_max ? "" : "absent ", (long long)c->max);
}

static void run_random(lua_State *L) {
    int replacements = (int)lua_rawlen(L, REPLACEMENTS);
    wippy_set_pattern_step_limit(RANDOM_STEP_LIMIT);
    for (int pair = 0; pair < RANDOM_PAIRS; pair++) {
        Case c;
        int longer = pair % 8 == 0;
        random_subject(&c, longer);
        random_pattern(&c, longer);
        for (int function = 0; function < 4; function++) {
            random_arguments(&c, function);
            if (function == 3) c.replacement = 1 + below(replacements);
            run_case(L, &c, BOUNDED);
            if (is_step_limit_error(lua_tostring(L, -1))) {
                skipped++;
                lua_pop(L, 1);
                continue;
            }
            run_case(L, &c, STOCK);
            lua_insert(L, -2);
            char what[1024];
            describe_case(&c, what, sizeof what);
            compare(L, what);
        }
    }
    wippy_set_pattern_step_limit(WIPPY_DEFAULT_PATTERN_STEP_LIMIT);
}

/* ---- 3. The bounded version alone ---- */

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Evaluates a Lua expression with the bounded functions; checks that the outcome contains
 * `expected` (errors carry the caller's position first) and took at most `seconds`. */
static void expect(lua_State *L, const char *expression, const char *expected, double seconds) {
    lua_pushvalue(L, OUTCOME);
    const char *chunk = lua_pushfstring(L, "return %s", expression);
    if (luaL_loadbufferx(L, chunk, strlen(chunk), "=check", "t") != LUA_OK) {
        fprintf(stderr, "check does not compile: %s\n", expression);
        exit(2);
    }
    lua_remove(L, -2);
    lua_pushvalue(L, BOUNDED);
    lua_setupvalue(L, -2, 1);
    double start = now();
    lua_call(L, 1, 1);
    double elapsed = now() - start;
    const char *outcome = lua_tostring(L, -1);
    char detail[1024];
    snprintf(detail, sizeof detail, "  got %.300s in %.3f s; expected %s within %.1f s", outcome, elapsed, expected,
             seconds);
    if (!strstr(outcome, expected) || elapsed > seconds) fail(expression, detail);
    else passed++;
    printf("  %-72.72s %.3f s\n", expression, elapsed);
    lua_pop(L, 1);
}

#define TOO_COMPLEX ": pattern too complex"
/* A bound that only a runaway would pass, also on a busy machine: the times are printed. */
#define BOUNDED 60.0

static char OVER_DEFAULT[96];  /* the error at the default limit, made in main */

static void run_pathological(lua_State *L) {
    printf("bounded-only checks (default limit %lld steps):\n", wippy_pattern_step_limit());
    expect(L, "find(('a'):rep(3e5), '.-.-.-.-.-.-b')", OVER_DEFAULT, BOUNDED);
    expect(L, "match(('a'):rep(3e5), '.-.-.-.-.-.-b')", OVER_DEFAULT, BOUNDED);
    expect(L, "gsub(('a'):rep(3e5), '.-.-.-.-.-.-b', 'x')", OVER_DEFAULT, BOUNDED);
    expect(L, "gmatch(('a'):rep(3e5), '.-.-.-.-.-.-b')", OVER_DEFAULT, BOUNDED);
    expect(L, "find(('a'):rep(3e5), '(.*)(.*)(.*)(.*)b')", OVER_DEFAULT, BOUNDED);
    expect(L, "find(('('):rep(2e5), '%b()')", OVER_DEFAULT, BOUNDED);
    expect(L, "find(('a'):rep(2e5), '(a*)%1b')", OVER_DEFAULT, BOUNDED);
    expect(L, "find(('a'):rep(1e6), ('a'):rep(1e4) .. 'b', 1, true)", OVER_DEFAULT, BOUNDED);
    expect(L, "find(('b'):rep(1e5), '[' .. ('a'):rep(1e6) .. ']')", OVER_DEFAULT, BOUNDED);
    expect(L, "find(('a'):rep(1e5), '%f[' .. ('b'):rep(1e6) .. ']x')", OVER_DEFAULT, BOUNDED);
    expect(L, "find((' a'):rep(1e5), ('%f[a]'):rep(1e4) .. 'b')", OVER_DEFAULT, BOUNDED);
    /* still fine: ordinary work on a megabyte */
    expect(L, "gsub(('word '):rep(2e5), '%w+', '%0!')", "ok {\"word! ", BOUNDED);
    expect(L, "find(('a'):rep(1e6) .. 'b', 'a*b')", "ok {integer 1, integer 1000001", BOUNDED);
    expect(L, "gmatch(('ab '):rep(5e5), '%a+')", "ok {{\"ab\"}", BOUNDED);
}

typedef struct {
    lua_State *L;
} Thread;

/* Run on a thread with a small stack: any runaway recursion would crash the test. */
static void *deep_patterns(void *arg) {
    lua_State *L = ((Thread *)arg)->L;
    printf("deep patterns on a 256 KB stack:\n");
    expect(L, "match(('a'):rep(1e6), ('a?'):rep(1e5))", TOO_COMPLEX, BOUNDED);
    expect(L, "match(('a'):rep(1e6), ('a-'):rep(1e5))", TOO_COMPLEX, BOUNDED);
    expect(L, "match(('a'):rep(1e3), ('.-'):rep(1e5) .. 'b')", TOO_COMPLEX, BOUNDED);
    expect(L, "match(('a'):rep(1e3), ('(a)'):rep(1e5))", ": too many captures", BOUNDED);
    expect(L, "match(('a'):rep(1e3), ('()a?'):rep(1e5))", ": too many captures", BOUNDED);
    expect(L, "match(('a'):rep(1e3), ('('):rep(1e5))", ": too many captures", BOUNDED);
    expect(L, "gsub(('a'):rep(1e5), ('a?'):rep(1e5), '')", TOO_COMPLEX, BOUNDED);
    expect(L, "match(('a'):rep(1e5), ('(a)'):rep(31) .. ('a?'):rep(1e5))", TOO_COMPLEX, BOUNDED);
    return NULL;
}

static void run_deep(lua_State *L) {
    pthread_attr_t attr;
    pthread_t thread;
    Thread arg = {L};
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&thread, &attr, deep_patterns, &arg) != 0) {
        fprintf(stderr, "cannot start a thread\n");
        exit(2);
    }
    pthread_join(thread, NULL);
    pthread_attr_destroy(&attr);
}

static void run_limit_api(lua_State *L) {
    printf("limit API:\n");
    wippy_set_pattern_step_limit(100);
    if (wippy_pattern_step_limit() == 100) passed++;
    else fail("wippy_pattern_step_limit", "  does not return the limit set");
    expect(L, "find(('a'):rep(2000), 'a*b')", ": pattern too complex: more than 100 matching steps", BOUNDED);
    expect(L, "find(('a'):rep(5), 'a*b')", "ok {nil nil}", BOUNDED);
    /* the budget is per iteration of gmatch, not per loop */
    expect(L, "gmatch(('ab '):rep(200), '%a+')", "ok {{\"ab\"}", BOUNDED);
    wippy_set_pattern_step_limit(-5);
    expect(L, "match('a', 'a')", ": pattern too complex: more than 0 matching steps", BOUNDED);
    expect(L, "find('abc', 'b', 1, true)", ": pattern too complex: more than 0 matching steps", BOUNDED);
    expect(L, "find('abc', '')", "ok {integer 1, integer 0}", BOUNDED);
    wippy_set_pattern_step_limit(WIPPY_DEFAULT_PATTERN_STEP_LIMIT);
}

int main(void) {
    snprintf(OVER_DEFAULT, sizeof OVER_DEFAULT, ": pattern too complex: more than %lld matching steps",
             (long long)WIPPY_DEFAULT_PATTERN_STEP_LIMIT);
    lua_State *L = luaL_newstate();
    open_harness(L);
    double start = now();

    run_corpus(L);
    int corpus_cases = passed + failed;
    printf("corpus: %d cases, %d failed (%.1f s)\n", corpus_cases, failed, now() - start);

    start = now();
    int before = passed + failed, failed_before = failed;
    run_random(L);
    printf("random: %d cases compared, %d failed, %d skipped over %d steps (%.1f s)\n", passed + failed - before,
           failed - failed_before, skipped, RANDOM_STEP_LIMIT, now() - start);

    run_pathological(L);
    run_deep(L);
    run_limit_api(L);

    lua_close(L);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
