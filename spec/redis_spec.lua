-- Issue #16 in plain Lua: the Redis-backed retry budget and circuit breaker against a
-- real redis-server (Debian's, started here on a free port of 127.0.0.1 and stopped at
-- the end) through Debian's lua-redis (redis-lua); the per-VM breaker with a fake
-- clock. Without redis-server or lua-redis, the Redis part says loudly that it did not
-- run (and is pending, not passed).

local authcodes = require "authcodes"
local breaker_mod = require "authcodes.breaker"
local core = require "authcodes.core"
local server = require "spec.redis_server"
local process = require "spec.process"

local BACKOFF = -207        -- imsdk session_get_failed: UNAVAILABLE, retryable
local NEVER = 22010         -- wilddog invalid_password: not retryable
-- The Redis timeout of budgets and breakers whose test needs Redis to answer: the
-- default 50 ms is tested on its own below; a loaded machine or valgrind (many times
-- slower) must not turn these into fallback tests.
local RT = require("spec.helpers").cpu_limit(1)

-- A log function that keeps its lines.
local function log_sink()
  local lines = {}
  return function(msg) lines[#lines + 1] = msg end, lines
end

describe("breaker (per VM, fake clock)", function()
  local clock
  local function new(extra)
    clock = { t = 1000 }
    local opts = { name = "imsdk", now = function() return clock.t end }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return authcodes.breaker(opts)
  end
  local fail = authcodes.new(BACKOFF)

  it("is closed at first and opens after `failures` consecutive retryable failures", function()
    local b = new()
    assert.are.equal("closed", b:state())
    for _ = 1, 4 do b:record(fail) end
    assert.is_true(b:allow())
    b:record(fail)
    local go, wait = b:allow()
    assert.is_false(go)
    assert.are.equal(5, wait)
    assert.are.equal("open", b:state())
  end)

  it("is reset by a success and by a non-retryable error (the vendor answered)", function()
    local b = new()
    for _ = 1, 4 do b:record(fail) end
    b:record(nil)
    for _ = 1, 4 do b:record(fail) end
    b:record(authcodes.new(NEVER))
    for _ = 1, 4 do b:record(fail) end
    assert.are.equal("closed", b:state())
  end)

  it("opens on the failure rate over a window, with at least min_calls calls", function()
    local b = new { failures = 100 }
    for i = 1, 19 do b:record(i % 2 == 1 and fail or nil) end   -- 10 of 19 failed
    assert.are.equal("closed", b:state())
    b:record(fail)                                              -- 11 of 20
    assert.are.equal("open", b:state())
    -- a new window forgets the old one
    b = new { failures = 100 }
    for _ = 1, 10 do b:record(fail) end
    clock.t = clock.t + 10
    for _ = 1, 10 do b:record(nil) end
    b:record(fail)
    assert.are.equal("closed", b:state())
  end)

  it("lets one probe through after the cool-down; its success closes it", function()
    local b = new()
    for _ = 1, 5 do b:record(fail) end
    clock.t = clock.t + 4.5
    local go, wait = b:allow()
    assert.is_false(go)
    assert.are.near(0.5, wait, 1e-9)
    clock.t = clock.t + 0.5
    assert.are.equal("half_open", b:state())
    assert.is_true(b:allow())          -- the probe
    go, wait = b:allow()               -- everyone else waits for it
    assert.is_false(go)
    assert.are.equal(5, wait)          -- probe_timeout
    b:record(nil)
    assert.are.equal("closed", b:state())
    assert.is_true(b:allow())
    for _ = 1, 4 do b:record(fail) end -- counts were reset
    assert.are.equal("closed", b:state())
  end)

  it("opens again for a cool-down when the probe fails; a lost probe frees its place", function()
    local b = new { cooldown = 2, probe_timeout = 1 }
    for _ = 1, 5 do b:record(fail) end
    clock.t = clock.t + 2
    assert.is_true(b:allow())
    b:record(fail)
    local state, left = b:state()
    assert.are.equal("open", state)
    assert.are.equal(2, left)
    clock.t = clock.t + 2
    assert.is_true(b:allow())          -- a probe that never reports...
    assert.is_false(b:allow())
    clock.t = clock.t + 1
    assert.is_true(b:allow())          -- ...frees its place after probe_timeout
  end)

  it("counts what `counts` says", function()
    local b = new { failures = 2, counts = function(err) return err.code == NEVER end }
    b:record(fail); b:record(fail); b:record(fail)
    assert.are.equal("closed", b:state())
    b:record(authcodes.new(NEVER)); b:record(authcodes.new(NEVER))
    assert.are.equal("open", b:state())
  end)

  it("makes retry answer at once with circuit_open (503, Retry-After), fn not called", function()
    local b = new()
    local calls = 0
    local function vendor() calls = calls + 1; return nil, BACKOFF end
    local policy = { breaker = b, budget = false, attempts = 3, sleep = function() end,
                     random = function() return 0 end }
    local res, err, n, why = authcodes.retry(vendor, policy)   -- 3 calls, 3 failures
    assert.is_nil(res); assert.are.equal(3, n); assert.are.equal("attempts", why)
    assert.are.equal(-207, err.code)
    res, err, n, why = authcodes.retry(vendor, policy)         -- 2 more: open
    assert.is_nil(res)
    assert.are.equal(5, calls)
    assert.are.equal("breaker_open", why)
    assert.are.equal(2, n)
    assert.are.equal("circuit_open", err.name)
    assert.are.equal(-207, err.cause.code)                      -- the vendor's last word
    res, err, n, why = authcodes.retry(vendor, policy)
    assert.is_nil(res)
    assert.are.equal(5, calls)                                  -- not called
    assert.are.equal(0, n)
    assert.are.equal("breaker_open", why)
    assert.are.equal("circuit_open", err.name)
    assert.are.equal("UNAVAILABLE", err.class)
    assert.are.equal(503, err.http)
    assert.are.equal("after_delay", err.retry)
    assert.are.equal(5, err.retry_after)
    assert.are.equal("imsdk", err.domain)
    assert.is_true(authcodes.is_error(err))
    assert.matches("^imsdk %- circuit_open %(UNAVAILABLE%)", tostring(err))
    if authcodes.has_json() then
      local p = authcodes.problem(err)
      assert.are.equal(503, p.status)
      assert.are.equal(5, p.retry_after)
    end
    clock.t = clock.t + 4.2
    res, err = authcodes.retry(vendor, policy)
    assert.is_nil(res)
    assert.are.equal(1, err.retry_after)                        -- whole seconds, rounded up
    clock.t = clock.t + 1
    res = authcodes.retry(function() calls = calls + 1; return "ok" end, policy)
    assert.are.equal("ok", res)                                 -- the probe worked
    assert.are.equal("closed", b:state())
  end)

  it("rejects bad options and bad policies", function()
    assert.has_error(function() authcodes.breaker() end,
      "bad argument #1 to 'breaker' (table expected, got nil)")
    assert.has_error(function() authcodes.breaker {} end,
      "bad argument #1 to 'breaker' (opts.name must be a non-empty string (the vendor))")
    assert.has_error(function() authcodes.breaker { name = "x", rate = 2 } end,
      "bad argument #1 to 'breaker' (opts.rate must be a number >= 0 and <= 1)")
    assert.has_error(function() authcodes.breaker { name = "x", redis = 42 } end,
      "bad argument #1 to 'breaker' (opts.redis must be a Redis client (with an eval method) "
        .. "or a function returning one)")
    assert.has_error(function() authcodes.retry(function() end, { breaker = {} }) end,
      "bad argument #2 to 'retry' (policy.breaker must be a breaker (authcodes.breaker()) or false)")
    assert.is_true(breaker_mod.is_breaker(authcodes.breaker { name = "x" }))
  end)
end)

describe("with a real redis-server", function()
  local srv, redis, why
  local clients = {}

  local function connect()
    local c = redis.connect { host = "127.0.0.1", port = srv.port, timeout = 1 }
    clients[#clients + 1] = c
    return c
  end

  -- A redis-lua client that counts the commands the budget sends.
  local function counting(c)
    local n = { evalsha = 0, eval = 0 }
    return setmetatable({
      evalsha = function(_, ...) n.evalsha = n.evalsha + 1; return c:evalsha(...) end,
      eval = function(_, ...) n.eval = n.eval + 1; return c:eval(...) end,
      network = c.network,
    }, { __index = c }), n
  end

  -- A client of 127.0.0.1:port, or nil and why: a connection for each operation.
  local function client_at(port, timeout_s)
    local ok, c = pcall(redis.connect, { host = "127.0.0.1", port = port, timeout = timeout_s })
    if not ok then return nil, c end
    return c
  end

  -- A getter that connects for each operation, as a pool would: survives a restart.
  local function getter()
    return function(timeout_ms) return client_at(srv.port, timeout_ms / 1000) end,
      function(c) pcall(c.quit, c) end
  end

  setup(function()
    redis, why = server.client_module()
    if redis then srv, why = server.start() end
    if not srv then server.skip_loudly("spec/redis_spec.lua (Redis part)", why) end
  end)

  teardown(function()
    for _, c in ipairs(clients) do pcall(c.quit, c) end
    if srv then srv:stop() end
  end)

  before_each(function()
    if srv and srv.pid then pcall(function() connect():flushall() end) end
  end)

  local function need()
    if not srv then pending("redis-server or lua-redis missing: " .. tostring(why)); return false end
    return true
  end

  describe("budget", function()
    it("keeps the budget contract: capacity, cost, refund, available", function()
      if not need() then return end
      local b = authcodes.budget { redis = connect(), key = "t:contract", capacity = 20, cost = 5, timeout = RT }
      assert.are.equal(20, b:available())
      for _ = 1, 4 do assert.is_true(b:acquire()) end
      assert.is_false(b:acquire())
      assert.are.equal(0, b:available())
      b:refund()
      assert.are.equal(1, b:available())
      assert.is_true(b:acquire(1))
      b:refund(100)
      assert.are.equal(20, b:available())
      assert.is_nil(connect():get("t:contract"))       -- full is no key at all
      local d = authcodes.budget { redis = connect(), timeout = RT }
      assert.are.equal(500, d:available())              -- AWS's defaults
      assert.are.equal(5, d.cost)
      assert.is_true(d:acquire())
      assert.are.equal(495, d:available())
      assert.are.equal("495", connect():get("authcodes:retry_budget"))
    end)

    it("is one budget for every client of the same Redis and key", function()
      if not need() then return end
      local a = authcodes.budget { redis = connect(), key = "t:shared", capacity = 10, cost = 5, timeout = RT }
      local b = authcodes.budget { redis = connect(), key = "t:shared", capacity = 10, cost = 5, timeout = RT }
      assert.is_true(a:acquire())
      assert.is_true(b:acquire())
      assert.is_false(a:acquire())
      assert.is_false(b:acquire())
      a:refund(5)
      assert.are.equal(5, b:available())
    end)

    it("stays exact when processes race for it (atomic script)", function()
      if not need() then return end
      local lua = require("spec.helpers").runtime()
      local code = ([[
        package.path = package.path .. ";/usr/share/lua/5.1/?.lua"
        local redis = require "redis"
        local authcodes = require "authcodes"
        local b = authcodes.budget { redis = redis.connect("127.0.0.1", %d), key = "t:race", capacity = 500, cost = 5 }
        local got = 0
        for _ = 1, 60 do if b:acquire() then got = got + 1 end end
        io.write(got)
      ]]):format(srv.port)
      local procs = {}
      for i = 1, 4 do
        procs[i] = assert(io.popen(lua .. " -e " .. require("spec.helpers").shell_quote(code) .. " 2>&1"))
      end
      local total = 0
      for i = 1, 4 do
        local out = procs[i]:read("*a")
        procs[i]:close()
        assert.matches("^%d+$", out)
        total = total + tonumber(out)
      end
      assert.are.equal(100, total)       -- 4 x 60 asked, 500 / 5 given
    end)

    it("sends EVALSHA, and EVAL only when Redis does not hold the script", function()
      if not need() then return end
      local c, n = counting(connect())
      local b = authcodes.budget { redis = c, key = "t:sha", timeout = RT }
      connect():script("flush")
      assert.is_true(b:acquire())
      assert.are.same({ evalsha = 1, eval = 1 }, n)      -- NOSCRIPT, then EVAL (loads it)
      b:refund(); b:available(); assert.is_true(b:acquire())
      assert.are.same({ evalsha = 4, eval = 1 }, n)      -- the SHA-1 in the module is right
      local br = authcodes.breaker { name = "sha", redis = c, timeout = RT }
      br:allow(); br:record(nil); br:allow()
      assert.are.same({ evalsha = 7, eval = 2 }, n)
      connect():script("flush")
      assert.is_true(b:acquire())
      assert.are.same({ evalsha = 8, eval = 3 }, n)
    end)

    it("works with a client that has only eval (the minimal interface)", function()
      if not need() then return end
      local c = connect()
      local calls = 0
      local minimal = { eval = function(_, ...) calls = calls + 1; return c:eval(...) end }
      local b = authcodes.budget { redis = minimal, key = "t:minimal", capacity = 10, cost = 5, timeout = RT }
      assert.is_true(b:acquire()); assert.is_true(b:acquire()); assert.is_false(b:acquire())
      assert.are.equal(3, calls)
    end)

    it("works with a client that makes a command of any method name (as skynet's does)", function()
      if not need() then return end
      local c = connect()
      local asked = {}
      local any = setmetatable({}, { __index = function(_, k)
        asked[#asked + 1] = k
        return function(_, ...)
          local f = c[k]
          if f == nil then error("redis error: ERR unknown command '" .. k .. "'") end
          return f(c, ...)
        end
      end })
      local log, lines = log_sink()
      local b = authcodes.budget { redis = any, key = "t:any", capacity = 10, cost = 5, log = log, timeout = RT }
      assert.is_true(b:acquire())
      assert.are.equal("5", connect():get("t:any"))
      assert.are.same({}, lines)
      for _, k in ipairs(asked) do assert.is_truthy(k == "eval" or k == "evalsha", k) end
    end)

    it("falls back to the local budget when Redis is down, logs once per interval, never raises", function()
      if not need() then return end
      local log, lines = log_sink()
      local port = process.free_port()
      local function down() return client_at(port, 0.05) end   -- nothing listens there
      local b = authcodes.budget { redis = down, key = "t:down", capacity = 20, cost = 5, log = log,
                                   log_interval = 0.3 }
      local t0 = core.now()
      local got = 0
      for _ = 1, 10 do if b:acquire() then got = got + 1 end end
      assert.are.equal(4, got)                 -- the local budget: 20 / 5
      assert.are.equal(0, b:available())
      assert.is_true(core.now() - t0 < 0.5)
      assert.are.equal(1, #lines)
      assert.matches("retry budget t:down: Redis failed %(no connection: .*could not connect", lines[1])
      assert.matches("using the local backend", lines[1])
      process.sleep(0.35)
      b:acquire()
      assert.are.equal(2, #lines)              -- one more line after log_interval
      assert.matches("11 operation%(s%) fell back", lines[2])   -- 9 + available + this one
      for _, l in ipairs(lines) do assert.is_nil(l:find("[%c\128-\255]")) end
    end)

    it("gives up on a Redis that does not answer within the timeout", function()
      if not need() then return end
      local socket = require "socket"
      local mute = assert(socket.bind("127.0.0.1", 0))   -- accepts connections, never answers
      local _, mport = mute:getsockname()
      local c = redis.connect { host = "127.0.0.1", port = mport, timeout = 5 }
      local log, lines = log_sink()
      local b = authcodes.budget { redis = c, key = "t:mute", capacity = 10, cost = 5, log = log, timeout = 0.05 }
      local t0 = core.now()
      assert.is_true(b:acquire())
      local took = core.now() - t0
      assert.is_true(took >= 0.04 and took < 0.3, "took " .. took)
      t0 = core.now()
      assert.is_true(b:acquire())              -- Redis is left alone for `recheck`: at once
      assert.is_false(b:acquire())
      assert.is_true(core.now() - t0 < 0.02)
      assert.are.equal(1, #lines)
      assert.matches("timeout", lines[1])
      mute:close()
    end)

    it("never raises, whatever the client does", function()
      if not need() then return end
      local log = log_sink()
      local weird = {
        { eval = function() error("boom\n\0\255") end },
        { eval = function() return nil end },
        { eval = function() return false, "ERR something" end },
        { eval = function() return { "x", "y" } end },
        { eval = function() return "OK" end },
      }
      for _, w in ipairs(weird) do
        local b = authcodes.budget { redis = w, capacity = 10, cost = 5, log = log }
        assert.is_true(b:acquire())
        b:refund()
        assert.is_number(b:available())
      end
      local b = authcodes.budget { redis = function() error("no pool") end, capacity = 10, cost = 5, log = log }
      assert.is_true(b:acquire())
      b = authcodes.budget { redis = connect(), log = function() error("bad log") end, timeout = 0 }
      assert.is_true(b:acquire())
    end)

    it("comes back to Redis when it returns (killed mid-run, restarted)", function()
      if not need() then return end
      local get, release = getter()
      local log, lines = log_sink()
      local b = authcodes.budget { redis = get, release = release, key = "t:kill", capacity = 50, cost = 5,
                                   log = log, recheck = 0.1, timeout = RT }
      for _ = 1, 3 do assert.is_true(b:acquire()) end
      assert.are.equal(35, b:available())
      srv:kill()
      for _ = 1, 3 do assert.is_true(b:acquire()) end          -- the local budget (full)
      assert.are.equal(35, b:available())
      srv:restart()                                              -- empty: nothing was saved
      process.sleep(0.15)
      assert.is_true(b:acquire())
      assert.are.equal(45, b:available())                        -- Redis's count again
      assert.are.equal("45", connect():get("t:kill"))
      assert.matches("Redis answers again", lines[#lines])
    end)

    it("is accepted by retry, and rejects bad options", function()
      if not need() then return end
      local b = authcodes.budget { redis = connect(), key = "t:retry", capacity = 10, cost = 5, timeout = RT }
      local n = 0
      local res, _, tries = authcodes.retry(function() n = n + 1; return nil, BACKOFF end,
        { budget = b, attempts = 5, sleep = function() end, random = function() return 0 end })
      assert.is_nil(res)
      assert.are.equal(3, tries)               -- 2 retries: 10 tokens / 5
      assert.are.equal(0, b:available())
      assert.has_error(function() authcodes.budget { redis = 42 } end,
        "bad argument #1 to 'budget' (opts.redis must be a Redis client (with an eval method) "
          .. "or a function returning one)")
      assert.has_error(function() authcodes.budget { redis = connect(), timeout = -1 } end,
        "bad argument #1 to 'budget' (opts.timeout must be a number >= 0)")
      assert.has_error(function() authcodes.budget { redis = connect(), key = "" } end,
        "bad argument #1 to 'budget' (opts.key must be a non-empty string)")
    end)
  end)

  describe("breaker", function()
    it("is one breaker for every client: failures on one machine open it for all", function()
      if not need() then return end
      local a = authcodes.breaker { name = "v1", redis = connect(), cooldown = 0.3, probe_timeout = 0.3, timeout = RT }
      local b = authcodes.breaker { name = "v1", redis = connect(), cooldown = 0.3, probe_timeout = 0.3, timeout = RT }
      local fail = authcodes.new(BACKOFF)
      for _ = 1, 3 do a:record(fail) end
      for _ = 1, 2 do b:record(fail) end
      local go, wait = a:allow()
      assert.is_false(go)
      assert.is_true(wait > 0 and wait <= 0.3)
      assert.are.equal("open", (b:state()))
      process.sleep(0.35)
      assert.are.equal("half_open", b:state())
      assert.is_true(b:allow())            -- one probe, fleet-wide
      assert.is_false(a:allow())
      assert.is_false(b:allow())
      b:record(nil)
      assert.are.equal("closed", a:state())
      assert.is_true(a:allow())
      local keys = connect():keys("authcodes:breaker:{v1}:*")
      for _, k in ipairs(keys) do assert.matches("^authcodes:breaker:{v1}:%a+$", k) end
    end)

    it("falls back to this VM's state when Redis is down", function()
      if not need() then return end
      local log, lines = log_sink()
      local port = process.free_port()
      local br = authcodes.breaker { name = "v2", log = log, redis = function() return client_at(port, 0.05) end }
      local fail = authcodes.new(BACKOFF)
      for _ = 1, 5 do br:record(fail) end
      assert.is_false(br:allow())
      assert.are.equal(1, #lines)
      assert.matches("breaker v2: Redis failed", lines[1])
    end)
  end)
end)
