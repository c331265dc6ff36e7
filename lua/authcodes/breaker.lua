--- Circuit breaker: stop calling a vendor that keeps failing, and probe it back.
--
--     local imsdk = authcodes.breaker { name = "imsdk", dict = ngx.shared.authcodes }
--     local reply, err = authcodes.retry(call_imsdk, { breaker = imsdk })
--     -- open: err.name == "circuit_open", err.http == 503, err.retry_after == seconds
--
-- **States.** *Closed*: calls go through; each one's outcome is recorded. The breaker
-- *opens* after `failures` consecutive failures, or when at least `min_calls` calls
-- were made in the current `window` (a fixed window of that many seconds) and a share
-- `rate` or more of them failed. *Open*: no call goes through for `cooldown` seconds;
-- `allow` answers false and the seconds to wait. *Half-open* (the cool-down has
-- passed): one call, the probe, goes through; the others wait. Its success closes the
-- breaker (counts reset), its failure opens it for another `cooldown`. A probe that
-- never reports (its handler died) frees the place after `probe_timeout`.
--
-- **What counts as a failure**: an error object whose `retryable` is true (the
-- vendor is down, overloaded or rate limiting: classes `UNAVAILABLE`,
-- `RESOURCE_EXHAUSTED`...). Any other answer, even an error (a wrong password, an
-- expired session), shows that the vendor works and counts as a success. `counts`
-- (a function of the error object) changes that.
--
-- **One breaker per vendor**, named after it; per vendor and kind of call (or class),
-- give each its own `name` (`"imsdk:login"`, `"imsdk:pay"`).
--
-- **Where the state lives**: this Lua VM (default; one per nginx worker); a
-- `lua_shared_dict` (`dict`: every worker of one nginx); or Redis (`redis`: every
-- machine of a fleet; the client interface, the timeout and failing open are as in
-- `authcodes.redis`, the local fallback being `dict` or this VM). With Redis, time is
-- Redis's own clock (`TIME`), so machines whose clocks differ agree; each operation is
-- one script, atomic. Keys: `key` (default `"authcodes:breaker:{NAME}"`, braces so
-- that a Redis Cluster keeps them in one slot) followed by `:until`, `:fails`,
-- `:probe`, `:calls`, `:bad`.
-- @module authcodes.breaker

local internal = require "authcodes.internal"
local core = require "authcodes.core"
local redis_link = require "authcodes.redis_link"

local type, tonumber, setmetatable, getmetatable, rawget, pairs, ipairs =
  type, tonumber, setmetatable, getmetatable, rawget, pairs, ipairs
local format, ceil = string.format, math.ceil
local loadstring = loadstring or load  -- luacheck: ignore 143

local M = {}

--- Defaults: open after 5 consecutive failures, or when half or more of at least 20
-- calls in a 10 s window failed; stay open 5 s; a probe that does not report within
-- 5 s frees its place.
M.defaults = { failures = 5, rate = 0.5, min_calls = 20, window = 10, cooldown = 5, probe_timeout = 5 }

-- The state machine, written once: run as it is in this VM (over a table or a shared
-- dict) and inside Redis (over redis.call). `S` has get/set/incr/add/del with the
-- lua_shared_dict meanings (a ttl of 0: none); `now` in seconds. Returns a code and
-- seconds: 1 (go / closed), 2 (go, as the probe / half-open), 0 (wait that long / open).
-- Plain Lua 5.1, as Redis runs it.
local LOGIC = [[
return function(S, op, now, failures, rate, window, min_calls, cooldown, probe_ttl)
  local u = S.get("until")
  if op == "allow" or op == "state" then
    if not u then return 1, 0 end
    if now < u then return 0, u - now end
    if op == "state" then return 2, 0 end
    if S.add("probe", now + probe_ttl, probe_ttl) then return 2, 0 end
    local p = S.get("probe")
    return 0, p and p > now and p - now or probe_ttl
  end
  if u and now < u then return 0, u - now end
  if op == "ok" then
    if u then
      S.del("until"); S.del("probe"); S.del("calls"); S.del("bad")
    elseif S.incr("calls", 1, 0, window) == 1 then
      S.del("bad")
    end
    if S.get("fails") then S.del("fails") end
    return 1, 0
  end
  if u then
    S.set("until", now + cooldown, 0); S.del("probe")
    return 0, cooldown
  end
  local fails = S.incr("fails", 1, 0, 0)
  local calls = S.incr("calls", 1, 0, window)
  if calls == 1 then S.del("bad") end
  local bad = S.incr("bad", 1, 0, window)
  if fails >= failures or (calls >= min_calls and bad >= rate * calls) then
    S.set("until", now + cooldown, 0)
    S.del("probe"); S.del("calls"); S.del("bad"); S.del("fails")
    return 0, cooldown
  end
  return 1, 0
end
]]

