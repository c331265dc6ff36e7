#!/bin/sh
# Run spec/integration/nginx_example.lua (busted under lua5.4) against examples/nginx in
# Debian's nginx, in a temporary prefix, and make sure that no nginx of this run is
# left whatever happens: the spec stops its nginx itself (lazy_teardown), and this
# script stops it too if the spec died before it could, then fails (and a wrk of
# this run, if one is left).
# Needs build/luajit/authcodes/core.so (make LUA=luajit); `make check-nginx` builds it.
# Prints the load numbers last. Exit status 0 when every check passed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

missing=""
for c in nginx wrk curl lua5.4 busted; do
  command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] || missing="$missing libnginx-mod-http-lua"
[ -f /usr/share/lua/5.1/resty/core.lua ] || missing="$missing lua-resty-core"
lua5.4 -e 'require "cjson"' 2>/dev/null || missing="$missing lua-cjson(5.4)"
[ -z "$missing" ] || { echo "nginx: missing:$missing (make deps)"; exit 1; }
[ -f build/luajit/authcodes/core.so ] || { echo "nginx: build/luajit/authcodes/core.so missing: make LUA=luajit"; exit 1; }

dir=$(mktemp -d /tmp/authcodes-nginx.XXXXXX)

# The master of this run, if it still runs: its command line names our prefix.
ours() {
  pid=$(cat "$dir/prefix/logs/nginx.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$dir/prefix/"
}

cleanup() {
  if ours; then
    echo "nginx: still running after the spec (pid $pid): stopping it"
    workers=$(pgrep -P "$pid" || true)
    kill -QUIT "$pid" 2>/dev/null
    i=0
    while ours && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    # shellcheck disable=SC2086
    kill -KILL "$pid" $workers 2>/dev/null
    rc=1
  fi
  # A wrk of this run (its last argument is our prefix) would hammer a closed port.
  pkill -f "[w]rk .*wrk_mix\.lua .* $dir/prefix\$" 2>/dev/null || true
  rm -rf "$dir"
}
trap 'cleanup; exit 130' INT TERM

rc=0
NGINX_TEST_DIR="$dir/prefix" NGINX_METRICS="$dir/metrics" AUTHCODES_ROOT="$root" \
  lua5.4 "$(command -v busted)" -o TAP spec/integration/nginx_example.lua || rc=$?
if pgrep -f "[n]ginx: master process.*$dir/" >/dev/null 2>&1; then
  echo "nginx: a master process of this run is left"
  rc=1
fi
[ -f "$dir/metrics" ] && cat "$dir/metrics"
cleanup
trap - INT TERM
exit $rc
