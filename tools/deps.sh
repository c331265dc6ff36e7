#!/bin/sh
# Install the Debian packages authcodes needs to build, test, benchmark and document
# itself, if any is missing. Debian 12 (bookworm); run as root or with sudo.
# AUTHCODES_NO_DEPS=1 skips this (for machines managed another way).
set -eu

# Usage: sh tools/deps.sh [demo|docs|test]   (test, the default, is everything)
BASE="gcc make libc6-dev lua5.4 liblua5.4-dev lua-cjson"
# LDoc runs under lua5.1 with lua-markdown (mk/docs.mk: make docs-deps).
DOCS="lua5.1 lua-ldoc lua-markdown"
ALL="$BASE
lua5.1 lua5.2 lua5.3 liblua5.1-0-dev liblua5.2-dev liblua5.3-dev
luajit2 libluajit2-5.1-dev
lua-busted lua-check luarocks $DOCS git zip unzip
nginx libnginx-mod-http-lua lua-resty-core wrk curl procps iproute2
redis-server lua-nginx-redis lua-redis
clang-14 libclang-rt-14-dev valgrind binutils
zsh groff-base"

case "${1:-test}" in
  demo) PACKAGES=$BASE ;;
  docs) PACKAGES=$DOCS ;;
  test) PACKAGES=$ALL ;;
  *) echo "usage: sh tools/deps.sh [demo|docs|test]" >&2; exit 2 ;;
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
# Debian's nginx and redis-server packages start a server at install (port 80, 6379);
# the tests start their own on free loopback ports, so stop and disable those.
for svc in nginx redis-server; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
    $SUDO systemctl disable --quiet "$svc" 2>/dev/null || true
  fi
done
echo "deps: done"
