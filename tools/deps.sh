#!/bin/sh
# Install the Debian packages authcodes needs to build, test, benchmark and document
# itself, if any is missing. Debian 12 (bookworm); run as root or with sudo.
# AUTHCODES_NO_DEPS=1 skips this (for machines managed another way).
set -eu

# Usage: sh tools/deps.sh [demo|test]   (test, the default, is everything)
BASE="gcc make libc6-dev lua5.4 liblua5.4-dev lua-cjson"
ALL="$BASE
lua5.1 lua5.2 lua5.3 liblua5.1-0-dev liblua5.2-dev liblua5.3-dev
luajit2 libluajit2-5.1-dev
lua-busted lua-check lua-ldoc lua-markdown luarocks
nginx libnginx-mod-http-lua lua-resty-core wrk curl procps iproute2
redis-server lua-nginx-redis lua-redis
clang-14 libclang-rt-14-dev valgrind binutils"

case "${1:-test}" in
  demo) PACKAGES=$BASE ;;
  test) PACKAGES=$ALL ;;
  *) echo "usage: sh tools/deps.sh [demo|test]" >&2; exit 2 ;;
esac

[ "${AUTHCODES_NO_DEPS:-0}" = 1 ] && exit 0

missing=""
for p in $PACKAGES; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to apt-get install:$missing" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Debian's luajit conflicts with luajit2, which is what libnginx-mod-http-lua uses.
if dpkg-query -W -f='${db:Status-Status}' luajit 2>/dev/null | grep -q '^installed$'; then
  $SUDO apt-get remove -y -q luajit libluajit-5.1-dev >/dev/null || true
fi
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
# The Debian nginx package starts a server on port 80 at install; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  $SUDO systemctl stop nginx || true
fi
echo "deps: done"
