/*
 * compat.h: the one place that knows Lua versions differ.
 * Lua 5.1 and LuaJIT 2.1 lack luaL_newlib/luaL_setfuncs; everything else the core
 * uses is common to 5.1 .. 5.5 (Lua 5.5 changed lua_newstate and made luaL_openlibs a
 * macro, neither of which a C module calls). Built and tested on 5.5 against skynet's
 * 3rd/lua (spec/integration/skynet.sh smoke f19d160).
 */
#ifndef AUTHCODES_COMPAT_H
#define AUTHCODES_COMPAT_H

#include "lua.h"
#include "lauxlib.h"

#if !defined(LUA_VERSION_NUM) || LUA_VERSION_NUM < 502
#define ac_newlib(L, l) (lua_newtable(L), luaL_register(L, NULL, l))
#else
#define ac_newlib(L, l) luaL_newlib(L, l)
#endif

/* An empty full userdata with no user values: Lua 5.4's lua_newuserdata gives every
 * userdata one (16 bytes more per entry; an entry has no use for it). */
#if defined(LUA_VERSION_NUM) && LUA_VERSION_NUM >= 504
#define ac_newbox(L) ((void)lua_newuserdatauv(L, 0, 0))
#else
#define ac_newbox(L) ((void)lua_newuserdata(L, 0))
#endif

#endif
