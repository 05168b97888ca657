/*
 * Step-bounded Lua 5.4 patterns (reference manual §6.4.1) for string.find, string.match,
 * string.gmatch and string.gsub.
 *
 * The matcher is a backtracking one, like the stock library's, because Lua's semantics are
 * defined by that search order: which match is found, which captures it has, and even whether a
 * malformed pattern raises an error (a pattern is only checked as far as matching reaches it).
 * What is added is accounting. Every unit of work costs a step from a per-call budget:
 *
 *   - one step each time an item of the pattern is tried at a subject position: each pass of the
 *     item loop below, and each further repetition a quantifier tests;
 *   - for a set `[...]`, one more step per element read while finding its end, and per element
 *     compared while testing a character against it;
 *   - for `%b`, one step per subject byte scanned; for a back-reference, one per byte compared;
 *   - for a plain find, one step per candidate position plus one per byte compared.
 *
 * The C stack is bounded separately: nested matcher calls (one per capture and per backtracking
 * alternative still open) are limited to 200, and the 201st raises "pattern too complex", as in
 * the stock library.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <ctype.h>
#include <lua.h>
#include <lauxlib.h>
#include "wippy_patterns.h"

#define ESC '%'
#define MAX_CAPTURES 32   /* LUA_MAXCAPTURES of the stock library */
#define MAX_DEPTH 200     /* nested matcher calls, MAXCCALLS of the stock library */

/* The length of a capture that is still open, and the mark of a position capture `()`. */
#define CAP_OPEN (-1)
#define CAP_POSITION (-2)

/* Read by every call, possibly on several threads at once. */
static _Atomic long long step_limit = WIPPY_DEFAULT_PATTERN_STEP_LIMIT;

typedef struct {
    lua_State *L;
    const char *subject, *subject_end;
    const char *pattern_end;
    long long limit;       /* the budget this call started with, for the error message */
    long long steps_left;
    int depth_left;
    int level;             /* captures opened so far */
    struct {
        const char *start;
        ptrdiff_t len;     /* or CAP_OPEN, CAP_POSITION */
    } capture[MAX_CAPTURES];
} Matcher;

static const char *match(Matcher *m, const char *s, const char *p);

/* ---- Accounting ---- */

/* Registry key of a state's own limit (see wippy_set_state_pattern_step_limit). */
static const char *const STATE_LIMIT_KEY = "wippy.pattern_step_limit";

/* The limit for a call starting now in L's state: its own, else the process-wide one. */
static long long current_limit(lua_State *L) {
    long long limit = atomic_load_explicit(&step_limit, memory_order_relaxed);
    if (lua_getfield(L, LUA_REGISTRYINDEX, STATE_LIMIT_KEY) == LUA_TNUMBER) limit = (long long)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return limit;
}

static void matcher_init(Matcher *m, lua_State *L, const char *s, size_t len, const char *p, size_t plen) {
    m->L = L;
    m->subject = s;
    m->subject_end = s + len;
    m->pattern_end = p + plen;
    m->limit = current_limit(L);
    m->steps_left = m->limit;
    m->depth_left = MAX_DEPTH;
    m->level = 0;
}

static void spend(Matcher *m, long long steps) {
    m->steps_left -= steps;
    if (m->steps_left < 0)
        luaL_error(m->L, "pattern too complex: more than %I matching steps", (lua_Integer)m->limit);
}

/* ---- Single-character classes ---- */

/* Whether character c is in the class named by the letter after '%' (or is that character, when
 * the letter names no class). An upper-case class name is the complement of the lower-case one. */
static int class_has(int name, int c) {
    int in;
    switch (tolower(name)) {
        case 'a': in = isalpha(c); break;
        case 'c': in = iscntrl(c); break;
        case 'd': in = isdigit(c); break;
        case 'g': in = isgraph(c); break;
        case 'l': in = islower(c); break;
        case 'p': in = ispunct(c); break;
        case 's': in = isspace(c); break;
        case 'u': in = isupper(c); break;
        case 'w': in = isalnum(c); break;
        case 'x': in = isxdigit(c); break;
        case 'z': in = (c == 0); break;  /* undocumented, but still in Lua 5.4 */
        default: return name == c;
    }
    return isupper(name) ? !in : in != 0;
}

