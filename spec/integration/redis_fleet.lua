-- Issue #16 with real parts: Debian's redis-server and two nginx instances (standing for
-- two machines, 2 workers each) sharing one retry budget and one circuit breaker in
-- Redis. Everything on free ports of 127.0.0.1, started here and stopped at the end
-- (lazy_teardown), also when a check failed; spec/integration/redis.sh runs it and
-- makes sure nothing is left (make check-redis, suite "redis").
--
--   make LUA=luajit && lua5.4 /usr/bin/busted spec/integration/redis_fleet.lua
--
-- Checks, with the vendor down (every call answers iMSDK -207, transient):
-- * retries across both instances: per worker, shared dict, Redis. With Redis, exactly
--   capacity/cost (500/5 = 100): the slack is 0 while Redis answers (one atomic script
--   per acquire); it is only while Redis fails that each worker's local budget adds up
--   to its own capacity/cost;
-- * the breaker opens fleet-wide (failures on one instance, the other answers 503
--   circuit_open with Retry-After, without calling the vendor), lets one probe through
--   after the cool-down, and closes on its success;
-- * a Redis that accepts connections and never answers: each operation gives up after
--   its timeout and the local budget stands in; logged once per interval;
-- * Redis down: each instance's breaker and budget go on in its shared dict;
-- * Redis killed in the middle of a load: every request still gets its answer, no Lua
--   error in the logs, the fallback is logged once per interval (not per call), and
--   once Redis is back the budget is Redis's again (100 retries for a new outage).
-- Then, measured (not asserted): requests per worker CPU-second of a budget acquire
-- in a shared dict and in Redis (REDIS_BENCH_SECONDS each, default 2).
--
-- Environment: AUTHCODES_TMP (where the temporary directories go; default /tmp),
-- AUTHCODES_ROOT (the checkout; default: the current directory), NGINX,
-- REDIS_FLEET_LOGINS (logins per instance per outage, default 300), REDIS_METRICS (a
-- file for the numbers), REDIS_BENCH_SECONDS.

local cjson = require "cjson"
local helpers = require "spec.helpers"
local server = require "spec.redis_server"
local process = require "spec.process"

local quote, readfile, writefile = helpers.shell_quote, helpers.read, helpers.write
local run = process.run

local ROOT = os.getenv("AUTHCODES_ROOT") or select(2, run("pwd")):gsub("%s+$", "")
local NGINX = os.getenv("NGINX") or "nginx"
local LOGINS = tonumber(os.getenv("REDIS_FLEET_LOGINS")) or 300
local BENCH_SECONDS = tonumber(os.getenv("REDIS_BENCH_SECONDS")) or 2
local HERE = ROOT .. "/spec/integration/redis"
local CAPACITY, COST = 500, 5

local redis_srv, rclient
local mute, mute_port    -- a listening socket that never accepts: a Redis that never answers
local instances = {}
local metrics = {}

