# shellcheck shell=sh
# tools/offline.sh: sourced, not run. `offline_cmd` prints the command that runs another
# without a network (a network namespace of its own: `unshare -n`, or `unshare -rn`
# where only a user namespace may make one), or nothing when neither is allowed here.
# Used by tools/dist.sh, spec/integration/luarocks_install.sh and skynet_build.sh:
# proof that a build fetches nothing.
offline_cmd() {
  command -v unshare >/dev/null 2>&1 || return 0
  if unshare -n true 2>/dev/null; then echo "unshare -n"
  elif unshare -rn true 2>/dev/null; then echo "unshare -rn"
  fi
}
