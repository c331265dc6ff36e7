--- Retry policy: whether, and when, to call a vendor again.
--
-- Only `backoff` (transient) and `after_delay` (rate limited) codes are retried on
-- their own; `reauth` codes once, and only when the caller says how to sign in again;
-- `never` and `restart` codes are not. Delays are AWS-style full-jitter exponential
-- backoff, `rand(0,1) * min(cap, base * 2^attempt)`, never shorter than a code's
-- `retry_after`. A token-bucket retry budget keeps an outage from becoming a retry
-- storm: each retry costs tokens, each success refunds one.
-- @module authcodes.retry

local internal = require "authcodes.internal"
local core = require "authcodes.core"

local type, error, select, tostring, setmetatable, getmetatable, rawget =
  type, error, select, tostring, setmetatable, getmetatable, rawget
local min, max, random, floor = math.min, math.max, math.random, math.floor
local format = string.format
local unpack = table.unpack or unpack  -- luacheck: ignore 143

local M = {}

--- Policy defaults (AWS SDK "standard" mode): 3 attempts in all, delays from a 0.05 s
-- base up to a 20 s cap. A policy's own fields override them, per call.
M.defaults = { attempts = 3, base = 0.05, cap = 20 }

--- Budget defaults: AWS's retry quota (500 tokens, 5 a retry, 1 back per success).
M.budget_defaults = { capacity = 500, cost = 5, refund = 1 }

local function bad(fname, n, msg)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 3)
end

local Budget = {}
Budget.__index = Budget

local function number_field(p, k, fname, n, lo)
  local v = p[k]
  if v == nil then return M.defaults[k] end
  if type(v) ~= "number" or v ~= v or v < lo then
    bad(fname, n, format("policy.%s must be a number >= %s", k, tostring(lo)))
  end
  return v
end

-- A function-valued policy field that is set to something else?
local function not_fn(v) return v ~= nil and type(v) ~= "function" end

local NO_POLICY = {}  -- what a missing policy reads as; never written

-- issue 16: begin. A Redis budget or a breaker can only exist once its module is loaded.
local package_loaded = package.loaded
local function remote_budget(b)
  local m = package_loaded["authcodes.redis_budget"]
  return m ~= nil and m.is_budget(b)
end
local function is_breaker(b)
  local m = package_loaded["authcodes.breaker"]
  return m ~= nil and m.is_breaker(b)
end
-- issue 16: end

-- Read and check a policy table once; returns a private copy of the fields it knows
-- (nothing reads any other). No loop: LuaJIT compiles should_retry into its caller's
-- trace only when no loop runs per call (a root trace cannot leave or contain a loop
-- it did not start in: "leaving loop in root trace", "inner loop in root trace").
local function read_policy(policy, fname, n)
  if policy == nil then policy = NO_POLICY end
  if type(policy) ~= "table" then bad(fname, n, "policy must be a table, got " .. type(policy)) end
  -- Raw reads: a policy's metamethods never run here (nor raise anything but bad argument).
  local p = {
    attempts = rawget(policy, "attempts"), base = rawget(policy, "base"), cap = rawget(policy, "cap"),
    deadline = rawget(policy, "deadline"), sleep = rawget(policy, "sleep"),
    reauth = rawget(policy, "reauth"), reauthed = rawget(policy, "reauthed"),
    on_retry = rawget(policy, "on_retry"), random = rawget(policy, "random"),
    now = rawget(policy, "now"), budget = rawget(policy, "budget"),
    breaker = rawget(policy, "breaker"),  -- issue 16
  }
  p.attempts = floor(number_field(p, "attempts", fname, n, 1))
  p.base = number_field(p, "base", fname, n, 0)
  p.cap = number_field(p, "cap", fname, n, 0)
  if p.deadline ~= nil and (type(p.deadline) ~= "number" or p.deadline ~= p.deadline or p.deadline < 0) then
    bad(fname, n, "policy.deadline must be a number of seconds")
  end
  if not_fn(p.sleep) then bad(fname, n, "policy.sleep must be a function") end
  if not_fn(p.reauth) then bad(fname, n, "policy.reauth must be a function") end
  if not_fn(p.on_retry) then bad(fname, n, "policy.on_retry must be a function") end
  if not_fn(p.random) then bad(fname, n, "policy.random must be a function") end
  if not_fn(p.now) then bad(fname, n, "policy.now must be a function") end
  if p.budget ~= nil and p.budget ~= false and getmetatable(p.budget) ~= Budget
     and not remote_budget(p.budget) then  -- issue 16
    bad(fname, n, "policy.budget must be a budget (authcodes.budget()) or false")
  end
  -- issue 16: begin
  if p.breaker ~= nil and p.breaker ~= false and not is_breaker(p.breaker) then
    bad(fname, n, "policy.breaker must be a breaker (authcodes.breaker()) or false")
  end
  -- issue 16: end
  return p
