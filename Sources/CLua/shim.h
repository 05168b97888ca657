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
 * about 6 KB it mostly never uses: they are opened on their first global read instead, by an
 * `__index` in a metatable of the runtime's on the global table. `_G` and `string` stay eager
 * (string methods and string arithmetic go through the string metatable). User code never sees
 * that metatable: `getmetatable(_G)` and `setmetatable(_G, ...)` first open every pending library
 * and take it away, so they see and change the global table as if every library had been opened
 * at the start (a strict-globals module works as usual). Libraries are set as globals with raw
 * sets, `os` already sandboxed, and each is opened once: `math = nil` stays nil.
 */
#define WIPPY_LAZY_METATABLE "wippy.lazy_globals"  /* registry key: the runtime's metatable of _G */

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

typedef struct { const char *name; lua_CFunction open; } wippy_lazy_library;
static const wippy_lazy_library wippy_lazy_libraries[] = {
    {"table", luaopen_table}, {"math", luaopen_math}, {"utf8", luaopen_utf8},
    {"coroutine", luaopen_coroutine}, {"os", wippy_luaopen_os}, {NULL, NULL}
};

/* 1 if `name` was opened before (it is in the registry's loaded-modules table). */
static inline int wippy_library_opened(lua_State *L, const char *name) {
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    int opened = lua_getfield(L, -1, name) != LUA_TNIL;
    lua_pop(L, 2);
    return opened;
}

/* Opens one library and sets it as a global with a raw set; leaves it on the stack. */
static inline void wippy_open_library(lua_State *L, const wippy_lazy_library *library) {
    luaL_requiref(L, library->name, library->open, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushstring(L, library->name);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* __index of the global table: (globals, key) -> the library, opened now, or nil. */
static inline int wippy_lazy_index(lua_State *L) {
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    size_t length;
    const char *key = lua_tolstring(L, 2, &length);
    for (const wippy_lazy_library *library = wippy_lazy_libraries; library->name; library++) {
        if (strlen(library->name) == length && memcmp(key, library->name, length) == 0) {
            if (wippy_library_opened(L, library->name)) return 0;  /* opened, then set to nil */
            wippy_open_library(L, library);
            return 1;
        }
    }
    return 0;
}

/* When the value at `index` is the global table and still carries the runtime's metatable:
 * opens every pending library and removes that metatable. */
static inline void wippy_settle_globals(lua_State *L, int index) {
    index = lua_absindex(L, index);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    int is_globals = lua_rawequal(L, index, -1);
    lua_pop(L, 1);
    if (!is_globals || !lua_getmetatable(L, index)) return;
    lua_getfield(L, LUA_REGISTRYINDEX, WIPPY_LAZY_METATABLE);
    int ours = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!ours) return;
    for (const wippy_lazy_library *library = wippy_lazy_libraries; library->name; library++) {
        if (!wippy_library_opened(L, library->name)) {
            wippy_open_library(L, library);
            lua_pop(L, 1);
        }
    }
    lua_pushnil(L);
    lua_setmetatable(L, index);
}

/* The base library's getmetatable, after settling the global table. */
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

/* The base library's setmetatable, after settling the global table. */
static inline int wippy_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    wippy_settle_globals(L, 1);
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* Opens `_G` and `string` now and the other sandboxed libraries on first use. */
static inline void wippy_open_sandboxed_libraries(lua_State *L) {
    luaL_requiref(L, "_G", luaopen_base, 1);
    lua_pop(L, 1);
    luaL_requiref(L, "string", luaopen_string, 1);
    lua_pop(L, 1);
    lua_pushglobaltable(L);
    lua_pushcfunction(L, wippy_getmetatable);
    lua_setfield(L, -2, "getmetatable");
    lua_pushcfunction(L, wippy_setmetatable);
    lua_setfield(L, -2, "setmetatable");
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, wippy_lazy_index);
    lua_setfield(L, -2, "__index");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, WIPPY_LAZY_METATABLE);
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
