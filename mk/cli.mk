# cli.mk: the authcodes command's generated files and its install check (issues #14, #15).
#
#   make cli-docs               man/authcodes.1 and completions/ from the option table of
#                               lua/authcodes/cli/args.lua (tools/gencli.lua); commit them
#                               (spec/cli_install_spec.lua fails when they are out of date)
#   make check-install-prefix   a fresh `git clone` of the committed tree, `make install
#                               PREFIX=$$(mktemp -d)` for lua5.4 and luajit, and the
#                               installed command run from outside, with no LUA_PATH
#                               (spec/integration/install_prefix.sh)

.PHONY: cli-docs check-install-prefix

cli-docs: $(CORE_SO)
	LUA_CPATH="./$(BUILD)/$(LUA)/?.so;;" $(LUA) tools/gencli.lua

check-install-prefix:
	sh spec/integration/install_prefix.sh lua5.4 luajit