/* Whether character c is in the set whose '[' is at p and whose closing ']' is at close. */
static int set_has(Matcher *m, int c, const char *p, const char *close) {
    int found = 1;  /* what finding c means: 0 in a complemented set */
    p++;
    if (*p == '^') {
        found = 0;
        p++;
    }
    for (; p < close; p++) {
        spend(m, 1);
        if (*p == ESC) {
            p++;
            if (class_has((unsigned char)*p, c)) return found;
        } else if (p[1] == '-' && p + 2 < close) {  /* a range; '-' first or last is literal */
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return found;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return found;
        }
    }
    return !found;
}

/* The end of the single-character class starting at p: `.`, `x`, `%x` or `[set]`. Raises for a
 * malformed one, only now that matching has reached it, as Lua does. */
static const char *class_end(Matcher *m, const char *p) {
    const char *end = m->pattern_end;
    char c = *p++;
    if (c == ESC) {
        if (p == end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c != '[') return p;
    if (p < end && *p == '^') p++;
    do {  /* the first character is a member even when it is ']' */
        if (p == end) luaL_error(m->L, "malformed pattern (missing ']')");
        spend(m, 1);
        if (*p++ == ESC && p < end) p++;
    } while (p == end || *p != ']');
    return p + 1;
}

/* Whether the subject character at s is in the class [p, ep). */
static int single_match(Matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->subject_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
        case '.': return 1;
        case ESC: return class_has((unsigned char)p[1], c);
        case '[': return set_has(m, c, p, ep - 1);
        default: return (unsigned char)*p == c;
    }
}

/* single_match, for each further repetition a quantifier tests. */
static int repeat_match(Matcher *m, const char *s, const char *p, const char *ep) {
    spend(m, 1);
    return single_match(m, s, p, ep);
}

/* ---- Quantifiers: each alternative hands the rest of the pattern (after ep) to match() ---- */

/* `x*` (and `x+` from the second repetition): as many repetitions as possible, then fewer. */
static const char *longest_first(Matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t count = 0;
    while (repeat_match(m, s + count, p, ep)) count++;
    for (; count >= 0; count--) {
        const char *end = match(m, s + count, ep + 1);
        if (end) return end;
    }
    return NULL;
}

/* `x-`: as few repetitions as possible, then more. */
static const char *shortest_first(Matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *end = match(m, s, ep + 1);
        if (end) return end;
        if (!repeat_match(m, s, p, ep)) return NULL;
        s++;
    }
}

/* ---- Captures ---- */

