#!/bin/sh
# `make install PREFIX=<fresh dir>` from a fresh `git clone` of this repository, for each
# runtime given, and the installed command used from outside with no LUA_PATH/LUA_CPATH
# (issue #14: the installed command could not find its modules).
#
#   sh spec/integration/install_prefix.sh lua5.4 luajit     # `make check-install-prefix`
#
# Checks, per runtime: the modules (cli included), the C core, the command, its man
# page and both completions land under the prefix; with the clone moved away, the
# command run from / describes a code, reads a reply on stdin, prints --help and
# --version; `man` finds the page through the prefix; bash loads the completion. Then,
# with the prefix's C core removed, the command exits 2 with the whole search path (the
# prefix's core.so named) and the right hint (make install LUA=<rt> PREFIX=<prefix>);
# with its cli modules removed too, the launcher does the same. Clones the committed
# tree (HEAD): commit before running. Exit status 0 when all is well.
set -eu

[ $# -gt 0 ] || set -- lua5.4 luajit
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/authcodes-install.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

fail() { echo "install-prefix: FAIL: $*" >&2; exit 1; }
has() { printf '%s' "$1" | grep -qF -- "$2" || fail "$3: no \"$2\" in:
$1"; }

git -C "$root" diff --quiet HEAD -- 2>/dev/null ||
  echo "install-prefix: note: uncommitted changes in $root are not part of the clone"
git clone -q "$root" "$work/clone" || fail "git clone $root"
echo "install-prefix: cloned $(git -C "$work/clone" rev-parse --short HEAD)"

for rt in "$@"; do
  command -v "$rt" >/dev/null || fail "$rt is not installed"
  case $rt in luajit) abi=5.1;; lua5.*) abi=${rt#lua};; *) fail "unknown runtime $rt";; esac
  prefix=$(mktemp -d "$work/prefix-$rt.XXXXXX")
  [ -d "$work/clone" ] || mv "$work/clone.away" "$work/clone"
  (cd "$work/clone" && make --no-print-directory LUA="$rt" GEN_LUA=lua5.4 PREFIX="$prefix" install) \
    >"$work/make-$rt.log" 2>&1 || { cat "$work/make-$rt.log"; fail "make install LUA=$rt PREFIX=$prefix"; }

  for f in bin/authcodes lib/lua/$abi/authcodes/core.so share/lua/$abi/authcodes.lua \
           share/lua/$abi/authcodes/cli/init.lua share/man/man1/authcodes.1 \
           share/bash-completion/completions/authcodes share/zsh/site-functions/_authcodes; do
    [ -e "$prefix/$f" ] || fail "$rt: make install did not install $f"
  done
  for f in "$work"/clone/lua/authcodes/*.lua "$work"/clone/lua/authcodes/cli/*.lua; do
    rel=${f#"$work"/clone/lua/}
    cmp -s "$f" "$prefix/share/lua/$abi/$rel" || fail "$rt: lua/$rel not installed as it is"
  done

  # Nothing to reach back into: the clone is moved away, the paths are the defaults.
  mv "$work/clone" "$work/clone.away"
  run() { (cd / && env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_INIT "$@"); }
  out=$(run "$prefix/bin/authcodes" 22239 2>&1) || fail "$rt: $prefix/bin/authcodes 22239 failed: $out"
  has "$out" "wilddog.sms_api_check_error (22239)" "$rt: authcodes 22239"
  out=$(echo '{"code":-207,"desc":"get user session is failure!"}' | run "$prefix/bin/authcodes" --json - 2>&1) ||
    fail "$rt: authcodes --json - failed: $out"
  has "$out" '"name":"session_get_failed"' "$rt: a reply on stdin"
  out=$(run "$prefix/bin/authcodes" --version 2>&1) || fail "$rt: --version: $out"
  has "$out" "authcodes " "$rt: --version"
  run "$prefix/bin/authcodes" --help >/dev/null || fail "$rt: --help"
  if command -v man >/dev/null; then
    page=$(MANPATH="$prefix/share/man" man -w authcodes 2>&1) || fail "$rt: man -w authcodes: $page"
    has "$page" "$prefix/share/man/man1/authcodes.1" "$rt: man finds the page"
  fi
  if command -v bash >/dev/null; then
    out=$(bash -c ". '$prefix/share/bash-completion/completions/authcodes'; complete -p authcodes" 2>&1) ||
      fail "$rt: bash completion: $out"
  fi

  # Broken installs say where they looked and what to run.
  rm "$prefix/lib/lua/$abi/authcodes/core.so"
  if out=$(run "$prefix/bin/authcodes" 22239 2>&1); then
    echo "install-prefix: $rt: note: a system-wide authcodes.core answered; the broken-install check is skipped"
  else
    st=$?
    [ "$st" = 2 ] || fail "$rt: without core.so: exit $st, not 2: $out"
    has "$out" "cannot load the authcodes module" "$rt: without core.so"
    has "$out" "$prefix/lib/lua/$abi/authcodes/core.so" "$rt: the whole search path"
    has "$out" "make install LUA=$rt PREFIX=$prefix" "$rt: the hint"
  fi
  rm -r "$prefix/share/lua/$abi/authcodes/cli"
  if out=$(run "$prefix/bin/authcodes" 22239 2>&1); then fail "$rt: ran without its cli modules: $out"; fi
  has "$out" "cannot load its modules" "$rt: without authcodes/cli"
  has "$out" "$prefix/share/lua/$abi/authcodes/cli/init.lua" "$rt: the whole search path"
  has "$out" "make install LUA=$rt PREFIX=$prefix" "$rt: the hint"
  echo "install-prefix: $rt: make install into a fresh prefix, then used from /: ok"
done
