-- crowd: one of many services (a Lua VM each, on skynet's worker threads) that use
-- authcodes at the same time. `run(vendor, sums)`:
--   * walks the whole catalog (catalog_walk.lua: every code looked up, new, format,
--     check of a JSON reply, should_retry, invariants checked) and compares the md5 of
--     its slice of the walk's text (slice id % SLICES) with the one lua5.4 gave outside
--     skynet (`sums[slice + 1]`); the text is returned only when they differ;
--   * registers a domain of its own, and finds it, and not its neighbour's (VMs share
--     no Lua state);
--   * retries a call twice: the vendor's -207, waited out with skynet.sleep, then a
--     failure of its own registered domain, then success.
local skynet = require "skynet"

local id = tonumber((...))

local CMD = {}

function CMD.run(vendor, sums)
  local authcodes = require "authcodes"
  local cjson = require "cjson.safe"
  local md5 = require "md5"
  local walk = require "catalog_walk"
  local t0 = skynet.hpc()
  local slice = id % walk.SLICES
  local lines, n, problems = walk.walk(authcodes, cjson, slice)
  local text = table.concat(lines, "\n") .. "\n"
  local sum = md5.sumhexa(text)
  local t1 = skynet.hpc()
  local function expect(ok, what) if not ok then problems[#problems + 1] = what end end

  local mine = "svc" .. id
  local ok, why = authcodes.register(mine, {
    { code = 7, name = "crowd_busy", class = "UNAVAILABLE", retry = "backoff", summary = "Busy." },
  })
  expect(ok, "register: " .. tostring(why))
  expect(authcodes.lookup(mine .. ".crowd_busy") ~= nil, "own registered domain not found")
  expect(authcodes.lookup("svc" .. (id + 1) .. ".crowd_busy") == nil, "a neighbour's domain is visible")

  local uid = "crowd" .. id
  skynet.call(vendor, "lua", "script", uid, { -207 })
  local own_failure_left = 1
  local calls = 0
  local reply, entry = authcodes.retry(function()
    calls = calls + 1
    local r, e = authcodes.check(skynet.call(vendor, "lua", "auth", uid, "t" .. id), "imsdk")
    if r and own_failure_left > 0 then
      own_failure_left = own_failure_left - 1
      return nil, authcodes.new(mine .. ".crowd_busy")
    end
    return r, e
  end, {
    attempts = 4, base = 0.01, cap = 0.02, random = function() return 0.5 end,
    sleep = function(s) skynet.sleep(math.ceil(s * 100)) end,
  })
  expect(reply and entry.name == "success" and reply.openid == "oid-" .. uid,
    "retry did not end in success: " .. tostring(entry))
  expect(calls == 3, "retry made " .. calls .. " calls, 3 expected")

  -- The walk's own interval (skynet.hpc: one monotonic clock for every thread), so main
  -- can tell how many walks really ran at the same moment, i.e. on different threads.
  return { walk_from = t0, walk_to = t1, md5 = sum, slice = slice, entries = n, problems = problems,
           text = sum ~= sums[slice + 1] and text or nil }
end

skynet.start(function()
  skynet.dispatch("lua", function(_, _, cmd, ...)
    skynet.retpack(assert(CMD[cmd], cmd)(...))
  end)
end)
