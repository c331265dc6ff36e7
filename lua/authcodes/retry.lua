--- Retry policy: whether, and when, to call a vendor again.
--
-- Only `backoff` (transient) and `after_delay` (rate limited) codes are retried on
-- their own; `reauth` codes once, and only when the caller says how to sign in again;
-- `never` and `restart` codes are not. Delays are AWS-style full-jitter exponential
-- backoff, `rand(0,1) * min(cap, base * 2^attempt)`, never shorter than a code's
-- `retry_after`. A retry budget (`authcodes.budget`) keeps an outage from becoming a
-- retry storm: each retry costs tokens, each success refunds one.
-- @module authcodes.retry

local internal = require "authcodes.internal"
local core = require "authcodes.core"
local catalog = require "authcodes.catalog"
local errors = require "authcodes.errors"
local budgets = require "authcodes.budget"
local loop = require "authcodes.loop"

local type, select, tostring, rawget, next =
  type, select, tostring, rawget, next
local floor, huge = math.floor, math.huge
local format = string.format
local unpack = table.unpack or unpack  -- luacheck: ignore 143

local M = {}

--- Policy defaults (AWS SDK "standard" mode): 3 attempts in all, delays from a 0.05 s
-- base up to a 20 s cap. A policy's own fields override them, per call.
-- `request_deadline` (1 s): the deadline of a `retry` without one inside an nginx
-- request (rewrite, access, content), so no client waits seconds for a retry_after.
-- `sleep` (nil): set it once to the sleep of an event loop authcodes does not know
-- (cqueues, luv...); `retry` uses it outside nginx when a policy gives none.
--
--     require("authcodes.retry").defaults.sleep = function(s) cqueues.sleep(s) end
-- @table defaults
M.defaults = { attempts = 3, base = 0.05, cap = 20, request_deadline = 1, sleep = nil }

local bad = internal.bad_argument

