# docs.sh: the documentation (issue #8); sourced by tools/test.sh, suites "docs: ...".
#
#   docs: make docs-check     docs/codes.md and docs/api are what `make docs` makes of the
#                             catalog and the doc comments now (and LDoc does not warn)
#   docs: README in nginx     spec/readme_spec.lua with the README's OpenResty example in a
#                             real nginx (Debian nginx + libnginx-mod-http-lua, LuaJIT build)
#
# The README's Lua examples and the codes.md check also run in every "specs:<runtime>"
# suite (spec/readme_spec.lua, spec/docs_spec.lua).

suite "docs: make docs-check" $MAKE --no-print-directory docs-check

docs_readme_nginx() {
  $MAKE --no-print-directory LUA=luajit all >/dev/null &&
  AUTHCODES_README_NGINX=1 AUTHCODES_LUA=luajit \
    LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./build/luajit/?.so;;" \
    luajit /usr/bin/busted spec/readme_spec.lua
}
suite "docs: README in nginx" docs_readme_nginx
