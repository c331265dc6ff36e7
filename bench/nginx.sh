#!/bin/sh
# bench/nginx.sh: requests per second of a problem+json error handler written with
# authcodes (authcodes.ngx.respond(authcodes.new(code))) against the same answer
# written by hand (pure-Lua peer catalog, a table, cjson.encode), in ONE nginx
# (Debian nginx + libnginx-mod-http-lua, LuaJIT), on 127.0.0.1 and a free port, from
# a temporary prefix. wrk with the same settings for both, alternating A/B rounds.
# nginx is always stopped, whatever happens (trap on EXIT, INT, TERM).
#
# Needs build/luajit/authcodes/core.so and build/bench/{acpeer,codes}.lua (bench/run.lua
# makes them). Prints human lines and one ROW line (see bench/bench.lua).
# Variables: NGINX_ROUNDS (7), NGINX_SECONDS (2), WRK_THREADS (1), WRK_CONNS (16).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=${NGINX_ROUNDS:-7}
SECS=${NGINX_SECONDS:-2}
THREADS=${WRK_THREADS:-1}
CONNS=${WRK_CONNS:-16}
NGINX=${NGINX:-nginx}
MODULES=${NGINX_MODULES:-/usr/lib/nginx/modules}

skip() {
  echo "   nginx: skipped ($1)"
  printf 'ROW\tluajit (nginx)\tproblem+json handler\tauthcodes.ngx.respond(new(code))\t-\thand-made table + cjson\t-\treq/s\t-\t>= 0.95\tSKIP\n'
  exit 0
}
command -v "$NGINX" >/dev/null 2>&1 || skip "no nginx"
command -v wrk >/dev/null 2>&1 || skip "no wrk"
command -v curl >/dev/null 2>&1 || skip "no curl"
[ -f "$MODULES/ngx_http_lua_module.so" ] || skip "no $MODULES/ngx_http_lua_module.so"
[ -f build/luajit/authcodes/core.so ] || skip "build/luajit/authcodes/core.so not built"

PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/authcodes-bench-nginx.XXXXXX")
mkdir -p "$PREFIX/conf" "$PREFIX/logs" "$PREFIX/tmp"

stop_nginx() {
  pidfile="$PREFIX/logs/nginx.pid"
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null
    rm -f "$pidfile"
  fi
}
cleanup() {
  stop_nginx
  rm -rf "$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing listens on; nginx itself is the last word (retried if it cannot bind).
free_port() {
  while :; do
    p=$(( (($(od -An -N2 -tu2 /dev/urandom) % 20000)) + 20000 ))
    if ! ss -Htln 2>/dev/null | awk '{print $4}' | grep -q ":$p\$"; then echo "$p"; return; fi
  done
}

USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
started=""
for attempt in 1 2 3 4 5; do
  PORT=$(free_port)
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" \
      -e "s|@MODULES@|$MODULES|g" -e "s|@USER@|$USER_LINE|g" \
      bench/nginx.conf.in > "$PREFIX/conf/nginx.conf"
  if "$NGINX" -p "$PREFIX" -e "$PREFIX/logs/error.log" -c "$PREFIX/conf/nginx.conf" 2>"$PREFIX/logs/start.err"; then
    i=0
    while [ $i -lt 50 ]; do
      curl -s -o /dev/null "http://127.0.0.1:$PORT/peer" && { started=1; break; }
      sleep 0.1; i=$((i + 1))
    done
    [ -n "$started" ] && break
    stop_nginx
  fi
done
if [ -z "$started" ]; then
  echo "   nginx: could not start:"; sed 's/^/     /' "$PREFIX/logs/start.err" "$PREFIX/logs/error.log" 2>/dev/null | tail -n 20
  exit 1
fi
echo "   nginx $("$NGINX" -v 2>&1 | sed 's|.*/||'), lua module $(dpkg-query -W -f '${Version}' libnginx-mod-http-lua 2>/dev/null), 1 worker, 127.0.0.1:$PORT; wrk -t$THREADS -c$CONNS -d${SECS}s, $ROUNDS rounds A/B"

# Same answers: each handler walks the same code sequence, one code a request, so the
# i-th request to one and the i-th to the other answer the same code. The start-up
# probe asked /peer once: ask /authcodes once too.
curl -s -o /dev/null "http://127.0.0.1:$PORT/authcodes"
for i in 1 2 3 4 5 6; do
  curl -s -D "$PREFIX/a.h" -o "$PREFIX/a.b" "http://127.0.0.1:$PORT/authcodes"
  curl -s -D "$PREFIX/b.h" -o "$PREFIX/b.b" "http://127.0.0.1:$PORT/peer"
  sa=$(head -n 1 "$PREFIX/a.h" | tr -d '\r'); sb=$(head -n 1 "$PREFIX/b.h" | tr -d '\r')
  if [ "$sa" != "$sb" ] || ! lua5.4 bench/same_json.lua "$PREFIX/a.b" "$PREFIX/b.b"; then
    # the peer is a reference, not part of the library: a difference makes the ratio meaningless
    echo "   nginx: the two handlers answer differently ($sa / $sb):"
    cat "$PREFIX/a.b"; echo; cat "$PREFIX/b.b"; echo
    exit 1
  fi
done
[ "$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/authcodes" | grep -ci '^content-type: application/problem+json')" = 1 ] \
  || { echo "   nginx: authcodes handler: no problem+json content type"; exit 1; }
curl -s -o /dev/null "http://127.0.0.1:$PORT/peer"

# The worker's CPU time (clock ticks, user + system), for the CPU-normalised figure.
WORKER=$(ps -o pid= --ppid "$(cat "$PREFIX/logs/nginx.pid")" | tr -d ' ' | head -n 1)
TICK=$(getconf CLK_TCK 2>/dev/null || echo 100)
worker_ticks() { awk '{print $14 + $15}' "/proc/$WORKER/stat"; }

# measure PATH SECONDS -> "req/s requests worker-ticks"
measure() {
  t0=$(worker_ticks)
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$2"s "http://127.0.0.1:$PORT$1" 2>&1)
  t1=$(worker_ticks)
  echo "$out" | awk -v t=$((t1 - t0)) '
    /requests in/ { n = $1 }
    /^Requests\/sec:/ { r = $2 }
    END { if (r == "" || n == "") exit 1; print r, n, t }'
}
measure /authcodes 1 >/dev/null; measure /peer 1 >/dev/null      # warm-up: JIT, connections
: > "$PREFIX/rounds"
r=1
while [ $r -le "$ROUNDS" ]; do
  if [ $((r % 2)) = 1 ]; then a=$(measure /authcodes "$SECS"); b=$(measure /peer "$SECS")
  else b=$(measure /peer "$SECS"); a=$(measure /authcodes "$SECS"); fi
  [ -n "$a" ] && [ -n "$b" ] || { echo "   nginx: wrk gave no figure"; exit 1; }
  echo "$a $b" | awk -v r="$r" -v tick="$TICK" '{
    ca = ($3 > 0) ? $2 / ($3 / tick) : 0; cb = ($6 > 0) ? $5 / ($6 / tick) : 0
    printf "   round %d: authcodes %7.0f req/s %7.0f req/CPU-s   hand-made %7.0f req/s %7.0f req/CPU-s   ratios %.3f %.3f\n",
      r, $1, ca, $4, cb, $1 / $4, (cb > 0 ? ca / cb : 0) }'
  echo "$a $b" >> "$PREFIX/rounds"
  r=$((r + 1))