local MAX_DELAY = 86400  -- a day: no answer is longer (the C sleep's own bound)

-- The jitter's random numbers: a MINSTD generator (Park & Miller, multiplier 48271)
-- per Lua VM, seeded by the C core (/dev/urandom, time, pid, the VM's address) on first
-- use. Not math.random: on Lua 5.1 and LuaJIT that one starts from the same seed in
-- every process (all nginx workers drew the same "random" delays), and seeding it
-- would change the sequence the caller's own code sees. Seeded on the first draw, not
-- at require: nginx loads authcodes in the master, and workers forked from it must not
-- share the state. Its products stay below 2^47, exact in a double on every VM.
local rng_state
local function rand()
  local s = rng_state
  if s == nil then s = core.seed() end
  s = s * 48271 % 2147483647
  rng_state = s
  return (s - 1) / 2147483646
end

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

-- The class names (`retry_on = { "INTERNAL" }` names a class, not a code).
local CLASSES = internal.CLASSES   -- class name -> true (authcodes.entry)

-- `retry_on` / `no_retry_on`: a list of class names, codes and names, read once per
-- call into { classes = { CLASS = true }, keys = { ["domain\0code"] = true } }.
local function rule_set(list, field, fname, n)
  if type(list) ~= "table" then bad(fname, n, "policy." .. field .. " must be a list") end
  local set = { classes = {}, keys = {} }
  for i = 1, 1000 do
    local k = rawget(list, i)
    if k == nil then
      if next(list) ~= nil and i == 1 then bad(fname, n, "policy." .. field .. " must be a list") end
      break
    end
    if type(k) == "string" and CLASSES[k] then
      set.classes[k] = true
    else
      local e, why
      if type(k) == "string" or type(k) == "number" then e, why = catalog.lookup(k)
      else why = "a class name, code or name expected, got " .. type(k) end
      if e == nil then bad(fname, n, format("policy.%s[%d]: %s", field, i, why)) end
      set.keys[e.domain .. "\0" .. tostring(e.code)] = true
    end
  end
  return set
end

local function in_set(set, err)
  if set.classes[err.class] then return true end
  local code = err.code
  return code ~= nil and set.keys[tostring(err.domain) .. "\0" .. tostring(code)] == true
end

-- A breaker can only exist once its module is loaded.
local package_loaded = package.loaded
local function is_breaker(b)
  local m = package_loaded["authcodes.breaker"]
  return m ~= nil and m.is_breaker(b)
end

-- Read and check a policy table once; returns a private copy of the fields it knows
-- (nothing reads any other). No loop unless the policy names rules: LuaJIT compiles
-- should_retry into its caller's trace only when no loop runs per call (a root trace
-- cannot leave or contain a loop it did not start in).
local function read_policy(policy, fname, n)
  if policy == nil then policy = NO_POLICY end
  if type(policy) ~= "table" then bad(fname, n, "policy must be a table, got " .. type(policy)) end
  -- Raw reads: a policy's metamethods never run here (nor raise anything but bad argument).
  local p = {
    attempts = rawget(policy, "attempts"), base = rawget(policy, "base"), cap = rawget(policy, "cap"),
    deadline = rawget(policy, "deadline"), deadline_at = rawget(policy, "deadline_at"),
    deadline_from = rawget(policy, "deadline_from"), sleep = rawget(policy, "sleep"),
    reauth = rawget(policy, "reauth"), reauthed = rawget(policy, "reauthed"),
    on_retry = rawget(policy, "on_retry"), on_give_up = rawget(policy, "on_give_up"),
    random = rawget(policy, "random"), now = rawget(policy, "now"), budget = rawget(policy, "budget"),
    retry_on = rawget(policy, "retry_on"), no_retry_on = rawget(policy, "no_retry_on"),
    idempotent = rawget(policy, "idempotent"),
    breaker = rawget(policy, "breaker"),
  }
  p.attempts = floor(number_field(p, "attempts", fname, n, 1))
  p.base = number_field(p, "base", fname, n, 0)
  p.cap = number_field(p, "cap", fname, n, 0)
  -- Two ifs, not a loop over the names (see above).
  local dl, at = p.deadline, p.deadline_at
  if dl ~= nil and (type(dl) ~= "number" or dl ~= dl or dl < 0 or dl == huge) then
    bad(fname, n, "policy.deadline must be a number of seconds")
  end
  if at ~= nil and (type(at) ~= "number" or at ~= at or at < 0 or at == huge) then
    bad(fname, n, "policy.deadline_at must be a number of seconds")
  end
  local from = p.deadline_from
  if from ~= nil and from ~= "start" and from ~= "request" then
    bad(fname, n, 'policy.deadline_from must be "start" or "request"')
  end
  if not_fn(p.sleep) then bad(fname, n, "policy.sleep must be a function") end
  if not_fn(p.reauth) then bad(fname, n, "policy.reauth must be a function") end
  if not_fn(p.on_retry) then bad(fname, n, "policy.on_retry must be a function") end
  if not_fn(p.on_give_up) then bad(fname, n, "policy.on_give_up must be a function") end
  if not_fn(p.random) then bad(fname, n, "policy.random must be a function") end
  if not_fn(p.now) then bad(fname, n, "policy.now must be a function") end
  if p.budget ~= nil and p.budget ~= false and not budgets.is_budget(p.budget) then
    bad(fname, n, "policy.budget must be a budget (authcodes.budget()) or false")
  end
  if p.idempotent ~= nil and type(p.idempotent) ~= "boolean" then
    bad(fname, n, "policy.idempotent must be a boolean")
  end
  if p.retry_on ~= nil or p.no_retry_on ~= nil or p.idempotent then
    p.rules = {
      retry = p.retry_on ~= nil and rule_set(p.retry_on, "retry_on", fname, n) or nil,
      no_retry = p.no_retry_on ~= nil and rule_set(p.no_retry_on, "no_retry_on", fname, n) or nil,
      idempotent = p.idempotent,
    }
  end
  if p.breaker ~= nil and p.breaker ~= false and not is_breaker(p.breaker) then
    bad(fname, n, "policy.breaker must be a breaker (authcodes.breaker()) or false")
  end
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
  excluded = "code is not retryable (policy.no_retry_on)",
}

-- The retry kind of an error under a policy's rules: `no_retry_on` first, then
-- `retry_on` and `idempotent` make a code that is not retried on its own a backoff one.
local function ruled_kind(rules, err, kind)
  if rules.no_retry ~= nil and in_set(rules.no_retry, err) then return "excluded" end
  if kind == "backoff" or kind == "after_delay" then return kind end
  if rules.retry ~= nil and in_set(rules.retry, err) then return "backoff" end
  if rules.idempotent then
    local class, http = err.class, err.http
    if (class == "INTERNAL" or class == "UNKNOWN") and (type(http) ~= "number" or http >= 500) then
      return "backoff"
    end
  end
  return kind
end

