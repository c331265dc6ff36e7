-- authcodes 0.2.0. `make dist` packs it offline into a .src.rock (build/dist/); from a
-- checkout, `luarocks --lua-version 5.4 make rockspec/authcodes-0.2.0-1.rockspec
-- --deps-mode none` builds it like the scm rockspec. The repository URL is a placeholder
-- until the repository is published (see CHANGELOG.md).
rockspec_format = "3.0"
package = "authcodes"
version = "0.2.0-1"
source = {
  url = "git+https://github.com/authcodes/authcodes.git",
  tag = "v0.2.0",
}
description = {
  summary = "Wilddog Auth and iMSDK server error codes as rich Lua error objects",
  detailed = [[
A C core holds both vendors' error-code catalogs as compiled read-only tables; Lua
helpers turn a code or a vendor reply into an error object with its name, English and
Chinese messages, gRPC-style class, retry advice, HTTP status, and log / JSON /
RFC 9457 problem formatting. Works on Lua 5.1-5.5 and LuaJIT/OpenResty.
]],
  homepage = "https://github.com/authcodes/authcodes",
  issues_url = "https://github.com/authcodes/authcodes/issues",
  license = "MIT",
  labels = { "errors", "openresty", "nginx", "skynet", "game-server" },
}
-- lua-cjson decodes JSON replies and writes the json and problem formats.
dependencies = {
  "lua >= 5.1, < 5.6",
  "lua-cjson",
}
build = {
  type = "builtin",
  modules = {
    ["authcodes.core"] = {
      sources = { "src/authcodes_core.c", "src/catalog.c", "src/clock.c" },
      incdirs = { "src" },
    },
    ["authcodes"] = "lua/authcodes.lua",
    ["authcodes.catalog"] = "lua/authcodes/catalog.lua",
    ["authcodes.catalog_jit"] = "lua/authcodes/catalog_jit.lua",
    ["authcodes.register"] = "lua/authcodes/register.lua",
    ["authcodes.entry"] = "lua/authcodes/entry.lua",
    ["authcodes.errors"] = "lua/authcodes/errors.lua",
    ["authcodes.reply"] = "lua/authcodes/reply.lua",
    ["authcodes.transport"] = "lua/authcodes/transport.lua",
    ["authcodes.internal"] = "lua/authcodes/internal.lua",
    ["authcodes.text"] = "lua/authcodes/text.lua",
    ["authcodes.text_walk"] = "lua/authcodes/text_walk.lua",
    ["authcodes.schema"] = "lua/authcodes/schema.lua",
    ["authcodes.code"] = "lua/authcodes/code.lua",
    ["authcodes.retry"] = "lua/authcodes/retry.lua",
    ["authcodes.format"] = "lua/authcodes/format.lua",
    ["authcodes.format_styles"] = "lua/authcodes/format_styles.lua",
    ["authcodes.ngx"] = "lua/authcodes/ngx.lua",
    ["authcodes.budget"] = "lua/authcodes/budget.lua",
    ["authcodes.loop"] = "lua/authcodes/loop.lua",
    ["authcodes.breaker"] = "lua/authcodes/breaker.lua",
    ["authcodes.redis"] = "lua/authcodes/redis.lua",
    ["authcodes.redis_link"] = "lua/authcodes/redis_link.lua",
    ["authcodes.redis_budget"] = "lua/authcodes/redis_budget.lua",
    -- the authcodes command (bin/authcodes is its launcher)
    ["authcodes.cli"] = "lua/authcodes/cli/init.lua",
    ["authcodes.cli.args"] = "lua/authcodes/cli/args.lua",
    ["authcodes.cli.doc"] = "lua/authcodes/cli/doc.lua",
    ["authcodes.cli.query"] = "lua/authcodes/cli/query.lua",
    ["authcodes.cli.scan"] = "lua/authcodes/cli/scan.lua",
    ["authcodes.cli.text"] = "lua/authcodes/cli/text.lua",
    ["authcodes.cli.view"] = "lua/authcodes/cli/view.lua",
    ["authcodes.cli.words"] = "lua/authcodes/cli/words.lua",
  },
  install = {
    bin = { authcodes = "bin/authcodes" },
  },
  -- LuaRocks installs no man pages or completions; they are kept in the rock's directory
  -- (luarocks show authcodes), to link from MANPATH and the shells' completion paths.
  copy_directories = { "docs", "library", "man", "completions" },
}
