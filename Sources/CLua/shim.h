#ifndef WIPPY_CLUA_SHIM_H
#define WIPPY_CLUA_SHIM_H
#include <malloc.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

/*
 * Memory accounts. One Lua state serves many processes (coroutines), so memory is counted per
 * account: each process has one, and account 0 is the state's own (shared code and tables, and
 * what ended processes left for the collector). Every block carries a small header naming the
 * account that allocated it and that account's generation; a block freed after its account was
 * closed (and perhaps reused) is credited to account 0 instead.
 */
typedef struct {
    long long used;        /* live bytes of blocks this account allocated */
    long long limit;       /* most bytes while Lua code runs (`strict`) */
    unsigned generation;   /* bumped when the account is closed */
    unsigned next_free;    /* free list link (closed accounts), 0 = end */
} wippy_account;

typedef struct {
    unsigned account;
    unsigned generation;
} wippy_block;

/*
 * Every state's control block, the userdata of its allocator (so any thread of the state finds it
 * with lua_getallocf). It holds the memory accounts and what preemption needs.
 *
 * Budgets are enforced only while Lua code runs (`strict`). Swift code that pushes values (a
 * message, a call's result) runs lenient: an allocation failure there would longjmp over Swift
 * frames and leak what they hold, or reach the panic handler outside any protected call. When a
 * built-in returns, the trampoline raises an ordinary error if the account went over its budget.
 */
typedef struct {
    long long used;      /* bytes allocated by the whole state */
    int strict;          /* Lua code is running: refuse allocations past the account's limit */
    int preempted;       /* the last yield of a thread was the preemption hook's */
    int lock;            /* guards `running` between the state's thread and the watchdog */
    lua_State *running;  /* the innermost thread running Lua now; NULL when none */
    int doomed;          /* terminated: the hook raises wherever it cannot yield */
    int sorting;         /* table.sort comparators running (blocking calls are refused there) */
    void *owner;         /* the Swift process running now (built-ins find it here) */
    unsigned current;    /* the account charged now */
    int message_metatable; /* registry reference of the prelude's message metatable */
    unsigned account_count, account_capacity, free_account;
    wippy_account *accounts;
} wippy_control;

static inline wippy_control *wippy_control_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return (wippy_control *)ud;
}

/* A control block with account 0 (unlimited); NULL when out of memory. */
static inline wippy_control *wippy_control_new(void) {
    wippy_control *c = (wippy_control *)calloc(1, sizeof(wippy_control));
    if (!c) return NULL;
    c->accounts = (wippy_account *)calloc(16, sizeof(wippy_account));
    if (!c->accounts) { free(c); return NULL; }
    c->account_capacity = 16;
    c->account_count = 1;
    c->accounts[0].limit = 0x7fffffffffffffffLL;
    return c;
}

static inline void wippy_control_free(wippy_control *c) {
    free(c->accounts);
    free(c);
}

/* Opens an account with `limit` bytes; 0 when the table of accounts cannot grow. */
static inline unsigned wippy_account_open(wippy_control *c, long long limit) {
    unsigned index = c->free_account;
    if (index) {
        c->free_account = c->accounts[index].next_free;
    } else {
        if (c->account_count == c->account_capacity) {
            unsigned capacity = c->account_capacity * 2;
            wippy_account *grown = (wippy_account *)realloc(c->accounts, capacity * sizeof(wippy_account));
            if (!grown) return 0;
            memset(grown + c->account_capacity, 0, (capacity - c->account_capacity) * sizeof(wippy_account));
            c->accounts = grown;
            c->account_capacity = capacity;
        }
        index = c->account_count++;
    }
    c->accounts[index].used = 0;
    c->accounts[index].limit = limit;
    c->accounts[index].next_free = 0;
    return index;
}

/* Closes an account: what its blocks still hold is counted on account 0 from now on. */
static inline void wippy_account_close(wippy_control *c, unsigned index) {
    if (index == 0 || index >= c->account_count) return;
    wippy_account *a = &c->accounts[index];
    c->accounts[0].used += a->used;
    a->used = 0;
    a->generation++;
    a->next_free = c->free_account;
    c->free_account = index;
}

