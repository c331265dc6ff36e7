#!/bin/sh
# Issue #16 with real parts: spec/integration/redis_fleet.lua (busted under lua5.4)
# starts Debian's redis-server and two nginx instances (2 workers each) on free ports
# of 127.0.0.1, and stops them itself; this script gives the run a directory of its
# own, checks that no process of the run is left (stopping it, and failing, if the spec
# died first), and prints the numbers.
# Builds build/luajit/authcodes/core.so (make LUA=luajit) first, as nginx.sh does.
# Without redis-server, nginx or lua-redis it says so LOUDLY and fails: a skip is not a pass.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

missing=""
for c in redis-server nginx wrk curl lua5.4 busted; do
  command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] || missing="$missing libnginx-mod-http-lua"
[ -f /usr/share/lua/5.1/nginx/redis.lua ] || missing="$missing lua-nginx-redis"
[ -f /usr/share/lua/5.1/redis.lua ] || missing="$missing lua-redis"
lua5.4 -e 'require "cjson"' 2>/dev/null || missing="$missing lua-cjson(5.4)"
if [ -n "$missing" ]; then
  echo "*** redis: SKIPPED (not tested): missing:$missing (Debian: make deps) ***"
  exit 77
fi
${MAKE:-make} --no-print-directory LUA=luajit GEN_LUA=lua5.4 BUILD=build all >/dev/null ||
  { echo "redis: make LUA=luajit failed"; exit 1; }

tmp=$(mktemp -d /tmp/authcodes-redis-run.XXXXXX)

# Processes of this run: nginx masters (their command line names our directory) and
# redis-servers (their working directory is in it).
ours() {
  pgrep -f "[n]ginx: master process.*$tmp/" 2>/dev/null
  for pid in $(pgrep -x redis-server 2>/dev/null); do
    case $(readlink "/proc/$pid/cwd" 2>/dev/null) in "$tmp"/*) echo "$pid";; esac
  done
}

rc=0
AUTHCODES_TMP="$tmp" REDIS_METRICS="$tmp/metrics" AUTHCODES_ROOT="$root" \
  lua5.4 "$(command -v busted)" -o TAP spec/integration/redis_fleet.lua || rc=$?

left=$(ours)
if [ -n "$left" ]; then
  echo "redis: processes of this run left after the spec: $left: stopping them"
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null
  rc=1
fi
cat "$tmp/metrics" 2>/dev/null
rm -rf "$tmp"
exit $rc
