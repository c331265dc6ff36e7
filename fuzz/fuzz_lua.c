/*
 * fuzz_lua: the Lua binding and the public Lua API on untrusted bytes.
 * Each input goes, as a Lua string, to the driver in fuzz/fuzz_lua.lua, which hands it
 * (and numbers read from its bytes) to authcodes.core.find_key / find_code / entry and
 * to authcodes.lookup / new / check, and raises when a result is not a documented one.
 */
#include "lua_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static int driver;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  L = lf_newstate();
  driver = lf_load_driver(L, "fuzz/fuzz_lua.lua");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lf_run(L, driver, data, size);
  return 0;
}