static inline long long wippy_account_used(wippy_control *c, unsigned index) { return c->accounts[index].used; }
static inline long long wippy_account_remaining(wippy_control *c, unsigned index) {
    return c->accounts[index].limit - c->accounts[index].used;
}
/* Counts `bytes` (negative: gives back) on an account without a block: a response body. */
static inline void wippy_account_charge(wippy_control *c, unsigned index, long long bytes) { c->accounts[index].used += bytes; }

/* realloc/free within the charged account's budget (lua_Alloc). */
static inline void *wippy_allocate(void *ud, void *pointer, size_t old_size, size_t new_size) {
    wippy_control *c = (wippy_control *)ud;
    wippy_block *block = pointer ? ((wippy_block *)pointer) - 1 : NULL;
    long long old = block ? (long long)old_size : 0;
    unsigned owner = 0;
    if (block) {
        owner = block->account;
        if (owner >= c->account_count || c->accounts[owner].generation != block->generation) owner = 0;
    }
    if (new_size == 0) {
        free(block);
        c->accounts[owner].used -= old;
        c->used -= old;
        return NULL;
    }
    if (block && owner != c->current && (long long)new_size <= old) {
        /* Another account's block made smaller (the collector shrinks stacks and the string table
         * while any process runs): it stays that account's, and shrinking never fails. */
        wippy_block *result = (wippy_block *)realloc(block, new_size + sizeof(wippy_block));
        if (!result) return NULL;
        c->accounts[owner].used += (long long)new_size - old;
        c->used += (long long)new_size - old;
        return result + 1;
    }
    wippy_account *a = &c->accounts[c->current];
    long long kept = (block && owner == c->current) ? old : 0;
    if (c->strict && (long long)new_size > kept && a->used - kept + (long long)new_size > a->limit) return NULL;
    wippy_block *result = (wippy_block *)realloc(block, new_size + sizeof(wippy_block));
    if (!result) return NULL;
    c->accounts[owner].used -= old;
    a->used += (long long)new_size;
    c->used += (long long)new_size - old;
    result->account = c->current;
    result->generation = a->generation;
    return result + 1;
}

/* lua_resume with the budget enforced (the caller is Swift, which runs lenient). */
static inline int wippy_resume(lua_State *co, lua_State *from, int nargs, int *nresults) {
    wippy_control *c = wippy_control_of(co);
    c->strict = 1;
    int status = lua_resume(co, from, nargs, nresults);
    c->strict = 0;
    return status;
}

/* lua_pcall with the budget enforced. */
static inline int wippy_pcall(lua_State *L, int nargs, int nresults) {
    wippy_control *c = wippy_control_of(L);
    c->strict = 1;
    int status = lua_pcall(L, nargs, nresults, 0);
    c->strict = 0;
    return status;
}

/*
 * Lua reports errors and yields from C functions with longjmp, which must never cross Swift
 * frames. Swift implements built-in functions as `wippy_swift_fn`s that return normally; this
 * trampoline, written in C, raises or yields on their behalf after they returned.
 */
#define WIPPY_RAISE (-1)  /* the error message is on top of the stack */
#define WIPPY_YIELD (-2)  /* yield with no values; the host resumes with the results */

typedef int (*wippy_swift_fn)(lua_State *L);

static inline int wippy_trampoline(lua_State *L) {
    wippy_swift_fn fn = (wippy_swift_fn)lua_touserdata(L, lua_upvalueindex(1));
    wippy_control *c = wippy_control_of(L);
    int strict = c->strict;
    c->strict = 0;
    int results = fn(L);
    wippy_account *a = &c->accounts[c->current];
    if (strict && a->used > a->limit) {
        lua_pushfstring(L, "not enough memory: the process's limit is %d MiB", (int)(a->limit >> 20));
        c->strict = strict;
        return lua_error(L);
    }
    c->strict = strict;
    if (results == WIPPY_RAISE) return lua_error(L);
    if (results == WIPPY_YIELD) return lua_yield(L, 0);
    return results;
}