-- The decision on a checked policy, without the budget: `true, delay, kind` or
-- `false, nil, reason, why` (why: the short word `retry` reports).
local function judge(err, attempt, p)
  if attempt >= p.attempts then return false, nil, "no attempts left", "attempts" end
  local kind = err.retry
  if p.rules ~= nil then kind = ruled_kind(p.rules, err, kind) end
  if kind == "reauth" then
    if p.reauth == nil then return false, nil, "needs reauth: give policy.reauth", "reauth" end
    if p.reauthed then return false, nil, "already signed in again once", "reauth" end
    return true, 0, kind
  elseif kind ~= "backoff" and kind ~= "after_delay" then
    return false, nil, NOT_RETRYABLE[kind] or ("code is not retryable (retry " .. tostring(kind) .. ")"),
      "not_retryable"
  end
  -- Full jitter, made safe: a random() outside [0, 1] (NaN included) counts as 0 or 1,
  -- 2^attempt stops growing at 2^1023, and no delay exceeds a day, so the answer is
  -- never NaN or infinite whatever base, cap and attempt are (0 * inf is NaN).
  local r = (p.random or rand)()
  local delay = 0
  if r > 0 then
    if r > 1 then r = 1 end
    local ceiling = p.base * 2 ^ (attempt < 1023 and attempt or 1023)
    if ceiling > p.cap then ceiling = p.cap end
    delay = r * ceiling
    if delay > MAX_DELAY then delay = MAX_DELAY end
  end
  -- Never sooner than the error's retry_after: the catalog's for a rate limit, or the
  -- vendor's Retry-After that `check` put on this one error.
  local ra = err.retry_after
  if type(ra) == "number" and ra > delay then delay = ra < MAX_DELAY and ra or MAX_DELAY end
  return true, delay, kind
end

