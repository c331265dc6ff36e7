#!/bin/sh
# Suite "lint" and `make lint`: luacheck over every Lua file of the project, with the
# settings of .luacheckrc (bin/authcodes named on its own: it has no .lua suffix).
set -u
cd "$(dirname "$0")/../.." || exit 1
exec luacheck --no-color lua bin/authcodes spec tools bench examples fuzz library
