-- examples/nginx, run for real: Debian's nginx with libnginx-mod-http-lua (LuaJIT,
-- lua-resty-core), two workers, on free ports of 127.0.0.1, its own prefix in a
-- temporary directory, authcodes from this checkout (build/luajit/authcodes/core.so,
-- lua/). The configuration is examples/nginx/nginx.conf itself, with only its ports
-- and AUTHCODES_ROOT replaced; the handlers are byte copies of examples/nginx/*.lua.
--
--   make LUA=luajit && lua5.4 /usr/bin/busted spec/integration/nginx_example.lua
--
-- (spec/integration/nginx.sh runs it: make check-nginx, suite "nginx".) Every answer
-- is checked through real HTTP requests (curl); then a bounded load with
-- wrk (spec/integration/wrk_mix.lua checks every response); then the error log; then
-- nginx is stopped (also when something failed: lazy_teardown) and no process of it
-- may be left. Not named *_spec.lua, so that the per-runtime spec runs skip it.
--
-- Environment: AUTHCODES_ROOT (the checkout; default: the current directory),
-- NGINX_TEST_DIR (the prefix; default: a new temporary directory, removed at the end),
-- NGINX (nginx binary), NGINX_LOAD_REQUESTS (20000), NGINX_WARMUP_REQUESTS (10000),
-- NGINX_RSS_SLACK (0.05: 5%), NGINX_METRICS (a file to write the numbers to).

-- Only lua-cjson and busted on the Lua side; HTTP is curl, load is wrk (all in
-- tools/deps.sh).
local cjson = require "cjson"

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local helpers = require "spec.helpers"
local quote, readfile, writefile = helpers.shell_quote, helpers.read, helpers.write

local ROOT = os.getenv("AUTHCODES_ROOT") or select(2, run("pwd")):gsub("%s+$", "")
local NGINX = os.getenv("NGINX") or "nginx"
local LOAD = tonumber(os.getenv("NGINX_LOAD_REQUESTS")) or 20000
local WARMUP = tonumber(os.getenv("NGINX_WARMUP_REQUESTS")) or 10000
local RSS_SLACK = tonumber(os.getenv("NGINX_RSS_SLACK")) or 0.05
local EXAMPLE = ROOT .. "/examples/nginx"

-- A process that still runs (a zombie has ended: only its exit status is left).
local function alive(pid)
  local s = readfile("/proc/" .. pid .. "/stat")
  if not s then return false end
  local state = s:match("^%d+ %b() (%a)")
  return state ~= nil and state ~= "Z"
end

local function children(pid)
  local _, out = run("pgrep -P " .. pid)
  local list = {}
  for p in out:gmatch("%d+") do list[#list + 1] = tonumber(p) end
  table.sort(list)
  return list
end

local function rss_kb(pid)
  local s = readfile("/proc/" .. pid .. "/status") or ""
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

-- TCP ports something listens on now (/proc/net/tcp, tcp6: state 0A).
local function listening()
  local used = {}
  for _, f in ipairs { "/proc/net/tcp", "/proc/net/tcp6" } do
    for port in (readfile(f) or ""):gmatch("\n%s*%d+: %x+:(%x+) %x+:%x+ 0A") do used[tonumber(port, 16)] = true end
  end
  return used
end

local function free_port(not_this)
  local used = listening()
  while true do
    local port = math.random(20000, 59999)
    if not used[port] and port ~= not_this then return port end
  end
end

local function sleep(seconds) os.execute("sleep " .. seconds) end

local function wait_until(seconds, f)
  for _ = 1, math.ceil(seconds / 0.05) do
    if f() then return true end
    sleep(0.05)
  end
  return f()
end

-- Does anything listen on the port? (Asked of the kernel: a request would be logged.)
local function answers(port)
  return listening()[port] == true
end

-- The server under test.
local srv = { own_dir = false }
local metrics = {}

local function start()
  srv.dir = os.getenv("NGINX_TEST_DIR")
  if not srv.dir or srv.dir == "" then
    local _, out = run("mktemp -d /tmp/authcodes-nginx.XXXXXX")
    srv.dir, srv.own_dir = out:gsub("%s+$", ""), true
  end
  assert(run("mkdir -p " .. quote(srv.dir .. "/logs")))
  assert(readfile(ROOT .. "/build/luajit/authcodes/core.so"), "build/luajit/authcodes/core.so: run make LUA=luajit")

  for _, f in ipairs { "login_handler.lua", "vendor_sim.lua" } do
    writefile(srv.dir .. "/" .. f, assert(readfile(EXAMPLE .. "/" .. f)))
  end
  local template = assert(readfile(EXAMPLE .. "/nginx.conf"))
  -- As root, nginx would run its workers as "nobody": run them as the caller, who
  -- can read the checkout wherever it is.
  local _, uid = run("id -u")
  local g = uid:match("^0%s*$") and " -g 'user root;'" or ""

  -- Free ports are picked, not reserved: when one is taken meanwhile, pick again.
  local ok, out
  for _ = 1, 5 do
    srv.port = free_port()
    srv.vport = free_port(srv.port)
    -- examples/nginx/nginx.conf, with its ports and AUTHCODES_ROOT replaced; nothing else.
    local conf, n1 = template:gsub("127%.0%.0%.1:8080", "127.0.0.1:" .. srv.port)
    local n2, n3
    conf, n2 = conf:gsub("127%.0%.0%.1:8081", "127.0.0.1:" .. srv.vport)
    conf, n3 = conf:gsub("AUTHCODES_ROOT/", (ROOT:gsub("%%", "%%%%")) .. "/")
    assert(n1 == 1 and n2 == 2 and n3 == 2,
      "examples/nginx/nginx.conf changed shape: want 1 x 127.0.0.1:8080, 2 x 127.0.0.1:8081, 2 x AUTHCODES_ROOT/")
    writefile(srv.dir .. "/nginx.conf", conf)
    ok, out = run(NGINX .. " -p " .. quote(srv.dir .. "/") .. " -c nginx.conf" .. g)
    if ok or not out:find("Address already in use", 1, true) then break end
  end
  if not ok then
    error("nginx did not start: " .. out .. (readfile(srv.dir .. "/logs/error.log") or ""))
  end
  assert(wait_until(5, function() return readfile(srv.dir .. "/logs/nginx.pid") ~= nil end), "no pid file")
  srv.master = tonumber(readfile(srv.dir .. "/logs/nginx.pid"):match("%d+"))
  assert(wait_until(5, function() return answers(srv.port) end),
    "nginx does not answer: " .. (readfile(srv.dir .. "/logs/error.log") or ""))
  assert(wait_until(5, function() return #children(srv.master) == 2 end), "want 2 workers")
  srv.workers = children(srv.master)
  srv.base = "http://127.0.0.1:" .. srv.port
end

-- Stop nginx (QUIT, then KILL after 10 s) and wait for every process of it to end.
-- Returns the pids that would not die.
local function stop()
  if not srv.master then return {} end
  local pids = { srv.master }
  for _, p in ipairs(children(srv.master)) do pids[#pids + 1] = p end
  for _, p in ipairs(srv.workers or {}) do pids[#pids + 1] = p end
  srv.master = nil
  run("kill -QUIT " .. pids[1])
  local function all_gone()
    for _, p in ipairs(pids) do if alive(p) then return false end end
    return true
  end
  if not wait_until(10, all_gone) then
    for _, p in ipairs(pids) do if alive(p) then run("kill -KILL " .. p) end end
    wait_until(3, all_gone)
  end
  local left = {}
  for _, p in ipairs(pids) do if alive(p) then left[#left + 1] = p end end
  srv.stopped_pids = pids
  return left
end

-- One request with curl: { status=, headers= (names in lower case), body=, seconds= }.
local function request(path, headers, method, body)
  local hfile, bfile = srv.dir .. "/curl.headers", srv.dir .. "/curl.body"
  local cmd = { "curl -sS --max-time 10 -X", method or "GET", "-D", quote(hfile), "-o", quote(bfile),
                "-w '%{http_code} %{time_total}'" }
  for k, v in pairs(headers or {}) do cmd[#cmd + 1] = "-H " .. quote(k .. ": " .. v) end
  if body then cmd[#cmd + 1] = "--data-binary " .. quote(body) end
  cmd[#cmd + 1] = quote(srv.base .. path)
  local ok, out = run(table.concat(cmd, " "))
  assert(ok, "curl " .. path .. " failed: " .. out)
  local status, seconds = out:match("(%d+) ([%d%.]+)")
  local h = {}
  for line in (readfile(hfile) or ""):gmatch("[^\r\n]+") do
    local k, v = line:match("^([%w%-]+):%s*(.-)%s*$")
    if k then h[k:lower()] = v end
  end
  return { status = tonumber(status), headers = h, body = readfile(bfile) or "", seconds = tonumber(seconds) }
end

local function decode(r)
  local ok, t = pcall(cjson.decode, r.body)
  assert(ok and type(t) == "table", "body is not a JSON object: " .. r.body)
  return t
end

-- The checks every problem answer must pass.
local function assert_problem(r, status, vendor, name)
  assert.are.equal(status, r.status, r.body)
  assert.are.equal("application/problem+json", r.headers["content-type"])
  local p = decode(r)
  assert.are.equal(status, p.status)
  assert.are.equal(name, p.name)
  assert.are.equal(vendor, p.domain)
  assert.are.equal("urn:authcodes:" .. vendor .. ":" .. name, p.type)
  assert.is_string(p.title)
  assert.is_true(#p.title > 0)
  assert.matches("^urn:request:%x+$", p.instance)
  assert.is_nil(r.body:find("<html", 1, true))
  -- What the client gets (issue #12): strict UTF-8, no vendor or parser text, the
  -- language it was in cached by Accept-Language.
  assert.is_nil(helpers.utf8_error(r.body), r.body)
  assert.is_nil(p.detail)
  assert.matches("Accept-Language", r.headers["vary"] or "", 1, true)
  return p
end

local uniq = 0
local function id()
  uniq = uniq + 1
  return ("t%d-%d"):format(os.time(), uniq)
end

describe("examples/nginx in Debian's nginx", function()
  lazy_setup(start)

  lazy_teardown(function()
    stop()
    if srv.own_dir and srv.dir and os.getenv("NGINX_KEEP_DIR") ~= "1" then run("rm -rf " .. quote(srv.dir)) end
    local f = os.getenv("NGINX_METRICS")
    if f then
      local lines = {}
      for _, k in ipairs { "load", "rss" } do if metrics[k] then lines[#lines + 1] = metrics[k] end end
      writefile(f, table.concat(lines, "\n") .. "\n")
    end
  end)

  it("runs the example with 2 workers and authcodes loaded in the master", function()
    assert.are.equal(2, #srv.workers)
    local r = request("/login/imsdk")
    assert.are.equal(200, r.status, r.body)
    local log = readfile(srv.dir .. "/logs/error.log") or ""
    assert.is_nil(log:find("%[emerg%]"), log)
  end)

  describe("a failure code becomes a problem with the code's status", function()
    -- vendor, code, status, name, class, Retry-After, attempts
    local ROWS = {
      { "imsdk", -204, 401, "session_expired", "UNAUTHENTICATED" },
      { "imsdk", -1101, 401, "ticket_invalid", "UNAUTHENTICATED" },
      { "wilddog", 22002, 401, "expired_token", "UNAUTHENTICATED" },
      { "wilddog", 22239, 429, "sms_api_check_error", "RESOURCE_EXHAUSTED", "1" },
      { "wilddog", 22235, 429, "sms_frequency_error", "RESOURCE_EXHAUSTED", "60" },
      { "imsdk", -2, 429, "rate_limited", "RESOURCE_EXHAUSTED", "5" },
      { "imsdk", -1108, 400, "ext_token_missing", "INVALID_ARGUMENT" },
      { "wilddog", 22006, 400, "authentication_disabled", "FAILED_PRECONDITION" },
      { "imsdk", -1105, 403, "channel_id_query_denied", "PERMISSION_DENIED" },
      { "wilddog", 22012, 403, "invalid_origin", "PERMISSION_DENIED" },
      { "imsdk", -1200, 404, "game_platform_config_missing", "NOT_FOUND" },
      { "wilddog", 22011, 404, "invalid_user", "NOT_FOUND" },
      { "imsdk", -308, 409, "bind_guid_exists", "ALREADY_EXISTS" },
      { "imsdk", -721, 409, "migrate_code_expired", "ABORTED" },
      { "wilddog", 22013, 409, "email_taken", "ALREADY_EXISTS" },
      { "imsdk", -1107, 501, "operation_unsupported", "UNIMPLEMENTED" },
      { "imsdk", -801, 500, "notice_category_list_failed", "INTERNAL" },
      { "wilddog", 22001, 500, "failure", "INTERNAL" },
      { "imsdk", -1, 500, "failure", "UNKNOWN" },
      { "imsdk", -1103, 503, "wan37_user_info_failed", "UNAVAILABLE", nil, 3 },
      { "wilddog", 22005, 503, "maxretries", "UNAVAILABLE", nil, 3 },
    }
    for _, row in ipairs(ROWS) do
      local vendor, code, status, name, class, retry_after, attempts = table.unpack(row, 1, 7)
      it(("%s %d: %d %s"):format(vendor, code, status, name), function()
        local r = request(("/login/%s?code=%d"):format(vendor, code))
        local p = assert_problem(r, status, vendor, name)
        assert.are.equal(code, p.code)
        assert.are.equal(class, p.class)
        assert.are.equal("en", r.headers["content-language"])
        assert.are.equal(retry_after, r.headers["retry-after"])
        assert.are.equal(retry_after and tonumber(retry_after) or nil, p.retry_after)
        assert.are.equal(class == "UNAVAILABLE" or class == "RESOURCE_EXHAUSTED", p.retryable)
        assert.are.equal(tostring(attempts or 1), r.headers["x-auth-attempts"])
      end)
    end

    it("whatever the HTTP status of the vendor's reply", function()
      local r = request("/login/imsdk?code=-204&status=500")
      assert_problem(r, 401, "imsdk", "session_expired")
      r = request("/login/wilddog?code=22239&status=429")
      assert_problem(r, 429, "wilddog", "sms_api_check_error")
      assert.are.equal("1", r.headers["retry-after"])
    end)
  end)

  it("answers in the language of Accept-Language (Content-Language, title)", function()
    local cases = {
      { "zh-CN,zh;q=0.9,en;q=0.8", "zh", "用户登录态过期" },
      { "en-US,en;q=0.9", "en", "The user's login session has expired." },
      { "fr-FR,fr;q=0.9", "en", "The user's login session has expired." },
      { "en;q=0.5, zh;q=0.8", "zh", "用户登录态过期" },
    }
    for _, c in ipairs(cases) do
      local r = request("/login/imsdk?code=-204", { ["Accept-Language"] = c[1] })
      local p = assert_problem(r, 401, "imsdk", "session_expired")
      assert.are.equal(c[2], r.headers["content-language"], c[1])
      assert.are.equal(c[3], p.title, c[1])
    end
    local r = request("/login/wilddog?code=22239", { ["Accept-Language"] = "zh" })
    local p = assert_problem(r, 429, "wilddog", "sms_api_check_error")
    assert.are.equal("zh", r.headers["content-language"])
    assert.are.equal("发送接口调用频繁，超过每秒 10 次，请稍后重试", p.title)
  end)

  it("passes success and iMSDK's next-step codes through as 200 JSON", function()
    local r = request("/login/imsdk")
    assert.are.equal(200, r.status, r.body)
    assert.are.equal("application/json", r.headers["content-type"])
    local b = decode(r)
    assert.is_true(b.ok)
    assert.are.equal(1, b.code)
    assert.are.equal("success", b.name)
    assert.are.equal(1, b.reply.code)
    assert.are.equal("1", r.headers["x-auth-attempts"])
    local next_steps = { [2] = "connect_sns_channel", [3] = "restore_sns_account", [4] = "same_openid",
                         [5] = "google_authorization_required", [6] = "migrate_use_restore" }
    for code, name in pairs(next_steps) do
      r = request("/login/imsdk?code=" .. code)
      assert.are.equal(200, r.status, r.body)
      b = decode(r)
      assert.are.equal(code, b.code)
      assert.are.equal(name, b.name)
    end
    r = request("/login/wilddog")
    assert.are.equal(200, r.status, r.body)
    b = decode(r)
    assert.is_true(b.ok)
    assert.are.equal("u-42", b.reply.uid)
    r = request("/login/imsdk", { ["Content-Type"] = "application/json" }, "POST", '{"openid":"o-1"}')
    assert.are.equal(200, r.status, r.body)
  end)

  it("answers an unknown code with a 500 problem that keeps the code", function()
    for _, c in ipairs { { "imsdk", -99999 }, { "wilddog", 12345 }, { "imsdk", 22002 } } do
      local r = request(("/login/%s?code=%d"):format(c[1], c[2]))
      local p = assert_problem(r, 500, c[1], "unknown")
      assert.are.equal(c[2], p.code)
      assert.are.equal("UNKNOWN", p.class)
    end
    -- The detail stays out of the body, and in the log.
    local log = readfile(srv.dir .. "/logs/error.log") or ""
    assert.matches('detail="reply code -99999 is not in the catalog', log, 1, true)
  end)

  it("answers garbage with a 502 problem, never an nginx error page", function()
    for _, vendor in ipairs { "imsdk", "wilddog" } do
      for _, kind in ipairs { "html", "text", "empty", "truncated", "array", "nocode", "nullcode",
                              "strcode", "float", "nul" } do
        local r = request(("/login/%s?garbage=%s"):format(vendor, kind), { ["Accept-Language"] = "zh" })
        local p = assert_problem(r, 502, vendor, "bad_reply")
        assert.are.equal("UNKNOWN", p.class)
        assert.are.equal("zh", r.headers["content-language"])
      end
    end
  end)

  it("keeps a hostile vendor text out of the answer, and the log line one safe line", function()
    for _, lang in ipairs { "zh", "en" } do
      local r = request("/login/imsdk?garbage=hostile", { ["Accept-Language"] = lang })
      assert_problem(r, 500, "imsdk", "guid_lookup_failed")
      assert.is_nil(r.body:find("script", 1, true))
      assert.are.equal(lang, r.headers["content-language"])
    end
    local log = readfile(srv.dir .. "/logs/error.log") or ""
    local line = log:match("[^\n]*code=%-101[^\n]*<script>[^\n]*")
    assert.is_string(line, "the hostile reply was not logged")
    assert.is_nil(helpers.utf8_error(line), line)
    assert.is_nil(helpers.unsafe_char(line), line)
    -- check made the desc valid UTF-8 (U+FFFD for each ill-formed byte); the log escaped the rest
    assert.matches('\239\191\189\239\191\189\\x1b[2J\\x1b]0;x\\x07\\u{202e}\\u{2028}\\u{0085}\239\191\189<script>',
      line, 1, true)
  end)

  describe("retries", function()
    it("a transient code until the vendor answers (fails twice, then succeeds)", function()
      local r = request("/login/imsdk?fail=2&id=" .. id())
      assert.are.equal(200, r.status, r.body)
      assert.are.equal("3", r.headers["x-auth-attempts"])
      assert.are.equal("success", decode(r).name)
      r = request("/login/wilddog?fail=1&id=" .. id())
      assert.are.equal(200, r.status, r.body)
      assert.are.equal("2", r.headers["x-auth-attempts"])
      assert.are.equal("u-42", decode(r).reply.uid)
    end)

    it("three attempts in all, then the transient code's problem", function()
      local r = request("/login/imsdk?fail=5&id=" .. id())
      local p = assert_problem(r, 503, "imsdk", "session_get_failed")
      assert.are.equal(-207, p.code)
      assert.are.equal("3", r.headers["x-auth-attempts"])
    end)

    it("never a code that needs the player (reauth) or a rate limit past the deadline", function()
      local r = request("/login/imsdk?fail=1&code=-204&id=" .. id())
      assert_problem(r, 401, "imsdk", "session_expired")
      assert.are.equal("1", r.headers["x-auth-attempts"])
      r = request("/login/wilddog?fail=1&code=22239&id=" .. id())
      assert_problem(r, 429, "wilddog", "sms_api_check_error")
      assert.are.equal("1", r.headers["x-auth-attempts"])
      assert.are.equal("1", r.headers["retry-after"])
      assert.is_true(r.seconds < 0.5, "a rate-limited answer is not held: " .. r.seconds .. " s")
    end)
  end)

  it("takes a bounded load: every response as expected, memory flat", function()
    local script = ROOT .. "/spec/integration/wrk_mix.lua"
    local function wrk(n)
      -- The prefix goes last, unused by the script: it names this run's wrk for nginx.sh.
      local ok, out = run(("wrk -t1 -c8 -d60s --timeout 5s -s %s %s -- %d %s"):format(
        quote(script), srv.base, n, quote(srv.dir)))
      assert(ok, out)
      local checked, unexpected = out:match("mix: checked (%d+) unexpected (%d+)")
      assert(checked, out)
      assert.are.equal(0, tonumber(unexpected), out)
      assert.is_true(tonumber(checked) >= n, out)
      return out
    end
    wrk(WARMUP)
    local before = {}
    for i, p in ipairs(srv.workers) do before[i] = rss_kb(p) end
    local out = wrk(LOAD)
    local after = {}
    for i, p in ipairs(srv.workers) do after[i] = rss_kb(p) end
    assert.are.same(srv.workers, children(srv.master))   -- no worker died and came back
    local rps = out:match("Requests/sec:%s*([%d%.]+)")
    metrics.load = ("nginx: %s, %s req/s (wrk -t1 -c8), %s"):format(
      out:match("(%d+ requests in [%d%.]+%a+)") or "?", rps or "?", out:match("mix: checked [^\n]*"))
    local parts = {}
    for i = 1, #before do
      parts[i] = ("worker %d: %d -> %d kB (%+.1f%%)"):format(i, before[i], after[i],
        100 * (after[i] - before[i]) / before[i])
    end
    metrics.rss = "nginx: RSS after warm-up -> after load: " .. table.concat(parts, ", ")
    print(metrics.load)
    print(metrics.rss)
    for i = 1, #before do
      assert.is_true(after[i] <= before[i] * (1 + RSS_SLACK), metrics.rss)
    end
  end)

  it("logs no error, alert or crit but authcodes' own lines, and no unexpected warning", function()
    local log = readfile(srv.dir .. "/logs/error.log") or ""
    local own, bad = 0, {}
    for line in log:gmatch("[^\n]+") do
      local level = line:match("^%S+ %S+ %[(%a+)%]")
      if level and level ~= "notice" and level ~= "info" and level ~= "debug" then
        -- authcodes.ngx.log's lines: "[lua] ngx.lua:NN: log(): domain=imsdk code=..."
        if (level == "error" or level == "warn") and line:find("%[lua%] ngx%.lua:%d+: log%(%): domain=") then
          own = own + 1
        else
          bad[#bad + 1] = line
        end
      end
    end
    assert.are.equal(0, #bad, table.concat(bad, "\n", 1, math.min(#bad, 10)))
    assert.is_true(own > 0, "authcodes.ngx.log wrote nothing")
  end)

  it("stops, and leaves no process behind", function()
    local port = srv.port
    local left = stop()
    assert.are.same({}, left)
    for _, p in ipairs(srv.stopped_pids) do assert.is_false(alive(p), "pid " .. p) end
    local _, out = run("pgrep -af " .. quote("[n]ginx: master process.*" .. srv.dir))
    assert.are.equal("", out)
    assert.is_false(answers(port))
  end)
end)
