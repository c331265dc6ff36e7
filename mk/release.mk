# release.mk: the release (issue #14).
#
#   make release-check   _VERSION, the release rockspec (version, tag, URL, license), the
#                        scm rockspec, CHANGELOG.md's top entry, LICENSE and the vendor
#                        tables it names, man/authcodes.1 and the tag vV agree, and
#                        `luarocks lint` accepts every rockspec (tools/release_check.lua;
#                        RELEASE_TAGGED=1 also requires the tag)
#   make dist            build/dist/: authcodes-V.tar.gz (git archive) and the .src.rock
#                        of the release and scm rockspecs (`luarocks pack`, offline; see
#                        tools/dist.sh)
#   make dist-check      make dist, then `luarocks build` of the release .src.rock into a
#                        fresh tree, offline, used from a fresh lua5.4
#
# `make test` runs release-check and dist-check (suites "release-check", "dist").

RELEASE_LUA ?= lua5.4

.PHONY: release-check dist dist-check

release-check:
	$(RELEASE_LUA) tools/release_check.lua $(if $(filter 1,$(RELEASE_TAGGED)),--tagged)

dist:
	sh tools/dist.sh

dist-check:
	sh tools/dist.sh --check
