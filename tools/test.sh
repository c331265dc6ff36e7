#!/bin/sh
# Every test authcodes has, on every Lua runtime installed: `make test` runs this.
# Each suite runs even when an earlier one failed; the last line counts them:
#   test: N passed, N failed
# TEST_ONLY="specs nginx ..." runs just the named suites.
set -u
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
RUNTIMES=${RUNTIMES:-$(for r in lua5.1 lua5.2 lua5.3 lua5.4 luajit; do command -v $r >/dev/null 2>&1 && printf '%s ' $r; done)}
passed=0 failed=0 failures=""
log_dir=${TEST_LOG_DIR:-build/test-logs}
mkdir -p "$log_dir"

want() { [ -z "${TEST_ONLY:-}" ] && return 0; case " $TEST_ONLY " in *" $1 "*) return 0;; esac; return 1; }

# suite NAME COMMAND...: run, show its tail on failure, count it.
suite() {
  name=$1; shift
  want "${name%%:*}" || return 0
  printf '== %s\n' "$name"
  start=$(date +%s)
  log="$log_dir/$(printf '%s' "$name" | tr -c 'A-Za-z0-9.-' '_').log"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    tail -n 2 "$log" | sed 's/^/   /'
    printf '   ok (%ss)\n' $(( $(date +%s) - start ))
  else
    failed=$((failed + 1)); failures="$failures $name"
    tail -n 40 "$log" | sed 's/^/   /'
    printf '   FAILED (%ss), full log: %s\n' $(( $(date +%s) - start )) "$log"
  fi
}

specs_on() {
  rt=$1
  $MAKE --no-print-directory LUA="$rt" all >/dev/null &&
  AUTHCODES_LUA="$rt" LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./build/$rt/?.so;;" \
    "$rt" /usr/bin/busted --exclude-tags=slow spec
}

suite "generated: catalog up to date" sh -c '
  lua5.4 tools/gencatalog.lua --data data --out build/catalog_data.check.h &&
  cmp -s build/catalog_data.check.h src/catalog_data.h ||
  { echo "src/catalog_data.h is out of date with data/: run make and commit it"; exit 1; }'
for rt in $RUNTIMES; do
  suite "specs:$rt" specs_on "$rt"
done
suite "redis" $MAKE --no-print-directory check-redis  # issue 16: 2 nginx x 2 workers + redis-server (mk/integration.mk)
# Further suites (nginx, luarocks, sanitizers, fuzzing...), one file per concern.
for f in tools/suites/*.sh; do [ -f "$f" ] && . "$f"; done

echo "test: $passed passed, $failed failed"
[ "$failed" = 0 ] || { echo "failed:$failures"; exit 1; }
