# docs.mk: the documentation (issue #8).
#
#   make docs         docs/codes.md, every code of every domain (tools/gencodes.lua, read
#                     from the module built for $(LUA)), and the API reference in docs/api/
#                     (LDoc, config.ld). Both are committed: run it after changing data/ or
#                     a doc comment in lua/, and commit docs/.
#   make docs-check   the same into $(BUILD)/docs-check, then fail if docs/ differs
#                     (tools/suites/docs.sh runs it; so does spec/docs_spec.lua, in part)
#   make docs-deps    install what LDoc needs (Debian: lua5.1 lua-ldoc lua-markdown), if
#                     missing; AUTHCODES_NO_DEPS=1 only checks
#
# LDoc runs under lua5.1 with lua-markdown (Debian installs it for Lua 5.1 only): one
# interpreter and one markdown make the output the same on every machine. A warning from
# LDoc fails the target, so the reference stays complete.

LDOC       ?= lua5.1 /usr/bin/ldoc
DOCS_DIR   ?= docs
DOCS_DEPS  := lua5.1 lua-ldoc lua-markdown
DOCS_ENV    = LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./$(BUILD)/$(LUA)/?.so;;"

.PHONY: docs docs-check docs-deps

docs: $(CORE_SO) docs-deps
	@mkdir -p $(DOCS_DIR)
	$(DOCS_ENV) $(LUA) tools/gencodes.lua --out $(DOCS_DIR)/codes.md
	@rm -rf $(DOCS_DIR)/api $(BUILD)/ldoc.log && mkdir -p $(BUILD)
	$(LDOC) --dir $(DOCS_DIR)/api . >$(BUILD)/ldoc.log 2>&1 || { cat $(BUILD)/ldoc.log; exit 1; }
	@if grep -v -e '^reading configuration from config.ld$$' -e '^output written to ' $(BUILD)/ldoc.log; then \
	  echo "docs: LDoc warned (above): fix the doc comments"; exit 1; fi
	@echo "docs: $(DOCS_DIR)/codes.md and $(DOCS_DIR)/api/index.html"

docs-check:
	@rm -rf $(BUILD)/docs-check
	@$(MAKE) --no-print-directory docs DOCS_DIR=$(BUILD)/docs-check >/dev/null
	@cmp -s $(BUILD)/docs-check/codes.md docs/codes.md || { \
	  diff -u docs/codes.md $(BUILD)/docs-check/codes.md | head -40; \
	  echo "docs-check: docs/codes.md is out of date with data/: run make docs and commit docs/"; exit 1; }
	@diff -r docs/api $(BUILD)/docs-check/api >$(BUILD)/docs-check.diff 2>&1 || { \
	  head -60 $(BUILD)/docs-check.diff; \
	  echo "docs-check: docs/api is out of date with the doc comments: run make docs and commit docs/"; exit 1; }
	@echo "docs-check: docs/codes.md and docs/api are up to date"

docs-deps:
	@missing=""; \
	for p in $(DOCS_DEPS); do \
	  st=$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null || true); \
	  [ "$$st" = installed ] || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$${AUTHCODES_NO_DEPS:-0}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "docs: missing:$$missing (Debian packages; LDoc needs them under lua5.1)"; exit 1; fi; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	echo "docs: installing:$$missing"; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing >/dev/null || { \
	  $$SUDO apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing >/dev/null; }
