#ifndef WIPPY_CLUA_SHIM_H
#define WIPPY_CLUA_SHIM_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

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
    int results = fn(L);
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
 * Preemption: a watchdog arms this count hook on a process that ran past its time slice; the hook
 * disarms itself and yields (allowed from count hooks in Lua 5.4) when the running code can yield.
 */
static inline void wippy_preempt_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (lua_isyieldable(L)) {
        lua_sethook(L, NULL, 0, 0);
        lua_yield(L, 0);
    }
}

static inline void wippy_arm_preemption(lua_State *L) {
    lua_sethook(L, wippy_preempt_hook, LUA_MASKCOUNT, 1000);
}

/* The Swift object that owns the state, kept in the main thread's extra space. Lua copies that
 * slot into a thread only when the thread is made, so a coroutine made during an earlier call on
 * a pooled state would hold a stale copy: every read goes to the main thread's slot. */
static inline void *wippy_get_owner(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    lua_State *main = lua_tothread(L, -1);
    lua_pop(L, 1);
    return *(void **)lua_getextraspace(main);
}
/* `L` must be the main thread. */
static inline void wippy_set_owner(lua_State *L, void *owner) { *(void **)lua_getextraspace(L) = owner; }

/* Function-like macros (and a variadic function) Swift cannot import. */
static inline int wippy_memory_bytes(lua_State *L) { return lua_gc(L, LUA_GCCOUNT) * 1024 + lua_gc(L, LUA_GCCOUNTB); }
static inline void wippy_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void wippy_newtable(lua_State *L) { lua_newtable(L); }
static inline int wippy_pcall(lua_State *L, int nargs, int nresults) { return lua_pcall(L, nargs, nresults, 0); }
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
/* Only for the runtime's own precompiled chunks; user code is always loaded as text. */
static inline int wippy_loadbytecode(lua_State *L, const char *buffer, size_t size, const char *name) {
    return luaL_loadbufferx(L, buffer, size, name, "b");
}

static inline int wippy_dump_writer(lua_State *L, const void *p, size_t size, void *ud);
/* Compiled bytecode of the function on top of the stack, stripped of debug information. */
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
static inline int wippy_dump(lua_State *L, wippy_buffer *out) {
    return lua_dump(L, wippy_dump_writer, out, 1);
}
#endif
