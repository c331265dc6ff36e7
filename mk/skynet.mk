# skynet.mk: authcodes in a real skynet and on skynet's Lua 5.5 (issue #11 item 7,
# issue #14 item 4), from the sources in ../shared/third_party or $AUTHCODES_THIRD_PARTY
# (skynet and lua-cjson tarballs; built offline under build/skynet/<tag>/).
#
#   make check-skynet       both below for skynet f19d160 (Lua 5.5) and v1.8.0 (Lua 5.4.7)
#   make check-skynet-5.5   real services on skynet f19d160 (spec/integration/skynet.sh)
#   make check-skynet-5.4   the same on skynet v1.8.0
#   make check-lua5.5       skynet's own interpreter (Lua 5.5): every code's answers, and
#                           bin/authcodes's listings, identical to lua5.4's; cjson built
#                           for 5.5
#
# Without the sources each prints SKIPPED and what to set, and fails with status 77
# (make reports it as an error: a skip is not a pass). tools/suites/skynet.sh runs them
# in `make test` and counts 77 as skipped.

.PHONY: check-skynet check-skynet-5.5 check-skynet-5.4 check-lua5.5

check-skynet: check-lua5.5 check-skynet-5.5 check-skynet-5.4

check-skynet-5.5:
	sh spec/integration/skynet.sh services f19d160

check-skynet-5.4:
	sh spec/integration/skynet.sh services v1.8.0

check-lua5.5:
	sh spec/integration/skynet.sh smoke f19d160
