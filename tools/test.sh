#!/bin/sh
# The one test runner. `make test` runs it; every make target that checks something
# (check-nginx, check-jit, check-sanitize, docs-check, lint...) runs the same script
# that its row below names, so there is one way to run each suite.
#
#   sh tools/test.sh                         every suite in the table, in order
#   TEST_ONLY="specs nginx" sh tools/test.sh   only these: a full name (specs:lua5.4) or a
#                                            family (specs = every specs:*)
#   sh tools/test.sh --list                  print the table
#   RUNTIMES="lua5.1 lua5.4"                 only these specs:* rows (default: all five)
#   TEST_NO_SKIP=1                           a skipped suite fails the run (CI machines that
#                                            must have everything)
#
# Each suite runs even when an earlier one failed; its output goes to
# build/test-logs/NAME.log (TEST_LOG_DIR), its tail to the terminal. The last line:
#   test: N passed, N failed                 (then `, N skipped` when a suite was skipped)
# and the exit status is 1 when a suite failed.
#
# ADDING A SUITE: write a script that runs from the top of the tree and exits
#   0   every check passed
#   1   a check failed (say which, on stdout or stderr)
#   77  it could not run (and only then: map a tool's own status to 1, e.g. busted
#       exits with its count of failures): print LOUDLY what is missing and what to install or set
#       (e.g. SKYNET_SRC=... or ../shared/third_party); it is counted as skipped,
#       never as passed
# put it in tools/suites/ (checks of the tree) or spec/integration/ (authcodes inside
# nginx, skynet, LuaRocks, Redis...), add ONE row to SUITES below, and, if people
# should be able to run it alone, a make target whose recipe is the same command
# (mk/*.mk; `TEST_ONLY=name sh tools/test.sh` works without one). `needs` lists
# commands, and paths (anything with a /) that must exist; when one is absent the
# suite is skipped without being started. Keep the row's command short: options
# belong in the script. Rows are `name | needs | command`; the name is one word
# (family:variant), the command is run by sh -c. For example, a skynet suite:
#   skynet            | cc make                              | sh spec/integration/skynet.sh
# where skynet.sh builds skynet from $SKYNET_SRC or ../shared/third_party, and exits 77
# with "skynet: SKIPPED: set SKYNET_SRC=... (no ../shared/third_party)" when neither is
# there.
set -u
cd "$(dirname "$0")/.." || exit 1

# name            | needs                                | command
SUITES='
generated         | lua5.4 cmp                           | sh tools/suites/generated.sh
specs:lua5.1      | lua5.1 busted                        | sh tools/suites/specs.sh lua5.1
specs:lua5.2      | lua5.2 busted                        | sh tools/suites/specs.sh lua5.2
specs:lua5.3      | lua5.3 busted                        | sh tools/suites/specs.sh lua5.3
specs:lua5.4      | lua5.4 busted                        | sh tools/suites/specs.sh lua5.4
specs:luajit      | luajit busted                        | sh tools/suites/specs.sh luajit
lint              | luacheck                             | sh tools/suites/lint.sh
docs:check        | lua5.1 ldoc                          | sh tools/suites/docs.sh check
docs:readme-nginx | luajit busted nginx curl             | sh tools/suites/docs.sh readme-nginx
sanitize          | clang-14 lua5.4 busted               | sh tools/suites/hardening.sh sanitize
valgrind          | valgrind lua5.4 busted               | sh tools/suites/hardening.sh valgrind --quick
threads           | clang-14                             | sh tools/suites/hardening.sh threads
fuzz              | clang-14                             | sh tools/suites/hardening.sh fuzz --quick
nginx             | nginx wrk curl lua5.4 luajit busted  | sh spec/integration/nginx.sh
jit               | luajit lua5.4                        | sh spec/integration/jit.sh
luarocks:5.4      | luarocks lua5.4                      | sh spec/integration/luarocks_install.sh 5.4
luarocks:luajit   | luarocks luajit                      | sh spec/integration/luarocks_install.sh luajit
redis             | redis-server nginx curl luajit       | sh spec/integration/redis.sh
install-prefix    | lua5.4 luajit git                    | sh spec/integration/install_prefix.sh lua5.4 luajit
release-check     | lua5.4 luarocks                      | lua5.4 tools/release_check.lua
dist              | git luarocks lua5.4                  | sh tools/dist.sh --check
lua5.5            | cc make tar                          | sh spec/integration/skynet.sh smoke f19d160
skynet:5.5        | cc make tar                          | sh spec/integration/skynet.sh services f19d160
skynet:5.4        | cc make tar                          | sh spec/integration/skynet.sh services v1.8.0
'
# The hardening rows run lean versions (--quick: see tools/suites/hardening.sh) so that
# the whole table takes about 12 minutes on 2 cores; `make hardening` runs the full ones.

