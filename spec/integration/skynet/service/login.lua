-- login: a game server's login service, as a user of authcodes would write it. Each
-- login request asks the (simulated) vendor, reads its reply with `authcodes.check`,
-- retries what the catalog says to retry with `authcodes.retry`, and answers the client
-- with `authcodes.format`. One service per VM: its retry budget and the domain it
-- registers are its own.
--
--   newservice("login", vendor, variant)
--   variant "explicit"  policy.sleep = skynet.sleep in whole ticks (what users must
--                       write until `retry` detects skynet by itself)
--           "default"   no policy.sleep: retry's default sleep (issue #11 item 4: it
--                       must then be skynet.sleep inside skynet)
--           "blocking"  policy.sleep = the C core's blocking sleep: the probes' control
--                       (spec/integration/skynet.sh, AUTHCODES_SKYNET_CONTROL=1)
local skynet = require "skynet"
local authcodes = require "authcodes"

local vendor, variant = ...
vendor = tonumber(vendor) or vendor

-- This service's own retry budget: skynet services share no Lua state, so each one
-- gets its own (or leaves policy.budget out and uses its VM's default one).
local budget = authcodes.budget { capacity = 100 }

-- The game's own codes, next to the vendor's (registered once per service).
assert(authcodes.register("game", {
  { code = 1001, name = "account_banned", class = "PERMISSION_DENIED", summary = "The account is banned." },
}))

local function skynet_sleep(seconds) skynet.sleep(math.ceil(seconds * 100)) end
local function almost_one() return 0.999 end  -- full jitter at its top: waits are `wait`

local function policy_for(req)
  local p = { attempts = req.attempts or 3, base = req.wait, cap = req.wait, random = almost_one, budget = budget }
  if variant == "explicit" then
    p.sleep = skynet_sleep
  elseif variant == "blocking" then
    p.sleep = require("authcodes.core").sleep
  else
    assert(variant == "default", "login: unknown variant " .. tostring(variant))
  end
  return p
end

local function refuse(err, attempts, elapsed)
  return { ok = false, attempts = attempts, elapsed = elapsed, http = err.http, name = err.name,
           domain = err.domain, body = authcodes.format(err, "json"), log = authcodes.format(err, "log") }
end

local CMD = {}

function CMD.ping() return true end

function CMD.login(req)
  if req.banned then
    return refuse(authcodes.new("game.account_banned", { detail = "uid " .. tostring(req.uid) }), 0, 0)
  end
  if not req.token then
    return refuse(authcodes.new("imsdk.session_invalid", { detail = "no token in the request" }), 0, 0)
  end
  local t0 = skynet.hpc()
  local reply, entry_or_err, attempts = authcodes.retry(function()
    return authcodes.check(skynet.call(vendor, "lua", "auth", req.uid, req.token), "imsdk")
  end, policy_for(req))
  local elapsed = (skynet.hpc() - t0) / 1e9
  if reply == nil then return refuse(entry_or_err, attempts, elapsed) end
  return { ok = true, elapsed = elapsed, name = entry_or_err.name, openid = reply.openid }
end

skynet.start(function()
  skynet.dispatch("lua", function(_, _, cmd, ...)
    skynet.retpack(assert(CMD[cmd], cmd)(...))
  end)
end)
