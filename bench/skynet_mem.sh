#!/bin/sh
# bench/skynet_mem.sh TAG: Lua heap per skynet service, authcodes against the plain-table
# catalog (issue #13: "in skynet, heap per service after every code <= the plain-table
# catalog's with skynet's code cache on"). TAG: f19d160 (skynet's Lua 5.5) or v1.8.0
# (Lua 5.4.7). Run by bench/run.lua (`make bench`, `make bench-skynet`).
#
# skynet, its lua-cjson and authcodes' C core come from spec/integration/skynet_build.sh
# (the suite's build; without third-party sources: a loud SKIPPED and exit 77). The peer
# is bench/gen_peer.lua's plain-table catalog. One skynet per kind (thread =
# BENCH_SKYNET_THREADS, 4; code cache left as skynet sets it, on, unless
# BENCH_SKYNET_CODECACHE=OFF, for comparison), whose start service
# bench/skynet/memmain.lua launches a warm-up service and BENCH_SKYNET_N (200) services
# of bench/skynet/memsvc.lua, one after another:
#   bare    the baseline; require, lookup, error, peer: see memsvc.lua.
# Each reports its Lua heap after a full collection; main reads the process's RSS before
# and after the N. Printed: per kind the median heap and RSS growth per service, and ROW
# lines (bench/run.lua's table): heap above bare, require/peer (target <= 0.25, as outside
# skynet), lookup/peer (target <= 1.00) and error/peer (target <= 1.50); RSS growth above
# bare, lookup/peer and error/peer (info). The peer's figure is the same in each: a
# plain table holds every entry from `require` on.
# A kind whose services fail, or a code cache not in the mode asked, fails the script;
# so does a skynet still running after BENCH_SKYNET_TIMEOUT (120) s (TERM, then KILL).
set -u

tag=${1:?usage: skynet_mem.sh f19d160|v1.8.0}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
N=${BENCH_SKYNET_N:-200}
THREADS=${BENCH_SKYNET_THREADS:-4}
LIMIT=${BENCH_SKYNET_TIMEOUT:-120}
case $N in ''|*[!0-9]*|0) echo "BENCH_SKYNET_N must be a number of services, 1 or more" >&2; exit 1 ;; esac
CACHE=${BENCH_SKYNET_CODECACHE:-ON}
case $CACHE in ON|OFF) ;; *) echo "BENCH_SKYNET_CODECACHE must be ON or OFF" >&2; exit 1 ;; esac

fail() { echo "bench skynet $tag: FAIL: $*" >&2; exit 1; }

# shellcheck source=spec/integration/skynet_build.sh
. "$root/spec/integration/skynet_build.sh"
skynet_build "$tag" "bench skynet $tag, heap per service,"
label="skynet $tag ($got)"
[ "$CACHE" = ON ] || label="$label, code cache OFF"
make --no-print-directory LUA=lua5.4 all >/dev/null 2>&1 || fail "make LUA=lua5.4 all (gen_peer runs on it)"

rm -rf "$dir"/bench.*   # the last run stays for a look, no more
run=$(mktemp -d "$dir/bench.XXXXXX")
mkdir -p "$run/lualib"
env -u LUA_INIT -u LUA_INIT_5_4 LUA_PATH="$root/lua/?.lua;;" LUA_CPATH="$root/build/lua5.4/?.so;;" \
  lua5.4 bench/gen_peer.lua "$run/lualib/acpeer.lua" 2>"$run/gen_peer.log" ||
  { cat "$run/gen_peer.log" >&2; fail "bench/gen_peer.lua"; }
case "$root$sk$run" in *'$'*|*']]'*) fail "paths holding \$ or ]] cannot go into a skynet config" ;; esac
page=$(getconf PAGESIZE) || fail "getconf PAGESIZE"

echo "   $label: ${offline:-no network namespace (unshare not allowed here)}; thread = $THREADS;" \
  "1 + $N services per kind, one skynet per kind"
for kind in bare require lookup error peer; do
  cat >"$run/config.$kind" <<EOC