/* Pushes a Swift-implemented function as a Lua function. */
static inline void wippy_push_swift_function(lua_State *L, wippy_swift_fn fn) {
    lua_pushlightuserdata(L, (void *)fn);
    lua_pushcclosure(L, wippy_trampoline, 1);
}

/*
 * Preemption. A watchdog arms this count hook on the thread a process runs (the innermost
 * coroutine, see `running`) once it ran past its time slice. Where the running code can yield,
 * the hook disarms itself and yields; a coroutine made with the coroutine library passes that
 * yield on to the process (see wippy_co_resume). A doomed (terminated) process instead gets an
 * error at every instruction until it has unwound, whether it can yield or not: inside a sort
 * comparator, a metamethod called from C or a pcall.
 */
static inline void wippy_preempt_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    wippy_control *c = wippy_control_of(L);
    if (__atomic_load_n(&c->doomed, __ATOMIC_RELAXED)) {
        luaL_error(L, "process terminated");
        return;
    }
    if (lua_isyieldable(L)) {
        lua_sethook(L, NULL, 0, 0);
        c->preempted = 1;
        lua_yield(L, 0);
    }
}

static inline void wippy_control_lock(wippy_control *c) {
    while (__atomic_exchange_n(&c->lock, 1, __ATOMIC_ACQUIRE)) { }
}
static inline void wippy_control_unlock(wippy_control *c) { __atomic_store_n(&c->lock, 0, __ATOMIC_RELEASE); }

/* Sets which thread runs now (from the state's own OS thread). The hook follows the switch: an
 * armed hook moves from the thread left to the thread entered. */
static inline void wippy_set_running(wippy_control *c, lua_State *from, lua_State *to) {
    wippy_control_lock(c);
    if (from && lua_gethook(from)) {
        int count = lua_gethookcount(from);
        lua_sethook(from, NULL, 0, 0);
        if (to) lua_sethook(to, wippy_preempt_hook, LUA_MASKCOUNT, count);
    }
    c->running = to;
    wippy_control_unlock(c);
}

/* Called by the watchdog thread: arms the hook on the running thread (lua_sethook may be called
 * while another thread runs the state: Lua's own interpreter does it from a signal handler).
 * Doomed processes are hooked at every instruction. */
static inline void wippy_arm_preemption(wippy_control *c) {
    wippy_control_lock(c);
    if (c->running) {
        int count = __atomic_load_n(&c->doomed, __ATOMIC_RELAXED) ? 1 : 1000;
        lua_sethook(c->running, wippy_preempt_hook, LUA_MASKCOUNT, count);
    }
    wippy_control_unlock(c);
}

static inline void wippy_doom(wippy_control *c) { __atomic_store_n(&c->doomed, 1, __ATOMIC_RELAXED); }

/* The process's main coroutine is about to run (from the state's OS thread). */
static inline void wippy_enter(wippy_control *c, lua_State *co) {
    c->preempted = 0;
    wippy_set_running(c, NULL, co);
}

/* Lua stopped running: no hook stays armed, the watchdog finds no thread. `preempted` tells the
 * host whether the yield was a preemption (cleared at the next enter). */
static inline void wippy_leave(wippy_control *c) {
    wippy_set_running(c, c->running, NULL);
}

/*
 * coroutine.resume and coroutine.wrap, as the library's but aware of preemption: when the
 * resumed coroutine was preempted (the hook yielded it), the resumer yields too, up to the
 * process, and resumes the coroutine when the process runs again. Where the resumer cannot
 * yield, the coroutine simply goes on.
 */
static inline int wippy_co_run(lua_State *L, lua_State *co, int nargs, int wrapped);

static inline int wippy_co_continue(lua_State *L, int status, lua_KContext wrapped) {
    (void)status;
    lua_State *co = lua_tothread(L, wrapped ? lua_upvalueindex(1) : 1);
    return wippy_co_run(L, co, 0, (int)wrapped);
}