local function start_nginx(name)
  local _, dir = run("mktemp -d " .. quote((os.getenv("AUTHCODES_TMP") or "/tmp") .. "/authcodes-fleet.XXXXXX"))
  local inst = { name = name, dir = dir:gsub("%s+$", "") }
  assert(run("mkdir -p " .. quote(inst.dir .. "/logs")))
  writefile(inst.dir .. "/fleet_handler.lua", assert(readfile(HERE .. "/fleet_handler.lua")))
  writefile(inst.dir .. "/vendor_sim.lua", assert(readfile(ROOT .. "/examples/nginx/vendor_sim.lua")))
  local template = assert(readfile(HERE .. "/nginx.conf"))
  local function write_conf()
    inst.port = process.free_port()
    local conf = template:gsub("127%.0%.0%.1:8080", "127.0.0.1:" .. inst.port)
      :gsub("AUTHCODES_ROOT/", (ROOT:gsub("%%", "%%%%")) .. "/")
    writefile(inst.dir .. "/nginx.conf", conf)
    return inst.port
  end
  inst.master, inst.workers = process.start_nginx(NGINX, inst.dir, write_conf,
    "AUTHCODES_REDIS_PORT=" .. redis_srv.port .. " AUTHCODES_MUTE_PORT=" .. mute_port)
  inst.base = "http://127.0.0.1:" .. inst.port
  instances[#instances + 1] = inst
  return inst
end

local function stop_nginx(inst)
  if not inst.master then return end
  local master = inst.master
  inst.master = nil
  process.stop_nginx(master)
end

-- Start n requests to `path` on an instance, 8 at a time (curl --parallel, so they
-- spread over both workers: reuseport); returns a function that waits for them and
-- gives { {status=, attempts=, stop=}, ... }.
local function batch(inst, n, query)
  local url = ("%s/login?%s&n=[1-%d]"):format(inst.base, query, n)
  local p = assert(io.popen("curl -sS --no-progress-meter --max-time 20 --parallel --parallel-max 8 -o /dev/null " ..
    "-w '%{http_code} %header{x-auth-attempts} %header{x-stop}\\n' " .. quote(url) .. " 2>&1"))
  return function()
    local out = p:read("a")
    p:close()
    local list = {}
    for line in out:gmatch("[^\n]+") do
      local status, attempts, stop = line:match("^(%d+) (%d*) ?(%S*)")
      assert(status, "curl said: " .. line)
      list[#list + 1] = { status = tonumber(status), attempts = tonumber(attempts), stop = stop ~= "" and stop or nil }
    end
    return list
  end
end

local function get(inst, path)
  local ok, out = run("curl -sS --max-time 10 -D - " .. quote(inst.base .. path))
  assert(ok, out)
  local head, body = out:match("^(.-)\r\n\r\n(.*)$")
  local h = {}
  for k, v in head:gmatch("\n([%w%-]+):%s*([^\r\n]*)") do h[k:lower()] = v end
  return tonumber(head:match("^HTTP/%S+ (%d+)")), h, body
end

local function stats()
  local calls, logins = 0, 0
  for _, inst in ipairs(instances) do
    local _, _, body = get(inst, "/stats")
    local s = cjson.decode(body)
    calls, logins = calls + s.vendor_calls, logins + s.logins
  end
  return calls, logins
end

-- An outage on both instances at once: LOGINS logins each; returns the retries made
-- (vendor calls beyond one per login) and every answer.
local function outage(query)
  local calls0, logins0 = stats()
  local waits = {}
  for i, inst in ipairs(instances) do waits[i] = batch(inst, LOGINS, query .. "&code=-207") end
  local answers = {}
  for _, w in ipairs(waits) do for _, a in ipairs(w()) do answers[#answers + 1] = a end end
  local calls, logins = stats()
  assert.are.equal(2 * LOGINS, logins - logins0)
  return (calls - calls0) - (logins - logins0), answers
end

local function log_of(inst) return readfile(inst.dir .. "/logs/error.log") or "" end

local function count(s, pattern)
  local n = 0
  for _ in s:gmatch(pattern) do n = n + 1 end
  return n
end

-- No Lua error in any log: nothing raised into a handler. With `sockets`, nginx's
-- own line for each pooled Redis connection that broke (recv() failed... reset by peer)
-- is allowed, up to that many per instance: one per connection, not per call.
local function assert_no_lua_error(sockets)
  for _, inst in ipairs(instances) do
    local log = log_of(inst)
    assert.is_nil(log:find("runtime error", 1, true), log)
    assert.is_nil(log:find("%[alert%]"), log)
    assert.is_nil(log:find("%[emerg%]"), log)
    local n = 0
    for line in log:gmatch("[^\n]+") do
      if line:find("[error]", 1, true) then
        n = n + 1
        assert.is_truthy(sockets and line:find("%) failed %(%d+: ") , line)
      end
    end
    assert.is_true(n <= (sockets or 0), n .. " error lines")
  end
end

-- CPU seconds (user + system) of an instance's workers so far.
local function cpu(inst)
  local ticks = 0
  for _, pid in ipairs(inst.workers) do
    local s = readfile("/proc/" .. pid .. "/stat") or ""
    local after = s:match("^%d+ %b() (.*)$") or ""
    local f = {}
    for x in after:gmatch("%S+") do f[#f + 1] = x end
    ticks = ticks + (tonumber(f[12]) or 0) + (tonumber(f[13]) or 0)
  end
  return ticks / 100   -- USER_HZ
end

describe("a fleet of 2 nginx x 2 workers sharing a Redis budget and breaker", function()
  local skipped
  lazy_setup(function()
    local why
    if not rclient then
      local redis
      redis, why = server.client_module()
      if redis then
        redis_srv, why = server.start()
        if redis_srv then rclient = redis.connect { host = "127.0.0.1", port = redis_srv.port, timeout = 2 } end
        server.redis = redis
      end
    end
    if not redis_srv then
      skipped = why
      server.skip_loudly("spec/integration/redis_fleet.lua", why)
      return
    end
    assert(readfile(ROOT .. "/build/luajit/authcodes/core.so"), "build/luajit/authcodes/core.so: run make LUA=luajit")
    mute = assert(require("socket").bind("127.0.0.1", 0))
    mute_port = select(2, mute:getsockname())
    start_nginx("A")
    start_nginx("B")
  end)

  lazy_teardown(function()
    for _, inst in ipairs(instances) do stop_nginx(inst) end
    for _, inst in ipairs(instances) do
      if os.getenv("REDIS_FLEET_KEEP") ~= "1" then run("rm -rf " .. quote(inst.dir)) end
    end
    if rclient then pcall(rclient.quit, rclient) end
    if redis_srv then redis_srv:stop() end
    if mute then mute:close() end
    local f = os.getenv("REDIS_METRICS")
    if f then
      local lines = {}
      for _, k in ipairs { "outage", "bench" } do if metrics[k] then lines[#lines + 1] = metrics[k] end end
      writefile(f, table.concat(lines, "\n") .. "\n")
    end
  end)

  local function need()
    if skipped then pending("not run: " .. tostring(skipped)); return false end
    return true
  end

  local function redis_cmd(cmd, ...)
    local ok, res = pcall(rclient[cmd], rclient, ...)
    return ok and res or nil
  end

  it("keeps retries during an outage at capacity/cost across both instances (vm vs dict vs Redis)", function()
    if not need() then return end
    local got = {}
    for _, backend in ipairs { "vm", "dict", "redis" } do
      local retries, answers = outage("backend=" .. backend)
      got[backend] = retries
      for _, a in ipairs(answers) do
        assert.are.equal(503, a.status)
        assert.is_true(a.attempts >= 1 and a.attempts <= 3)
      end
    end
    local per = CAPACITY / COST
    for _, inst in ipairs(instances) do            -- Redis answered every operation...
      assert.is_nil(log_of(inst):find("Redis failed", 1, true), log_of(inst))
    end
    assert.are.equal(per, got.redis)                -- ...so: one budget for the fleet, slack 0
    assert.are.equal(2 * per, got.dict)             -- one per instance
    -- One per worker: 4 x 100 when each worker had 50 logins or more (with reuseport,
    -- the kernel chooses), 2 x 100 at least.
    assert.is_true(got.vm >= 2 * per and got.vm <= 4 * per, "per worker: " .. got.vm)
    assert.are.equal("0", redis_cmd("get", "authcodes:test:budget"))
    metrics.outage = ("redis: outage of %d logins on 2 instances x 2 workers: retries per worker budget %d, " ..
      "shared dict %d, Redis %d (capacity %d, cost %d)"):format(2 * LOGINS, got.vm, got.dict, got.redis, CAPACITY, COST)
    print(metrics.outage)
    assert_no_lua_error()
  end)

  it("opens the breaker for the whole fleet, probes after the cool-down and closes", function()
    if not need() then return end
    local A, B = instances[1], instances[2]
    -- Failed logins on A until 5 consecutive failures open it (the budget may allow
    -- no retry: the test before drained it).
    local opened
    for _ = 1, 6 do
      local status, h = get(A, "/login?backend=redis&breaker=1&code=-207")
      assert.are.equal(503, status)
      if h["x-stop"] == "breaker_open" then opened = true; break end
    end
    assert.is_true(opened)
    local calls0 = stats()
    local status, h, body = get(B, "/login?backend=redis&breaker=1&code=-207")
    assert.are.equal(503, status)
    assert.are.equal("0", h["x-auth-attempts"])
    assert.are.equal("breaker_open", h["x-stop"])
    assert.are.equal("application/problem+json", h["content-type"])
    local p = cjson.decode(body)
    assert.are.equal("circuit_open", p.name)
    assert.are.equal("UNAVAILABLE", p.class)
    local ra = tonumber(h["retry-after"])                    -- whole seconds to the probe
    assert.is_true(ra >= 1 and ra <= 3, h["retry-after"])
    -- While open, nobody calls the vendor, even once it is healthy again.
    for _, inst in ipairs { A, B, A, B } do
      status, h = get(inst, "/login?backend=redis&breaker=1")
      assert.are.equal(503, status)
      assert.are.equal("breaker_open", h["x-stop"])
    end
    assert.are.equal(calls0, (stats()))
    process.sleep(3.1)                                 -- the cool-down (fleet_handler.lua)
    status, h = get(B, "/login?backend=redis&breaker=1")     -- the probe
    assert.are.equal(200, status)
    assert.are.equal("1", h["x-auth-attempts"])
    for _, inst in ipairs { A, B, A, B } do
      assert.are.equal(200, (get(inst, "/login?backend=redis&breaker=1")))
    end
    assert_no_lua_error()
  end)

  it("gives up on a Redis that never answers within the timeout, and uses the local budget", function()
    if not need() then return end
    local A = instances[1]
    for _ = 1, 6 do
      local ok, out = run("curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{time_total} "
        .. "%header{x-auth-attempts}' " .. quote(A.base .. "/login?backend=mute&code=-207"))
      assert(ok, out)
      local status, seconds, attempts = out:match("^(%d+) ([%d.]+) (%d+)")
      assert.are.equal("503", status)
      assert.are.equal("3", attempts)                 -- the local budget allowed the retries
      -- Bounded: at most a 50 ms timeout per budget operation (and a worker pays it
      -- once per recheck interval), not a hang. Generous: the machine may be loaded.
      assert.is_true(tonumber(seconds) < 1, out)
    end
    local log = log_of(A)
    assert.matches("retry budget mute_budget: Redis failed %(timeout", log)
    -- once per worker per 2 s interval (not per operation: that would be 12 or more)
    assert.is_true(count(log, "retry budget mute_budget: Redis failed") <= 4, "log lines")
    assert_no_lua_error()
  end)

  it("keeps a breaker per instance in its shared dict while Redis is down", function()
    if not need() then return end
    local A, B = instances[1], instances[2]
    redis_srv:kill()
    local opened
    for _ = 1, 6 do
      local status, h = get(A, "/login?backend=redis&breaker=1&code=-207")
      assert.are.equal(503, status)
      if h["x-stop"] == "breaker_open" then opened = true; break end
    end
    assert.is_true(opened, "A's breaker (its shared dict) opened")
    local status, h = get(B, "/login?backend=redis&breaker=1&code=-207")
    assert.are.equal(503, status)
    assert.are.equal("attempts", h["x-stop"])        -- B's own breaker: still closed
    assert.are.equal("3", h["x-auth-attempts"])      -- and B's own budget
    redis_srv:restart()
    rclient = server.redis.connect { host = "127.0.0.1", port = redis_srv.port, timeout = 2 }
    assert_no_lua_error(16)
  end)

  it("keeps answering when Redis is killed mid-run, falls back, and resumes when it returns", function()
    if not need() then return end
    redis_cmd("flushall")
    local t0 = os.time()
    local waits = {}
    for i, inst in ipairs(instances) do
      waits[i] = batch(inst, 2 * LOGINS, "backend=redis&breaker=1&code=-207")
    end
    process.sleep(0.3)
    redis_srv:kill()
    process.sleep(1)
    redis_srv:restart()
    local answers = {}
    for _, w in ipairs(waits) do for _, a in ipairs(w()) do answers[#answers + 1] = a end end
    local seconds = os.time() - t0 + 1
    assert.are.equal(4 * LOGINS, #answers)
    for _, a in ipairs(answers) do
      assert.are.equal(503, a.status)                 -- the vendor's -207, or circuit_open
      assert.is_true(a.attempts >= 0 and a.attempts <= 3)
    end
    -- Pooled connections: at most 8 concurrent requests x (budget + breaker) per instance.
    assert_no_lua_error(16)
    -- Logged once per interval (2 s) per worker and object (budget, breaker), not per call.
    local fell = 0
    for _, inst in ipairs(instances) do fell = fell + count(log_of(inst), "Redis failed") end
    assert.is_true(fell >= 1, "the fallback was used")
    assert.is_true(fell <= 4 * 2 * (math.ceil(seconds / 2) + 1), "log lines: " .. fell)
    -- Redis is back (and empty): after the recheck interval the budget is Redis's again.
    process.sleep(0.6)
    rclient = server.redis.connect { host = "127.0.0.1", port = redis_srv.port, timeout = 2 }
    local retries = outage("backend=redis")
    assert.are.equal(CAPACITY / COST, retries)
    assert.are.equal("0", redis_cmd("get", "authcodes:test:budget"))
    local back = 0
    for _, inst in ipairs(instances) do back = back + count(log_of(inst), "Redis answers again") end
    assert.is_true(back >= 1)
    assert_no_lua_error(16)
  end)

  it("measures a budget acquire and a breaker's allow+record: shared dict vs Redis, per worker CPU-second", function()
    if not need() then return end
    local A = instances[1]
    local out = {}
    for _, b in ipairs { "noop", "dict", "redis", "breaker_dict", "breaker_redis" } do
      local c0 = cpu(A)
      local ok, text = run(("wrk -t1 -c8 -d%ds %s"):format(BENCH_SECONDS, quote(A.base .. "/bench?b=" .. b)))
      assert(ok, text)
      local c1 = cpu(A)
      assert.is_nil(text:find("Non%-2xx"), text)
      local reqs = tonumber(text:match("(%d+) requests in"))
      out[#out + 1] = ("%s %.0f req/worker-CPU-s (%d requests, %.2f CPU-s)"):format(b, reqs / math.max(c1 - c0, 0.01),
        reqs, c1 - c0)
    end
    metrics.bench = "redis: budget acquire, breaker allow+record in nginx (2 workers, wrk -t1 -c8): "
      .. table.concat(out, "; ")
    print(metrics.bench)
    assert_no_lua_error(16)
  end)
end)
