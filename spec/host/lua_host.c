/*
 * lua_host: a minimal `lua5.4 SCRIPT ARGS...` whose authcodes.core is the copy
 * compiled into this executable (with sanitizers), not a .so found on LUA_CPATH.
 *
 * Built by `make check-sanitize` with -fsanitize=address,undefined: the C core and
 * this host are instrumented, liblua5.4 is the system one. The host registers
 * luaopen_authcodes_core in package.preload["authcodes.core"] (preload is searched
 * before LUA_CPATH, so even a spec that reloads the module gets this copy), sets
 * `arg` like lua.c does and runs SCRIPT. Typical use:
 *
 *   lua_host /usr/bin/busted --exclude-tags=slow spec
 *
 * Exit status: 0 when the script ran to its end, 1 on a Lua error or if the script
 * never loaded authcodes.core (then the sanitizers would have tested nothing). A
 * script that calls os.exit(n) exits with n, as under lua5.4. Sanitizer reports
 * exit on their own (halt_on_error).
 */
#include <stdio.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#include "host.h"

int luaopen_authcodes_core(lua_State *L);

static int core_opens = 0;

static int open_core(lua_State *L) {
  core_opens++;
  return luaopen_authcodes_core(L);
}


int main(int argc, char **argv) {
  lua_State *L;
  int i, status;
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
    return 2;
  }
  L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "lua_host: cannot create a Lua state\n");
    return 1;
  }
  luaL_openlibs(L);

  host_preload_core(L, open_core);

  /* arg[-1] = host, arg[0] = script, arg[1..] = its arguments, as lua.c sets them */
  lua_createtable(L, argc - 2, 2);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");

  lua_pushcfunction(L, host_traceback);
  status = luaL_loadfile(L, argv[1]);
  if (status == LUA_OK) {
    for (i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
    status = lua_pcall(L, argc - 2, 0, 1);
  }
  if (status != LUA_OK) {
    fprintf(stderr, "lua_host: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  lua_close(L);
  fprintf(stderr, "lua_host: %s done, sanitized authcodes.core opened %d time(s)\n", argv[1], core_opens);
  if (core_opens == 0) {
    fprintf(stderr, "lua_host: %s never loaded authcodes.core: nothing was tested\n", argv[1]);
    return 1;
  }
  return 0;
}