--- Should a failed call be tried again?
-- `true, delay` (seconds), or `false, nil, reason, why`.
--
-- Policy fields (all optional): `attempts` (number >= 1, attempts in all), `base` and
-- `cap` (seconds >= 0), `reauth` (function; without it `reauth` codes are not
-- retried), `reauthed` (true once the caller has signed in again: no second time),
-- `budget` (a `budget`, whose tokens a yes consumes; none by default here), `random`
-- (function giving a number in [0, 1), for tests), and the rules `retry_on`,
-- `no_retry_on` and `idempotent` (see `retry`). Reasons for no: `no attempts left`,
-- `code is not retryable (retry never)` (or `restart`, or `policy.no_retry_on`),
-- `needs reauth: give policy.reauth`, `already signed in again once`,
-- `retry budget exhausted`; the short `why` is `"attempts"`, `"not_retryable"`,
-- `"reauth"` or `"budget"`.
--
-- The delay is full jitter, `random() * min(cap, base * 2^attempt)`, at least the
-- error's `retry_after` (the catalog's for a rate-limited code, or the vendor's
-- `Retry-After` that `check` read), and never NaN, infinite or over a day, whatever
-- the policy's numbers. The random numbers come from a generator of each Lua VM (each
-- nginx worker, each skynet service), seeded by the C core: the caller never seeds
-- `math.random`, and workers do not wait in step.
-- @param err an error object, entry, code or name (anything `new` accepts)
-- @int attempt how many attempts have been made so far (1 after the first failure)
-- @tparam[opt] table policy `{ attempts=3, base=0.05, cap=20, reauth=fn, reauthed=bool,
--   budget=, random=fn, retry_on=, no_retry_on=, idempotent= }`
-- @treturn[1] boolean true
-- @treturn[1] number delay, seconds to wait first (0 for `reauth`; at least the
-- error's `retry_after`)
-- @treturn[2] boolean false
-- @return[2] nil
-- @treturn[2] string reason
-- @treturn[2] string why: `"attempts"`, `"not_retryable"`, `"reauth"` or `"budget"`
-- @raise `bad argument #2 to 'should_retry'` when attempt is not a number >= 0,
-- `bad argument #3` when policy is not a table or one of its fields has a wrong type
-- or value (a `retry_on` entry that is no class, code or name included)
function M.should_retry(err, attempt, policy)
  if type(attempt) ~= "number" or attempt ~= attempt or attempt < 0 then
    bad("should_retry", 2, "attempt must be a number >= 0, got " .. type(attempt))
  end
  local p
  if policy == nil then p = default_policy() else p = read_policy(policy, "should_retry", 3) end
  local ok, delay, reason, why = judge(as_error(err), attempt, p)
  if not ok then return false, nil, reason, why end
  local b = p.budget
  if b and not b:acquire() then return false, nil, "retry budget exhausted", "budget" end
  return true, delay
end

local function pack(...) return { n = select("#", ...), ... } end

--- The clock `retry` reads when its policy gives no `now`, in seconds: inside nginx
-- `ngx.now()` (wall clock, refreshed first; the clock of `ngx.req.start_time()`),
-- elsewhere a monotonic clock of the C core. A `deadline_at` is a time of this clock.
-- @function now
-- @treturn number seconds
M.now = loop.now

-- `defaults.sleep`, checked: another event loop's sleep, which `authcodes.loop` uses
-- after nginx's and before skynet's.
local function default_sleep(fname)
  local d = M.defaults.sleep
  if d ~= nil and type(d) ~= "function" then
    bad(fname, 2, "authcodes.retry.defaults.sleep must be a function")
  end
  return d
end

local function clock_of(p)
  return p.now or loop.clock()
end

local function request_start(fname)
  local t = loop.request_start()
  if t == nil then bad(fname, 2, 'policy.deadline_from = "request" needs an nginx request') end
  return t
end

-- The absolute deadline of a call (clock `now`), or nil; and whether it was already
-- running before `retry` started (then even the first attempt needs time left).
local function deadline_of(p, start, fname)
  if p.deadline_at ~= nil then return p.deadline_at, true end
  if p.deadline ~= nil then
    if p.deadline_from == "request" then return request_start(fname) + p.deadline, true end
    return start + p.deadline, false
  end
  local d = M.defaults.request_deadline
  if type(d) == "number" and loop.in_request() then return start + d, false end
  return nil, false
end

--- Call `fn(attempt, left)` until it succeeds or the policy says stop.
-- `fn` returns its results, or `nil, err`: a code, a name, an error object, or a
-- client's error message as it comes (`"timeout"`, `"connection refused"`, `"closed"`:
-- read into the `transport` domain by `new`, so transport failures are retried).
--
--     local reply, err, attempts, why = authcodes.retry(function(attempt, left)
--       sock:settimeout(left and left * 1000 or 2000)     -- no call outlives the deadline
--       return authcodes.check(call_vendor(sock), "imsdk")  -- reply, entry | nil, err
--     end, { attempts = 4, deadline = 1.5, reauth = function(err) return sign_in_again() end })
--
-- **Waiting never blocks an event loop.** Without `policy.sleep`: inside nginx,
-- `ngx.sleep` in the phases that can yield (rewrite, access, content, timer, ssl_cert...);
-- in the others (log, header_filter, body_filter, init_worker, set, balancer...) there
-- is no wait at all: a retry that needs one is not made, and `retry` returns with why
-- `"cannot_wait"` (reason `cannot wait in phase log`); retries with no delay (`reauth`)
-- still happen. Then `require("authcodes.retry").defaults.sleep`, when set, for other
-- event loops (cqueues, luv: a function(seconds) that yields). Inside skynet (the module
-- `skynet` is loaded), `skynet.sleep` in whole ticks of 10 ms, at least one. Only in a
-- plain script does the C core's blocking sleep remain.
--
-- **Deadlines bound the whole call**, fn's own time included: `deadline` (seconds from
-- `retry`'s start, or with `deadline_from = "request"` from the nginx request's start,
-- `ngx.req.start_time()`), or `deadline_at` (a time of `now`'s clock). `fn` gets the
-- seconds left as its second argument (nil without a deadline) to bound its own
-- timeouts. A retry whose wait would end at or past the deadline is not made; so a
-- `retry_after` longer than what is left is not slept out: the error comes back with
-- its `retry_after`, and `authcodes.ngx.respond` passes it on as `Retry-After`. Inside
-- an nginx request (rewrite, access, content) a policy without a deadline gets
-- `defaults.request_deadline` (1 s): a rate-limited vendor reaches the client as a 429
-- at once instead of holding the request for seconds.
--
-- Success is a first result other than nil; it refunds the budget one `refund`. After
-- a failure, `should_retry`'s rules decide, then the deadline, the wait and the budget;
-- `reauth` is called (at most once) before retrying a `reauth` code, and a false
-- result stops (the tokens it had taken are given back). Errors raised by `fn`,
-- `reauth`, `on_retry`, `on_give_up` or `sleep` propagate.
--
-- Why it stopped, the fourth result (also given to `on_give_up`): `"attempts"` (none
-- left), `"not_retryable"` (the code, or `no_retry_on`), `"reauth"` (no `policy.reauth`,
-- already done once, or it failed), `"deadline"`, `"budget"` (retry budget spent),
-- `"cannot_wait"` (a wait this runtime cannot make), `"breaker_open"` (`policy.breaker`
-- is open: fn is not called, and the error is a `circuit_open` one, UNAVAILABLE, 503,
-- `retry_after` the seconds to the next probe, `cause` the vendor's last error).
-- @tparam function fn called as `fn(attempt, left)`: attempt 1, 2, ...; left the seconds
-- to the deadline, or nil
-- @tparam[opt] table policy fields of `should_retry`'s policy (`attempts`, `base`,
-- `cap`, `reauth`, `budget`, `random`), the rules `retry_on` (a list of class names,
-- codes and names also retried with backoff, e.g. `{ "INTERNAL", "imsdk.-105" }`),
-- `no_retry_on` (a list never retried) and `idempotent` (true: also retry INTERNAL and
-- UNKNOWN errors of HTTP 5xx), plus `deadline` (seconds), `deadline_from` (`"start"`,
-- the default, or `"request"`), `deadline_at` (a time of `now`'s clock), `sleep`
-- (function(seconds)), `on_retry` (function(err, attempt, delay), called before each
-- wait), `on_give_up` (function(err, attempts, why, reason), called once when `retry`
-- returns a failure), `now` (function giving seconds, see `now`), `breaker` (an
-- `authcodes.breaker`, told of every success and failure); `budget = false` for none
-- (default: the process-wide budget)
-- @return[1] ... fn's results, as fn returned them
-- @return[2] nil
-- @return[2] the last error, an error object (what fn returned as its second result,
-- made an error object by `new`)
-- @treturn[2] int how many times fn was called
-- @treturn[2] string why it stopped (see above)
-- @treturn[2] string the reason in words, e.g. `cannot wait in phase log`
-- @raise `bad argument #1 to 'retry'` when fn is not a function, `bad argument #2`
-- when policy is not a table or one of its fields has a wrong type or value, or
-- `defaults.sleep` is set to something other than a function
function M.retry(fn, policy)
  if type(fn) ~= "function" then bad("retry", 1, "function expected, got " .. type(fn)) end
  local p = read_policy(policy, "retry", 2)
  if p.budget == nil then p.budget = budgets.default_budget() end
  local budget = p.budget
  -- The sleep is chosen at the first wait (most calls never wait: asking nginx its
  -- phase on each call would be for nothing); defaults.sleep is checked now.
  local sleep, cannot, other = p.sleep, nil, nil
  local chosen = sleep ~= nil
  if not chosen then other = default_sleep("retry") end
  local now = clock_of(p)
  local start = now()
  local deadline, running = deadline_of(p, start, "retry")
  local attempt, last, why, reason = 0  -- set before every break below
  local breaker = p.breaker
  while true do
    -- An open breaker answers at once, fn not called (authcodes.breaker).
    if breaker then
      local go, wait = breaker:allow()
      if not go then
        last, why, reason = breaker:open_error(wait, last), "breaker_open", "circuit breaker open"
        break
      end
    end
    local left
    if deadline ~= nil then
      left = deadline - (attempt == 0 and start or now())
      if left < 0 then left = 0 end
      if left <= 0 and attempt == 0 and running then
        last = errors.new("transport.timeout", { detail = "the deadline passed before the first attempt" })
        why, reason = "deadline", "deadline passed"
        break
      end
    end
    attempt = attempt + 1
    local res = pack(fn(attempt, left))
    if res[1] ~= nil then
      if breaker then breaker:success() end
      if budget then budget:refund() end
      return unpack(res, 1, res.n)
    end
    local e = res[2]
    if e == nil then e = errors.new(nil, { detail = "fn returned nil and no error" }) end
    last = as_error(e)
    if breaker then breaker:record(last) end
    local ok, delay, kind, no = judge(last, attempt, p)
    if not ok then why, reason = no, kind; break end
    if deadline ~= nil and now() + delay >= deadline then
      why, reason = "deadline", "deadline would pass"; break
    end
    if delay > 0 and not chosen then
      sleep, cannot = loop.sleep(other)
      chosen = true
    end
    if delay > 0 and sleep == nil then why, reason = "cannot_wait", cannot; break end
    if budget and not budget:acquire() then why, reason = "budget", "retry budget exhausted"; break end
    if kind == "reauth" then
      p.reauthed = true
      if not p.reauth(last) then
        if budget then budget:refund(budget.cost) end   -- no retry made: no tokens spent
        why, reason = "reauth", "policy.reauth failed"; break
      end
    end
    if p.on_retry then p.on_retry(last, attempt, delay) end
    if delay > 0 then sleep(delay) end
  end
  if p.on_give_up then p.on_give_up(last, attempt, why, reason) end
  return nil, last, attempt, why, reason
end

return M
