#!/bin/sh
# `luarocks make` of rockspec/authcodes-scm-1.rockspec, offline, into a fresh tree, and a
# fresh process that uses only that tree.
#
#   sh spec/integration/luarocks_install.sh 5.4      # Lua 5.4
#   sh spec/integration/luarocks_install.sh luajit   # LuaJIT (rocks for Lua 5.1, luajit2 headers)
#
# Checks: the build runs without the network (in a network namespace of its own when
# `unshare -n` is allowed; luarocks is also given no rocks server). The rockspec declares
# lua-cjson, which here comes from Debian's lua-cjson package, invisible to LuaRocks: so
# `--deps-mode=none`, as the README tells Debian users; the script checks that the
# dependency is declared (and that without --deps-mode=none LuaRocks would want it);
# every module of lua/ and the C core land in the tree, and bin/authcodes; a process
# started outside the checkout, with only `luarocks path --tree` for paths, loads
# authcodes from the tree (never from the checkout), looks codes up and formats a
# problem; the installed authcodes command answers. Works on a copy of the checkout
# (luarocks writes objects next to the sources). Exit status 0 when all is well.
# Suites "luarocks:5.4" and "luarocks:luajit" of tools/test.sh; make check-luarocks.
set -eu

flavour=${1:?usage: luarocks_install.sh 5.4|luajit}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/authcodes-luarocks.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

fail() { echo "luarocks:$flavour: FAIL: $*" >&2; exit 1; }

case $flavour in
  5.4)
    abi=5.4 lua=lua5.4
    cat >"$work/config.lua" <<EOF
lua_version = "5.4"
rocks_servers = {}
EOF
    ;;
  luajit)
    abi=5.1 lua=luajit
    # Debian's luajit2: interpreter /usr/bin/luajit, headers /usr/include/luajit-2.1.
    cat >"$work/config.lua" <<EOF
lua_version = "5.1"
lua_interpreter = "luajit"
rocks_servers = {}
variables = {
  LUA_DIR = "/usr",
  LUA_BINDIR = "/usr/bin",
  LUA_INCDIR = "/usr/include/luajit-2.1",
  LUA_LIBDIR = "/usr/lib/x86_64-linux-gnu",
}
EOF
    ;;
  *) fail "unknown flavour $flavour (5.4 or luajit)";;
esac
command -v luarocks >/dev/null || fail "luarocks is not installed (Debian: luarocks)"
command -v "$lua" >/dev/null || fail "$lua is not installed"

# The sources the rockspec names, copied (git's view is not needed: the working tree).
mkdir -p "$work/src"
for d in rockspec src lua bin docs library man completions; do
  [ -e "$root/$d" ] && cp -R "$root/$d" "$work/src/"
done
[ -f "$work/src/bin/authcodes" ] || fail "bin/authcodes is missing, and the rockspec installs it (build.install.bin)"

tree=$work/tree
# A home of our own: no user config or cache of the caller's is read or written.
export HOME="$work/home" LUAROCKS_CONFIG="$work/config.lua"
mkdir -p "$HOME"
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4 || true

# No network at all when we may have a namespace of our own; else trust the config.
# shellcheck source=tools/offline.sh
. "$root/tools/offline.sh"
offline=$(offline_cmd)
echo "luarocks:$flavour: $(luarocks --version | head -n 1), ${offline:-no network namespace (unshare not allowed)}"

start=$(date +%s)
(cd "$work/src" && $offline luarocks --lua-version "$abi" make rockspec/authcodes-scm-1.rockspec \
   --tree "$tree" --deps-mode=none) >"$work/make.log" 2>&1 || { cat "$work/make.log"; fail "luarocks make failed"; }
grep -q "is now installed" "$work/make.log" || { cat "$work/make.log"; fail "luarocks make did not install"; }

# lua-cjson is declared: the installed rock lists it, and LuaRocks left to itself
# (no --deps-mode=none, no rocks server) refuses to build without it.
luarocks --lua-version "$abi" show authcodes --tree "$tree" >"$work/show.log" 2>&1 ||
  { cat "$work/show.log"; fail "luarocks show authcodes failed"; }
