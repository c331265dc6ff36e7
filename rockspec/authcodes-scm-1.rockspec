-- luarocks make rockspec/authcodes-scm-1.rockspec   (works offline: no dependency is fetched)
rockspec_format = "3.0"
package = "authcodes"
version = "scm-1"
source = {
  url = "git+https://example.invalid/authcodes.git",
}
description = {
  summary = "Wilddog Auth and iMSDK server error codes as rich Lua error objects",
  detailed = [[
A C core holds both vendors' error-code catalogs as compiled read-only tables; Lua
helpers turn a code or a vendor reply into an error object with its name, English and
Chinese messages, gRPC-style class, retry advice, HTTP status, and log / JSON /
RFC 9457 problem formatting. Works on Lua 5.1-5.4 and LuaJIT/OpenResty.
]],
  license = "MIT",
}
-- lua-cjson is needed only to decode JSON strings and for the json/problem formats; it
-- is listed nowhere here so that `luarocks make` needs no network: install it from your
-- distribution (Debian: lua-cjson) or with `luarocks install lua-cjson`.
dependencies = {
  "lua >= 5.1, < 5.5",
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
    ["authcodes.entry"] = "lua/authcodes/entry.lua",
    ["authcodes.errors"] = "lua/authcodes/errors.lua",
    ["authcodes.reply"] = "lua/authcodes/reply.lua",
    ["authcodes.internal"] = "lua/authcodes/internal.lua",
    ["authcodes.schema"] = "lua/authcodes/schema.lua",
    ["authcodes.retry"] = "lua/authcodes/retry.lua",
    ["authcodes.format"] = "lua/authcodes/format.lua",
    ["authcodes.ngx"] = "lua/authcodes/ngx.lua",
    ["authcodes.breaker"] = "lua/authcodes/breaker.lua",
    ["authcodes.redis"] = "lua/authcodes/redis.lua",
    ["authcodes.redis_link"] = "lua/authcodes/redis_link.lua",
    ["authcodes.redis_budget"] = "lua/authcodes/redis_budget.lua",
  },
  install = {
    bin = { authcodes = "bin/authcodes" },
  },
}