MAKE=${MAKE:-make}
export MAKE
passed=0 failed=0 skipped=0 failures="" skips=""
log_dir=${TEST_LOG_DIR:-build/test-logs}
mkdir -p "$log_dir"

# The table, read once: name, needs and command of each row, tab-separated (only the
# first two '|' of a row separate: a command may hold one).
tab=$(printf '\t')
list=$(printf '%s\n' "$SUITES" | grep -v -e '^[[:space:]]*$' -e '^[[:space:]]*#' |
  sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \
      -e "s/[[:space:]]*|[[:space:]]*/$tab/" -e "s/[[:space:]]*|[[:space:]]*/$tab/")

if [ "${1:-}" = --list ]; then
  printf '%-18s| %-37s| %s\n' name needs command
  printf '%s\n' "$list" | while IFS="$tab" read -r name needs cmd; do
    printf '%-18s| %-37s| %s\n' "$name" "$needs" "$cmd"
  done
  exit 0
fi

# Is suite $1 selected by TEST_ONLY (a name or its family) and RUNTIMES?
want() {
  if [ -n "${TEST_ONLY:-}" ]; then
    case " $TEST_ONLY " in *" $1 "*|*" ${1%%:*} "*) ;; *) return 1;; esac
  fi
  case $1 in specs:*)
    [ -z "${RUNTIMES:-}" ] && return 0
    case " $RUNTIMES " in *" ${1#specs:} "*) ;; *) return 1;; esac;;
  esac
  return 0
}

# What of `needs` ($1) is absent: commands, and paths (with a /).
absent() {
  out=""
  for n in $1; do
    case $n in
      */*) [ -e "$n" ] || out="$out $n";;
      *) command -v "$n" >/dev/null 2>&1 || out="$out $n";;
    esac
  done
  printf '%s' "$out"
}

skip() {
  skipped=$((skipped + 1)); skips="$skips $1"
  printf '   !!! SKIPPED (not a pass): %s\n' "$2"
}

run_suite() {
  name=$1 needs=$2 cmd=$3
  printf '== %s\n' "$name"
  missing=$(absent "$needs")
  if [ -n "$missing" ]; then
    skip "$name" "missing:$missing (Debian: make deps, see tools/deps.sh)"
    return
  fi
  start=$(date +%s)
  log="$log_dir/$(printf '%s' "$name" | tr -c 'A-Za-z0-9.-' '_').log"
  sh -c "$cmd" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    tail -n 2 "$log" | sed 's/^/   /'
    printf '   ok (%ss)\n' "$secs"
  elif [ "$rc" = 77 ]; then
    tail -n 5 "$log" | sed 's/^/   /'
    skip "$name" "the suite could not run (above; full log: $log)"
  else
    failed=$((failed + 1)); failures="$failures $name"
    tail -n 40 "$log" | sed 's/^/   /'
    printf '   FAILED (%ss), full log: %s\n' "$secs" "$log"
  fi
}

# The table was read first, then run: a suite may read stdin.
while IFS="$tab" read -r name needs cmd; do
  [ -n "$name" ] && want "$name" && run_suite "$name" "$needs" "$cmd" </dev/null
done <<EOF
$list
EOF

if [ "$skipped" != 0 ] && [ "${TEST_NO_SKIP:-0}" = 1 ]; then
  failed=$((failed + skipped)) failures="$failures$skips" skipped=0
fi
[ "$skipped" = 0 ] || echo "SKIPPED (not passed):$skips"
[ "$failed" = 0 ] || echo "failed:$failures"
# The last line (CI reads it).
if [ "$skipped" = 0 ]; then
  echo "test: $passed passed, $failed failed"
else
  echo "test: $passed passed, $failed failed, $skipped skipped"
fi
[ "$failed" = 0 ]
