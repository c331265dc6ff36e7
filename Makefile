# authcodes: vendor auth error codes for Lua, with a C core.
#
# Targets
#   make / make all     build the C module for $(LUA) (regenerating the catalog if data/ changed)
#   make demo           install what is needed (Debian), build, and run bin/authcodes on real codes
#   make test           install what is needed (Debian), then run every test suite on every
#                       runtime: tools/test.sh, whose table lists them (TEST_ONLY="a b" picks)
#   make lint           luacheck over every Lua file (.luacheckrc; one of the test suites)
#   make install        install modules, the command, its man page and completions under $(PREFIX)
#   make bench          benchmarks against plain-Lua peers (see BENCHMARKS.md)
#   make docs           API reference (LDoc) and docs/codes.md
#   make deps           install the Debian packages the above need (apt-get; root or sudo)
#   make clean
#
# Variables (all may be set on the command line)
#   LUA        runtime to build for: lua5.1, lua5.2, lua5.3, lua5.4 or luajit   [lua5.4]
#              or lua5.5 with LUA_INC (Debian 12 has no Lua 5.5; skynet's does:
#              make LUA=lua5.5 LUA_INC=/path/to/skynet/3rd/lua GEN_LUA=lua5.4)
#   LUA_INC    its C headers                           [derived from LUA]
#   LUA_ABI    its module ABI version (5.1 for luajit)  [derived from LUA]
#   GEN_LUA    interpreter that runs the generator      [$(LUA)]
#   RUNTIMES   runtimes `make test` runs the specs on   [every one of the five that is installed]
#   CC         C compiler                               [cc]
#   CFLAGS     optimisation/debug flags                 [-O2 -g]
#   PREFIX     install prefix                           [/usr/local]
#   DESTDIR    staging root for packagers               []
#   BUILD      build directory                          [build]

LUA      ?= lua5.4
CC       ?= cc
CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
GEN_LUA  ?= $(LUA)
ALL_RUNTIMES := lua5.1 lua5.2 lua5.3 lua5.4 luajit
RUNTIMES ?= $(foreach r,$(ALL_RUNTIMES),$(if $(shell command -v $(r) 2>/dev/null),$(r)))

ifeq ($(LUA),luajit)
LUA_ABI ?= 5.1
LUA_INC ?= /usr/include/luajit-2.1
else
LUA_ABI ?= $(patsubst lua%,%,$(LUA))
LUA_INC ?= /usr/include/$(LUA)
endif

# The project's own warnings and ABI choices; not meant to be overridden.
AC_CFLAGS = -std=c99 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -I$(LUA_INC) -Isrc
AC_LDFLAGS = -shared

CORE_SRC  = src/authcodes_core.c src/catalog.c src/clock.c
CORE_HDR  = src/catalog.h src/catalog_data.h src/clock.h src/compat.h
CORE_SO   = $(BUILD)/$(LUA)/authcodes/core.so
DATA      = $(wildcard data/*.tsv data/vendor/*)

.PHONY: all build-all demo test lint install deps clean

all: $(CORE_SO)

src/catalog_data.h: $(DATA) tools/gencatalog.lua lua/authcodes/schema.lua lua/authcodes/code.lua lua/authcodes/text.lua
	$(GEN_LUA) tools/gencatalog.lua --data data --out $@

$(CORE_SO): $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AC_CFLAGS) $(CORE_SRC) $(AC_LDFLAGS) $(LDFLAGS) -o $@

deps:
	sh tools/deps.sh test

# One build per runtime, side by side under $(BUILD)/<runtime>/.
build-all:
	@for r in $(RUNTIMES); do $(MAKE) --no-print-directory LUA=$$r all || exit 1; done

demo:
	@sh tools/deps.sh demo
	@$(MAKE) --no-print-directory LUA=lua5.4 all
	@sh tools/demo.sh

test: deps
	sh tools/test.sh

lint:
	@sh tools/suites/lint.sh

# The command finds its modules relative to itself (PREFIX/bin -> PREFIX/share/lua,
# PREFIX/lib/lua), so any PREFIX works, and DESTDIR staging too.
SHARE_DIR = $(DESTDIR)$(PREFIX)/share
install: $(CORE_SO)
	install -d $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_ABI)/authcodes $(SHARE_DIR)/lua/$(LUA_ABI)/authcodes/cli
	install -m 0755 $(CORE_SO) $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_ABI)/authcodes/core.so
	install -m 0644 lua/authcodes.lua $(SHARE_DIR)/lua/$(LUA_ABI)/authcodes.lua
	install -m 0644 $(wildcard lua/authcodes/*.lua) $(SHARE_DIR)/lua/$(LUA_ABI)/authcodes/
	install -m 0644 $(wildcard lua/authcodes/cli/*.lua) $(SHARE_DIR)/lua/$(LUA_ABI)/authcodes/cli/
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE_DIR)/man/man1 \
	  $(SHARE_DIR)/bash-completion/completions $(SHARE_DIR)/zsh/site-functions
	sed '1s|.*|#!/usr/bin/env $(LUA)|' bin/authcodes > $(DESTDIR)$(PREFIX)/bin/authcodes
	chmod 0755 $(DESTDIR)$(PREFIX)/bin/authcodes
	install -m 0644 man/authcodes.1 $(SHARE_DIR)/man/man1/authcodes.1
	install -m 0644 completions/authcodes.bash $(SHARE_DIR)/bash-completion/completions/authcodes
	install -m 0644 completions/_authcodes $(SHARE_DIR)/zsh/site-functions/_authcodes

clean:
	rm -rf $(BUILD)

# Further targets (sanitizers, fuzzing, benchmarks, docs...), one file per concern.
include $(wildcard mk/*.mk)
