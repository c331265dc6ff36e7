#!/bin/sh
# authcodes in a real skynet (issue #11 item 7) and on skynet's own Lua (issue #14 item 4).
#
#   sh spec/integration/skynet.sh services f19d160   real skynet services, skynet's Lua 5.5
#   sh spec/integration/skynet.sh services v1.8.0    the same on skynet v1.8.0 (Lua 5.4.7)
#   sh spec/integration/skynet.sh smoke f19d160      skynet's plain interpreter (3rd/lua/lua,
#                                                    Lua 5.5): the catalog walk
#
# Sources and builds: spec/integration/skynet_build.sh (shared with bench/skynet_mem.sh):
# $AUTHCODES_THIRD_PARTY or ../shared/third_party, else a loud SKIPPED and exit 77;
# everything built offline under build/skynet/<tag>/. skynet itself runs in a network
# namespace of its own (`unshare -n`) where that is allowed.
#
# smoke: spec/integration/skynet/lua_smoke.lua walks every entry of the catalog through
#   the public API (lookup by every spelling, new, tostring, every format, problem, check
#   of a JSON reply through that cjson, should_retry) with skynet's interpreter, and the
#   text must be identical to the walk lua5.4 (Debian's, with Debian's lua-cjson) gives;
#   so must bin/authcodes's listings of every code (text and --json).
# services: skynet with 4 worker threads runs spec/integration/skynet/service/main.lua
#   (what it checks is written there): a simulated vendor, login services that `check`,
#   `retry`, `new`, `register` and `format`, README.md's skynet example as a service,
#   probes proving that a retrying service does not block
#   (pings and a 10 ms timer stay within AUTHCODES_SKYNET_BOUND_MS, 200 by default), and
#   AUTHCODES_SKYNET_CROWD services (200) walking the catalog at once (identical to
#   lua5.4's walk). skynet is stopped by main itself, or after AUTHCODES_SKYNET_TIMEOUT
#   seconds (120) by this script (TERM, then KILL); no process of the run may be left.
#   AUTHCODES_SKYNET_CONTROL=1 adds a control run whose login service sleeps in the C
#   core's blocking sleep: the probes must then see it late (the test can fail).
#
# Exit status: 0 passed, 1 failed, 77 skipped. The measurements are printed last.
set -u

mode=${1:?usage: skynet.sh services|smoke f19d160|v1.8.0}
tag=${2:?usage: skynet.sh services|smoke f19d160|v1.8.0}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

# The sleep variants of the login service the services run checks, in one place.
# "explicit": policy.sleep = skynet.sleep; "default": no policy.sleep, so `retry` must
# find skynet.sleep by itself (issue #11 item 4). Unless AUTHCODES_SKYNET_CONTROL=0, a
# control run "blocking" (the C sleep) must be seen late by the probes: proof they can fail.
SLEEP_VARIANTS=${AUTHCODES_SKYNET_SLEEP:-explicit default}

case $mode in services|smoke) ;; *) echo "skynet: unknown mode $mode (services or smoke)" >&2; exit 1 ;; esac

fail() { echo "skynet $mode $tag: FAIL: $*" >&2; exit 1; }

# Sources, skynet, its lua-cjson and authcodes' C core for its Lua (or exit 77): sets
# dir, sk, offline, interp, got, lua, core_cpath, cjson_cpath (see skynet_build.sh).
# shellcheck source=spec/integration/skynet_build.sh
. "$root/spec/integration/skynet_build.sh"
skynet_build "$tag" "skynet $mode $tag"
lua5.4 -e 'require "cjson"' 2>/dev/null || fail "lua-cjson for lua5.4 is not installed (make deps): it gives the reference walk"
make --no-print-directory LUA=lua5.4 all >/dev/null 2>&1 || fail "make LUA=lua5.4 all (the reference build)"

walk_path="$root/spec/integration/skynet/lualib/?.lua"

