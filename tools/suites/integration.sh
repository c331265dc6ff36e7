# integration.sh: authcodes where it runs (issue #4); sourced by tools/test.sh.
#
#   nginx             examples/nginx in Debian's nginx (LuaJIT): answers over HTTP, a
#                     bounded wrk load, error log, worker memory, no process left
#   jit               hot paths compile under LuaJIT: no NYI, abort or stitch
#   luarocks:5.4      luarocks make offline into a fresh tree, then use it (Lua 5.4)
#   luarocks:luajit   the same for LuaJIT (rocks for Lua 5.1, luajit2 headers)
#   install-prefix    make install from a fresh clone into a fresh prefix, for lua5.4 and
#                     luajit; the installed command used from / (mk/cli.mk)
#
# The targets are in mk/integration.mk (make check-nginx, check-jit, check-luarocks).
suite "nginx" $MAKE --no-print-directory check-nginx
suite "jit" $MAKE --no-print-directory check-jit
suite "luarocks:5.4" $MAKE --no-print-directory check-luarocks-5.4
suite "luarocks:luajit" $MAKE --no-print-directory check-luarocks-luajit
suite "install-prefix" $MAKE --no-print-directory check-install-prefix