static inline int wippy_co_run(lua_State *L, lua_State *co, int nargs, int wrapped) {
    wippy_control *c = wippy_control_of(L);
    int status, nresults;
    for (;;) {
        wippy_set_running(c, L, co);
        status = lua_resume(co, L, nargs, &nresults);
        wippy_set_running(c, co, L);
        if (status != LUA_YIELD || nresults != 0 || !c->preempted) break;
        if (lua_isyieldable(L)) return lua_yieldk(L, 0, wrapped, wippy_co_continue);  /* `preempted` stays set */
        c->preempted = 0;
        nargs = 0;
    }
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nresults + 1)) {
            lua_pop(co, nresults);
            lua_pushliteral(L, "too many results to resume");
            if (wrapped) return lua_error(L);
            lua_pushboolean(L, 0);
            lua_insert(L, -2);
            return 2;
        }
        if (!wrapped) lua_pushboolean(L, 1);
        lua_xmove(co, L, nresults);
        return nresults + (wrapped ? 0 : 1);
    }
    lua_xmove(co, L, 1);  /* the error */
    if (wrapped) {
        /* As the library's wrap: a coroutine that failed itself (not one that could not be
         * resumed) is closed, its __close methods running as that coroutine. */
        int closed = lua_status(co);
        if (closed != LUA_OK && closed != LUA_YIELD) {
            wippy_set_running(c, L, co);
            closed = lua_resetthread(co);
            wippy_set_running(c, co, L);
            lua_xmove(co, L, 1);
        }
        if (closed != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {  /* with the caller's position */
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

static inline int wippy_co_start(lua_State *L, lua_State *co, int first, int wrapped) {
    int nargs = lua_gettop(L) - first + 1;
    if (!lua_checkstack(co, nargs)) {
        lua_pushliteral(L, "too many arguments to resume");
        if (wrapped) return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_xmove(L, co, nargs);
    return wippy_co_run(L, co, nargs, wrapped);
}

static inline int wippy_co_resume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    return wippy_co_start(L, co, 2, 0);
}

static inline int wippy_co_wrapped(lua_State *L) {
    return wippy_co_start(L, lua_tothread(L, lua_upvalueindex(1)), 1, 1);
}

static inline int wippy_co_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wippy_co_wrapped, 1);
    return 1;
}

/*
 * table.sort. The library's sort calls a comparator (or an __lt metamethod) from C, where Lua code
 * can be neither preempted nor stopped short of an error: a comparator that loops would hold its
 * thread. When Lua code may run during the sort, a merge sort written in Lua does the work instead,
 * called so that it can yield; blocking calls stay refused inside it, as in Lua (`sorting`). Plain
 * arrays of numbers or of strings without a comparator still take the library's sort.
 */
static const char wippy_sort_source[] =
    "local function less(a, b) return a < b end\n"
    "return function(t, lt)\n"
    "  lt = lt or less\n"
    "  local n = #t\n"
    "  if n < 2 then return end\n"
    "  local src, dst = {}, {}\n"
    "  for i = 1, n do src[i] = t[i] end\n"
    "  local width = 1\n"
    "  while width < n do\n"
    "    local lo = 1\n"
    "    while lo <= n do\n"
    "      local mid, hi = lo + width, lo + 2 * width\n"
    "      if mid > n + 1 then mid = n + 1 end\n"
    "      if hi > n + 1 then hi = n + 1 end\n"
    "      local i, j, k = lo, mid, lo\n"
    "      while i < mid and j < hi do\n"
    "        local right, left = src[j], src[i]\n"
    "        if lt(right, left) then dst[k] = right; j = j + 1 else dst[k] = left; i = i + 1 end\n"
    "        k = k + 1\n"
    "      end\n"
    "      while i < mid do dst[k] = src[i]; i = i + 1; k = k + 1 end\n"
    "      while j < hi do dst[k] = src[j]; j = j + 1; k = k + 1 end\n"
    "      lo = hi\n"
    "    end\n"
    "    src, dst = dst, src\n"
    "    width = width * 2\n"
    "  end\n"
    "  for i = 1, n do t[i] = src[i] end\n"
    "end\n";

#define WIPPY_SORT_KEY "wippy.sort"  /* registry: the Lua merge sort, compiled on first use */

/* 1 when sorting `t` (at index 1, no comparator) runs no Lua code: all numbers or all strings. */
static inline int wippy_sort_is_plain(lua_State *L) {
    if (!lua_isnoneornil(L, 2) || lua_type(L, 1) != LUA_TTABLE) return 0;
    if (lua_getmetatable(L, 1)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    int first = LUA_TNONE;
    for (lua_Integer i = 1; i <= n; i++) {
        int type = lua_rawgeti(L, 1, i);
        lua_pop(L, 1);
        if (i == 1) first = type;
        if (type != first || (type != LUA_TNUMBER && type != LUA_TSTRING)) return 0;
    }
    return 1;
}

static inline int wippy_sort_finish(lua_State *L, int status, lua_KContext ctx) {
    (void)ctx;
    wippy_control_of(L)->sorting--;
    if (status != LUA_OK && status != LUA_YIELD) return lua_error(L);
    return 0;
}

static inline int wippy_sort(lua_State *L) {
    if (wippy_sort_is_plain(L)) {
        lua_pushvalue(L, lua_upvalueindex(1));  /* the library's sort */
        lua_pushvalue(L, 1);
        lua_call(L, 1, 0);
        return 0;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    if (lua_getfield(L, LUA_REGISTRYINDEX, WIPPY_SORT_KEY) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        if (luaL_loadbufferx(L, wippy_sort_source, sizeof(wippy_sort_source) - 1, "=table.sort", "t") != LUA_OK) return lua_error(L);
        lua_call(L, 0, 1);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, WIPPY_SORT_KEY);
    }
    lua_insert(L, 1);
    wippy_control_of(L)->sorting++;
    return wippy_sort_finish(L, lua_pcallk(L, 2, 0, 0, 0, wippy_sort_finish), 0);
}

/* The table library with the preemptable sort. */
static inline int wippy_luaopen_table(lua_State *L) {
    luaopen_table(L);
    lua_getfield(L, -1, "sort");
    lua_pushcclosure(L, wippy_sort, 1);
    lua_setfield(L, -2, "sort");
    return 1;
}

/* coroutine.close: the library's (its upvalue), with the closed coroutine's __close methods
 * running as that coroutine, where preemption and termination reach them. */
static inline int wippy_co_close(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    wippy_control *c = wippy_control_of(L);
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    wippy_set_running(c, L, co);
    int status = lua_pcall(L, 1, LUA_MULTRET, 0);
    wippy_set_running(c, co, L);
    if (status != LUA_OK) return lua_error(L);
    return lua_gettop(L);
}

/* coroutine.yield, refused inside a table.sort comparator as in Lua (the sort runs in Lua here, so
 * nothing else would stop a yield that leaves the sort half done). */
static inline int wippy_co_yield(lua_State *L) {
    if (wippy_control_of(L)->sorting > 0) return luaL_error(L, "attempt to yield across a C-call boundary");
    return lua_yield(L, lua_gettop(L));
}

/* The coroutine library with the preemption-aware resume, wrap and close. */
static inline int wippy_luaopen_coroutine(lua_State *L) {
    luaopen_coroutine(L);
    lua_pushcfunction(L, wippy_co_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, wippy_co_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pushcfunction(L, wippy_co_yield);
    lua_setfield(L, -2, "yield");
    lua_getfield(L, -1, "close");
    lua_pushcclosure(L, wippy_co_close, 1);
    lua_setfield(L, -2, "close");
    return 1;
}

/* The Swift process running now (the scheduler sets it before each resume). */
static inline void *wippy_get_owner(lua_State *L) { return wippy_control_of(L)->owner; }

/*
 * The shared globals. A state serves many processes: its global table (G0) holds what they share
 * (the sandboxed libraries, `process`, `channel`, `print`, `require`), and each process gets a
 * private globals table of its own (its _ENV) whose misses fall through to G0. Shared tables are
 * read-only to Lua code: each is replaced by an empty proxy whose metatable reads through to the
 * real table, refuses writes, iterates without handing out the real table, and is protected.
 */
#define WIPPY_ENV_METATABLE "wippy.env"      /* registry: the metatable of every private globals table */
#define WIPPY_FROZEN "wippy.frozen"          /* registry: weak-keyed set of the read-only proxies */

static const char *const wippy_os_removed[] = {
    "execute", "exit", "remove", "rename", "getenv", "tmpname", "setlocale", NULL
};

/* `os` without what the sandbox forbids. */
static inline int wippy_luaopen_os(lua_State *L) {
    luaopen_os(L);
    for (const char *const *name = wippy_os_removed; *name; name++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *name);
    }
    return 1;
}

/* __index of a private globals table: (env, key) -> G0[key] (upvalue 1), kept in env once read
 * (G0 is frozen: its values never change), so the next read is a plain hit and the libraries a
 * process used show in its globals, as if opened there on first use. */
static inline int wippy_env_index(lua_State *L) {
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
        lua_pushvalue(L, 2);
        lua_pushvalue(L, -2);
        lua_rawset(L, 1);
    }
    return 1;
}

/* Pushes a new private globals table: empty but for `_G`, itself. */
static inline void wippy_new_env(lua_State *L) {
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_getfield(L, LUA_REGISTRYINDEX, WIPPY_ENV_METATABLE);
    lua_setmetatable(L, -2);
}

/* 1 if the value at `index` is a read-only proxy. */
static inline int wippy_is_frozen(lua_State *L, int index) {
    if (lua_type(L, index) != LUA_TTABLE) return 0;
    index = lua_absindex(L, index);
    lua_getfield(L, LUA_REGISTRYINDEX, WIPPY_FROZEN);
    lua_pushvalue(L, index);
    int frozen = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return frozen;
}

static inline int wippy_frozen_newindex(lua_State *L) {
    return luaL_error(L, "cannot change %s: shared tables are read-only (keep a copy of your own)",
                      lua_type(L, 2) == LUA_TSTRING ? lua_pushfstring(L, "field '%s'", lua_tostring(L, 2)) : "a field");
}

/* The iterator of a proxy: (proxy, key) -> next(real, key); the real table is its upvalue. */
static inline int wippy_frozen_next(lua_State *L) {
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1))) return 2;
    lua_pushnil(L);
    return 1;
}