thread = $THREADS
harbor = 0
logger = nil
start = "memmain"
bootstrap = "snlua bootstrap"
cpath = [[$sk/cservice/?.so]]
lualoader = [[$sk/lualib/loader.lua]]
luaservice = [[$sk/service/?.lua;$root/bench/skynet/?.lua]]
lua_path = [[$sk/lualib/?.lua;$sk/lualib/?/init.lua;$root/lua/?.lua;$run/lualib/?.lua]]
lua_cpath = [[$sk/luaclib/?.so;$core_cpath;$cjson_cpath]]
bench_kind = "$kind"
bench_n = $N
bench_page_bytes = $page
bench_out = [[$run/result.$kind]]
bench_codecache = "$CACHE"
EOC
  # shellcheck disable=SC2086  # $offline: a command and its option, or nothing
  timeout -k 5 "$LIMIT" $offline "$sk/skynet" "$run/config.$kind" >"$run/log.$kind" 2>&1
  rc=$?
  left=$(pgrep -f "$run/config.$kind" || true)
  # shellcheck disable=SC2086
  [ -z "$left" ] || { kill -KILL $left 2>/dev/null; fail "$kind: skynet processes left ($left), killed"; }
  [ $rc = 124 ] || [ $rc = 137 ] && fail "$kind: skynet did not stop within $LIMIT s (log: $run/log.$kind)"
  read -r status rest <"$run/result.$kind" 2>/dev/null || status=none rest=""
  if [ "$status" != ok ]; then
    grep -a ' error : \|stack traceback' "$run/log.$kind" | head -n 10 >&2
    fail "$kind: $status $rest (log: $run/log.$kind)"
  fi
  # shellcheck disable=SC2086  # the words of the result line
  set -- $rest   # KIND N MEDIAN MIN MAX RSS_BEFORE RSS_AFTER ENTRIES CODECACHE
  [ "$9" = "$CACHE" ] || fail "$kind: skynet's code cache is $9, not $CACHE"
  echo "$@" >>"$run/results"
done

# Rows. Above bare: a kind's median heap less bare's; RSS growth per service less bare's.
awk -v label="$label" -v cache="$CACHE" '
  { heap[$1] = $3; lo[$1] = $4; hi[$1] = $5; rss[$1] = ($7 - $6) / $2; entries[$1] = $8 }
  function verdict(r, t) { return r <= t ? "PASS" : "MISS" }
  END {
    if (entries["lookup"] != entries["peer"] || entries["error"] != entries["peer"]) {
      printf "entries differ: lookup %d, error %d, peer %d\n", entries["lookup"], entries["error"], entries["peer"]
      exit 1
    }
    split("bare require lookup error peer", kinds, " ")
    for (i = 1; i <= 5; i++) {
      k = kinds[i]
      printf "   %s %-7s heap per service %7.1f KB (min %.1f, max %.1f), above bare %7.1f KB; RSS growth per service %7.1f KB, above bare %7.1f KB\n",
        label, k, heap[k], lo[k], hi[k], heap[k] - heap["bare"], rss[k], rss[k] - rss["bare"]
    }
    printf "   %s: %d entries walked per service; code cache %s\n", label, entries["peer"], cache
    p = heap["peer"] - heap["bare"]; rp = rss["peer"] - rss["bare"]
    q = heap["require"] - heap["bare"]
    l = heap["lookup"] - heap["bare"]; e = heap["error"] - heap["bare"]
    rl = rss["lookup"] - rss["bare"]; re = rss["error"] - rss["bare"]
    row = "ROW\t%s\t%s\t%s\t%.1f\t%s\t%.1f\tKB\t%.2f\t%s\t%s\n"
    printf row, label, "heap per service above bare, after require", "authcodes", q,
      "plain-table catalog", p, q / p, "<= 0.25", verdict(q / p, 0.25)
    printf row, label, "heap per service above bare, every code looked up", "authcodes", l,
      "plain-table catalog", p, l / p, "<= 1.00", verdict(l / p, 1.0)
    printf row, label, "heap per service above bare, + new, tostring, problem of each", "authcodes", e,
      "plain-table catalog", p, e / p, "<= 1.50", verdict(e / p, 1.5)
    printf row, label, "RSS growth per service above bare, every code looked up", "authcodes", rl,
      "plain-table catalog", rp, (rp > 0 ? rl / rp : 0), "-", "info"
    printf row, label, "RSS growth per service above bare, + new, tostring, problem", "authcodes", re,
      "plain-table catalog", rp, (rp > 0 ? re / rp : 0), "-", "info"
  }' "$run/results" || fail "the results (in $run/results)"
