# docs.mk: the documentation (issue #8).
#
#   make docs         docs/codes.md, every code of every domain (tools/gendocs_codes.lua, read
#                     from the module built for $(LUA)), and the API reference in docs/api/
#                     (LDoc, config.ld). Both are committed: run it after changing data/ or
#                     a doc comment in lua/, and commit docs/.
#   make docs-check   the same into $(BUILD)/docs-check, then fail if docs/ differs
#                     (tools/suites/docs.sh check: the suite "docs:check" of `make test`;
#                     spec/docs_spec.lua checks codes.md too)
#   make docs-deps    install what LDoc needs (sh tools/deps.sh docs: Debian lua5.1
#                     lua-ldoc lua-markdown), if missing
#
# LDoc runs under lua5.1 with lua-markdown (Debian installs it for Lua 5.1 only): one
# interpreter and one markdown make the output the same on every machine. A warning from
# LDoc fails the target, so the reference stays complete.

LDOC       ?= lua5.1 /usr/bin/ldoc
DOCS_DIR   ?= docs
DOCS_ENV    = LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./$(BUILD)/$(LUA)/?.so;;"

.PHONY: docs docs-check docs-deps

docs: $(CORE_SO) docs-deps
	@mkdir -p $(DOCS_DIR)
	$(DOCS_ENV) $(LUA) tools/gendocs_codes.lua --out $(DOCS_DIR)/codes.md
	@rm -rf $(DOCS_DIR)/api $(BUILD)/ldoc.log && mkdir -p $(BUILD)
	$(LDOC) --dir $(DOCS_DIR)/api . >$(BUILD)/ldoc.log 2>&1 || { cat $(BUILD)/ldoc.log; exit 1; }
	@if grep -v -e '^reading configuration from config.ld$$' -e '^output written to ' $(BUILD)/ldoc.log; then \
	  echo "docs: LDoc warned (above): fix the doc comments"; exit 1; fi
	@echo "docs: $(DOCS_DIR)/codes.md and $(DOCS_DIR)/api/index.html"

docs-check:
	@sh tools/suites/docs.sh check

docs-deps:
	@sh tools/deps.sh docs