static const char *open_capture(Matcher *m, const char *s, const char *p, ptrdiff_t kind) {
    if (m->level >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->capture[m->level].start = s;
    m->capture[m->level].len = kind;
    m->level++;
    const char *end = match(m, s, p);
    if (!end) m->level--;
    return end;
}

static const char *close_capture(Matcher *m, const char *s, const char *p) {
    int i = m->level - 1;
    while (i >= 0 && m->capture[i].len != CAP_OPEN) i--;
    if (i < 0) luaL_error(m->L, "invalid pattern capture");
    m->capture[i].len = s - m->capture[i].start;
    const char *end = match(m, s, p);
    if (!end) m->capture[i].len = CAP_OPEN;
    return end;
}

/* ---- Items that do not backtrack: %b, %f and back-references ---- */

/* `%bxy` with *pp at the '%': a run from x to the y that balances it. */
static const char *match_balance(Matcher *m, const char *s, const char **pp) {
    const char *p = *pp + 2;
    if (p + 1 >= m->pattern_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    *pp = p + 2;
    if (s >= m->subject_end || *s != p[0]) return NULL;
    ptrdiff_t open = 1;
    const char *q = s + 1;
    for (; q < m->subject_end; q++) {
        if (*q == p[1]) {  /* tested first, so that `%bxx` ends at the next x */
            if (--open == 0) break;
        } else if (*q == p[0]) {
            open++;
        }
    }
    spend(m, q - s);
    return q < m->subject_end ? q + 1 : NULL;
}

/* `%f[set]` with *pp at the '%': the empty string where the previous character (or "\0" at the
 * start of the subject) is not in the set and the next one (or "\0" at its end) is. */
static const char *match_frontier(Matcher *m, const char *s, const char **pp) {
    const char *set = *pp + 2;
    if (set == m->pattern_end || *set != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
    const char *ep = class_end(m, set);
    *pp = ep;
    int before = s == m->subject ? 0 : (unsigned char)s[-1];
    int after = s < m->subject_end ? (unsigned char)*s : 0;
    if (set_has(m, before, set, ep - 1) || !set_has(m, after, set, ep - 1)) return NULL;
    return s;
}

/* `%0`-`%9` with *pp at the '%': the same text as that capture, which must be closed. */
static const char *match_back_reference(Matcher *m, const char *s, const char **pp) {
    int i = (*pp)[1] - '1';
    *pp += 2;
    if (i < 0 || i >= m->level || m->capture[i].len == CAP_OPEN)
        luaL_error(m->L, "invalid capture index %%%d", i + 1);
    ptrdiff_t len = m->capture[i].len;
    /* A position capture has no text: Lua 5.4 never matches a reference to it. */
    if (len == CAP_POSITION || m->subject_end - s < len) return NULL;
    spend(m, len);
    return memcmp(m->capture[i].start, s, (size_t)len) == 0 ? s + len : NULL;
}

/* Whether p starts `%b`, `%f` or a back-reference. Other escapes are classes, left to the
 * quantifier code (which also reports a '%' that ends the pattern). */
static int is_escape_item(Matcher *m, const char *p) {
    return *p == ESC && p + 1 < m->pattern_end && (p[1] == 'b' || p[1] == 'f' || (p[1] >= '0' && p[1] <= '9'));
}

/* Matches an is_escape_item at *pp and moves *pp past it; returns the subject after it, or NULL. */
static const char *match_escape(Matcher *m, const char *s, const char **pp) {
    switch ((*pp)[1]) {
        case 'b': return match_balance(m, s, pp);
        case 'f': return match_frontier(m, s, pp);
        default: return match_back_reference(m, s, pp);
    }
}

/* ---- The matcher ---- */

/* Matches the pattern from p on against the subject from s; returns where the match ends, or
 * NULL. Items that need no backtracking are taken in this loop; captures and quantifiers that
 * have alternatives continue in a nested match(). */
static const char *match_items(Matcher *m, const char *s, const char *p) {
    const char *end = m->pattern_end;
    while (s && p < end) {
        spend(m, 1);
        if (*p == '(') {
            if (p + 1 < end && p[1] == ')') return open_capture(m, s, p + 2, CAP_POSITION);
            return open_capture(m, s, p + 1, CAP_OPEN);
        }
        if (*p == ')') return close_capture(m, s, p + 1);
        if (*p == '$' && p + 1 == end) return s == m->subject_end ? s : NULL;  /* elsewhere, '$' is literal */
        if (is_escape_item(m, p)) {
            s = match_escape(m, s, &p);
            continue;
        }
        const char *ep = class_end(m, p);
        char quantifier = ep < end ? *ep : '\0';
        if (!single_match(m, s, p, ep)) {
            if (quantifier != '*' && quantifier != '?' && quantifier != '-') return NULL;
            p = ep + 1;  /* zero repetitions */
        } else if (quantifier == '?') {
            const char *with_item = match(m, s + 1, ep + 1);
            if (with_item) return with_item;
            p = ep + 1;
        } else if (quantifier == '+') {
            return longest_first(m, s + 1, p, ep);
        } else if (quantifier == '*') {
            return longest_first(m, s, p, ep);
        } else if (quantifier == '-') {
            return shortest_first(m, s, p, ep);
        } else {
            s++;
            p = ep;
        }
    }
    return s;
}

static const char *match(Matcher *m, const char *s, const char *p) {
    if (m->depth_left == 0) luaL_error(m->L, "pattern too complex");
    m->depth_left--;
    const char *end = match_items(m, s, p);
    m->depth_left++;
    return end;
}

/* One attempt at a subject position: a failed attempt closes what it opened, but a successful
 * one leaves its captures behind. */
static const char *match_at(Matcher *m, const char *s, const char *p) {
    m->level = 0;
    return match(m, s, p);
}

/* ---- Captures to Lua ---- */

/* Capture i of a match [s, e): its length with its start in *start, or CAP_POSITION after
 * pushing the position. Without captures, index 0 is the whole match. */
static ptrdiff_t capture_text(Matcher *m, int i, const char *s, const char *e, const char **start) {
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        *start = s;
        return e - s;
    }
    ptrdiff_t len = m->capture[i].len;
    *start = m->capture[i].start;
    if (len == CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (len == CAP_POSITION) lua_pushinteger(m->L, m->capture[i].start - m->subject + 1);
    return len;
}

static void push_capture(Matcher *m, int i, const char *s, const char *e) {
    const char *start;
    ptrdiff_t len = capture_text(m, i, s, e, &start);
    if (len != CAP_POSITION) lua_pushlstring(m->L, start, (size_t)len);
}

/* Pushes the captures of the match [s, e), or the whole match when it has none (unless s is
 * NULL, for find, which returns the bounds instead). */
static int push_captures(Matcher *m, const char *s, const char *e) {
    int count = (m->level == 0 && s) ? 1 : m->level;
    luaL_checkstack(m->L, count, "too many captures");
    for (int i = 0; i < count; i++) push_capture(m, i, s, e);
    return count;
}

/* ---- find and match ---- */

/* A 1-based init argument as a 0-based offset: negative counts from the end, and anything before
 * the start is the start. May be past the end. */
static size_t start_offset(lua_Integer init, size_t len) {
    if (init > 0) return (size_t)init - 1;
    if (init == 0 || init < -(lua_Integer)len) return 0;
    return len - (size_t)(-init);
}

static int has_specials(const char *p, size_t len) {
    static const char specials[] = "^$*+?.([%-";
    for (size_t i = 0; i < len; i++)
        if (memchr(specials, p[i], sizeof specials - 1)) return 1;
    return 0;
}

/* The first occurrence of the needle in the haystack, or NULL. */
static const char *plain_search(Matcher *m, const char *h, size_t hlen, const char *n, size_t nlen) {
    if (nlen == 0) return h;
    if (nlen > hlen) return NULL;
    const char *last = h + (hlen - nlen);  /* the last position where the needle fits */
    while (h <= last) {
        const char *candidate = memchr(h, n[0], (size_t)(last - h) + 1);
        if (!candidate) return NULL;
        size_t same = 1;
        while (same < nlen && candidate[same] == n[same]) same++;
        spend(m, (long long)same);
        if (same == nlen) return candidate;
        h = candidate + 1;
    }
    return NULL;
}

static int find_plain(Matcher *m, size_t init, const char *p, size_t plen) {
    const char *s = m->subject;
    const char *found = plain_search(m, s + init, (size_t)(m->subject_end - s) - init, p, plen);
    if (!found) {
        luaL_pushfail(m->L);
        return 1;
    }
    lua_pushinteger(m->L, found - s + 1);
    lua_pushinteger(m->L, (lua_Integer)(found - s + plen));
    return 2;
}

static int find_or_match(lua_State *L, int find) {
    size_t len, plen;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *p = luaL_checklstring(L, 2, &plen);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), len);
    if (init > len) {
        luaL_pushfail(L);
        return 1;
    }
    Matcher m;
    matcher_init(&m, L, s, len, p, plen);
    if (find && (lua_toboolean(L, 4) || !has_specials(p, plen))) return find_plain(&m, init, p, plen);
    int anchored = plen > 0 && *p == '^';
    if (anchored) p++;
    const char *start = s + init;
    do {
        const char *end = match_at(&m, start, p);
        if (end && find) {
            lua_pushinteger(L, start - s + 1);
            lua_pushinteger(L, end - s);
            return 2 + push_captures(&m, NULL, NULL);
        }
        if (end) return push_captures(&m, start, end);
    } while (start++ < m.subject_end && !anchored);
    luaL_pushfail(L);
    return 1;
}

static int bounded_find(lua_State *L) { return find_or_match(L, 1); }
static int bounded_match(lua_State *L) { return find_or_match(L, 0); }

/* ---- gmatch ---- */

typedef struct {
    Matcher m;
    const char *pattern;
    size_t next;           /* offset where the next search starts; may be past the end */
    const char *last_end;  /* end of the previous match: an empty match there is skipped */
} GMatch;

static int gmatch_next(lua_State *L) {
    GMatch *g = (GMatch *)lua_touserdata(L, lua_upvalueindex(3));
    Matcher *m = &g->m;
    m->L = L;  /* the iterator may run in another coroutine than gmatch did */
    m->limit = current_limit(L);
    m->steps_left = m->limit;
    size_t len = (size_t)(m->subject_end - m->subject);
    for (size_t at = g->next; at <= len; at++) {
        const char *start = m->subject + at;
        const char *end = match_at(m, start, g->pattern);
        if (end && end != g->last_end) {
            g->next = (size_t)(end - m->subject);
            g->last_end = end;
            return push_captures(m, start, end);
        }
    }
    return 0;
}

static int bounded_gmatch(lua_State *L) {
    size_t len, plen;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *p = luaL_checklstring(L, 2, &plen);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), len);
    lua_settop(L, 2);  /* the iterator keeps both strings alive as upvalues */
    GMatch *g = (GMatch *)lua_newuserdatauv(L, sizeof(GMatch), 0);
    matcher_init(&g->m, L, s, len, p, plen);
    g->pattern = p;  /* no anchor: a leading '^' is an ordinary character here */
    g->next = init;
    g->last_end = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* ---- gsub ---- */

