# integration.mk: authcodes where it runs (issue #4): real nginx, LuaJIT's compiler, LuaRocks.
#
#   make check-nginx       examples/nginx in Debian's nginx + libnginx-mod-http-lua, two
#                          workers, temporary prefix: every answer over HTTP, a 20,000
#                          request wrk load (every response checked), error log, worker
#                          RSS, and no process left (spec/integration/nginx.sh)
#   make check-jit         the hot paths under jit.v: no NYI, abort or stitch, loop
#                          bodies compiled (spec/integration/jit_traces.lua)
#   make check-luarocks    luarocks make, offline, into fresh trees for Lua 5.4 and for
#                          LuaJIT, then a fresh process uses each tree
#                          (spec/integration/luarocks_install.sh)
#   make check-integration all three
#
# tools/suites/integration.sh runs them as the suites "nginx", "jit", "luarocks:5.4" and
# "luarocks:luajit" of `make test`. The LuaJIT module is built with the generator run by
# lua5.4, like every other build, so that all see the same src/catalog_data.h.

INTEGRATION_ENV = LUA_PATH="./lua/?.lua;;" LUA_CPATH="./$(BUILD)/luajit/?.so;;"

.PHONY: check-integration check-nginx check-jit check-luarocks check-luarocks-5.4 check-luarocks-luajit

check-integration: check-nginx check-jit check-luarocks

# The example's configuration names build/luajit (AUTHCODES_ROOT/build/luajit/?.so).
check-nginx:
	@$(MAKE) --no-print-directory LUA=luajit GEN_LUA=lua5.4 BUILD=build all
	sh spec/integration/nginx.sh

check-jit:
	@$(MAKE) --no-print-directory LUA=luajit GEN_LUA=lua5.4 all
	$(INTEGRATION_ENV) luajit spec/integration/jit_traces.lua

check-luarocks: check-luarocks-5.4 check-luarocks-luajit

check-luarocks-5.4:
	sh spec/integration/luarocks_install.sh 5.4

check-luarocks-luajit:
	sh spec/integration/luarocks_install.sh luajit

# Issue #16: the Redis budget and breaker in two nginx instances sharing a real
# redis-server (spec/integration/redis.sh; suite "redis" of tools/test.sh).
.PHONY: check-redis
check-redis:
	@$(MAKE) --no-print-directory LUA=luajit GEN_LUA=lua5.4 BUILD=build all
	sh spec/integration/redis.sh