# The reference: the walk with Debian's lua5.4 and lua-cjson.
clean_env="env -u LUA_INIT -u LUA_INIT_5_4 -u LUA_INIT_5_5 -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_PATH_5_5 -u LUA_CPATH_5_5"
rm -rf "$dir/slices" && mkdir -p "$dir/slices"
$clean_env AUTHCODES_WALK_SLICE_DIR="$dir/slices" LUA_PATH="$root/lua/?.lua;$walk_path;;" LUA_CPATH="$root/build/lua5.4/?.so;;" \
  lua5.4 spec/integration/skynet/lua_smoke.lua >"$dir/walk-lua5.4.txt" 2>"$dir/walk-lua5.4.err" ||
  { cat "$dir/walk-lua5.4.err" >&2; fail "the reference walk on lua5.4 failed"; }
entries=$(tail -n 1 "$dir/walk-lua5.4.txt" | sed -n 's/^entries \([0-9]*\)$/\1/p')
[ -n "$entries" ] && [ "$entries" -gt 0 ] || fail "the reference walk has no entry count"

if [ "$mode" = smoke ]; then
  # No ";;": nothing from the system paths (Debian's cjson is for its own lua5.4).
  $clean_env AUTHCODES_EXPECT_VERSION="$got" LUA_PATH="$root/lua/?.lua;$walk_path" \
    LUA_CPATH="$core_cpath;$cjson_cpath" \
    "$interp" spec/integration/skynet/lua_smoke.lua >"$dir/walk-$lua.txt" 2>"$dir/walk-$lua.err"
  rc=$?
  cat "$dir/walk-lua5.4.err" "$dir/walk-$lua.err"
  [ $rc = 0 ] || fail "the walk on skynet's $got failed"
  if ! cmp -s "$dir/walk-lua5.4.txt" "$dir/walk-$lua.txt"; then
    diff -u "$dir/walk-lua5.4.txt" "$dir/walk-$lua.txt" | head -n 40
    fail "skynet's $got answers differently from lua5.4 (full walks: $dir/walk-*.txt)"
  fi
  # The command too: every code of each domain listed, as text and JSON, and an unknown
  # one (exit status 1), the same on both.
  for args in "-l imsdk" "-l wilddog" "--json -l imsdk" "--json -l wilddog" "--json 22239 -207 nosuch"; do
    # shellcheck disable=SC2086  # $args: several words
    want=$($clean_env LUA_PATH="$root/lua/?.lua;;" LUA_CPATH="$root/build/lua5.4/?.so;;" \
      lua5.4 bin/authcodes $args 2>&1; echo "exit status $?")
    # shellcheck disable=SC2086
    have=$($clean_env LUA_PATH="$root/lua/?.lua" LUA_CPATH="$core_cpath;$cjson_cpath" \
      "$interp" bin/authcodes $args 2>&1; echo "exit status $?")
    [ "$want" = "$have" ] || {
      printf '%s\n' "$want" >"$dir/cli-lua5.4.txt"; printf '%s\n' "$have" >"$dir/cli-$lua.txt"
      diff -u "$dir/cli-lua5.4.txt" "$dir/cli-$lua.txt" | head -n 20
      fail "bin/authcodes $args answers differently on $got"
    }
  done
  echo "smoke $tag: $entries entries, $(wc -l <"$dir/walk-$lua.txt") answers from $got (skynet $tag, its cjson)" \
    "and bin/authcodes -l/--json identical to lua5.4's"
  exit 0
fi

# services
rm -rf "$dir"/run.*   # the last run's log stays for a look, no more
run=$(mktemp -d "$dir/run.XXXXXX")
md5=$(md5sum <"$dir/walk-lua5.4.txt" | cut -c1-32)
slices="" k=0
while [ -f "$dir/slices/slice-$k.txt" ]; do
  slices="$slices $(md5sum <"$dir/slices/slice-$k.txt" | cut -c1-32)"
  k=$((k + 1))
