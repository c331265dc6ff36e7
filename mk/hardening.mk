# hardening.mk: memory-safety and thread-safety checks of the C core (issue #6).
#
#   make check-sanitize   the specs (and spec/host/core_drive.lua) through a Lua 5.4 host
#                         with the core built under -fsanitize=address,undefined
#   make check-valgrind   the specs (and core_drive.lua) on lua5.4 under valgrind memcheck
#   make check-threads    8 threads, one lua_State each, 1,000,000 lookups and error
#                         objects each, core and host under -fsanitize=thread
#   make fuzz             every libFuzzer harness for FUZZ_SECONDS (default 60) each
#   make fuzz-merge       fold what the last `make fuzz` found into fuzz/corpus/ (minimised)
#   make hardening        all of the above
#
# Variables: HARDEN_CC (clang-14), FUZZ_SECONDS (60), THREADS (8), THREAD_ITERS (1000000),
# VALGRIND_SPECS (spec), SPEC_ARGS (--exclude-tags=slow).
# Everything is built under $(BUILD)/hardening/; nothing here touches the normal build
# except that check-valgrind runs the lua5.4 module ($(BUILD)/lua5.4/authcodes/core.so).
# Run from the top of the tree (the hosts find lua/ and spec/ relative to it).

HARDEN_CC    ?= clang-14
FUZZ_SECONDS ?= 60
THREADS      ?= 8
THREAD_ITERS ?= 1000000
VALGRIND_SPECS ?= spec
SPEC_ARGS    ?= --exclude-tags=slow
HB           := $(BUILD)/hardening

# The hosts embed Lua 5.4 whatever $(LUA) is.
H_LUA_INC  := /usr/include/lua5.4
H_LUA_LIB  := -llua5.4
H_CFLAGS   := -std=c99 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I$(H_LUA_INC) -Isrc -g
# Beyond -fsanitize=undefined: silent integer truncation/sign changes and float division
# by zero are not UB but are bugs in a catalog lookup, so they are reports too.
H_SAN_EXTRA := ,implicit-conversion,float-divide-by-zero
H_SAN      := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined$(H_SAN_EXTRA) -fno-sanitize-recover=all
H_TSAN     := -O1 -fno-omit-frame-pointer -fsanitize=thread
H_FUZZ     := -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined$(H_SAN_EXTRA) -fno-sanitize-recover=all

# What the specs need to find the Lua modules (and, for specs that start another
# interpreter, the normal lua5.4 build), as tools/test.sh sets it.
H_ENV := AUTHCODES_LUA=lua5.4 LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="$(BUILD)/lua5.4/?.so;;"

# Any report stops the run with a non-zero status; leaks are reported too.
H_ASAN_OPTIONS  := halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1
H_UBSAN_OPTIONS := halt_on_error=1:print_stacktrace=1
H_TSAN_OPTIONS  := halt_on_error=1:second_deadlock_stack=1

FUZZERS      := fuzz_catalog fuzz_lua fuzz_gencatalog
FUZZ_COMMON  := fuzz/lua_fuzz.c
FUZZ_HDR     := fuzz/lua_fuzz.h spec/host/host.h
FUZZ_FLAGS   ?= -timeout=20 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
# The Lua harnesses keep one lua_State across inputs, so the heap legitimately differs
# from one input to the next and libFuzzer's per-input leak check would run LeakSanitizer
# after nearly every input (10x slower) to find nothing: leaks of the binding are
# check-sanitize's (LeakSanitizer at exit) and check-valgrind's job. The C harness keeps it.
FUZZ_FLAGS_fuzz_lua        := -detect_leaks=0
FUZZ_FLAGS_fuzz_gencatalog := -detect_leaks=0

.PHONY: hardening check-sanitize check-valgrind check-threads fuzz fuzz-merge \
        fuzz-build $(addprefix fuzz-run-,$(FUZZERS)) $(addprefix fuzz-merge-,$(FUZZERS)) h-lua54

hardening: check-sanitize check-valgrind check-threads fuzz

# The normal lua5.4 module (for check-valgrind, and for specs that start lua5.4).
h-lua54:
	@$(MAKE) --no-print-directory LUA=lua5.4 all

# --- AddressSanitizer + UndefinedBehaviorSanitizer ------------------------------------

$(HB)/san/lua_host: spec/host/host.h spec/host/lua_host.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_SAN) spec/host/lua_host.c $(CORE_SRC) $(H_LUA_LIB) -lm -o $@

check-sanitize: $(HB)/san/lua_host h-lua54
	$(H_ENV) ASAN_OPTIONS=$(H_ASAN_OPTIONS) UBSAN_OPTIONS=$(H_UBSAN_OPTIONS) \
	  $(HB)/san/lua_host /usr/bin/busted $(SPEC_ARGS) spec
	$(H_ENV) ASAN_OPTIONS=$(H_ASAN_OPTIONS) UBSAN_OPTIONS=$(H_UBSAN_OPTIONS) \
	  $(HB)/san/lua_host spec/host/core_drive.lua
	@echo "check-sanitize: no AddressSanitizer/UndefinedBehaviorSanitizer report"

# --- valgrind ---------------------------------------------------------------------------
# The whole suite under memcheck takes minutes (busted and the Lua VM run 30-50x slower),
# so check-valgrind runs every spec except VALGRIND_SKIP: specs whose time goes into
# subprocesses (which valgrind does not follow), the pure-Lua generator or documentation
# text, and which reach the C core no differently from the others. VALGRIND_OWN specs
# (the slowest) run as jobs of their own so that `make -j2 check-valgrind` overlaps them.
# New spec files are included automatically. VALGRIND_SKIP= runs everything.

