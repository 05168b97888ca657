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

/*
 * Lazily opened standard libraries. `table`, `math`, `utf8`, `coroutine` and `os` cost a new state
 * about 6 KB it mostly never uses: they are opened on their first global read instead (an
 * `__index` on the global table). `string` and `_G` stay eager (string methods and string
 * arithmetic go through the string metatable). `setmetatable(_G, ...)` (e.g. a strict-globals
 * module) first opens everything still pending, so replacing the metatable loses nothing.
 */
typedef struct { const char *name; lua_CFunction open; } wippy_lazy_library;
static const wippy_lazy_library wippy_lazy_libraries[] = {
    {"table", luaopen_table}, {"math", luaopen_math}, {"utf8", luaopen_utf8},
    {"coroutine", luaopen_coroutine}, {"os", luaopen_os}, {NULL, NULL}
};
static const char *const wippy_os_removed[] = {
    "execute", "exit", "remove", "rename", "getenv", "tmpname", "setlocale", NULL
};

/* Opens one library as a global (sandboxed); leaves it on the stack. */
static inline void wippy_open_library(lua_State *L, const wippy_lazy_library *library) {
    luaL_requiref(L, library->name, library->open, 1);
    if (strcmp(library->name, "os") == 0) {
        for (const char *const *name = wippy_os_removed; *name; name++) {
            lua_pushnil(L);
            lua_setfield(L, -2, *name);
        }
    }
}

/* __index of the global table: (globals, key) -> the library, opened now, or nil. */
static inline int wippy_lazy_index(lua_State *L) {
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *key = lua_tostring(L, 2);
        for (const wippy_lazy_library *library = wippy_lazy_libraries; library->name; library++) {
            if (strcmp(key, library->name) == 0) {
                wippy_open_library(L, library);
                return 1;
            }
        }
    }
    return 0;
}

/* setmetatable, with the original as upvalue 1: opens pending libraries before _G's changes. */
static inline int wippy_setmetatable(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    int is_globals = lua_rawequal(L, 1, -1);
    lua_pop(L, 1);
    if (is_globals) {
        for (const wippy_lazy_library *library = wippy_lazy_libraries; library->name; library++) {
            lua_getglobal(L, library->name);  /* a pending one opens through __index */
            lua_pop(L, 1);
        }
    }
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
}

/* Opens `_G` and `string` now and the other sandboxed libraries on first use. */
static inline void wippy_open_sandboxed_libraries(lua_State *L) {
    luaL_requiref(L, "_G", luaopen_base, 1);
    lua_pop(L, 1);
    luaL_requiref(L, "string", luaopen_string, 1);
    lua_pop(L, 1);
    lua_pushglobaltable(L);
    lua_getfield(L, -1, "setmetatable");
    lua_pushcclosure(L, wippy_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, wippy_lazy_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}

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
