/*
 * lua_fuzz.h: what the Lua-driven libFuzzer harnesses share.
 *
 * A harness keeps one lua_State for the whole run (authcodes.core compiled into the
 * fuzzer, with ASan/UBSan, registered in package.preload), loads a Lua driver that
 * returns a function, and calls that function with each input as a Lua string. The
 * driver raises on anything the code under test must not do; any Lua error is a
 * finding: the harness prints it and abort()s, which libFuzzer records as a crash.
 *
 * libFuzzer cannot see which Lua lines ran (liblua5.4 is not instrumented), so a line
 * hook feeds it: each (chunk, previous line, line) edge bumps a byte in the
 * __libfuzzer_extra_counters section, which libFuzzer reads as coverage.
 */
#ifndef AUTHCODES_LUA_FUZZ_H
#define AUTHCODES_LUA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "lua.h"

/* A new state with the standard libraries, the core preloaded, package.path set to
 * ./lua (run from the top of the tree) and the coverage hook installed. */
lua_State *lf_newstate(void);

/* Run the driver file; it must return a function, which is kept in the registry.
 * Aborts if the file cannot be loaded or run. Returns the registry reference. */
int lf_load_driver(lua_State *L, const char *path);

/* driver(input): abort() with the message and traceback on any Lua error. */
void lf_run(lua_State *L, int driver, const uint8_t *data, size_t size);

#endif