static inline int wippy_frozen_pairs(lua_State *L) {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_pushcclosure(L, wippy_frozen_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static inline int wippy_frozen_len(lua_State *L) {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

/* Replaces the table at `index` by its read-only proxy, table fields first (each once). */
static inline void wippy_freeze(lua_State *L, int index) {
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE || wippy_is_frozen(L, index)) return;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        if (lua_type(L, -1) == LUA_TTABLE && !wippy_is_frozen(L, -1)) {
            wippy_freeze(L, -1);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, index);  /* replacing an existing key's value keeps lua_next valid */
        } else {
            lua_pop(L, 1);
        }
    }
    static const luaL_Reg proxy_methods[] = {
        {"__newindex", wippy_frozen_newindex}, {"__pairs", wippy_frozen_pairs}, {"__len", wippy_frozen_len}, {NULL, NULL}
    };
    lua_newtable(L);  /* the proxy */
    lua_createtable(L, 0, 5);
    luaL_setfuncs(L, proxy_methods, 0);
    lua_pushvalue(L, index);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, WIPPY_FROZEN);
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_replace(L, index);
}

/* When the value at `index` is a private globals table that still carries the runtime's metatable:
 * copies the shared globals into it and removes that metatable, so that code that sets a metatable
 * of its own on _G (a strict-globals module) sees every library as an ordinary global. */
