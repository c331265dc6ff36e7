# skynet.sh: authcodes in a real skynet and on Lua 5.5 (issue #11 item 7, issue #14
# item 4); sourced by tools/test.sh. The script, not make, so that its exit status 77
# (skipped) reaches suite(); the same runs are make targets in mk/skynet.mk.
#
#   lua5.5       skynet f19d160's interpreter: every code's answers identical to lua5.4's
#   skynet:5.5   real skynet services on skynet f19d160 (Lua 5.5)          (~35 s)
#   skynet:5.4   the same on skynet v1.8.0 (Lua 5.4.7)                     (~35 s)
#
# Each needs ../shared/third_party or AUTHCODES_THIRD_PARTY; without, it exits 77 and
# counts as skipped. The first run builds skynet (about a minute per version, once).
suite "lua5.5" sh spec/integration/skynet.sh smoke f19d160
suite "skynet:5.5" sh spec/integration/skynet.sh services f19d160
suite "skynet:5.4" sh spec/integration/skynet.sh services v1.8.0
