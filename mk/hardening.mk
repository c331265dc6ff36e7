# hardening.mk: memory-safety and thread-safety checks of the C core (issue #6).
#
#   make check-sanitize   the specs (and spec/host/core_drive.lua) through a Lua 5.4 host
#                         with the core built under -fsanitize=address,undefined
#   make check-valgrind   the specs (and core_drive.lua) on lua5.4 under valgrind memcheck
#   make check-threads    8 threads, one lua_State each, 1,000,000 lookups and error
#                         objects each, core and host under -fsanitize=thread
#   make fuzz             every libFuzzer harness for FUZZ_SECONDS (default 60) each
#   make fuzz-run-NAME    one harness
#   make fuzz-merge       fold what the last `make fuzz` found into fuzz/corpus/ (minimised)
#   make hardening        all of the above
#
# The checks are tools/suites/hardening.sh (the suites "sanitize", "valgrind", "threads"
# and "fuzz" of `make test` run the same script, with leaner settings); this file only
# builds what it runs. Variables (passed to the script from the command line):
# FUZZ_SECONDS (60), FUZZ_FLAGS (also make fuzz-merge's), THREADS (8), THREAD_ITERS (1000000), SPEC_ARGS (--exclude-tags=slow),
# VALGRIND_SKIP, VALGRIND_OWN, VALGRIND_FLAGS (see the script); HARDEN_CC (clang-14).
# Everything is built under $(BUILD)/hardening/; nothing here touches the normal build
# except that check-valgrind runs the lua5.4 module ($(BUILD)/lua5.4/authcodes/core.so).
# `make -j2 check-valgrind` and `make -j2 fuzz` run two jobs at once.

HARDEN_CC    ?= clang-14
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

FUZZERS      := fuzz_catalog fuzz_lua fuzz_gencatalog
FUZZ_COMMON  := fuzz/lua_fuzz.c
FUZZ_HDR     := fuzz/lua_fuzz.h
# -jN (from make's command line) runs N valgrind jobs or harnesses at once.
H_JOBS = $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS)))

H_RUN  = BUILD=$(BUILD) sh tools/suites/hardening.sh

.PHONY: hardening check-sanitize check-valgrind check-threads fuzz fuzz-merge \
        fuzz-build $(addprefix fuzz-run-,$(FUZZERS)) $(addprefix fuzz-merge-,$(FUZZERS))

hardening: check-sanitize check-valgrind check-threads fuzz

# --- AddressSanitizer + UndefinedBehaviorSanitizer ------------------------------------

$(HB)/san/lua_host: spec/host/host.h spec/host/lua_host.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_SAN) spec/host/lua_host.c $(CORE_SRC) $(H_LUA_LIB) -lm -o $@

check-sanitize:
	@$(H_RUN) sanitize

check-valgrind:
	@VALGRIND_JOBS=$(or $(H_JOBS),1) $(H_RUN) valgrind

# --- ThreadSanitizer ------------------------------------------------------------------

$(HB)/tsan/threads_host: spec/host/host.h spec/host/threads_host.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_TSAN) spec/host/threads_host.c $(CORE_SRC) $(H_LUA_LIB) -lm -lpthread -o $@

check-threads:
	@$(H_RUN) threads

# --- libFuzzer --------------------------------------------------------------------------
# What a run reads and writes, and what fails it: tools/suites/hardening.sh and
# fuzz/README.md.

# fuzz_catalog needs only the catalog, not the Lua binding.
$(HB)/fuzz/fuzz_catalog: fuzz/fuzz_catalog.c src/catalog.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_FUZZ) fuzz/fuzz_catalog.c src/catalog.c -o $@

$(HB)/fuzz/fuzz_lua $(HB)/fuzz/fuzz_gencatalog: $(HB)/fuzz/%: fuzz/%.c $(FUZZ_COMMON) $(FUZZ_HDR) $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(HARDEN_CC) $(H_CFLAGS) $(H_FUZZ) fuzz/$*.c $(FUZZ_COMMON) $(CORE_SRC) $(H_LUA_LIB) -lm -o $@

fuzz-build: $(addprefix $(HB)/fuzz/,$(FUZZERS))

fuzz:
	@FUZZ_JOBS=$(or $(H_JOBS),1) $(H_RUN) fuzz

$(addprefix fuzz-run-,$(FUZZERS)): fuzz-run-%: $(HB)/fuzz/%
	@$(H_RUN) fuzz-one $*

fuzz-merge: $(addprefix fuzz-merge-,$(FUZZERS))

$(addprefix fuzz-merge-,$(FUZZERS)): fuzz-merge-%: $(HB)/fuzz/%
	@$(H_RUN) fuzz-merge-one $*