end

-- `should_retry` without a policy reads the defaults, checked once and again only when
-- someone changes `M.defaults`.
local default_p
local function default_policy()
  local d, p = M.defaults, default_p
  if p == nil or p.from_attempts ~= d.attempts or p.from_base ~= d.base or p.from_cap ~= d.cap then
    p = read_policy(nil, "should_retry", 3)
    p.from_attempts, p.from_base, p.from_cap = d.attempts, d.base, d.cap
    default_p = p
  end
  return p
end

local as_error = internal.as_error

local NOT_RETRYABLE = {  -- reasons made once, not on every answer
  never = "code is not retryable (retry never)",
  restart = "code is not retryable (retry restart)",
}

-- The decision itself, on a checked policy; `elapsed` (seconds so far) when a
-- deadline applies. The budget is spent last, only on a retry that will happen.
local function decide(err, attempt, p, elapsed)
  if attempt >= p.attempts then return false, nil, "no attempts left" end
  local kind = err.retry
  if kind == "reauth" then
    if p.reauth == nil then return false, nil, "needs reauth: give policy.reauth" end
    if p.reauthed then return false, nil, "already signed in again once" end
  elseif kind ~= "backoff" and kind ~= "after_delay" then
    return false, nil, NOT_RETRYABLE[kind] or ("code is not retryable (retry " .. tostring(kind) .. ")")
  end
  local delay = 0
  if kind ~= "reauth" then
    local r = (p.random or random)()
    delay = r * min(p.cap, p.base * 2 ^ attempt)
    local ra = err.retry_after
    if kind == "after_delay" and type(ra) == "number" then delay = max(delay, ra) end
  end
  if elapsed and p.deadline and elapsed + delay > p.deadline then
    return false, nil, "deadline would pass"
  end
  local b = p.budget
  if b and not b:acquire() then return false, nil, "retry budget exhausted" end
  return true, delay
end

--- Should a failed call be tried again?
-- `true, delay` (seconds), or `false, nil, reason`.
--
-- Policy fields (all optional): `attempts` (number >= 1, attempts in all), `base` and
-- `cap` (seconds >= 0), `reauth` (function; without it `reauth` codes are not
-- retried), `reauthed` (true once the caller has signed in again: no second time),
-- `budget` (a `budget`, whose tokens a yes consumes; none by default here), `random`
-- (function giving a number in [0, 1), for tests). Reasons for no: `no attempts
-- left`, `code is not retryable (retry never)` (or `restart`), `needs reauth: give
-- policy.reauth`, `already signed in again once`, `retry budget exhausted`.
-- @param err an error object, entry, code or name (anything `new` accepts)
-- @int attempt how many attempts have been made so far (1 after the first failure)
-- @tparam[opt] table policy `{ attempts=3, base=0.05, cap=20, reauth=fn, reauthed=bool,
--   budget=, random=fn }`
-- @treturn[1] boolean true
-- @treturn[1] number delay, seconds to wait first (0 for `reauth`; at least the
-- code's `retry_after` for `after_delay`)
-- @treturn[2] boolean false
-- @return[2] nil
-- @treturn[2] string reason
-- @raise `bad argument #2 to 'should_retry'` when attempt is not a number >= 0,
-- `bad argument #3` when policy is not a table or one of its fields has a wrong type
-- or value
function M.should_retry(err, attempt, policy)
  if type(attempt) ~= "number" or attempt ~= attempt or attempt < 0 then
    bad("should_retry", 2, "attempt must be a number >= 0, got " .. type(attempt))
  end
  local p
  if policy == nil then p = default_policy() else p = read_policy(policy, "should_retry", 3) end
  return decide(as_error(err), attempt, p)
end

local function pack(...) return { n = select("#", ...), ... } end

-- ngx.sleep counts whole milliseconds: a shorter delay is a sleep(0), which nginx
-- without OpenResty's delayed-events patch (Debian's libnginx-mod-http-lua) answers with
-- a warning in the error log, on every call. So inside nginx, wait at least 1 ms.
local function at_least_1ms(sleep)
  return function(seconds) return sleep(seconds < 0.001 and 0.001 or seconds) end
end

local function default_sleep()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.sleep) == "function" and type(ngx.get_phase) == "function" then
    local phase = ngx.get_phase()
    if phase == "rewrite" or phase == "access" or phase == "content" or phase == "timer"
       or phase == "ssl_cert" or phase == "ssl_session_fetch" or phase == "server_rewrite"
       or phase == "preread" then
      return at_least_1ms(ngx.sleep)
    end
  end
  return core.sleep
