-- main: the test itself, started by spec/integration/skynet.sh as skynet's `start`
-- service. It reads its settings from the config (authcodes_*), runs the phases below,
-- logs one `authcodes-skynet: ...` line per measurement and per failure, then
-- a summary and `authcodes-skynet: PASS` or `FAIL (n)` (also written to the file
-- <authcodes_run_dir>/verdict, which the script reads) and aborts skynet (the script
-- stops it too if it does not). Variant "blocking" is the control: there the probes must
-- see the service late.
--
--   ping    per sleep variant: a login service retries twice (the vendor's -207), waiting
--           `authcodes_wait` s each time, while a probe pings it every 10 ms. The pings
--           must be answered within `authcodes_bound_ms` all along: the service waits
--           without blocking.
--   timer   per sleep variant: 8 login services (more than the 4 worker threads) wait
--           at once, while a 10 ms timer in another service must fire within
--           10 ms + `authcodes_bound_ms`: no worker thread is blocked.
--   errors  what the client gets: a fatal code, attempts used up, a request without a
--           token (`new`), a game code of a registered domain (`register`), as `format`
--           json and log lines.
--   readme  README.md's skynet example, as a service, logging in through a retry.
--   walk    the whole catalog walk (catalog_walk.lua) here, identical to lua5.4's.
--   crowd   `authcodes_crowd` services at once on the worker threads, each walking the
--           whole catalog (a slice of it compared with lua5.4's walk), registering and
--           retrying.
local skynet = require "skynet"
require "skynet.manager"   -- skynet.kill, skynet.abort
local cjson = require "cjson.safe"

local function setting(k)
  local v = skynet.getenv(k)
  assert(v ~= nil, "config lacks " .. k)
  return v
end

local WAIT = tonumber(setting("authcodes_wait"))
local BOUND = tonumber(setting("authcodes_bound_ms"))
local CROWD = tonumber(setting("authcodes_crowd"))
local EXPECT_MD5 = setting("authcodes_expect_md5")   -- the whole walk's
local EXPECT_SLICES = {}                                -- each slice's, in order
for sum in setting("authcodes_expect_slices"):gmatch("%x+") do EXPECT_SLICES[#EXPECT_SLICES + 1] = sum end
local EXPECT_ENTRIES = tonumber(setting("authcodes_expect_entries"))
local RUN_DIR = setting("authcodes_run_dir")

local failures = 0
local worst = { ping = 0, timer = 0 }   -- slowest ping / 10 ms timer while services waited
local function report(fmt, ...) skynet.error("authcodes-skynet: " .. string.format(fmt, ...)) end
local function check(ok, fmt, ...)
  if not ok then
    failures = failures + 1
    report("FAIL " .. fmt, ...)
  end
  return ok
end

-- Run every function at once (each in its own coroutine); their results in order.
local function all(fns)
  local results, left, co = {}, #fns, coroutine.running()
  for i, f in ipairs(fns) do
    skynet.fork(function()
      local ok, r = pcall(f)
      results[i] = ok and r or { error = tostring(r) }
      left = left - 1
      if left == 0 then skynet.wakeup(co) end
    end)
  end
  if left > 0 then skynet.wait(co) end
  return results
end

local function ping_phase(vendor, variant, expect_on_time)
  local uid = "ping-" .. variant
  local login = skynet.newservice("login", vendor, variant)
  local probe = skynet.newservice("probe", "ping")
  skynet.call(vendor, "lua", "script", uid, { -207, -207 })
  skynet.call(probe, "lua", "start", login)
  local r = skynet.call(login, "lua", "login", { uid = uid, token = "tok", wait = WAIT })
  local st = skynet.call(probe, "lua", "stop")
  local calls = skynet.call(vendor, "lua", "calls", uid)
  report("ping/%s: login retried %d times in %.3f s (waits of %.2f s); "
    .. "%d pings to it meanwhile, max %.1f ms, mean %.1f ms",
    variant, calls - 1, r.elapsed or -1, WAIT, st.n, st.max_ms, st.mean_ms)
  check(r.ok and r.name == "success" and r.openid == "oid-" .. uid,
    "ping/%s: login failed: %s", variant, tostring(r.log))
  check(calls == 3, "ping/%s: the vendor was called %d times, 3 expected", variant, calls)
  check(r.elapsed and r.elapsed >= 2 * WAIT * 0.99 - 0.011,
    "ping/%s: the login did not wait (%.3f s)", variant, r.elapsed or -1)
  if expect_on_time then
    worst.ping = math.max(worst.ping, st.max_ms)
    check(st.max_ms <= BOUND, "ping/%s: a ping waited %.1f ms (bound %d ms): the login service blocked",
      variant, st.max_ms, BOUND)
    check(st.n >= 10, "ping/%s: only %d pings answered in %.2f s", variant, st.n, r.elapsed or -1)
  else  -- the control: the measurement must see a blocked service
    check(st.max_ms > BOUND, "ping/%s (control): the blocked service answered within %.1f ms", variant, st.max_ms)
  end
  skynet.kill(probe)
  skynet.kill(login)
end

local function timer_phase(vendor, variant, expect_on_time)
  local probe = skynet.newservice("probe", "timer")
  local logins, calls = {}, {}
  for i = 1, 8 do
    local uid = "timer-" .. variant .. "-" .. i
    skynet.call(vendor, "lua", "script", uid, { -207, -207 })
    local login = skynet.newservice("login", vendor, variant)
    logins[i] = login
    calls[i] = function() return skynet.call(login, "lua", "login", { uid = uid, token = "tok", wait = WAIT }) end
  end
  local t0 = skynet.hpc()
  skynet.call(probe, "lua", "start")
  local results = all(calls)
  local st = skynet.call(probe, "lua", "stop")
  local took = (skynet.hpc() - t0) / 1e9
  local ok = 0
  for i, r in ipairs(results) do
    if check(r.ok and r.name == "success", "timer/%s: login %d failed: %s", variant, i, tostring(r.log or r.error)) then
      ok = ok + 1
    end
  end
  report("timer/%s: %d logins waiting at once on %s worker threads for %.3f s; "
    .. "%d timers of 10 ms meanwhile, slowest %.1f ms, mean %.1f ms",
    variant, ok, skynet.getenv("thread"), took, st.n, st.max_ms, st.mean_ms)
  if expect_on_time then
    worst.timer = math.max(worst.timer, st.max_ms)
    check(st.max_ms <= 10 + BOUND, "timer/%s: a 10 ms timer took %.1f ms (bound %d ms): worker threads blocked",
      variant, st.max_ms, 10 + BOUND)
    check(st.n >= 10, "timer/%s: only %d timers fired in %.2f s", variant, st.n, took)
  else
    check(st.max_ms > 10 + BOUND, "timer/%s (control): timers stayed within %.1f ms", variant, st.max_ms)
  end
  skynet.kill(probe)
  for _, l in ipairs(logins) do skynet.kill(l) end
end

local function errors_phase(vendor)
  local login = skynet.newservice("login", vendor, "explicit")
  local function login_as(uid, codes, req)
    if codes then skynet.call(vendor, "lua", "script", uid, codes) end
    req.uid, req.wait = uid, req.wait or 0.01
    return skynet.call(login, "lua", "login", req)
  end
  local function expect_refusal(what, r, name, http, attempts, domain)
    local body = r.body and cjson.decode(r.body)
    check(r.ok == false and r.name == name and r.http == http and r.attempts == attempts,
      "errors/%s: got ok=%s name=%s http=%s attempts=%s", what, tostring(r.ok), tostring(r.name),
      tostring(r.http), tostring(r.attempts))
    check(type(body) == "table" and body.name == name and body.domain == domain and body.http == http,
      "errors/%s: json body %s", what, tostring(r.body))
    check(type(r.log) == "string" and r.log:find("name=" .. name, 1, true) and not r.log:find("[\r\n]"),
      "errors/%s: log line %s", what, tostring(r.log))
  end
  expect_refusal("fatal code", login_as("fatal", { -1108 }, { token = "t" }), "ext_token_missing", 400, 1, "imsdk")
  expect_refusal("attempts used up", login_as("outage", { -207, -207, -207 }, { token = "t" }),
    "session_get_failed", 503, 3, "imsdk")
  expect_refusal("no token (new)", login_as("anon", nil, {}), "session_invalid", 401, 0, "imsdk")
  expect_refusal("registered code", login_as("banned", nil, { token = "t", banned = true }),
    "account_banned", 403, 0, "game")
  report("errors: fatal code, attempts used up, new() and a registered code answered as json and log lines")
  skynet.kill(login)
end

-- README.md's skynet example, as a service (readme.lua: the example's code, then a
-- dispatch that calls its `login`), against the vendor named ".imsdk".
local function readme_phase(vendor)
  local svc = skynet.newservice("readme")
  skynet.call(vendor, "lua", "script", "readme-ok", { -207 })
  local reply, body = skynet.call(svc, "lua", "login", "readme-ok", "tok")
  check(type(reply) == "table" and reply.openid == "oid-readme-ok" and body == nil,
    "readme: a retried login did not succeed: %s", tostring(body))
  check(skynet.call(vendor, "lua", "calls", "readme-ok") == 2, "readme: the -207 was not retried once")
  skynet.call(vendor, "lua", "script", "readme-fatal", { -1108 })
  reply, body = skynet.call(svc, "lua", "login", "readme-fatal", "tok")
  local decoded = type(body) == "string" and cjson.decode(body)
  check(reply == nil and type(decoded) == "table" and decoded.name == "ext_token_missing",
    "readme: a fatal code gave %s, %s", tostring(reply), tostring(body))
  report("readme: README.md's skynet example logs in through a -207, and answers -1108 as json")
  skynet.kill(svc)
end

-- The whole walk once in this service: every answer, as text, identical to lua5.4's.
local function walk_phase()
  local walk = require "catalog_walk"
  local t0 = skynet.hpc()
  local lines, n, problems = walk.walk(require "authcodes", cjson)
  local text = table.concat(lines, "\n") .. "\n"
  local sum = require("md5").sumhexa(text)
  for _, p in ipairs(problems) do check(false, "walk: %s", p) end
  check(#EXPECT_SLICES == walk.SLICES, "walk: %d slice sums given, %d expected", #EXPECT_SLICES, walk.SLICES)
  check(n == EXPECT_ENTRIES, "walk: %d entries, %d expected", n, EXPECT_ENTRIES)
  if not check(sum == EXPECT_MD5, "walk: differs from lua5.4's (see %s/main-walk.txt)", RUN_DIR) then
    local f = io.open(RUN_DIR .. "/main-walk.txt", "w")
    if f then f:write(text) f:close() end
  end
  report("walk: %d entries, %d answers in %.3f s, identical to lua5.4's: %s", n, #lines, (skynet.hpc() - t0) / 1e9,
    tostring(sum == EXPECT_MD5))
end

local function crowd_phase(vendor)
  local t0 = skynet.hpc()
  local runs = {}
  for i = 1, CROWD do
    local s = skynet.newservice("crowd", i)
    runs[i] = function() return skynet.call(s, "lua", "run", vendor, EXPECT_SLICES) end
  end
  local started = skynet.hpc()
  local results = all(runs)
  local took = (skynet.hpc() - started) / 1e9
  local same, events, walk_s = 0, {}, 0
  for i, r in ipairs(results) do
    if r.error then
      check(false, "crowd %d: %s", i, r.error)
    else
      for _, p in ipairs(r.problems) do check(false, "crowd %d: %s", i, p) end
      check(r.entries == EXPECT_ENTRIES, "crowd %d: walked %s entries, %d expected",
        i, tostring(r.entries), EXPECT_ENTRIES)
      if check(r.md5 == EXPECT_SLICES[r.slice + 1], "crowd %d: walk differs from lua5.4's (see %s/crowd-%d.txt)",
        i, RUN_DIR, i) then
        same = same + 1
      elseif r.text then
        local f = io.open(RUN_DIR .. "/crowd-" .. i .. ".txt", "w")
        if f then f:write(r.text) f:close() end
      end
      walk_s = walk_s + (r.walk_to - r.walk_from) / 1e9
      events[#events + 1] = { r.walk_from, 1 }
      events[#events + 1] = { r.walk_to, -1 }
    end
  end
  table.sort(events, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  local at_once, most = 0, 0
  for _, e in ipairs(events) do
    at_once = at_once + e[2]
    if at_once > most then most = at_once end
  end
  report("crowd: %d services on %s worker threads, each walked %d entries and retried; "
    .. "%d walks (a slice each as text) identical to lua5.4's; up to %d walks running at the same moment; "
    .. "%.2f s (%.2f s with start-up), a walk %.3f s on average",
    CROWD, skynet.getenv("thread"), EXPECT_ENTRIES, same, most, took, (skynet.hpc() - t0) / 1e9, walk_s / CROWD)
  check(most >= 2, "crowd: no two walks ever ran at the same moment (on two worker threads)")
end

local function run()
  report("%s, skynet thread = %s", _VERSION, skynet.getenv("thread"))
  local vendor = skynet.newservice("vendor")
  skynet.name(".imsdk", vendor)
  for variant in setting("authcodes_sleep_variants"):gmatch("%S+") do
    local on_time = variant ~= "blocking"
    ping_phase(vendor, variant, on_time)
    timer_phase(vendor, variant, on_time)
  end
  errors_phase(vendor)
  readme_phase(vendor)
  walk_phase()
  crowd_phase(vendor)
end

skynet.start(function()
  local ok, err = xpcall(run, debug.traceback)
  if not ok then check(false, "main raised: %s", tostring(err)) end
  local verdict = failures == 0 and "PASS" or ("FAIL (" .. failures .. ")")
  report("summary: while logins waited between retries, pings to them took at most %.1f ms and "
    .. "10 ms timers elsewhere at most %.1f ms (bounds %d and %d ms); %d crowd services",
    worst.ping, worst.timer, BOUND, 10 + BOUND, CROWD)
  report(verdict)
  -- The verdict also goes to a file, written here and now: skynet.abort() stops the
  -- logger service too, possibly before it has printed the last lines.
  local f = io.open(RUN_DIR .. "/verdict", "w")
  if f then f:write(verdict, "\n") f:close() end
  skynet.sleep(10)
  skynet.abort()
end)
