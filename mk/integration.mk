# integration.mk: authcodes where it runs (issue #4): real nginx, LuaJIT's compiler, LuaRocks.
#
#   make check-nginx       examples/nginx in Debian's nginx + libnginx-mod-http-lua, two
#                          workers, temporary prefix: every answer over HTTP, a 20,000
#                          request wrk load (every response checked), error log, worker
#                          RSS, and no process left (spec/integration/nginx.sh); plus
#                          issue #11's calls that fail around the vendor (refused, slow,
#                          5xx pages, 429, log phase, shared budget, per-worker jitter)
#   make check-jit         the hot paths under jit.v: no NYI, abort or stitch, loop
#                          bodies compiled (spec/integration/jit.sh)
#   make check-luarocks    luarocks make, offline, into fresh trees for Lua 5.4 and for
#                          LuaJIT, then a fresh process uses each tree
#                          (spec/integration/luarocks_install.sh)
#   make check-integration all three
#
# Each target runs a driver of spec/integration/ (which builds what it needs); `make test`
# runs the same drivers as the suites "nginx", "jit", "luarocks:5.4" and "luarocks:luajit"
# (tools/test.sh). The LuaJIT module is built with the generator run by lua5.4, like every
# other build, so that all see the same src/catalog_data.h.

.PHONY: check-integration check-nginx check-jit check-luarocks check-luarocks-5.4 check-luarocks-luajit

check-integration: check-nginx check-jit check-luarocks

check-nginx:
	@sh spec/integration/nginx.sh

check-jit:
	@sh spec/integration/jit.sh

check-luarocks: check-luarocks-5.4 check-luarocks-luajit

check-luarocks-5.4:
	@sh spec/integration/luarocks_install.sh 5.4

check-luarocks-luajit:
	@sh spec/integration/luarocks_install.sh luajit

# The Redis budget and breaker in two nginx instances sharing a real redis-server
# (suite "redis" of tools/test.sh).
.PHONY: check-redis
check-redis:
	@sh spec/integration/redis.sh