static inline void wippy_settle_globals(lua_State *L, int index) {
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE || !lua_getmetatable(L, index)) return;
    lua_getfield(L, LUA_REGISTRYINDEX, WIPPY_ENV_METATABLE);
    int ours = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!ours) return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        if (lua_rawget(L, index) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, index);
        } else {
            lua_pop(L, 2);
        }
    }
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setmetatable(L, index);
}

/* The base library's getmetatable, after settling a globals table. */
static inline int wippy_getmetatable(lua_State *L) {
    luaL_checkany(L, 1);
    wippy_settle_globals(L, 1);
    if (!lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    luaL_getmetafield(L, 1, "__metatable");
    return 1;  /* the __metatable field if there is one, else the metatable */
}

/* The base library's setmetatable, after settling a globals table. */
static inline int wippy_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    wippy_settle_globals(L, 1);
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
    /* Finalizers would run wherever the collector happens to run, outside every limit. */
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not available");
    }
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* rawset, refused on shared tables. */
static inline int wippy_rawset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (wippy_is_frozen(L, 1)) return luaL_error(L, "cannot change a shared table: shared tables are read-only");
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* collectgarbage, limited to what concerns the calling process alone: "count" is its own memory
 * in KiB; "collect", "step" and "isrunning" are accepted and change nothing (the collector is the
 * state's, shared); the options that would tune or stop it for everyone are errors. */
static inline int wippy_collectgarbage(lua_State *L) {
    const char *option = luaL_optstring(L, 1, "collect");
    wippy_control *c = wippy_control_of(L);
    if (strcmp(option, "count") == 0) {
        lua_pushnumber(L, (lua_Number)c->accounts[c->current].used / 1024.0);
        return 1;
    }
    if (strcmp(option, "collect") == 0) { lua_pushinteger(L, 0); return 1; }
    if (strcmp(option, "step") == 0 || strcmp(option, "isrunning") == 0) { lua_pushboolean(L, 1); return 1; }
    return luaL_error(L, "collectgarbage(\"%s\") is not available: the collector is shared with other processes", option);
}

/*
 * Opens the sandboxed libraries into G0 and freezes everything shared: the libraries become
 * read-only proxies, the string metatable is protected, and the metatable of private globals
 * tables is made (its __index reads G0).
 */
static inline void wippy_open_shared_libraries(lua_State *L) {
    lua_newtable(L);  /* the frozen set, weak keys */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, WIPPY_FROZEN);
    static const luaL_Reg libraries[] = {
        {"_G", luaopen_base}, {"string", luaopen_string}, {"table", wippy_luaopen_table}, {"math", luaopen_math},
        {"utf8", luaopen_utf8}, {"coroutine", wippy_luaopen_coroutine}, {"os", wippy_luaopen_os}, {NULL, NULL}
    };
    for (const luaL_Reg *library = libraries; library->name; library++) {
        luaL_requiref(L, library->name, library->func, 1);
        lua_pop(L, 1);
    }
    static const luaL_Reg replaced[] = {
        {"getmetatable", wippy_getmetatable}, {"setmetatable", wippy_setmetatable}, {"rawset", wippy_rawset},
        {"collectgarbage", wippy_collectgarbage}, {NULL, NULL}
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, replaced, 0);
    static const char *const removed[] = { "dofile", "loadfile", "load", "loadstring", "require", "_G", NULL };
    for (const char *const *name = removed; *name; name++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *name);
    }
    lua_createtable(L, 0, 2);  /* the metatable of private globals */
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, wippy_env_index, 1);
    lua_setfield(L, -2, "__index");
    lua_setfield(L, LUA_REGISTRYINDEX, WIPPY_ENV_METATABLE);
    lua_pop(L, 1);
}

