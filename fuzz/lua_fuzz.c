/* lua_fuzz.c: see lua_fuzz.h. */
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lualib.h"

#include "lua_fuzz.h"

int luaopen_authcodes_core(lua_State *L);

/* The harnesses build from fuzz/ and src/ alone (no header of the spec hosts'); these two
 * do what spec/host/host.h's host_preload_core and host_traceback do for the spec hosts. */

/* package.preload["authcodes.core"] = the fuzzer's own instrumented core, never another
 * one found on package.cpath. */
static void lf_preload_core(lua_State *L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_authcodes_core);
  lua_setfield(L, -2, "authcodes.core");
  lua_pop(L, 2);
}

/* Message handler for lua_pcall: the error, with a traceback. */
static int lf_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

#define LF_COUNTERS 65536

/* libFuzzer treats every byte of this section as a coverage counter. */
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t lf_counters[LF_COUNTERS];

static uintptr_t lf_prev;

static void lf_hook(lua_State *L, lua_Debug *ar) {
  uintptr_t here;
  if (!lua_getinfo(L, "S", ar)) return;
  /* A chunk's source string lives as long as its prototype: the modules and drivers
   * are loaded once, so the pointer names the chunk for the whole run. */
  here = ((uintptr_t)ar->source * 31u) ^ ((uintptr_t)ar->currentline * 2654435761u);
  here ^= here >> 15;
  {
    uint8_t *c = &lf_counters[(here ^ lf_prev) % LF_COUNTERS];
    if (*c != 255) (*c)++;
  }
  lf_prev = here >> 1;
}

lua_State *lf_newstate(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "lua_fuzz: cannot create a Lua state\n");
    abort();
  }
  luaL_openlibs(L);
  lf_preload_core(L);
  /* Our modules first; the default path stays after them (for cjson, lfs...). */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "./lua/?.lua;./lua/?/init.lua;%s", lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);
  lua_sethook(L, lf_hook, LUA_MASKLINE, 0);
  return L;
}


int lf_load_driver(lua_State *L, const char *path) {
  int ref;
  lua_pushcfunction(L, lf_traceback);
  if (luaL_loadfile(L, path) != LUA_OK || lua_pcall(L, 0, 1, -2) != LUA_OK) {
    fprintf(stderr, "lua_fuzz: %s: %s\n(run the fuzzer from the top of the tree)\n", path, lua_tostring(L, -1));
    abort();
  }
  if (lua_type(L, -1) != LUA_TFUNCTION) {
    fprintf(stderr, "lua_fuzz: %s must return a function\n", path);
    abort();
  }
  ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pop(L, 1);
  return ref;
}

void lf_run(lua_State *L, int driver, const uint8_t *data, size_t size) {
  int top = lua_gettop(L);
  lf_prev = 0;
  lua_pushcfunction(L, lf_traceback);
  lua_rawgeti(L, LUA_REGISTRYINDEX, driver);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, top + 1) != LUA_OK) {
    fprintf(stderr, "lua_fuzz: the driver raised: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, top);
}
