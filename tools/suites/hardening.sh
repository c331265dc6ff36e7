#!/bin/sh
# The C core under sanitizers, valgrind, threads and fuzzing (issue #6). Run by
# tools/test.sh (suites "sanitize", "valgrind", "threads", "fuzz") and by the make targets
# of mk/hardening.mk (check-sanitize, check-valgrind, check-threads, fuzz, hardening),
# which build the instrumented hosts and fuzzers: this script asks make for them, then
# runs them. Run from the top of the tree (the hosts find lua/ and spec/ relative to it).
#
#   sh tools/suites/hardening.sh sanitize   the specs (and spec/host/core_drive.lua) through
#                                           a Lua 5.4 host with the core built under
#                                           -fsanitize=address,undefined
#   sh tools/suites/hardening.sh valgrind   the specs (and core_drive.lua) on lua5.4 under
#                                           valgrind memcheck
#   sh tools/suites/hardening.sh threads    THREADS threads, one lua_State each,
#                                           THREAD_ITERS lookups and error objects each,
#                                           core and host under -fsanitize=thread
#   sh tools/suites/hardening.sh fuzz       every libFuzzer harness for FUZZ_SECONDS each
#
# --quick after valgrind or fuzz (what `make test` runs, so that the whole test run stays
# within a few minutes on 2 cores): valgrind two jobs at once and without hostile_spec
# (about a minute of memcheck on its own; it runs under ASan in "sanitize", and in full
# `make check-valgrind`); fuzz 30 s a harness, two at a time.
#
# Environment (the make targets pass theirs through):
#   BUILD (build), SPEC_ARGS (--exclude-tags=slow), THREADS (8), THREAD_ITERS (1000000),
#   FUZZ_SECONDS (60), FUZZ_JOBS (1: harnesses run at once), FUZZ_FLAGS,
#   VALGRIND_SKIP, VALGRIND_OWN, VALGRIND_JOBS (1), VALGRIND_FLAGS: see "valgrind" below.
set -u
cd "$(dirname "$0")/../.." || exit 1
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
HB=$BUILD/hardening
SPEC_ARGS=${SPEC_ARGS:---exclude-tags=slow}
FUZZERS="fuzz_catalog fuzz_lua fuzz_gencatalog"

# What the specs need to find the Lua modules (and, for specs that start another
# interpreter, the normal lua5.4 build), as tools/suites/specs.sh sets it.
export AUTHCODES_LUA=lua5.4 LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="$BUILD/lua5.4/?.so;;"
# Any report stops the run with a non-zero status; leaks are reported too.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

build() { $MAKE --no-print-directory BUILD="$BUILD" "$@" >/dev/null || { echo "hardening: make $* failed"; exit 1; }; }

# --- valgrind -------------------------------------------------------------------------
# The whole suite under memcheck takes minutes (busted and the Lua VM run 30-50x slower),
# so this runs every spec except VALGRIND_SKIP: specs whose time goes into subprocesses
# (which valgrind does not follow), the pure-Lua generator or documentation text, and
# which reach the C core no differently from the others. VALGRIND_OWN specs (the slowest)
# run as jobs of their own, so that VALGRIND_JOBS=2 overlaps them. New spec files are
# included automatically. VALGRIND_SKIP= runs everything.
VALGRIND_SKIP=${VALGRIND_SKIP-^cli_ generator_spec docs_spec readme_spec release_spec}
VALGRIND_OWN=${VALGRIND_OWN-hostile_spec catalog_lookup_spec}
vg() {
  # shellcheck disable=SC2086
  valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite ${VALGRIND_FLAGS:-} "$@"
}
# One job: "specs" (all but VALGRIND_SKIP and VALGRIND_OWN), "drive", or a spec's name.
vg_job() {
  log=$HB/valgrind/$1.log
  case $1 in
    drive) vg lua5.4 spec/host/core_drive.lua >"$log" 2>&1;;
    specs)
      excl=""
      for s in $VALGRIND_SKIP $VALGRIND_OWN; do excl="$excl --exclude-pattern=$s"; done
      # shellcheck disable=SC2086
      vg lua5.4 /usr/bin/busted $SPEC_ARGS $excl spec >"$log" 2>&1;;
    *)
      # shellcheck disable=SC2086
      vg lua5.4 /usr/bin/busted $SPEC_ARGS "spec/$1.lua" >"$log" 2>&1;;
  esac || { tail -n 60 "$log"; echo "valgrind: $1 failed, log $log"; exit 1; }
  echo "valgrind $1: $(grep -E 'successes' "$log" || echo 'core_drive.lua ran clean')"
}