grep -q "lua-cjson" "$work/show.log" || { cat "$work/show.log"; fail "the rock does not declare lua-cjson"; }
if (cd "$work/src" && $offline luarocks --lua-version "$abi" make rockspec/authcodes-scm-1.rockspec \
    --tree "$work/tree-deps") >"$work/deps.log" 2>&1; then
  cat "$work/deps.log"; fail "luarocks make without --deps-mode=none built with no lua-cjson rock to be had"
fi
grep -q "lua-cjson" "$work/deps.log" || { cat "$work/deps.log"; fail "luarocks did not ask for lua-cjson"; }
# The LuaLS definitions travel with the rock (build.copy_directories).
ls "$tree"/lib/luarocks/rocks-"$abi"/authcodes/scm-1/library/authcodes.lua >/dev/null 2>&1 ||
  fail "the rock lacks library/authcodes.lua (the LuaLS definitions; build.copy_directories)"

# Every module of the checkout, and the C core, and the command.
[ -f "$tree/share/lua/$abi/authcodes.lua" ] || fail "authcodes.lua not installed"
for f in "$root"/lua/authcodes/*.lua "$root"/lua/authcodes/cli/*.lua; do
  m=${f#"$root"/lua/authcodes/}
  [ -f "$tree/share/lua/$abi/authcodes/$m" ] ||
    fail "lua/authcodes/$m is not installed: add it to the rockspec's build.modules"
  cmp -s "$f" "$tree/share/lua/$abi/authcodes/$m" || fail "installed authcodes/$m differs from lua/authcodes/$m"
done
ls "$tree"/lib/luarocks/rocks*/authcodes/*/man/authcodes.1 >/dev/null 2>&1 ||
  fail "man/authcodes.1 is not in the rock (the rockspec's build.copy_directories)"
[ -f "$tree/lib/lua/$abi/authcodes/core.so" ] || fail "authcodes/core.so not installed"
[ -x "$tree/bin/authcodes" ] || fail "bin/authcodes not installed"
if [ "$flavour" = luajit ]; then
  grep -q "/usr/bin/luajit" "$tree/bin/authcodes" || fail "the installed authcodes command does not run luajit"
fi

# A fresh process, outside the checkout, with the tree's paths only.
paths=$(luarocks --lua-version "$abi" path --tree "$tree") || fail "luarocks path failed"
cd "$work"
out=$(eval "$paths"; TREE=$tree "$lua" -e '
  local tree = assert(os.getenv("TREE"))
  local authcodes = require "authcodes"
  local function from_tree(path, what)
    assert(path and path:sub(1, #tree) == tree, what .. " not loaded from the tree: " .. tostring(path))
  end
  from_tree(package.searchpath("authcodes", package.path), "authcodes")
  from_tree(package.searchpath("authcodes.core", package.cpath), "authcodes.core")
  local e = assert(authcodes.lookup(22239))
  assert(e.name == "sms_api_check_error" and e.http == 429 and e.retry_after == 1, "lookup 22239")
  local err = authcodes.new(-204)
  assert(err.http == 401 and err:is("session_expired"), "new -204")
  local reply, why = authcodes.check([[{"code":-207,"desc":"get user session is failure!"}]], "imsdk")
  assert(reply == nil and why.name == "session_get_failed", "check")
  assert(authcodes.should_retry(why, 1), "should_retry")
  local problem = authcodes.format(err, "problem", { lang = "zh" })
  assert(problem:find([["status":401]], 1, true), problem)
  print(("%s: authcodes %s from %s: 22239 = %s"):format(jit and jit.version or _VERSION,
    authcodes._VERSION, tree, e.name))
' 2>&1) || fail "a fresh $lua could not use the tree: $out"
echo "$out"
cmd=$(eval "$paths"; "$tree/bin/authcodes" 22239 2>&1) || fail "the installed authcodes command failed: $cmd"
echo "$cmd" | grep -q "sms_api_check_error" || fail "authcodes 22239 did not name sms_api_check_error: $cmd"
echo "luarocks:$flavour: installed and used from a fresh tree in $(( $(date +%s) - start ))s: ok"
