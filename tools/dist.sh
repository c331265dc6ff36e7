#!/bin/sh
# make dist: the release's files, built offline, into build/dist/ (DIST_DIR):
#
#   authcodes-V.tar.gz          `git archive` of the release commit (prefix authcodes-V/)
#   authcodes-V-N.src.rock      `luarocks pack rockspec/authcodes-V-N.rockspec`
#   authcodes-scm-1.src.rock    `luarocks pack rockspec/authcodes-scm-1.rockspec`
#
# `luarocks pack` of a rockspec whose source is a git URL clones that URL (tag vV, or
# branch main for scm) and zips the rockspec with the clone. The URL is the published
# repository's (a placeholder until it is published), so here git is told, for this
# command only, to read that URL from a temporary bare repository holding this
# checkout's commit (git's url.<base>.insteadOf, through GIT_CONFIG_COUNT): the rocks are
# exactly what `luarocks pack` would make from the published repository at that commit,
# and no network is used (a network namespace of its own when `unshare -n` is allowed).
#
# The release commit is the tag vV when it exists; before tagging, HEAD is packed as vV
# (said loudly). Only committed files are packed: uncommitted changes are reported.
#
#   sh tools/dist.sh            build the three files
#   sh tools/dist.sh --check    and build the .src.rock with `luarocks build` into a fresh
#                               tree, offline, then use that tree from a fresh process
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${DIST_DIR:-$root/build/dist}
check=0
[ "${1:-}" = --check ] && check=1

fail() { echo "dist: FAIL: $*" >&2; exit 1; }
command -v luarocks >/dev/null || fail "luarocks is not installed (Debian: luarocks)"
command -v git >/dev/null || fail "git is not installed"
command -v zip >/dev/null || fail "zip is not installed (luarocks pack uses it; Debian: zip)"
git -C "$root" rev-parse --git-dir >/dev/null 2>&1 || fail "$root is not a git checkout: make dist packs commits"

V=$(sed -n 's/^ *_VERSION = "\([^"]*\)",* *$/\1/p' "$root/lua/authcodes.lua")
[ -n "$V" ] || fail "no _VERSION in lua/authcodes.lua"
set -- "$root"/rockspec/authcodes-"$V"-*.rockspec
{ [ $# = 1 ] && [ -f "$1" ]; } || fail "want exactly one rockspec/authcodes-$V-N.rockspec, found: $*"
release=$1
scm=$root/rockspec/authcodes-scm-1.rockspec
url=$(sed -n 's/^ *url = "\([^"]*\)",* *$/\1/p' "$release" | head -n 1)
case $url in
  git+https://*|git+http://*) git_url=${url#git+} ;;
  git://*|git+ssh://*|https://*) git_url=${url#git+} ;;
  *) fail "$release: source.url $url is not a git URL" ;;
esac

work=$(mktemp -d /tmp/authcodes-dist.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export HOME="$work/home"
mkdir -p "$HOME" "$out"

# The bare repository luarocks' git clone reads instead of the published one.
repo=$work/authcodes.git
git init -q --bare "$repo"
if git -C "$root" rev-parse -q --verify "refs/tags/v$V" >/dev/null; then
  commit=$(git -C "$root" rev-parse "v$V^{commit}")
  echo "dist: packing tag v$V ($commit)"
else
  commit=$(git -C "$root" rev-parse HEAD)
  echo "dist: ************************************************************************"
  echo "dist: NOTE: v$V is not tagged yet: packing HEAD ($commit) as v$V."
  echo "dist: Tag the release commit (git tag -a v$V) before publishing these files."
  echo "dist: ************************************************************************"
fi
[ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ] ||
  echo "dist: note: the checkout has uncommitted changes; they are not packed"
# (A push needs the full history; a shallow clone falls back to copying the repository.)
git -C "$root" push -q "$repo" "$commit:refs/heads/main" "$commit:refs/tags/v$V" 2>/dev/null || {
  rm -rf "$repo" && git clone -q --bare "$root" "$repo" &&
  git -C "$repo" update-ref refs/heads/main "$commit" && git -C "$repo" symbolic-ref HEAD refs/heads/main &&
  git -C "$repo" update-ref "refs/tags/v$V" "$commit"; } || fail "cannot copy $commit into a temporary repository"

# shellcheck source=tools/offline.sh
. "$root/tools/offline.sh"
offline=$(offline_cmd)

# luarocks pack in $work/pack, with git reading $git_url from $repo.
pack() {
  rm -rf "$work/pack" && mkdir -p "$work/pack"
  (cd "$work/pack" &&
   GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.file://$repo.insteadOf" GIT_CONFIG_VALUE_0="$git_url" \
   GIT_CONFIG_NOSYSTEM=1 $offline luarocks pack "$1") >"$work/pack.log" 2>&1 ||
    { cat "$work/pack.log" >&2; fail "luarocks pack $1 failed"; }
  rock=$(ls "$work"/pack/*.src.rock)
  mv "$rock" "$out/"
  echo "dist: $out/$(basename "$rock")"
}

git -C "$root" archive --format=tar.gz --prefix="authcodes-$V/" -o "$out/authcodes-$V.tar.gz" "$commit"
echo "dist: $out/authcodes-$V.tar.gz"
pack "$release"
pack "$scm"

[ "$check" = 1 ] || exit 0

# --check: each rock holds its rockspec and the sources; the release rock builds offline
# into a fresh tree and a fresh process uses it.
rel_rock=$out/$(basename "$release" .rockspec).src.rock
for rock in "$rel_rock" "$out/authcodes-scm-1.src.rock"; do
  list=$(unzip -l "$rock")
  name=$(basename "$rock" .src.rock)
  for f in "$name.rockspec" authcodes/lua/authcodes.lua authcodes/src/catalog_data.h authcodes/bin/authcodes \
           authcodes/LICENSE authcodes/library/authcodes.lua; do
    echo "$list" | grep -q " $f\$" || fail "$(basename "$rock") lacks $f"
  done
done
git -C "$root" show "$commit:rockspec/$(basename "$release")" | cmp -s - "$release" ||
  fail "$(basename "$release") differs from the one in the packed commit: commit it first"

tree=$work/tree
printf 'rocks_servers = {}\n' >"$work/config.lua"
export LUAROCKS_CONFIG="$work/config.lua"
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4 || true
(cd "$work" && $offline luarocks --lua-version 5.4 build "$rel_rock" --tree "$tree" --deps-mode none) \
  >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "luarocks build $(basename "$rel_rock") failed"; }
paths=$(luarocks --lua-version 5.4 path --tree "$tree")
res=$(cd "$work" && eval "$paths" && TREE=$tree lua5.4 -e '
  local authcodes = require "authcodes"
  local where = package.searchpath("authcodes.core", package.cpath)
  local tree = assert(os.getenv("TREE"))
  assert(where:sub(1, #tree) == tree, "authcodes.core not from the tree: " .. where)
  assert(authcodes.lookup(-204).name == "session_expired")
  io.write(authcodes._VERSION)' 2>&1) || fail "a fresh lua5.4 could not use the built rock: $res"
[ "$res" = "$V" ] || fail "the built rock says _VERSION $res, want $V"
rel_ver=$(basename "$release" .rockspec); rel_ver=${rel_ver#authcodes-}
[ -f "$tree/lib/luarocks/rocks-5.4/authcodes/$rel_ver/library/authcodes.lua" ] ||
  fail "the built rock lacks library/ (the LuaLS definitions, build.copy_directories)"
echo "dist: $(basename "$rel_rock") builds offline (${offline:-no network namespace}) and answers, _VERSION $res: ok"
