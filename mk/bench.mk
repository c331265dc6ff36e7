# bench.mk: `make bench`, benchmarks against plain-Lua peers (issue #5; see BENCHMARKS.md).
#
#   make bench     builds the module for lua5.4 and luajit, then runs bench/run.lua:
#                  CPU (one process per runtime), memory, start-up, nginx and the C
#                  module's sections, and skynet's (heap per service, bench/skynet_mem.sh;
#                  skipped loudly without ../shared/third_party or AUTHCODES_THIRD_PARTY);
#                  prints every ratio with its target and PASS/MISS.
#                  Exits 0 on a MISS (benchmarks are not tests); fails only on a crash.
#
# Variables (see bench/run.lua): BENCH_ROUNDS (11), BENCH_RUN_MS (40), BENCH_STARTS (50),
# NGINX_ROUNDS (7), NGINX_SECONDS (2), WRK_THREADS (1), WRK_CONNS (16),
# BENCH_SKYNET_N (200), BENCH_SKYNET_THREADS (4),
# BENCH_SKIP, BENCH_ONLY (any of: cpu mem startup nginx elf skynet).
#
#   make bench-skynet  only the skynet section (BENCH_ONLY=skynet).
# The generator runs under lua5.4 whatever runtime is built, so both builds see the
# same src/catalog_data.h.

.PHONY: bench bench-skynet

bench:
	@$(MAKE) --no-print-directory LUA=lua5.4 GEN_LUA=lua5.4 all
	@$(MAKE) --no-print-directory LUA=luajit GEN_LUA=lua5.4 all
	lua5.4 bench/run.lua

bench-skynet:
	@$(MAKE) --no-print-directory LUA=lua5.4 GEN_LUA=lua5.4 all
	BENCH_ONLY=skynet lua5.4 bench/run.lua
