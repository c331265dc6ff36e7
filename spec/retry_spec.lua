-- Retry policy (issue #3): authcodes.should_retry, authcodes.retry, authcodes.budget.
-- Time never passes for real: every test gives a fake clock (policy.now), a fake sleep
-- that records the delays and advances that clock, and a fixed policy.random.

local authcodes = require "authcodes"

local BACKOFF = -207        -- imsdk session_get_failed: UNAVAILABLE, backoff
local NEVER = 22010         -- wilddog invalid_password
local RESTART = -721        -- imsdk migrate_code_expired
local REAUTH = 22002        -- wilddog expired_token
local AFTER_1S = 22239      -- wilddog sms_api_check_error, retry_after 1
local AFTER_5S = -2         -- imsdk rate_limited, retry_after 5

-- A policy with a fake clock and sleep; `extra` fields are copied over the defaults.
local function fake(extra)
  local clock = { t = 0, slept = {} }
  local policy = {
    now = function() return clock.t end,
    sleep = function(d)
      clock.slept[#clock.slept + 1] = d
      clock.t = clock.t + d
    end,
    random = function() return 1 end,
    budget = false,
  }
  for k, v in pairs(extra or {}) do policy[k] = v end
  return policy, clock
end

-- fn failing with `err` for the first `failures` calls, then returning its results.
local function flaky(failures, err, ...)
  local results = { n = select("#", ...), ... }
  local calls = {}
  return function(attempt)
    calls[#calls + 1] = attempt
    if #calls <= failures then return nil, err end
    return (table.unpack or unpack)(results, 1, results.n)  -- luacheck: ignore 143
  end, calls
end

local function assert_bad_argument(fname, fn, ...)
  local ok, msg = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  assert.matches("bad argument", msg, 1, true)
  assert.matches("'" .. fname .. "'", msg, 1, true)
end

describe("authcodes.should_retry", function()
  it("retries backoff codes while attempts are left", function()
    for _, code in ipairs { BACKOFF, 22005, 22227, -1103 } do
      local ok, delay = authcodes.should_retry(code, 1)
      assert.is_true(ok, tostring(code))
      assert.is_number(delay)
      assert.is_true(authcodes.should_retry(code, 2))
      local no, d, why = authcodes.should_retry(code, 3)   -- 3 attempts in all
      assert.is_false(no)
      assert.is_nil(d)
      assert.is_string(why)
    end
    assert.is_true(authcodes.should_retry(BACKOFF, 4, { attempts = 5 }))
    assert.is_false(authcodes.should_retry(BACKOFF, 5, { attempts = 5 }))
    assert.is_false(authcodes.should_retry(BACKOFF, 1, { attempts = 1 }))
  end)

  it("never retries never, restart or ok codes", function()
    for _, code in ipairs { NEVER, 22001, -101, 29999, RESTART, -705, 22226, 1, 2 } do
      local ok, delay, why = authcodes.should_retry(code, 1, { attempts = 10 })
      assert.is_false(ok, tostring(code))
      assert.is_nil(delay)
      assert.is_string(why)
    end
  end)

  it("never retries what it does not know", function()
    for _, err in ipairs { 424242, "no such thing", "", true } do
      assert.is_false(authcodes.should_retry(err, 1))
    end
    assert.is_false(authcodes.should_retry(nil, 1))
  end)

  it("accepts a code, a name, a qualified name, an entry or an error object", function()
    for _, err in ipairs { BACKOFF, "-207", "session_get_failed", "imsdk.session_get_failed",
                           authcodes.lookup(BACKOFF), authcodes.new(BACKOFF, { detail = "d" }) } do
      assert.is_true(authcodes.should_retry(err, 1), tostring(err))
    end
  end)

  it("computes rand * min(cap, base * 2^attempt)", function()
    local half = function() return 0.5 end
    local cases = {   -- attempt, policy, expected delay
      { 1, { random = half }, 0.5 * 0.05 * 2 },
      { 2, { random = half }, 0.5 * 0.05 * 4 },
      { 1, { random = function() return 0 end }, 0 },
      { 3, { random = function() return 1 end, base = 1, attempts = 10 }, 8 },
      { 5, { random = function() return 1 end, base = 1, cap = 3, attempts = 10 }, 3 },
      { 9, { random = half, base = 0.05, attempts = 10 }, 10 },
      { 12, { random = half, attempts = 20 }, 10 },   -- capped at 20 by default
    }
    for _, c in ipairs(cases) do
      local ok, delay = authcodes.should_retry(BACKOFF, c[1], c[2])
      assert.is_true(ok)
      assert.near(c[3], delay, 1e-12)
    end
  end)

  it("keeps the default delays within bounds", function()
    for attempt = 1, 19 do
      for _ = 1, 20 do
        local ok, delay = authcodes.should_retry(BACKOFF, attempt, { attempts = 20 })
        assert.is_true(ok)
        assert.is_true(delay >= 0 and delay <= math.min(20, 0.05 * 2 ^ attempt), tostring(delay))
      end
    end
  end)

  it("waits at least retry_after for after_delay codes", function()
    local zero = function() return 0 end
    local _, d = authcodes.should_retry(AFTER_1S, 1, { random = zero })
    assert.equal(1, d)
    _, d = authcodes.should_retry(AFTER_5S, 2, { random = zero })
    assert.equal(5, d)
    _, d = authcodes.should_retry(22235, 1, { random = zero })
    assert.equal(60, d)
    _, d = authcodes.should_retry(AFTER_1S, 1, { random = function() return 1 end, base = 4 })
    assert.equal(8, d)   -- the backoff is longer than retry_after
    for attempt = 1, 2 do
      local ok, delay = authcodes.should_retry(AFTER_1S, attempt)
      assert.is_true(ok)
      assert.is_true(delay >= 1)
    end
  end)

  it("retries reauth codes once, and only given policy.reauth", function()
    local no, d, why = authcodes.should_retry(REAUTH, 1)
    assert.is_false(no)
    assert.is_nil(d)
    assert.matches("reauth", why)
    local reauth = function() return true end
    local ok, delay = authcodes.should_retry(REAUTH, 1, { reauth = reauth })
    assert.is_true(ok)
    assert.equal(0, delay)
    assert.is_true(authcodes.should_retry(-204, 1, { reauth = reauth }))
    assert.is_false(authcodes.should_retry(REAUTH, 1, { reauth = reauth, reauthed = true }))
  end)

  it("spends the budget it is given", function()
    local b = authcodes.budget { capacity = 10, cost = 5 }
    assert.is_true(authcodes.should_retry(BACKOFF, 1, { budget = b }))
    assert.is_true(authcodes.should_retry(BACKOFF, 1, { budget = b }))
    local ok, _, why = authcodes.should_retry(BACKOFF, 1, { budget = b })
    assert.is_false(ok)
    assert.matches("budget", why)
    assert.equal(0, b:available())
    assert.is_false(authcodes.should_retry(NEVER, 1, { budget = authcodes.budget() }))
  end)

  it("raises bad argument on a wrong attempt or policy", function()
    for _, attempt in ipairs { "1", true, -1, 0 / 0, {} } do
      assert_bad_argument("should_retry", authcodes.should_retry, BACKOFF, attempt)
    end
    assert_bad_argument("should_retry", authcodes.should_retry, BACKOFF, nil)
    for _, policy in ipairs {
      "x", 3, true, { attempts = "3" }, { attempts = 0 }, { attempts = 0 / 0 }, { base = -1 }, { cap = "1" },
      { deadline = "1" }, { deadline = -1 }, { sleep = 1 }, { random = "x" }, { now = {} }, { reauth = true },
      { on_retry = 1 }, { budget = "x" }, { budget = true }, { budget = {} },
    } do
      assert_bad_argument("should_retry", authcodes.should_retry, BACKOFF, 1, policy)
    end
  end)
end)

describe("authcodes.retry", function()
  it("returns all of fn's results on success, nils included", function()
    local policy = fake()
    local n, a, b, c, d = (function(...) return select("#", ...), ... end)(
      authcodes.retry(function() return "a", nil, false, nil end, policy))
    assert.equal(4, n)
    assert.equal("a", a)
    assert.is_nil(b)
    assert.is_false(c)
    assert.is_nil(d)
  end)

  it("retries a backoff code with exact delays until success", function()
    local policy, clock = fake { random = function() return 0.5 end }
    local fn, calls = flaky(2, BACKOFF, "ok", 42)
    local r1, r2 = authcodes.retry(fn, policy)
    assert.equal("ok", r1)
    assert.equal(42, r2)
    assert.same({ 1, 2, 3 }, calls)
    assert.same({ 0.5 * 0.1, 0.5 * 0.2 }, clock.slept)
  end)

  it("gives up after the attempts with nil, the last error, the count", function()
    local policy, clock = fake()
    local fn, calls = flaky(99, BACKOFF)
    local r, err, n = authcodes.retry(fn, policy)
    assert.is_nil(r)
    assert.is_true(authcodes.is_error(err))
    assert.equal(BACKOFF, err.code)
    assert.equal(3, n)
    assert.equal(3, #calls)
    assert.equal(2, #clock.slept)   -- no sleep after the last attempt

    policy, clock = fake { attempts = 5, base = 1, cap = 6 }
    fn, calls = flaky(99, BACKOFF)
    r, err, n = authcodes.retry(fn, policy)
    assert.is_nil(r)
    assert.equal(BACKOFF, err.code)
    assert.equal(5, n)
    assert.same({ 1, 2, 3, 4, 5 }, calls)
    assert.same({ 2, 4, 6, 6 }, clock.slept)
  end)

  it("does not retry never or restart codes", function()
    for _, code in ipairs { NEVER, RESTART, 22226, 424242 } do
      local policy, clock = fake { attempts = 10 }
      local fn, calls = flaky(99, code)
      local r, err, n = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(code, err.code)
      assert.equal(1, n)
      assert.equal(1, #calls)
      assert.same({}, clock.slept)
    end
  end)

  it("waits retry_after for a rate limit", function()
    local policy, clock = fake { random = function() return 0 end }
    local fn = flaky(1, AFTER_1S, "sent")
    assert.equal("sent", authcodes.retry(fn, policy))
    assert.same({ 1 }, clock.slept)
    policy, clock = fake { random = function() return 0 end }
    fn = flaky(2, AFTER_5S, "in")
    assert.equal("in", authcodes.retry(fn, policy))
    assert.same({ 5, 5 }, clock.slept)
  end)

  describe("reauth", function()
    it("is not retried without policy.reauth", function()
      local policy = fake()
      local fn, calls = flaky(99, REAUTH)
      local r, err, n = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(REAUTH, err.code)
      assert.equal(1, n)
      assert.equal(1, #calls)
    end)

    it("signs in again once, then retries at once", function()
      local seen = {}
      local policy, clock = fake { attempts = 5, reauth = function(err)
        seen[#seen + 1] = err
        return true
      end }
      local fn, calls = flaky(1, REAUTH, "profile")
      assert.equal("profile", authcodes.retry(fn, policy))
      assert.equal(2, #calls)
      assert.equal(1, #seen)
      assert.is_true(seen[1]:is(REAUTH))
      assert.same({}, clock.slept)
      assert.is_nil(policy.reauthed)   -- the caller's policy is not changed
    end)

    it("does not sign in twice", function()
      local n_reauth = 0
      local policy = fake { attempts = 5, reauth = function() n_reauth = n_reauth + 1; return true end }
      local fn, calls = flaky(99, REAUTH)
      local r, err, n = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(REAUTH, err.code)
      assert.equal(2, n)
      assert.equal(2, #calls)
      assert.equal(1, n_reauth)
    end)

    it("stops when signing in fails", function()
      local policy = fake { reauth = function() return false end }
      local fn, calls = flaky(99, -204)
      local r, err, n = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(-204, err.code)
      assert.equal(1, n)
      assert.equal(1, #calls)
    end)
  end)

  it("calls on_retry(err, attempt, delay) before each sleep", function()
    local hooks = {}
    local policy, clock = fake { attempts = 4, random = function() return 0.5 end }
    policy.on_retry = function(err, attempt, delay)
      hooks[#hooks + 1] = { err = err, attempt = attempt, delay = delay, slept = #clock.slept }
    end
    local fn = flaky(3, BACKOFF, true)
    assert.is_true(authcodes.retry(fn, policy))
    assert.equal(3, #hooks)
    for i, h in ipairs(hooks) do
      assert.is_true(authcodes.is_error(h.err))
      assert.is_true(h.err:is(BACKOFF))
      assert.equal(i, h.attempt)
      assert.equal(clock.slept[i], h.delay)
      assert.equal(i - 1, h.slept)   -- called before that sleep
    end
  end)

  describe("deadline", function()
    it("stops before sleeping past it", function()
      local policy, clock = fake { attempts = 10, base = 1, cap = 100, deadline = 5 }
      local fn, calls = flaky(99, BACKOFF)
      local r, err, n = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(BACKOFF, err.code)
      assert.same({ 2 }, clock.slept)   -- 2 fits; 2 + 4 would pass 5
      assert.equal(2, n)
      assert.equal(2, #calls)
      assert.is_true(clock.t <= 5)
    end)

    it("counts the time fn takes", function()
      local policy, clock = fake { attempts = 10, base = 0.5, deadline = 10 }
      local calls = 0
      local r, _, n = authcodes.retry(function()
        calls = calls + 1
        clock.t = clock.t + 3   -- each call takes 3 s
        return nil, BACKOFF
      end, policy)
      assert.is_nil(r)
      -- t=3 sleep 1 (4), t=7 sleep 2 (9), t=12: no time left for the next sleep
      assert.same({ 1, 2 }, clock.slept)
      assert.equal(3, n)
      assert.equal(3, calls)
    end)

    it("does not wait a retry_after longer than what is left", function()
      local policy, clock = fake { deadline = 3 }
      local fn, calls = flaky(99, AFTER_5S)
      local r, err = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(AFTER_5S, err.code)
      assert.equal(1, #calls)
      assert.same({}, clock.slept)
    end)

    it("a retry the deadline stops costs no budget", function()
      local b = authcodes.budget { capacity = 10, cost = 5 }
      local policy = fake { deadline = 3, budget = b }
      assert.is_nil(authcodes.retry(flaky(99, AFTER_5S), policy))
      assert.equal(10, b:available())
    end)

    it("a deadline of 0 allows only the first call", function()
      local policy, clock = fake { deadline = 0 }
      local fn, calls = flaky(99, BACKOFF)
      assert.is_nil(authcodes.retry(fn, policy))
      assert.equal(1, #calls)
      assert.same({}, clock.slept)
    end)
  end)

  describe("budget", function()
    it("a drained budget stops retries", function()
      local b = authcodes.budget { capacity = 10, cost = 5, refund = 1 }
      local policy = fake { attempts = 10, budget = b }
      local fn, calls = flaky(99, BACKOFF)
      local r, _, n = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(3, #calls)   -- two retries of cost 5 each
      assert.equal(3, n)
      assert.equal(0, b:available())
      fn, calls = flaky(99, BACKOFF)
      assert.is_nil(authcodes.retry(fn, fake { budget = b }))
      assert.equal(1, #calls)
    end)

    it("a success refunds", function()
      local b = authcodes.budget { capacity = 10, cost = 5, refund = 1 }
      local fn = flaky(1, BACKOFF, "ok")
      assert.equal("ok", authcodes.retry(fn, fake { budget = b }))
      assert.equal(6, b:available())
      assert.equal("ok", authcodes.retry(function() return "ok" end, fake { budget = b }))
      assert.equal(7, b:available())
    end)

    it("the default budget is process-wide", function()
      local shared = require("authcodes.budget").default_budget()
      assert.equal(shared, require("authcodes.budget").default_budget())
      shared:refund(1000)
      local before = shared:available()
      local policy = fake()
      policy.budget = nil
      assert.equal("ok", authcodes.retry(flaky(1, BACKOFF, "ok"), policy))
      assert.equal(before - 5 + 1, shared:available())
      shared:refund(1000)
    end)

    it("false means none", function()
      local policy = fake { attempts = 200, budget = false, base = 0 }
      local fn, calls = flaky(199, BACKOFF, "ok")
      assert.equal("ok", authcodes.retry(fn, policy))
      assert.equal(200, #calls)
    end)
  end)

  describe("what fn gives as its error", function()
    for _, case in ipairs {
      { "a code", BACKOFF, BACKOFF },
      { "a decimal string", "-207", BACKOFF },
      { "a name", "session_get_failed", BACKOFF },
      { "a qualified name", "imsdk.session_get_failed", BACKOFF },
      { "an error object", authcodes.new(BACKOFF, { detail = "memcache down" }), BACKOFF },
      { "an entry", authcodes.lookup(BACKOFF), BACKOFF },
    } do
      it(case[1] .. " is retried as that code", function()
        local policy = fake()
        local fn, calls = flaky(99, case[2])
        local r, err, n = authcodes.retry(fn, policy)
        assert.is_nil(r)
        assert.is_true(authcodes.is_error(err))
        assert.equal(case[3], err.code)
        assert.equal(3, n)
        assert.equal(3, #calls)
      end)
    end

    it("an error object comes back as it was given", function()
      local mine = authcodes.new(BACKOFF, { detail = "memcache down" })
      local _, err = authcodes.retry(flaky(99, mine), fake())
      assert.equal(mine, err)
    end)

    it("anything else is UNKNOWN and not retried", function()
      for _, e in ipairs { "no such thing", 424242, {}, true } do
        local fn, calls = flaky(99, e)
        local r, err, n = authcodes.retry(fn, fake())
        assert.is_nil(r)
        assert.equal("UNKNOWN", err.class)
        assert.equal(1, n)
        assert.equal(1, #calls)
      end
      local fn, calls = flaky(99, nil)
      local r, err = authcodes.retry(fn, fake())
      assert.is_nil(r)
      assert.equal("UNKNOWN", err.class)
      assert.equal(1, #calls)
      assert.equal("no such thing", select(2, authcodes.retry(flaky(1, "no such thing"), fake())).key)
    end)
  end)

  it("sleeps with ngx.sleep inside a yieldable nginx phase", function()
    local saved = rawget(_G, "ngx")
    local slept = {}
    local phase = "content"
    rawset(_G, "ngx", { sleep = function(d) slept[#slept + 1] = d end, get_phase = function() return phase end })
    local ok, err = pcall(function()
      local policy = fake { random = function() return 1 end }
      policy.sleep = nil
      assert.equal("ok", authcodes.retry(flaky(1, BACKOFF, "ok"), policy))
      assert.same({ 0.1 }, slept)
      phase = "init_worker"   -- ngx.sleep cannot run here, and nothing else may block
      policy = fake { random = function() return 0.01 end }
      policy.sleep = nil
      local r, err, n, why, reason = authcodes.retry(flaky(1, BACKOFF, "ok"), policy)
      assert.is_nil(r)
      assert.equal(BACKOFF, err.code)
      assert.equal(1, n)
      assert.equal("cannot_wait", why)
      assert.equal("cannot wait in phase init_worker", reason)
      assert.same({ 0.1 }, slept)
    end)
    rawset(_G, "ngx", saved)
    assert(ok, err)
  end)

  it("raises bad argument on a wrong fn or policy", function()
    for _, fn in ipairs { "f", 1, {}, true } do
      assert_bad_argument("retry", authcodes.retry, fn)
    end
    assert_bad_argument("retry", authcodes.retry, nil)
    for _, policy in ipairs { "x", 1, { attempts = "x" }, { sleep = "x" }, { budget = {} }, { deadline = 0 / 0 } } do
      assert_bad_argument("retry", authcodes.retry, function() return true end, policy)
    end
  end)
end)

describe("authcodes.budget", function()
  it("is a token bucket with AWS's defaults", function()
    local b = authcodes.budget()
    assert.equal(500, b:available())
    assert.is_true(b:acquire())
    assert.equal(495, b:available())
    b:refund()
    assert.equal(496, b:available())
    b:refund(100)
    assert.equal(500, b:available())   -- never above capacity
    for _ = 1, 100 do assert.is_true(b:acquire()) end
    assert.equal(0, b:available())
    assert.is_false(b:acquire())
    assert.equal(0, b:available())
    b:refund()
    assert.equal(1, b:available())
  end)

  it("takes its sizes from opts", function()
    local b = authcodes.budget { capacity = 3, cost = 2, refund = 2 }
    assert.is_true(b:acquire())
    assert.is_false(b:acquire())
    assert.equal(1, b:available())
    assert.is_true(b:acquire(1))
    b:refund()
    assert.equal(2, b:available())
  end)

  describe("shared through a lua_shared_dict", function()
    -- The part of the ngx.shared.DICT API a budget uses: incr(key, delta, init) and get(key).
    local function fake_dict()
      local d = { data = {}, fail = false }
      function d.incr(self, key, delta, init)
        if self.fail then return nil, "no memory" end
        local v = self.data[key]
        if v == nil then
          if init == nil then return nil, "not found" end
          v = init
        end
        v = v + delta
        self.data[key] = v
        return v
      end
      function d.get(self, key) return self.data[key] end
      return d
    end

    it("is one budget for every worker", function()
      local dict = fake_dict()
      local w1 = authcodes.budget { capacity = 10, cost = 5, dict = dict, key = "k" }
      local w2 = authcodes.budget { capacity = 10, cost = 5, dict = dict, key = "k" }
      assert.equal(10, w1:available())
      assert.is_true(w1:acquire())
      assert.equal(5, w2:available())
      assert.is_true(w2:acquire())
      assert.is_false(w1:acquire())
      assert.is_false(w2:acquire())
      assert.equal(0, w1:available())
      assert.equal(0, dict.data.k)   -- a refused acquire leaves no debt
      w2:refund()
      assert.equal(1, w1:available())
      w1:refund(100)
      assert.equal(10, w2:available())   -- capped
    end)

    it("keeps keys apart, with a default key", function()
      local dict = fake_dict()
      local a = authcodes.budget { dict = dict }
      local b = authcodes.budget { dict = dict, key = "other" }
      assert.is_true(a:acquire())
      assert.equal(495, a:available())
      assert.equal(500, b:available())
      assert.equal(495, dict.data["authcodes:retry_budget"])
    end)

    it("refuses a retry when the dict fails", function()
      local dict = fake_dict()
      dict.fail = true
      assert.is_false(authcodes.budget { dict = dict }:acquire())
    end)

    it("drives authcodes.retry", function()
      local dict = fake_dict()
      local b = authcodes.budget { capacity = 5, cost = 5, dict = dict }
      local fn, calls = flaky(99, BACKOFF)
      assert.is_nil(authcodes.retry(fn, fake { attempts = 10, budget = b }))
      assert.equal(2, #calls)
      assert.equal(0, authcodes.budget { capacity = 5, dict = dict }:available())
    end)
  end)

  it("raises bad argument on wrong opts", function()
    for _, opts in ipairs { "x", 5, true, { capacity = -1 }, { capacity = "500" }, { cost = 0 / 0 },
                            { refund = {} }, { dict = 42 }, { dict = "shared" } } do
      assert_bad_argument("budget", authcodes.budget, opts)
    end
  end)
end)

-- Issue #11: transport failures, why retry stopped, rules, deadlines, event loops;
-- issue #12 item 6: arithmetic.
describe("authcodes.retry in an event loop", function()
  local function with_global(name, value, fn)
    local saved = rawget(_G, name)
    rawset(_G, name, value)
    local ok, err = pcall(fn)
    rawset(_G, name, saved)
    assert(ok, err)
  end

  describe("transport errors as clients give them", function()
    for _, case in ipairs {
      { "timeout", "timeout" },                                  -- cosockets, LuaSocket
      { "closed", "connection_closed" },
      { "connection refused", "connection_refused" },
      { "connection reset by peer", "connection_reset" },
      { "failed to connect: connection refused", "connection_refused" },   -- lua-resty-http
      { "Connection refused", "connection_refused" },             -- lua-http (strerror)
      { "Connection timed out", "connect_timeout" },
      { "api.imsdk.example could not be resolved (3: Host not found)", "dns_failed" },
      { "host not found", "dns_failed" },                         -- LuaSocket
      { "handshake failed", "tls_handshake_failed" },
      { "broken pipe", "connection_closed" },
      { "no route to host", "host_unreachable" },
    } do
      it(("%q is a transport.%s error, retried"):format(case[1], case[2]), function()
        local fn, calls = flaky(2, case[1], "ok")
        assert.equal("ok", authcodes.retry(fn, fake()))
        assert.equal(3, #calls)
        local _, err, n, why = authcodes.retry(flaky(99, case[1]), fake())
        assert.equal("transport", err.domain)
        assert.equal(case[2], err.name)
        assert.equal(3, n)
        assert.equal("attempts", why)
        if authcodes.lookup(case[1]) == nil then assert.equal(case[1], err.detail) end   -- the raw message kept
      end)
    end

    it("is not retried when the failure is one retrying cannot mend", function()
      for _, msg in ipairs { 'no resolver defined to resolve "api.example"', "18: self signed certificate" } do
        local fn, calls = flaky(99, msg)
        local _, err, n, why = authcodes.retry(fn, fake())
        assert.equal("transport", err.domain)
        assert.equal(1, n)
        assert.equal(1, #calls)
        assert.equal("not_retryable", why)
        assert.equal(msg, err.detail)
      end
    end)

    it("any shape of error gives an error object, never a raise", function()
      local huge = ("x"):rep(2 ^ 20) .. " timeout"
      for _, e in ipairs { ("\255\0"):rep(5000), huge, ("timeout "):rep(100000), {}, setmetatable({}, {
        __tostring = function() error("no") end, __index = function() error("no") end }), 0 / 0, true,
        function() end } do
        local _, err, n = authcodes.retry(flaky(99, e), fake())
        assert.is_true(authcodes.is_error(err))
        assert.is_true(n >= 1)
        assert.is_true(#tostring(err) < 4096)
      end
      -- a message is read only from its start: a timeout at the end of 1 MiB is unknown
      assert.equal("unknown", authcodes.new(huge).name)
      local _, err = authcodes.retry(flaky(99, nil), fake())
      assert.equal("UNKNOWN", err.class)
      assert.matches("no error", err.detail, 1, true)
    end)

    it("new reads class names and client words into sensible objects", function()
      assert.equal(503, authcodes.new("UNAVAILABLE").http)
      assert.equal("backoff", authcodes.new("UNAVAILABLE").retry)
      assert.equal("DEADLINE_EXCEEDED", authcodes.new("timeout").class)
      assert.equal(504, authcodes.new("timeout").http)
      assert.equal("RESOURCE_EXHAUSTED", authcodes.new("RESOURCE_EXHAUSTED").class)
      assert.is_true(authcodes.new("UNAVAILABLE"):is("UNAVAILABLE"))
    end)
  end)

  describe("why it stopped", function()
    it("says attempts, not_retryable, reauth, deadline and budget", function()
      local _, _, _, why, reason = authcodes.retry(flaky(99, BACKOFF), fake())
      assert.equal("attempts", why)
      assert.equal("no attempts left", reason)
      _, _, _, why = authcodes.retry(flaky(99, NEVER), fake())
      assert.equal("not_retryable", why)
      _, _, _, why = authcodes.retry(flaky(99, REAUTH), fake())
      assert.equal("reauth", why)
      _, _, _, why = authcodes.retry(flaky(99, BACKOFF), fake { deadline = 0.5, base = 1 })
      assert.equal("deadline", why)
      local b = authcodes.budget { capacity = 0 }
      _, _, _, why = authcodes.retry(flaky(99, BACKOFF), fake { budget = b })
      assert.equal("budget", why)
    end)

    it("calls on_give_up(err, attempts, why, reason) once, only on failure", function()
      local seen = {}
      local policy = fake { on_give_up = function(...) seen[#seen + 1] = { ... } end }
      authcodes.retry(flaky(99, BACKOFF), policy)
      assert.equal(1, #seen)
      assert.equal(BACKOFF, seen[1][1].code)
      assert.equal(3, seen[1][2])
      assert.equal("attempts", seen[1][3])
      assert.equal("no attempts left", seen[1][4])
      assert.equal("ok", authcodes.retry(flaky(1, BACKOFF, "ok"), policy))
      assert.equal(1, #seen)
    end)
  end)

  describe("per-call rules", function()
    it("retry_on adds classes and codes, no_retry_on removes them", function()
      local _, _, n = authcodes.retry(flaky(99, -101), fake())   -- INTERNAL, never
      assert.equal(1, n)
      _, _, n = authcodes.retry(flaky(99, -101), fake { retry_on = { "imsdk.-101" } })
      assert.equal(3, n)
      _, _, n = authcodes.retry(flaky(99, -101), fake { retry_on = { "INTERNAL" } })
      assert.equal(3, n)
      _, _, n = authcodes.retry(flaky(99, NEVER), fake { retry_on = { "INTERNAL" } })
      assert.equal(1, n)
      local why
      _, _, n, why = authcodes.retry(flaky(99, BACKOFF), fake { no_retry_on = { "UNAVAILABLE" } })
      assert.equal(1, n)
      assert.equal("not_retryable", why)
      _, _, n = authcodes.retry(flaky(99, BACKOFF), fake { no_retry_on = { -207 }, retry_on = { -207 } })
      assert.equal(1, n)
      assert.is_true(authcodes.should_retry(-101, 1, { retry_on = { "guid_lookup_failed" } }))
    end)

    it("idempotent also retries INTERNAL and UNKNOWN 5xx, nothing else", function()
      local _, _, n = authcodes.retry(flaky(99, -101), fake { idempotent = true })
      assert.equal(3, n)
      _, _, n = authcodes.retry(flaky(99, 424242), fake { idempotent = true })   -- unknown, 500
      assert.equal(3, n)
      _, _, n = authcodes.retry(flaky(99, NEVER), fake { idempotent = true })    -- 401
      assert.equal(1, n)
    end)

    it("defaults are unchanged without rules", function()
      assert.is_false(authcodes.should_retry(-101, 1))
      assert.is_true(authcodes.should_retry(BACKOFF, 1))
    end)

    it("a rule that names nothing is a bad argument", function()
      for _, rules in ipairs { { retry_on = { "NO_SUCH_THING" } }, { retry_on = "INTERNAL" },
                               { no_retry_on = { {} } }, { retry_on = { x = 1 } }, { idempotent = "yes" } } do
        assert_bad_argument("retry", authcodes.retry, function() return true end, rules)
        assert_bad_argument("should_retry", authcodes.should_retry, BACKOFF, 1, rules)
      end
    end)
  end)

  describe("deadlines", function()
    it("tell fn the time left", function()
      local policy, clock = fake { deadline = 10, base = 1 }
      local lefts = {}
      authcodes.retry(function(_, left)
        lefts[#lefts + 1] = left
        clock.t = clock.t + 1
        return nil, BACKOFF
      end, policy)
      assert.same({ 10, 7, 2 }, lefts)   -- 1 s each call, then waits of 2 and 4 s
    end)

    it("a fn without a deadline gets nil", function()
      local got = "unset"
      authcodes.retry(function(_, left) got = left; return true end, fake())
      assert.is_nil(got)
    end)

    it("deadline_at is absolute: passed already, fn is not called", function()
      local policy, clock = fake { deadline_at = 5 }
      clock.t = 6
      local fn, calls = flaky(99, BACKOFF)
      local r, err, n, why = authcodes.retry(fn, policy)
      assert.is_nil(r)
      assert.equal(0, #calls)
      assert.equal(0, n)
      assert.equal("deadline", why)
      assert.equal("DEADLINE_EXCEEDED", err.class)
    end)

    it("a retry_after longer than what is left comes back with the error", function()
      local policy, clock = fake { deadline = 2 }
      local r, err, n, why = authcodes.retry(flaky(99, AFTER_5S), policy)
      assert.is_nil(r)
      assert.equal(5, err.retry_after)
      assert.equal(1, n)
      assert.equal("deadline", why)
      assert.same({}, clock.slept)
    end)

    it("deadline_from = request counts from ngx.req.start_time()", function()
      local t = 1000
      with_global("ngx", {
        sleep = function(d) t = t + d end, get_phase = function() return "content" end,
        now = function() return t end, update_time = function() end,
        req = { start_time = function() return 999.5 end },
      }, function()
        local lefts = {}
        local _, _, n, why = authcodes.retry(function(_, left)
          lefts[#lefts + 1] = left
          return nil, BACKOFF
        end, { deadline = 1, deadline_from = "request", random = function() return 1 end, budget = false,
               base = 0.2 })
        assert.equal(0.5, lefts[1])
        assert.equal("deadline", why)
        assert.equal(2, n)   -- waits 0.2 then 0.4 would pass 1000.5
      end)
      assert_bad_argument("retry", authcodes.retry, function() return true end,
        { deadline = 1, deadline_from = "request" })   -- no nginx request here
      assert_bad_argument("retry", authcodes.retry, function() return true end, { deadline_from = "x" })
    end)

    it("an nginx request gets a default deadline: a 5 s retry_after is not slept", function()
      local t, slept = 1000, {}
      with_global("ngx", {
        sleep = function(d) slept[#slept + 1] = d; t = t + d end, get_phase = function() return "content" end,
        now = function() return t end, update_time = function() end,
      }, function()
        local r, err, n, why = authcodes.retry(flaky(99, AFTER_5S), { budget = false })
        assert.is_nil(r)
        assert.equal(5, err.retry_after)
        assert.equal(1, n)
        assert.equal("deadline", why)
        assert.same({}, slept)
      end)
      -- in a timer there is no client waiting: no default deadline
      with_global("ngx", {
        sleep = function(d) slept[#slept + 1] = d; t = t + d end, get_phase = function() return "timer" end,
        now = function() return t end, update_time = function() end,
      }, function()
        authcodes.retry(flaky(1, AFTER_5S, "ok"), { budget = false })
        assert.same({ 5 }, slept)
      end)
    end)
  end)

  describe("never blocks an event loop", function()
    for _, phase in ipairs { "log", "header_filter", "body_filter", "init_worker", "init", "set",
                             "balancer", "exit_worker" } do
      it("does not sleep in nginx phase " .. phase .. ", nor block", function()
        local slept, blocked = {}, false
        local real = require("authcodes.core").sleep
        with_global("ngx", { sleep = function(d) slept[#slept + 1] = d end, get_phase = function() return phase end,
                             now = function() return 0 end, update_time = function() end }, function()
          local core = require "authcodes.core"
          core.sleep = function() blocked = true end
          local ok, e = pcall(function()
            local r, err, n, why, reason = authcodes.retry(flaky(99, BACKOFF), { budget = false })
            assert.is_nil(r)
            assert.equal(BACKOFF, err.code)
            assert.equal(1, n)
            assert.equal("cannot_wait", why)
            assert.equal("cannot wait in phase " .. phase, reason)
            -- a retry without a wait (reauth) still happens
            local calls = 0
            assert.equal("ok", authcodes.retry(function()
              calls = calls + 1
              if calls == 1 then return nil, REAUTH end
              return "ok"
            end, { budget = false, reauth = function() return true end }))
          end)
          core.sleep = real
          assert(ok, e)
        end)
        assert.same({}, slept)
        assert.is_false(blocked)
      end)
    end

    it("sleeps with skynet.sleep in whole ticks inside skynet", function()
      local ticks = {}
      local saved = package.loaded.skynet
      package.loaded.skynet = { sleep = function(n) ticks[#ticks + 1] = n end }
      local ok, e = pcall(function()
        local co = coroutine.wrap(function()
          return authcodes.retry(flaky(2, BACKOFF, "ok"), { budget = false, random = function() return 0.01 end,
                                                                  base = 0.1 })
        end)
        assert.equal("ok", co())
      end)
      package.loaded.skynet = saved
      assert(ok, e)
      assert.same({ 1, 1 }, ticks)   -- 0.002 s and 0.004 s: one tick each, never 0
    end)

    it("uses defaults.sleep, and refuses one that is no function", function()
      local defaults = require("authcodes.retry").defaults
      local slept = {}
      defaults.sleep = function(d) slept[#slept + 1] = d end
      local ok, e = pcall(function()
        local policy = { budget = false, random = function() return 1 end }
        assert.equal("ok", authcodes.retry(flaky(1, BACKOFF, "ok"), policy))
        assert.same({ 0.1 }, slept)
        defaults.sleep = 42
        assert_bad_argument("retry", authcodes.retry, flaky(1, BACKOFF, "ok"), { budget = false })
      end)
      defaults.sleep = nil
      assert(ok, e)
    end)
  end)

  describe("jitter", function()
    it("draws from [0, 1) without math.random, differently in each VM", function()
      math.randomseed(1)
      local a = math.random()
      math.randomseed(1)
      local d1 = select(2, authcodes.should_retry(BACKOFF, 1, { base = 1, cap = 1 }))
      assert.equal(a, math.random())   -- the caller's sequence is untouched
      assert.is_true(d1 >= 0 and d1 < 1)
      -- two fresh processes: different first delays
      local lua = require("spec.helpers").runtime()
      local cmd = lua .. [[ -e 'print(select(2, require("authcodes").should_retry(-207, 1, {base=1,cap=1})))']]
      local p1 = io.popen(cmd):read("*a")
      local p2 = io.popen(cmd):read("*a")
      assert.truthy(tonumber(p1), "no delay from " .. cmd .. ": " .. p1)
      assert.are_not.equal(p1, p2)
    end)
  end)

  describe("arithmetic", function()
    it("never answers NaN or infinite delays", function()
      local inf = math.huge
      for _, case in ipairs {
        { { base = inf, cap = inf, random = function() return 0 end }, 1 },
        { { base = inf, cap = inf, random = function() return 0.5 end }, 1 },
        { { base = 1, cap = inf, random = function() return 0 end }, 1024 },
        { { base = 1, cap = inf, random = function() return 1 end }, 5000 },
        { { base = 0, cap = inf, random = function() return 1 end }, 2000 },
        { { random = function() return 0 / 0 end }, 1 },
        { { random = function() return inf end }, 1 },
        { { random = function() return -inf end }, 1 },
      } do
        local policy = case[1]
        policy.attempts = inf
        local ok, delay = authcodes.should_retry(BACKOFF, case[2], policy)
        assert.is_true(ok)
        assert.is_true(delay == delay and delay >= 0 and delay <= 86400, tostring(delay))
      end
      local err = authcodes.new(BACKOFF)
      err.retry_after = 0 / 0
      local _, d = authcodes.should_retry(err, 1, { random = function() return 0 end })
      assert.equal(0, d)
    end)

    it("budget amounts must be finite numbers >= 0", function()
      local b = authcodes.budget { capacity = 10 }
      for _, v in ipairs { 0 / 0, -1000, "5", math.huge, {} } do
        assert_bad_argument("acquire", b.acquire, b, v)
        assert_bad_argument("refund", b.refund, b, v)
      end
      assert.equal(10, b:available())
    end)

    it("a reauth that fails spends no tokens", function()
      local b = authcodes.budget { capacity = 10, cost = 5 }
      local r, _, n, why = authcodes.retry(flaky(99, REAUTH), fake { budget = b, reauth = function() return false end })
      assert.is_nil(r)
      assert.equal(1, n)
      assert.equal("reauth", why)
      assert.equal(10, b:available())
    end)
  end)
end)