local logic = loadstring(LOGIC)()

-- The same logic in Redis: the store over the keys KEYS[1..5], Redis's clock.
local SOURCE = [[
local K = { ["until"] = KEYS[1], fails = KEYS[2], probe = KEYS[3], calls = KEYS[4], bad = KEYS[5] }
local function ms(ttl) return math.max(1, math.ceil(ttl * 1000)) end
local S = {}
S.get = function(k) local v = redis.call("GET", K[k]); if v then return tonumber(v) end; return nil end
S.set = function(k, v, ttl)
  if ttl > 0 then redis.call("SET", K[k], tostring(v), "PX", ms(ttl)) else redis.call("SET", K[k], tostring(v)) end
end
S.incr = function(k, n, init, ttl)
  if redis.call("EXISTS", K[k]) == 1 then return tonumber(redis.call("INCRBYFLOAT", K[k], n)) end
  S.set(k, init + n, ttl)
  return init + n
end
S.add = function(k, v, ttl) return redis.call("SET", K[k], tostring(v), "NX", "PX", ms(ttl)) ~= false end
S.del = function(k) redis.call("DEL", K[k]) end
local t = redis.call("TIME")
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local logic = (function() ]] .. LOGIC .. [[ end)()
local code, secs = logic(S, ARGV[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]))
return { code, tostring(secs) }
]]
-- SHA-1 of SOURCE (sha1sum). spec/redis_spec.lua fails when it is wrong: then every
-- operation would need EVAL after its EVALSHA.
local SHA = "dbc18e30ede260bce91565b7349f670d5e6d0730"
local SCRIPT = redis_link.script(SOURCE, SHA)

-- This VM's store: a table with expiry, the lua_shared_dict methods used above.
local function vm_store(now)
  local val, exp = {}, {}
  local S = {}
  local function live(k)
    local e = exp[k]
    if e and now() >= e then val[k], exp[k] = nil, nil end
    return val[k]
  end
  S.get = live
  function S.set(k, v, ttl)
    val[k], exp[k] = v, ttl > 0 and now() + ttl or nil
  end
  function S.incr(k, n, init, ttl)
    local v = live(k)
    if v == nil then S.set(k, init + n, ttl); return init + n end
    val[k] = v + n
    return v + n
  end
  function S.add(k, v, ttl)
    if live(k) ~= nil then return false end
    S.set(k, v, ttl)
    return true
  end
  function S.del(k) val[k], exp[k] = nil, nil end
  return S
end

-- The names of a breaker's state, in the order of the Redis script's KEYS[1..5]; the
-- keys of a breaker under `prefix`, by name and by that order.
local STATE = { "until", "fails", "probe", "calls", "bad" }
local function keys_of(prefix)
  local keys = {}
  for i, k in ipairs(STATE) do
    keys[i] = prefix .. ":" .. k
    keys[k] = keys[i]
  end
  return keys
end

-- A lua_shared_dict as the store, over the keys of keys_of.
local function dict_store(dict, keys)
  return {
    get = function(k) return dict:get(keys[k]) end,
    set = function(k, v, ttl) dict:set(keys[k], v, ttl) end,
    incr = function(k, n, init, ttl) return (dict:incr(keys[k], n, init, ttl)) end,
    add = function(k, v, ttl) return (dict:add(keys[k], v, ttl)) == true end,
    del = function(k) dict:delete(keys[k]) end,
  }
end

local Breaker = {}
Breaker.__index = Breaker

-- One operation: code and seconds, from Redis, or the local store when there is no
-- Redis or it failed.
local function run(self, op)
  local link = self.link
  if link then
    local k = self.rkeys
    local res = link:run(SCRIPT, 5, { k[1], k[2], k[3], k[4], k[5], op, self.failures, self.rate,
      self.window, self.min_calls, self.cooldown, self.probe_timeout, n = 12 })
    if type(res) == "table" then
      local code, secs = tonumber(res[1]), tonumber(res[2])
      if code and secs then return code, secs end
    end
  end
  return logic(self.store, op, self.now(), self.failures, self.rate, self.window, self.min_calls,
    self.cooldown, self.probe_timeout)
end

--- May a call go now? `true` (closed, or this call is the half-open probe), or
-- `false` and the seconds until a probe may go.
-- @treturn boolean
-- @treturn[opt] number seconds to wait, when false
function Breaker:allow()
  local code, secs = run(self, "allow")
  if code == 0 then return false, secs end
  return true