done
if grep -q '\[error\]\|\[crit\]\|\[alert\]' "$PREFIX/logs/error.log"; then
  echo "   nginx: errors in the error log:"; grep '\[error\]\|\[crit\]\|\[alert\]' "$PREFIX/logs/error.log" | head -n 5
  exit 1
fi
# Medians of A and of B, and the median of the per-round ratios A/B: of requests per
# second (wall clock, what was asked), and of requests per CPU-second of the worker
# (the same throughput, but hardly moved by other processes taking the CPU away).
awk -v tick="$TICK" '
  function sort(x, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = x[i]; for (j = i - 1; j >= 1 && x[j] > t; j--) x[j + 1] = x[j]; x[j + 1] = t }
  }
  function median(x, n) { sort(x, n); return (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }
  # PASS: the median ratio meets the target; MISS?: it does not, but a quarter of the
  # rounds or more do (within the noise); MISS: not even the upper quartile does.
  function verdict(m, x, n,   q3) {
    if (m >= 0.95) return "PASS"
    sort(x, n); q3 = x[n - int((n - 1) / 4)]
    return (q3 >= 0.95) ? "MISS?" : "MISS"
  }
  {
    n++; a[n] = $1; b[n] = $4; q[n] = $1 / $4
    ca[n] = $2 / ($3 / tick); cb[n] = $5 / ($6 / tick); cq[n] = ca[n] / cb[n]
  }
  END {
    ma = median(a, n); mb = median(b, n); mq = median(q, n)
    mca = median(ca, n); mcb = median(cb, n); mcq = median(cq, n)
    vq = verdict(mq, q, n); vc = verdict(mcq, cq, n)
    printf "   -> req/s: authcodes / hand-made = %.3fx (%s); per worker CPU-second: %.3fx (%s); medians of rounds, target >= 0.95x\n", mq, vq, mcq, vc
    printf "ROW\tluajit (nginx)\tproblem+json handler, req/s\tauthcodes.ngx.respond(new(code))\t%.0f\thand-made table + cjson\t%.0f\treq/s\t%.3f\t>= 0.95\t%s\n", ma, mb, mq, vq
    printf "ROW\tluajit (nginx)\tsame, per worker CPU-second\tauthcodes.ngx.respond(new(code))\t%.0f\thand-made table + cjson\t%.0f\treq/CPU-s\t%.3f\t>= 0.95\t%s\n", mca, mcb, mcq, vc
  }' "$PREFIX/rounds"
