/*
 * host.h: what the C spec hosts (sanitizer, threads) do to a Lua state. The fuzzers
 * (fuzz/lua_fuzz.c) have their own copy, so that fuzz/ builds without spec/.
 * static inline, so a host that uses one of them does not warn about the other.
 */
#ifndef AUTHCODES_HOST_H
#define AUTHCODES_HOST_H

#include "lua.h"
#include "lauxlib.h"

/* package.preload["authcodes.core"] = open: `require` gets the host's own
 * (instrumented) build of the core, never another one found on package.cpath. */
static inline void host_preload_core(lua_State *L, lua_CFunction open) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, open);
  lua_setfield(L, -2, "authcodes.core");
  lua_pop(L, 2);
}

/* Message handler for lua_pcall: the error, with a traceback. */
static inline int host_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

#endif