end

--- The error object `retry` returns while the breaker is open: class `UNAVAILABLE`,
-- name `circuit_open`, http 503, retry `after_delay`, `retry_after` the whole seconds
-- (at least 1) until a probe may go, domain the breaker's `name`, `cause` the last
-- error of the vendor when there was one.
-- @number seconds to wait (as `allow` gave)
-- @param[opt] cause the last error
function Breaker:open_error(seconds, cause)
  local ra = ceil(seconds)
  if ra < 1 then ra = 1 end
  return internal.circuit_open(self.name, ra, cause)
end

--- Record a call that worked (or failed in a way that shows the vendor works).
function Breaker:success() run(self, "ok") end

--- Record a failure of the vendor.
function Breaker:failure() run(self, "fail") end

--- Record a call's outcome: `nil` for a success, else its error object, which is a
-- failure when `counts(err)` (default: `err.retryable == true`).
-- @param[opt] err the call's error object
function Breaker:record(err)
  if err ~= nil and self.counts(err) then return run(self, "fail") end
  return run(self, "ok")
end

--- The state now: `"closed"`, `"open"` (and seconds left) or `"half_open"`. For
-- monitoring; changes nothing.
-- @treturn string
-- @treturn[opt] number seconds until half-open, when open
function Breaker:state()
  local code, secs = run(self, "state")
  if code == 1 then return "closed" end
  if code == 2 then return "half_open" end
  return "open", secs
end

local function default_counts(err) return err.retryable == true end

local bad_argument = internal.bad_argument

--- A new circuit breaker.
-- @tparam table opts `name` (string, the vendor: required), thresholds `failures`,
-- `rate` (0..1), `min_calls`, `window`, `cooldown`, `probe_timeout` (see
-- `defaults`), `counts` (function(err) -> boolean), `now` (function giving seconds,
-- for the local backends), and where the state lives: `dict` (a lua_shared_dict)
-- and/or `redis` (with `release`, `timeout`, `recheck`, `log_interval`, `log`, `key`:
-- see `authcodes.redis`)
-- @return the breaker: methods `allow`, `record`, `success`, `failure`, `state`,
-- `open_error`
-- @raise `bad argument #1 to 'breaker'` when opts is not a table, name is not a
-- non-empty string, or an option has a wrong type or value
function M.breaker(opts)
  if type(opts) ~= "table" then bad_argument("breaker", 1, "table expected, got " .. type(opts)) end
  local name = rawget(opts, "name")
  if type(name) ~= "string" or name == "" then
    bad_argument("breaker", 1, "opts.name must be a non-empty string (the vendor)")
  end
  local b = setmetatable({ name = name }, Breaker)
  for k, default in pairs(M.defaults) do
    local v = rawget(opts, k)
    if v == nil then v = default end
    if type(v) ~= "number" or v ~= v or v < 0 or (k == "rate" and v > 1) then
      bad_argument("breaker", 1, format("opts.%s must be a number >= 0%s", k, k == "rate" and " and <= 1" or ""))
    end
    b[k] = v
  end
  if b.failures < 1 then b.failures = 1 end
  local counts, now = rawget(opts, "counts"), rawget(opts, "now")
  if counts ~= nil and type(counts) ~= "function" then bad_argument("breaker", 1, "opts.counts must be a function") end
  if now ~= nil and type(now) ~= "function" then bad_argument("breaker", 1, "opts.now must be a function") end
  b.counts, b.now = counts or default_counts, now or core.now
  local key = rawget(opts, "key")
  if key == nil then key = "authcodes:breaker:{" .. name .. "}" end
  if type(key) ~= "string" or key == "" then bad_argument("breaker", 1, "opts.key must be a non-empty string") end
  local dict = rawget(opts, "dict")
  if dict ~= nil then
    if type(dict) ~= "table" and type(dict) ~= "userdata" then
      bad_argument("breaker", 1, "opts.dict must be a lua_shared_dict")
    end
    b.store = dict_store(dict, keys_of(key))
  else
    b.store = vm_store(b.now)
  end
  if rawget(opts, "redis") ~= nil then
    local link, err = redis_link.link(opts, "breaker " .. name)
    if not link then bad_argument("breaker", 1, err) end
    b.link = link
    b.rkeys = keys_of(key)   -- (the script reads KEYS[1..5])
  end
  return b
end

--- True when `v` is a breaker.
-- @param v any value
-- @treturn boolean
function M.is_breaker(v)
  return getmetatable(v) == Breaker
end


return M