/* freeze(t) -> t's read-only proxy (for the prelude's shared modules). */
static inline int wippy_freeze_function(lua_State *L) {
    lua_settop(L, 1);
    wippy_freeze(L, 1);
    return 1;
}

/* setmetatable without the sandbox's checks (for the prelude's own objects). */
static inline int wippy_raw_setmetatable(lua_State *L) {
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* getmetatable without __metatable (for the prelude's own type checks). */
static inline int wippy_raw_getmetatable(lua_State *L) {
    if (!lua_getmetatable(L, 1)) lua_pushnil(L);
    return 1;
}

/* Freezes every table-valued global of G0 (after the runtime added its own) and protects the
 * string metatable: getmetatable("") gives false. */
static inline void wippy_freeze_globals(lua_State *L) {
    lua_pushglobaltable(L);
    int globals = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, globals)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            wippy_freeze(L, -1);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, globals);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
}

/* Function-like macros (and a variadic function) Swift cannot import. */
static inline int wippy_gc_collect(lua_State *L) { return lua_gc(L, LUA_GCCOLLECT); }

/* malloc's counts, for the Lua `system.memory.stats()`. */
typedef struct {
    unsigned long long in_use, free, obtained, chunks, releasable;
} wippy_heap_stats;
static inline wippy_heap_stats wippy_heap(void) {
    struct mallinfo2 m = mallinfo2();
    wippy_heap_stats s = { m.uordblks, m.fordblks, m.arena + m.hblkhd, m.ordblks, m.keepcost };
    return s;
}
static inline int wippy_gc_incremental(lua_State *L, int pause, int stepmul) { return lua_gc(L, LUA_GCINC, pause, stepmul, 0); }
static inline int wippy_ref(lua_State *L) { return luaL_ref(L, LUA_REGISTRYINDEX); }
static inline void wippy_unref(lua_State *L, int ref) { luaL_unref(L, LUA_REGISTRYINDEX, ref); }
static inline int wippy_getref(lua_State *L, int ref) { return lua_rawgeti(L, LUA_REGISTRYINDEX, ref); }
/* Bytes a state allocated, from Lua's own count (states without a control block: benchmarks). */
static inline long long wippy_memory_bytes(lua_State *L) { return (long long)lua_gc(L, LUA_GCCOUNT) * 1024 + lua_gc(L, LUA_GCCOUNTB); }
static inline void wippy_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void wippy_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *wippy_tostring(lua_State *L, int index) { return lua_tostring(L, index); }
static inline int wippy_isnoneornil(lua_State *L, int index) { return lua_isnoneornil(L, index); }
static inline int wippy_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int wippy_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline lua_Integer wippy_ridx_globals(void) { return LUA_RIDX_GLOBALS; }
static inline void wippy_remove(lua_State *L, int index) { lua_remove(L, index); }
static inline void wippy_insert(lua_State *L, int index) { lua_insert(L, index); }
static inline void wippy_replace(lua_State *L, int index) { lua_replace(L, index); }
static inline int wippy_loadbuffer(lua_State *L, const char *buffer, size_t size, const char *name) {
    return luaL_loadbufferx(L, buffer, size, name, "t");
}
/* Only for bytecode the runtime compiled itself (its own chunks, and an entry's code compiled from
 * its text on first use); user code can never load bytecode. */
static inline int wippy_loadbytecode(lua_State *L, const char *buffer, size_t size, const char *name) {
    return luaL_loadbufferx(L, buffer, size, name, "b");
}

static inline int wippy_dump_writer(lua_State *L, const void *p, size_t size, void *ud);
/* Compiled bytecode of the function on top of the stack, stripped of debug information or not. */
typedef struct { char *data; size_t size; size_t capacity; } wippy_buffer;
static inline int wippy_dump_writer(lua_State *L, const void *p, size_t size, void *ud) {
    (void)L;
    wippy_buffer *b = (wippy_buffer *)ud;
    if (b->size + size > b->capacity) {
        size_t capacity = (b->capacity + size) * 2;
        char *grown = (char *)realloc(b->data, capacity);
        if (!grown) return 1;
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, p, size);
    b->size += size;
    return 0;
}
static inline int wippy_dump(lua_State *L, wippy_buffer *out, int strip) {
    return lua_dump(L, wippy_dump_writer, out, strip);
}
#endif