done
# README.md's skynet example (the ```lua block after `<!-- readme-example: skynet -->`)
# as a service: its code, then a dispatch calling its `login`.
mkdir -p "$run/service"
awk '/^<!-- readme-example: skynet -->$/ { on = 1; next }
     on == 1 && /^```lua$/ { on = 2; next }
     on == 2 && /^```$/ { exit }
     on == 2 { print }' README.md >"$run/service/readme.lua"
[ -s "$run/service/readme.lua" ] || fail "README.md has no skynet example (<!-- readme-example: skynet -->)"
cat >>"$run/service/readme.lua" <<'EOF'

-- Added by spec/integration/skynet.sh: serve the example's login to main.lua.
skynet.start(function()
  skynet.dispatch("lua", function(_, _, _, ...) skynet.retpack(login(...)) end)
end)
EOF
variants=$SLEEP_VARIANTS
[ "${AUTHCODES_SKYNET_CONTROL:-1}" = 1 ] && variants="$variants blocking"
# Long strings ([[...]]): a path needs no escaping. skynet's config loader replaces
# $NAME by environment variables, so paths holding a '$' are refused.
case "$root$sk$run" in *'$'*|*']]'*) fail "paths holding \$ or ]] cannot go into a skynet config" ;; esac
cat >"$run/config" <<EOF
thread = 4
harbor = 0
logger = nil
start = "main"
bootstrap = "snlua bootstrap"
cpath = [[$sk/cservice/?.so]]
lualoader = [[$sk/lualib/loader.lua]]
luaservice = [[$sk/service/?.lua;$root/spec/integration/skynet/service/?.lua;$run/service/?.lua]]
lua_path = [[$sk/lualib/?.lua;$sk/lualib/?/init.lua;$root/lua/?.lua;$walk_path]]
lua_cpath = [[$sk/luaclib/?.so;$core_cpath;$cjson_cpath]]
authcodes_sleep_variants = [[$variants]]
authcodes_wait = 0.5
authcodes_bound_ms = ${AUTHCODES_SKYNET_BOUND_MS:-200}
authcodes_crowd = ${AUTHCODES_SKYNET_CROWD:-200}
authcodes_expect_md5 = "$md5"
authcodes_expect_slices = "$slices"
authcodes_expect_entries = $entries
authcodes_run_dir = [[$run]]
EOF

limit=${AUTHCODES_SKYNET_TIMEOUT:-120}
echo "skynet $tag: ${offline:-no network namespace (unshare not allowed here)}"
# shellcheck disable=SC2086  # $offline: a command and its option, or nothing
timeout -k 5 "$limit" $offline "$sk/skynet" "$run/config" >"$run/log" 2>&1 &
pid=$!
# An interrupted script stops its skynet too (timeout passes TERM on to it).
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 130' INT TERM
start=$(date +%s)
wait "$pid"
rc=$?
trap - INT TERM
took=$(( $(date +%s) - start ))

status=0
[ $rc = 124 ] || [ $rc = 137 ] && { echo "skynet $tag: did not stop within $limit s: killed"; status=1; }
left=$(pgrep -f "$run/config" || true)
if [ -n "$left" ]; then
  echo "skynet $tag: processes of this run left: $left (killing them)"
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null
  status=1
fi
# The measurements, then what went wrong (a few lines of it: the log has the rest).
grep -a 'authcodes-skynet: ' "$run/log" | grep -av 'authcodes-skynet: \(PASS\|FAIL\|summary\)' || true
grep -a 'authcodes-skynet: summary' "$run/log" || true
if [ "$(cat "$run/verdict" 2>/dev/null)" = PASS ] && [ $status = 0 ]; then
  echo "skynet $tag ($got): PASS in ${took} s (log: $run/log)"
  exit 0
fi
grep -a -e 'authcodes-skynet: FAIL' -e ' error : ' "$run/log" | head -n 30 || true
echo "skynet $tag ($got): FAILED (exit status $rc after ${took} s; full log: $run/log)"
exit 1
