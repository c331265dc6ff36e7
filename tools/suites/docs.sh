#!/bin/sh
# The documentation suites (issue #8). Run by tools/test.sh; `make docs-check` runs the
# first.
#
#   sh tools/suites/docs.sh check         docs/codes.md and docs/api are what `make docs`
#                                         makes of the catalog and the doc comments now
#                                         (and LDoc does not warn)
#   sh tools/suites/docs.sh readme-nginx  spec/readme_spec.lua with the README's OpenResty
#                                         example in a real nginx (Debian nginx +
#                                         libnginx-mod-http-lua, LuaJIT build)
#
# The README's Lua examples and the codes.md check also run in every "specs:<runtime>"
# suite (spec/readme_spec.lua, spec/docs_spec.lua).
set -u
cd "$(dirname "$0")/../.." || exit 1
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}

case ${1:-} in
  check)
    out=$BUILD/docs-check
    rm -rf "$out"
    $MAKE --no-print-directory docs DOCS_DIR="$out" >/dev/null || exit 1
    cmp -s "$out/codes.md" docs/codes.md || {
      diff -u docs/codes.md "$out/codes.md" | head -40
      echo "docs-check: docs/codes.md is out of date with data/: run make docs and commit docs/"; exit 1; }
    diff -r docs/api "$out/api" >"$BUILD/docs-check.diff" 2>&1 || {
      head -60 "$BUILD/docs-check.diff"
      echo "docs-check: docs/api is out of date with the doc comments: run make docs and commit docs/"; exit 1; }
    echo "docs-check: docs/codes.md and docs/api are up to date"
    ;;
  readme-nginx)
    AUTHCODES_README_NGINX=1 exec sh tools/suites/specs.sh luajit spec/readme_spec.lua
    ;;
  *) echo "usage: sh tools/suites/docs.sh check|readme-nginx" >&2; exit 2;;
esac
