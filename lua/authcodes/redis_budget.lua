--- Private: the retry budget kept in Redis, one for a whole fleet. Made by
-- `authcodes.budget{ redis = ... }` (`authcodes.retry`), which documents it; it has the
-- same `acquire`/`refund`/`available` contract and defaults as every budget. The
-- client interface and what happens when Redis fails: `authcodes.redis`.
--
-- Each operation is one round trip: one script (`EVALSHA`, `EVAL` on `NOSCRIPT`) reads
-- the level, changes it and writes it back atomically, so every worker of every
-- machine draws from the same tokens. A key that does not exist is a full budget.
-- When Redis fails, the operation goes to the local budget made from the same options
-- (`dict` when given, else this VM's), and comes back to Redis when it answers again;
-- the two are not reconciled (an outage of Redis is rare and short, and the local
-- budget is the bound it would be without Redis).
-- @module authcodes.redis_budget
-- @local

local redis_link = require "authcodes.redis_link"
-- The check of a token amount, shared with the local budget (authcodes.budget sets it
-- before it loads this module).
local budget_amount = require("authcodes.internal").budget_amount

local tonumber, tostring, setmetatable, getmetatable, type =
  tonumber, tostring, setmetatable, getmetatable, type
local min = math.min

local M = {}

-- ARGV: op ("a" acquire, "r" refund, "v" available), capacity, tokens.
-- Reply: { 1 or 0, level as a string } (Redis would truncate a Lua number).
-- A level above the capacity (the capacity was lowered) reads as the capacity.
local SOURCE = [[
local cap = tonumber(ARGV[2])
local v = redis.call("GET", KEYS[1])
local level = v and tonumber(v) or cap
if level > cap then level = cap end
local op = ARGV[1]
if op == "a" then
  local cost = tonumber(ARGV[3])
  if level < cost then return { 0, tostring(level) } end
  level = level - cost
elseif op == "r" then
  if v == false or level >= cap then return { 1, tostring(level) } end
  level = level + tonumber(ARGV[3])
  if level >= cap then
    redis.call("DEL", KEYS[1])
    return { 1, tostring(cap) }
  end
else
  return { 1, tostring(level) }
end
redis.call("SET", KEYS[1], tostring(level))
return { 1, tostring(level) }
]]
-- SHA-1 of SOURCE (sha1sum). spec/redis_spec.lua fails when it is wrong: then every
-- operation would need EVAL after its EVALSHA.
local SHA = "e14c6e9ba3504b4efa68aee6572b9b25acecad98"
local SCRIPT = redis_link.script(SOURCE, SHA)

local RBudget = {}
RBudget.__index = RBudget

-- One operation on Redis: the reply's flag and level, or nil when Redis failed.
local function op(self, code, n)
  -- A new argv each time: inside nginx, connecting yields, and another request could
  -- change a shared one meanwhile.
  local res = self.link:run(SCRIPT, 1, { self.key, code, self.capacity_s, n, n = 4 })
  if type(res) ~= "table" then return nil end
  local level = tonumber(res[2])
  if level == nil then return nil end
  return res[1] == 1, level
end

--- Take the cost of one retry; false when the budget is spent.
function RBudget:acquire(cost)
  cost = budget_amount(cost, self.cost, "acquire")
  local ok = op(self, "a", cost)
  if ok == nil then return self.fallback:acquire(cost) end
  return ok
end

--- Give back tokens after a success, up to the capacity.
function RBudget:refund(n)
  n = budget_amount(n, self.refund_amount, "refund")
  if n <= 0 then return end
  if op(self, "r", n) == nil then self.fallback:refund(n) end
end

--- Tokens left (Redis's count, or the local budget's while Redis fails).
function RBudget:available()
  local ok, level = op(self, "v", 0)
  if ok == nil then return self.fallback:available() end
  return min(level, self.capacity)
end

--- A Redis budget: `opts` as `authcodes.budget` documents them, `fallback` the local
-- budget made from the same options. Returns the budget, or `nil, msg` for a bad option.
function M.new(opts, fallback)
  local key = fallback.key   -- read and defaulted by authcodes.budget
  if type(key) ~= "string" or key == "" then return nil, "opts.key must be a non-empty string" end
  local link, err = redis_link.link(opts, "retry budget " .. key)
  if not link then return nil, err end
  return setmetatable({
    link = link, fallback = fallback, key = key,
    capacity = fallback.capacity, cost = fallback.cost, refund_amount = fallback.refund_amount,
    capacity_s = tostring(fallback.capacity),
  }, RBudget)
end

--- True when `v` is a Redis budget.
function M.is_budget(v)
  return getmetatable(v) == RBudget
end

return M