end

--- Call `fn(attempt)` until it succeeds or the policy says stop.
-- `fn` returns its results, or `nil, err` (a code, a name or an error object).
-- Policy: `attempts`, `base`, `cap`, `deadline` (seconds in all), `sleep` (default
-- `ngx.sleep` inside nginx, else the C core's), `reauth(err)` (sign in again; return
-- a true value on success), `on_retry(err, attempt, delay)`, `budget` (default: the
-- process-wide budget; `false` for none), `breaker` (an `authcodes.breaker`: issue 16;
-- while it is open, fn is not called and retry returns `nil`, a `circuit_open` error
-- (UNAVAILABLE, 503, `retry_after` = seconds to the next probe), the attempts made and
-- `"breaker_open"`). Returns fn's results, or `nil, last_err, attempts_made`.
--
--     local reply, err, attempts = authcodes.retry(function(attempt)
--       return authcodes.check(call_vendor(), "imsdk")    -- reply, entry | nil, err
--     end, { attempts = 4, reauth = function(err) return sign_in_again() end })
--
-- Success is a first result other than nil; it refunds the budget one `refund`. After
-- a failure, `should_retry` decides; a retry that would end past `deadline` is not
-- made; `reauth` is called (at most once) before retrying a `reauth` code, and a false
-- result stops. Errors raised by `fn`, `reauth`, `on_retry` or `sleep` propagate.
-- @tparam function fn called as `fn(attempt)`, attempt 1, 2, ...
-- @tparam[opt] table policy fields of `should_retry`'s policy (`attempts`, `base`,
-- `cap`, `reauth`, `budget`, `random`) plus `deadline` (number, seconds), `sleep`
-- (function(seconds)), `on_retry` (function(err, attempt, delay), called before each
-- wait), `now` (function giving seconds, for `deadline`); `budget = false` for none
-- @return[1] ... fn's results, as fn returned them
-- @return[2] nil
-- @return[2] the last error, an error object (what fn returned as its second result,
-- made an error object by `new`)
-- @treturn[2] int how many times fn was called
-- @raise `bad argument #1 to 'retry'` when fn is not a function, `bad argument #2`
-- when policy is not a table or one of its fields has a wrong type or value
function M.retry(fn, policy)
  if type(fn) ~= "function" then bad("retry", 1, "function expected, got " .. type(fn)) end
  local p = read_policy(policy, "retry", 2)
  if p.budget == nil then p.budget = M.default_budget() end
  local sleep = p.sleep or default_sleep()
  local now = p.now or core.now
  local start = now()
  local attempt, last = 0, nil
  local breaker = p.breaker  -- issue 16
  while attempt < p.attempts do
    -- issue 16: begin. An open breaker answers at once, fn not called.
    if breaker then
      local go, wait = breaker:allow()
      if not go then return nil, breaker:open_error(wait, last), attempt, "breaker_open" end
    end
    -- issue 16: end
    attempt = attempt + 1
    local res = pack(fn(attempt))
    if res[1] ~= nil then
      if breaker then breaker:success() end  -- issue 16
      if p.budget then p.budget:refund() end
      return unpack(res, 1, res.n)
    end
    last = as_error(res[2])
    if breaker then breaker:record(last) end  -- issue 16
    local ok, delay = decide(last, attempt, p, p.deadline and now() - start)
    if not ok then break end
    if last.retry == "reauth" then
      p.reauthed = true
      if not p.reauth(last) then break end
    end
    if p.on_retry then p.on_retry(last, attempt, delay) end
    if delay > 0 then sleep(delay) end
  end
  return nil, last, attempt
end

--- Retry budgets.
-- A budget is a token bucket shared by every `retry` that uses it: a retry takes
-- `cost` tokens and is not made when too few are left, a success gives back `refund`.
-- Make one with `budget`; it has the methods below (call them with a colon).
-- @section budget

--- Take the cost of one retry; false when the budget is spent.
-- @tparam[opt] number cost tokens to take (default: the budget's `cost`)
-- @treturn boolean true when taken, false when too few were left (nothing taken)
function Budget:acquire(cost)
  cost = cost or self.cost
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
function Budget:refund(n)
  n = n or self.refund_amount
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
-- (issue 16) With `redis`, one budget for a whole fleet, kept in Redis under `key`:
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
  local d = M.budget_defaults
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
  -- issue 16: begin. With `redis`, a budget shared by a fleet; `b` (from the same
  -- options) is its local fallback.
  if rawget(opts, "redis") ~= nil then
    local rb, err = require("authcodes.redis_budget").new(opts, b)
    if not rb then bad("budget", 1, err) end
    return rb
  end
  -- issue 16: end
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

return M
