--- Retry budgets: token buckets that keep an outage from becoming a retry storm.
--
-- A budget is shared by every `retry` that uses it: a retry takes `cost` tokens and is
-- not made when too few are left, a success gives back `refund`. Three kinds, one
-- contract (`acquire`, `refund`, `available`): this Lua VM's own, one per nginx
-- (`dict`, a `lua_shared_dict`) and one per fleet (`redis`, see `authcodes.redis`).
-- @module authcodes.budget

local type, tostring, setmetatable, getmetatable, rawget, ipairs, require =
  type, tostring, setmetatable, getmetatable, rawget, ipairs, require
local min, huge = math.min, math.huge

local internal = require "authcodes.internal"

local M = {}

--- Budget defaults: AWS's retry quota (500 tokens, 5 a retry, 1 back per success).
-- @table defaults
M.defaults = { capacity = 500, cost = 5, refund = 1 }

local bad = internal.bad_argument

local Budget = {}
Budget.__index = Budget

-- A token amount given to a budget method: nil (its default) or a finite number >= 0.
-- NaN would make the level NaN (unlimited retries), a negative one lift it over the
-- capacity, a string raise from a comparison: all are the caller's mistake.
local function amount(v, default, fname)
  if v == nil then return default end
  if type(v) ~= "number" or v ~= v or v < 0 or v == huge then
    bad(fname, 1, "amount must be a finite number >= 0, got " .. (type(v) == "number" and tostring(v) or type(v)))
  end
  return v
end
internal.budget_amount = amount   -- the Redis budget's methods take the same amounts

--- Budget methods (call them with a colon: `b:acquire()`).
-- @section methods

--- Take the cost of one retry; false when the budget is spent.
-- @tparam[opt] number cost tokens to take (default: the budget's `cost`)
-- @treturn boolean true when taken, false when too few were left (nothing taken)
-- @raise `bad argument #1 to 'acquire'` when cost is not a finite number >= 0
function Budget:acquire(cost)
  cost = amount(cost, self.cost, "acquire")
  local dict = self.dict
  if dict then
    local level = dict:incr(self.key, -cost, self.capacity)
    if level == nil or level < 0 then
      if level ~= nil then dict:incr(self.key, cost, self.capacity) end
      return false
    end
    return true
  end
  if self.level < cost then return false end
  self.level = self.level - cost
  return true
end

--- Give back tokens after a success (default `refund`), up to the capacity.
-- @tparam[opt] number n tokens to give back
-- @raise `bad argument #1 to 'refund'` when n is not a finite number >= 0
function Budget:refund(n)
  n = amount(n, self.refund_amount, "refund")
  local dict = self.dict
  if dict then
    local level = dict:incr(self.key, n, self.capacity)
    if level and level > self.capacity then dict:incr(self.key, self.capacity - level, self.capacity) end
    return
  end
  self.level = min(self.capacity, self.level + n)
end

--- Tokens left.
-- @treturn number
function Budget:available()
  if self.dict then
    local v = self.dict:get(self.key)
    if v == nil then return self.capacity end
    return v
  end
  return self.level
end

--- A new retry budget. `opts`: `capacity` (500), `cost` (5 a retry), `refund` (1 a
-- success), and to share one budget between nginx workers, `dict` (a
-- `lua_shared_dict`, e.g. `ngx.shared.authcodes`) with `key`.
--
--     local shared = authcodes.budget { dict = ngx.shared.authcodes }
--     authcodes.retry(call, { budget = shared })
--
-- With `redis`, one budget for a whole fleet, kept in Redis under `key`:
-- `redis` is a client or a function giving one, with `release`, `timeout` (0.05 s),
-- `recheck`, `log_interval`, `log` (see `authcodes.redis`); while Redis fails, the
-- budget made from the other options (`dict`, else this VM's) stands in.
-- @tparam[opt] table opts `capacity`, `cost`, `refund` (numbers >= 0), `dict` (a
-- shared dict), `key` (string, default `"authcodes:retry_budget"`), `redis`...
-- @return a new budget, full: methods `acquire`, `refund`, `available`
-- @raise `bad argument #1 to 'budget'` when opts is not a table, a number field is
-- not a number >= 0, or dict is neither a table nor a userdata
function M.budget(opts)
  if opts ~= nil and type(opts) ~= "table" then bad("budget", 1, "table expected, got " .. type(opts)) end
  opts = opts or {}
  local d = M.defaults
  local function opt(k, default)
    local v = rawget(opts, k)
    if v == nil then return default end
    return v
  end
  local b = setmetatable({
    capacity = opt("capacity", d.capacity),
    cost = opt("cost", d.cost),
    refund_amount = opt("refund", d.refund),
    dict = opt("dict"),
    key = opt("key", "authcodes:retry_budget"),
  }, Budget)
  for _, k in ipairs { "capacity", "cost", "refund_amount" } do
    if type(b[k]) ~= "number" or b[k] ~= b[k] or b[k] < 0 then
      bad("budget", 1, k:gsub("_amount", "") .. " must be a number >= 0")
    end
  end
  if b.dict ~= nil and type(b.dict) ~= "table" and type(b.dict) ~= "userdata" then
    bad("budget", 1, "dict must be a lua_shared_dict")
  end
  b.level = b.capacity
  -- With `redis`, a budget shared by a fleet; `b` (from the same
  -- options) is its local fallback.
  if rawget(opts, "redis") ~= nil then
    local rb, err = require("authcodes.redis_budget").new(opts, b)
    if not rb then bad("budget", 1, err) end
    return rb
  end
  return b
end

local process_budget
--- The process-wide budget `retry` uses when its policy names none.
-- Made on first use, one per Lua state (so one per nginx worker).
-- @return the budget
function M.default_budget()
  if process_budget == nil then process_budget = M.budget() end
  return process_budget
end

--- True when `v` is a budget (of any kind). Never raises.
-- @param v any value
-- @treturn boolean
function M.is_budget(v)
  if getmetatable(v) == Budget then return true end
  -- A Redis budget can only exist once its module is loaded.
  local rb = package.loaded["authcodes.redis_budget"]
  return rb ~= nil and rb.is_budget(v)
end

return M