/* A replacement string for the match [s, e): `%0`-`%9` are captures, `%%` is '%'. */
static void add_template(Matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    size_t len;
    const char *t = lua_tolstring(m->L, 3, &len);
    const char *t_end = t + len;
    const char *esc;
    while ((esc = memchr(t, ESC, (size_t)(t_end - t))) != NULL) {
        luaL_addlstring(b, t, (size_t)(esc - t));
        char c = esc + 1 < t_end ? esc[1] : '\0';
        if (c == ESC) {
            luaL_addchar(b, ESC);
        } else if (c == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (c >= '1' && c <= '9') {
            const char *start;
            ptrdiff_t clen = capture_text(m, c - '1', s, e, &start);
            if (clen == CAP_POSITION) luaL_addvalue(b);  /* the position capture_text pushed */
            else luaL_addlstring(b, start, (size_t)clen);
        } else {
            luaL_error(m->L, "invalid use of '%%' in replacement string");
        }
        t = esc + 2;
    }
    luaL_addlstring(b, t, (size_t)(t_end - t));
}

/* Adds the replacement of the match [s, e) to b; returns whether it differs from the match
 * (a false or nil value from a table or function keeps the match). */
static int add_replacement(Matcher *m, luaL_Buffer *b, const char *s, const char *e, int kind) {
    lua_State *L = m->L;
    if (kind == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        lua_call(L, push_captures(m, s, e), 1);
    } else if (kind == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_template(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int bounded_gsub(lua_State *L) {
    size_t len, plen;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *p = luaL_checklstring(L, 2, &plen);
    int kind = lua_type(L, 3);
    lua_Integer most = luaL_optinteger(L, 4, (lua_Integer)len + 1);
    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
                     3, "string/function/table");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    Matcher m;
    matcher_init(&m, L, s, len, p, plen);
    int anchored = plen > 0 && *p == '^';
    if (anchored) p++;
    const char *at = s, *last_end = NULL;
    lua_Integer count = 0;
    int changed = 0;
    while (count < most) {
        const char *end = match_at(&m, at, p);
        if (end && end != last_end) {  /* an empty match where the last one ended is skipped */
            count++;
            changed |= add_replacement(&m, &b, at, end, kind);
            at = last_end = end;
        } else if (at < m.subject_end) {
            luaL_addchar(&b, *at++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (changed) {
        luaL_addlstring(&b, at, (size_t)(m.subject_end - at));
        luaL_pushresult(&b);
    } else {
        lua_pushvalue(L, 1);
    }
    lua_pushinteger(L, count);
    return 2;
}

/* ---- Public API ---- */

void wippy_install_bounded_patterns(lua_State *L, int index) {
    static const luaL_Reg functions[] = {
        {"find", bounded_find}, {"match", bounded_match}, {"gmatch", bounded_gmatch}, {"gsub", bounded_gsub},
        {NULL, NULL}
    };
    lua_pushvalue(L, index);
    luaL_setfuncs(L, functions, 0);
    lua_pop(L, 1);
}

void wippy_set_state_pattern_step_limit(lua_State *L, long long steps) {
    lua_pushinteger(L, steps < 0 ? 0 : steps);
    lua_setfield(L, LUA_REGISTRYINDEX, STATE_LIMIT_KEY);
}

void wippy_set_pattern_step_limit(long long steps) {
    atomic_store_explicit(&step_limit, steps < 0 ? 0 : steps, memory_order_relaxed);
}

long long wippy_pattern_step_limit(void) {
    return atomic_load_explicit(&step_limit, memory_order_relaxed);
}
