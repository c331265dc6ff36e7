-- memsvc KIND CACHE: one service of bench/skynet_mem.sh. At start it does KIND's work, then
-- answers "heap" with its Lua heap (KB, after a full collection), the number of entries
-- it went through and skynet's code-cache mode (CACHE: ON, or OFF from here on).
--   bare    nothing (the baseline: skynet's own lualib and lua-cjson)
--   require require "authcodes" and nothing more
--   lookup  authcodes: each(domain) over every domain, every entry looked up by
--           lookup(domain, code) and by "domain.name"
--   error   the same, and new(entry), tostring and format(err, "problem") of each
--   peer    the plain-table catalog (bench/gen_peer.lua): every entry looked up by
--           lookup(code) and lookup_name("domain.name")
-- Every answer is checked, so a lookup that finds nothing cannot make a kind look light.
local kind, cache = ...
-- CACHE "OFF" (bench/skynet_mem.sh with BENCH_SKYNET_CODECACHE=OFF, for comparison):
-- from here on this service loads its code into its own heap. skynet's default is ON.
local codecache = require "skynet.codecache"   -- preloaded by snlua
if cache ~= "ON" then codecache.mode(cache) end
local skynet = require "skynet"

local function walk_authcodes(also_errors)
  local authcodes = require "authcodes"
  local n = 0
  for _, d in ipairs(authcodes.domains()) do
    for e in authcodes.each(d) do
      assert(authcodes.lookup(d, e.code) == e, "lookup by code")
      assert(authcodes.lookup(d .. "." .. e.name) == e, "lookup by name")
      if also_errors then
        local err = authcodes.new(e)
        assert(err.code == e.code, "new")
        assert(#tostring(err) > 0, "tostring")
        assert(#authcodes.format(err, "problem") > 0, "format problem")
      end
      n = n + 1
    end
  end
  return n
end

local work = {
  bare = function() return 0 end,
  require = function()
    assert(require("authcodes").lookup, "authcodes")
    return 0
  end,
  lookup = function() return walk_authcodes(false) end,
  error = function() return walk_authcodes(true) end,
  peer = function()
    local peer = require "acpeer"
    local n = 0
    for _, e in ipairs(peer.entries) do
      -- by_code holds one entry per code: a code two domains share finds the last one
      local found = peer.lookup(e.code)
      assert(found and found.code == e.code, "peer lookup by code")
      assert(peer.lookup_name(e.domain .. "." .. e.name) == e, "peer lookup by name")
      n = n + 1
    end
    return n
  end,
}

skynet.start(function()
  -- Every kind loads lua-cjson (a game server has it anyway; format's JSON needs it), so
  -- the baseline holds it and no kind is charged for it.
  require "cjson.safe"
  local entries = assert(work[kind], "unknown kind")()
  skynet.dispatch("lua", function(_, _, cmd)
    assert(cmd == "heap", cmd)
    collectgarbage("collect")
    collectgarbage("collect")
    skynet.retpack(collectgarbage("count"), entries, codecache.mode())
  end)
end)
