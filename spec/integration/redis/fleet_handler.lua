--- The handler of spec/integration/redis/nginx.conf (issue #16): a login through the
-- simulated iMSDK with authcodes.retry, its budget chosen by the query string.
--
--   /login?backend=vm|dict|redis|mute[&breaker=1][&code=N]   code goes to the vendor
--                       (-207: a transient failure, the outage); answers 200 or the
--                       problem of the last error; X-Auth-Attempts: vendor calls made,
--                       X-Stop: why retry stopped (attempts, budget, breaker_open...)
--   /stats              {"vendor_calls":N,"logins":N} of this nginx
--   /bench?b=noop|dict|redis   one acquire on a budget that never runs out
--   /bench?b=breaker_dict|breaker_redis   a breaker's allow and record of a success

local authcodes = require "authcodes"
local acngx = require "authcodes.ngx"
local cjson = require "cjson.safe"

local M = {}

local connect, release = require("authcodes.redis").nginx {
  host = "127.0.0.1", port = tonumber(os.getenv("AUTHCODES_REDIS_PORT")),
}
local shared = ngx.shared.authcodes
-- Redis's options: the defaults, but a shorter recheck and log interval, so that the
-- spec sees Redis come back and the log lines within a few seconds, and a longer
-- timeout: on a loaded test machine 50 ms sometimes passes before Redis's answer is
-- read, and the local budget's slack would blur the exact count the spec checks (the
-- default timeout is checked with backend=mute).
local function on_redis(t)
  t.redis, t.release, t.recheck, t.log_interval, t.timeout = connect, release, 0.5, 2, 0.5
  return t
end

local BUDGETS = {
  vm = authcodes.budget(),
  dict = authcodes.budget { dict = shared, key = "budget" },
  redis = authcodes.budget(on_redis { dict = shared, key = "authcodes:test:budget" }),
}
-- A Redis that accepts connections and never answers (the spec holds the socket).
local mute_port = tonumber(os.getenv("AUTHCODES_MUTE_PORT"))
if mute_port then
  local mconnect, mrelease = require("authcodes.redis").nginx { host = "127.0.0.1", port = mute_port }
  BUDGETS.mute = authcodes.budget { redis = mconnect, release = mrelease, recheck = 0.5, log_interval = 2,
                                    dict = shared, key = "mute_budget" }
end
local BREAKER = authcodes.breaker(on_redis {
  name = "imsdk", dict = shared, key = "authcodes:test:breaker:{imsdk}", cooldown = 3, probe_timeout = 3,
})
local BENCH = {
  dict = authcodes.budget { dict = shared, key = "bench", capacity = 1e9 },
  redis = authcodes.budget(on_redis { dict = shared, key = "authcodes:test:bench", capacity = 1e9 }),
}
local BENCH_BREAKER = {
  breaker_dict = authcodes.breaker { name = "bench", dict = shared },
  breaker_redis = authcodes.breaker(on_redis { name = "bench", dict = shared, key = "authcodes:test:bench_breaker" }),
}

local function call_vendor()
  local res = ngx.location.capture("/_vendor", { args = { code = ngx.var.arg_code } })
  return authcodes.check(res.body, "imsdk")
end

function M.login()
  local budget = BUDGETS[ngx.var.arg_backend or "vm"] or BUDGETS.vm
  local attempts = 0
  local reply, err, _, why = authcodes.retry(function(attempt)
    attempts = attempt
    return call_vendor()
  end, { attempts = 3, base = 0.001, cap = 0.002, budget = budget,
         breaker = ngx.var.arg_breaker == "1" and BREAKER or false })
  ngx.shared.stats:incr("logins", 1, 0)
  ngx.header["X-Auth-Attempts"] = attempts
  if why then ngx.header["X-Stop"] = why end
  if reply == nil then
    return acngx.respond(err, { instance = "urn:request:" .. ngx.var.request_id })
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.print('{"ok":true}')
end

function M.stats()
  local s = ngx.shared.stats
  ngx.header["Content-Type"] = "application/json"
  ngx.print(cjson.encode { vendor_calls = s:get("vendor_calls") or 0, logins = s:get("logins") or 0 })
end

function M.bench()
  local which = ngx.var.arg_b
  local b = BENCH[which]
  if b and not b:acquire() then return ngx.exit(500) end
  local br = BENCH_BREAKER[which]       -- what a successful call costs: allow, then record
  if br then
    if not br:allow() then return ngx.exit(500) end
    br:record(nil)
  end
  ngx.print("ok")
end

return M
