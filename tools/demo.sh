#!/bin/sh
# `make demo`: what an on-call engineer and a game-server author see, on real codes.
set -eu
cd "$(dirname "$0")/.."
LUA=${LUA:-lua5.4}
export LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./build/$LUA/?.so;;"

show() { printf '\n$ %s\n' "$*"; "$@"; }

show $LUA bin/authcodes 22239
show $LUA bin/authcodes -204
show $LUA bin/authcodes -s 过期
show $LUA examples/game_server.lua
