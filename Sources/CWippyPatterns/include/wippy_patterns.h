#ifndef WIPPY_PATTERNS_H
#define WIPPY_PATTERNS_H

#include <lua.h>

/*
 * Lua 5.4's string.find, string.match, string.gmatch and string.gsub, with the same results and
 * error messages, but with a bounded amount of work: the stock functions backtrack inside C,
 * where no Lua hook can interrupt them, so a pattern such as ".-.-.-.-.-.-b" against a long
 * subject would hold its thread for hours. These count matching steps instead and raise the Lua
 * error "pattern too complex: more than N matching steps" once one call goes over the limit.
 */

/* The default limit: about half a second of matching; enough for a gsub over tens of MB. */
#define WIPPY_DEFAULT_PATTERN_STEP_LIMIT 100000000LL

/* Replaces find, match, gmatch and gsub in the table at `index` (the string library table) with
 * step-bounded versions. */
void wippy_install_bounded_patterns(lua_State *L, int index);

/* Most matching steps one call of find/match/gsub, or one iteration of gmatch, may take
 * (default WIPPY_DEFAULT_PATTERN_STEP_LIMIT). Applies to calls that start afterwards, in every
 * state; a negative value counts as 0. */
void wippy_set_pattern_step_limit(long long steps);
long long wippy_pattern_step_limit(void);

/* The limit for calls in L's state only, instead of the process-wide one: lower where a long call
 * would delay other work, such as an event loop's state (its connections wait meanwhile). */
void wippy_set_state_pattern_step_limit(lua_State *L, long long steps);

/* The limit of states that run on an event loop: about 50 ms of matching. */
#define WIPPY_EVENT_LOOP_PATTERN_STEP_LIMIT 10000000LL

#endif
