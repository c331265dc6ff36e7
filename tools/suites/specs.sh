#!/bin/sh
# Suite "specs:RUNTIME": the unit specs (spec/*_spec.lua, as .busted selects them) on one
# runtime, against the C core built for it. Run by tools/test.sh, one row per runtime.
#
#   sh tools/suites/specs.sh lua5.4      (lua5.1 lua5.2 lua5.3 lua5.4 luajit)
#   sh tools/suites/specs.sh luajit spec/readme_spec.lua     only these spec files
#
# AUTHCODES_LUA tells the specs that start an interpreter of their own (the CLI, the
# generator, the README examples) which one to start.
set -u
cd "$(dirname "$0")/../.." || exit 1
rt=${1:?usage: specs.sh RUNTIME [SPEC...]}
shift
[ $# -gt 0 ] || set -- spec
${MAKE:-make} --no-print-directory LUA="$rt" all >/dev/null || exit 1
AUTHCODES_LUA="$rt" LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./build/$rt/?.so;;" \
  "$rt" /usr/bin/busted --exclude-tags=slow "$@" || exit 1   # busted exits with a count