# --- libFuzzer ------------------------------------------------------------------------
# Each harness runs FUZZ_SECONDS over the committed corpus fuzz/corpus/NAME (read only)
# plus a scratch corpus $HB/fuzz/work/NAME that receives what it finds; a crash is
# written to $HB/fuzz/artifacts/NAME/ and fails the suite. The Lua harnesses load lua/,
# tools/ and spec/fixtures/ relative to the top of the tree.
FUZZ_FLAGS=${FUZZ_FLAGS:--timeout=20 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1}
# The Lua harnesses keep one lua_State across inputs, so the heap legitimately differs
# from one input to the next and libFuzzer's per-input leak check would run
# LeakSanitizer after nearly every input (10x slower) to find nothing: leaks of the
# binding are the sanitize and valgrind suites' job. The C harness keeps it.
leak_flag() { case $1 in fuzz_lua|fuzz_gencatalog) echo -detect_leaks=0;; esac; }
fuzz_one() {
  name=$1
  own=$(leak_flag "$name")
  dict=""; [ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
  mkdir -p "$HB/fuzz/work/$name" "$HB/fuzz/artifacts/$name"
  # shellcheck disable=SC2086
  "$HB/fuzz/$name" $FUZZ_FLAGS $own -max_total_time="$FUZZ_SECONDS" \
    -artifact_prefix="$HB/fuzz/artifacts/$name/" $dict \
    "$HB/fuzz/work/$name" "fuzz/corpus/$name" 2>"$HB/fuzz/$name.log" || {
    tail -n 60 "$HB/fuzz/$name.log"
    echo "fuzz: $name failed, log $HB/fuzz/$name.log, input in $HB/fuzz/artifacts/$name/"; exit 1; }
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|Done [0-9]+ runs)' "$HB/fuzz/$name.log" | sed "s/^/$name: /"
}

# Run `sh hardening.sh $1 ARG` for each ARG of $3, $2 at a time; fail if one failed.
parallel() {
  # shellcheck disable=SC2086
  printf '%s\n' $3 | xargs -P "$2" -I{} sh tools/suites/hardening.sh "$1" {}
}

if [ "${2:-}" = --quick ]; then
  case $1 in
    valgrind) VALGRIND_JOBS=2 VALGRIND_OWN=catalog_lookup_spec VALGRIND_SKIP="$VALGRIND_SKIP hostile_spec";;
    fuzz) FUZZ_JOBS=2 FUZZ_SECONDS=30;;
  esac
fi
# For the jobs that parallel() starts.
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export SPEC_ARGS VALGRIND_SKIP VALGRIND_OWN FUZZ_FLAGS FUZZ_SECONDS

case ${1:-} in
  sanitize)
    build LUA=lua5.4 all "$HB/san/lua_host"
    export AUTHCODES_TIME_SCALE=5     # the specs' complexity bounds (spec/helpers.lua cpu_limit)
    # shellcheck disable=SC2086
    "$HB/san/lua_host" /usr/bin/busted $SPEC_ARGS spec || exit 1
    "$HB/san/lua_host" spec/host/core_drive.lua || exit 1
    echo "sanitize: no AddressSanitizer/UndefinedBehaviorSanitizer report"
    ;;
  valgrind)
    build LUA=lua5.4 all
    mkdir -p "$HB/valgrind"
    export AUTHCODES_TIME_SCALE=60    # memcheck runs Lua 30-50x slower (spec/helpers.lua cpu_limit)
    jobs="specs drive"
    for s in $VALGRIND_OWN; do [ -f "spec/$s.lua" ] && jobs="$jobs $s"; done
    parallel vg-job "${VALGRIND_JOBS:-1}" "$jobs" || exit 1
    echo "valgrind: no memcheck error, no definite leak"
    ;;
  vg-job) vg_job "$2";;
  threads)
    build "$HB/tsan/threads_host"
    "$HB/tsan/threads_host" spec/host/threads_work.lua "${THREADS:-8}" "${THREAD_ITERS:-1000000}" || exit 1
    ;;
  fuzz)
    build -j"${FUZZ_JOBS:-1}" fuzz-build
    parallel fuzz-one "${FUZZ_JOBS:-1}" "$FUZZERS" || exit 1
    echo "fuzz: $FUZZERS: ${FUZZ_SECONDS}s each, no crash"
    ;;
  fuzz-one) fuzz_one "$2";;
  fuzz-merge-one)   # add what runs of harness $2 found (new coverage only) to its corpus
    mkdir -p "fuzz/corpus/$2" "$HB/fuzz/work/$2"
    # shellcheck disable=SC2046,SC2086
    "$HB/fuzz/$2" -merge=1 $FUZZ_FLAGS $(leak_flag "$2") "fuzz/corpus/$2" "$HB/fuzz/work/$2";;
  *) echo "usage: sh tools/suites/hardening.sh sanitize|valgrind|threads|fuzz" >&2; exit 2;;
esac