VALGRIND_SKIP  ?= ^cli_ generator_spec docs_spec readme_spec
VALGRIND_OWN   ?= hostile_spec catalog_spec
VG_OWN_FILES   := $(wildcard $(VALGRIND_OWN:%=spec/%.lua))
VALGRIND_FLAGS ?=
H_VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
              --show-leak-kinds=definite $(VALGRIND_FLAGS)
VG_JOBS := vg-specs vg-drive $(VG_OWN_FILES:spec/%.lua=vg-own-%)

.PHONY: $(VG_JOBS)

check-valgrind: $(VG_JOBS)
	@echo "check-valgrind: no memcheck error, no definite leak"

vg-specs: h-lua54
	@mkdir -p $(HB)/valgrind
	$(H_ENV) $(H_VALGRIND) lua5.4 /usr/bin/busted $(SPEC_ARGS) \
	  $(addprefix --exclude-pattern=,$(VALGRIND_SKIP) $(VALGRIND_OWN)) spec \
	  >$(HB)/valgrind/specs.log 2>&1 || { tail -n 60 $(HB)/valgrind/specs.log; exit 1; }
	@grep -E 'successes' $(HB)/valgrind/specs.log | sed 's/^/vg-specs: /'

$(VG_OWN_FILES:spec/%.lua=vg-own-%): vg-own-%: h-lua54
	@mkdir -p $(HB)/valgrind
	$(H_ENV) $(H_VALGRIND) lua5.4 /usr/bin/busted $(SPEC_ARGS) spec/$*.lua \
	  >$(HB)/valgrind/$*.log 2>&1 || { tail -n 60 $(HB)/valgrind/$*.log; exit 1; }
	@grep -E 'successes' $(HB)/valgrind/$*.log | sed 's/^/vg-own-$*: /'

vg-drive: h-lua54
	$(H_ENV) $(H_VALGRIND) lua5.4 spec/host/core_drive.lua

# --- ThreadSanitizer ------------------------------------------------------------------

$(HB)/tsan/threads_host: spec/host/host.h spec/host/threads_host.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_TSAN) spec/host/threads_host.c $(CORE_SRC) $(H_LUA_LIB) -lm -lpthread -o $@

check-threads: $(HB)/tsan/threads_host
	$(H_ENV) TSAN_OPTIONS=$(H_TSAN_OPTIONS) \
	  $(HB)/tsan/threads_host spec/host/threads_work.lua $(THREADS) $(THREAD_ITERS)

# --- libFuzzer --------------------------------------------------------------------------
# Each harness runs FUZZ_SECONDS over the committed corpus fuzz/corpus/NAME (read only)
# plus a scratch corpus $(HB)/fuzz/work/NAME that receives what it finds; a crash is
# written to $(HB)/fuzz/artifacts/NAME/ and fails the target. Run from the top of the
# tree: the Lua harnesses load lua/, tools/ and spec/fixtures/ relative to it.

# fuzz_catalog needs only the catalog, not the Lua binding.
$(HB)/fuzz/fuzz_catalog: fuzz/fuzz_catalog.c src/catalog.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_FUZZ) fuzz/fuzz_catalog.c src/catalog.c -o $@

$(HB)/fuzz/fuzz_lua $(HB)/fuzz/fuzz_gencatalog: $(HB)/fuzz/%: fuzz/%.c $(FUZZ_COMMON) $(FUZZ_HDR) $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_FUZZ) fuzz/$*.c $(FUZZ_COMMON) $(CORE_SRC) $(H_LUA_LIB) -lm -o $@

fuzz-build: $(addprefix $(HB)/fuzz/,$(FUZZERS))

fuzz: $(addprefix fuzz-run-,$(FUZZERS))
	@echo "fuzz: $(FUZZERS): $(FUZZ_SECONDS)s each, no crash"

$(addprefix fuzz-run-,$(FUZZERS)): fuzz-run-%: $(HB)/fuzz/%
	@mkdir -p $(HB)/fuzz/work/$* $(HB)/fuzz/artifacts/$*
	ASAN_OPTIONS=$(H_ASAN_OPTIONS) UBSAN_OPTIONS=$(H_UBSAN_OPTIONS) \
	  $(HB)/fuzz/$* $(FUZZ_FLAGS) $(FUZZ_FLAGS_$*) -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(HB)/fuzz/artifacts/$*/ $(patsubst %,-dict=%,$(wildcard fuzz/$*.dict)) \
	  $(HB)/fuzz/work/$* fuzz/corpus/$* 2>$(HB)/fuzz/$*.log \
	  || { tail -n 60 $(HB)/fuzz/$*.log; echo "fuzz: $* failed, log $(HB)/fuzz/$*.log, input in $(HB)/fuzz/artifacts/$*/"; exit 1; }
	@grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|Done [0-9]+ runs)' $(HB)/fuzz/$*.log | sed 's/^/$*: /'

fuzz-merge: $(addprefix fuzz-merge-,$(FUZZERS))

$(addprefix fuzz-merge-,$(FUZZERS)): fuzz-merge-%: $(HB)/fuzz/%
	@mkdir -p fuzz/corpus/$* $(HB)/fuzz/work/$*
	$(HB)/fuzz/$* -merge=1 $(FUZZ_FLAGS) $(FUZZ_FLAGS_$*) fuzz/corpus/$* $(HB)/fuzz/work/$*
