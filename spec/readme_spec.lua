-- Every example in README.md runs, and prints what the README says it prints (issue #8).
--
-- * ```lua blocks after a `<!-- readme-example: lua -->` line: each runs in a fresh
--   interpreter of the runtime under test, against the checkout (lua/ and the built
--   module). `print` is replaced by one that records the README line it was called
--   from, and each line carrying a `--> expected` comment must print exactly once,
--   matching it: `...` stands for anything, `0.0xx` for digits, and a trailing
--   `(remark)` may be left out of the output.
-- * the ```lua block after `<!-- readme-example: nginx -->`: here with a fake `ngx`
--   (location.capture, sleep, say, print, header, status, var), on every runtime;
--   the response must be the README's ```json example. In a real nginx it runs in
--   the docs suite (AUTHCODES_README_NGINX=1, see tools/suites/docs.sh): Debian's nginx
--   and lua module, a temporary prefix, one worker on 127.0.0.1, always stopped.
-- * the `authcodes ...` lines of ```sh blocks, through bin/authcodes.

local README = "README.md"

local helpers = require "spec.helpers"
local read, write = helpers.slurp, helpers.write

local function q(s) return require("spec.helpers").shell_quote(tostring(s)) end
local sh = require("spec.helpers").sh   -- exit status, output

-- The interpreter this spec runs on, so that examples run on the same one.
local RT = require("spec.helpers").runtime()
local RT_ENV = "LUA_PATH=" .. q("./lua/?.lua;./lua/?/init.lua;" .. package.path)
  .. " LUA_CPATH=" .. q(package.cpath)

-- Fenced blocks of README.md: { kind = "lua"|"nginx"|nil, lang =, line = first code
-- line, code = }, kind from a `<!-- readme-example: KIND -->` line just before.
local function blocks(text)
  local list, lines = {}, {}
  for l in (text .. "\n"):gmatch("(.-)\r?\n") do lines[#lines + 1] = l end
  local i, marker = 1, nil
  while i <= #lines do
    local l = lines[i]
    local m = l:match("^<!%-%-%s*readme%-example:%s*(%w+)%s*%-%->%s*$")
    if m then
      marker = m
    elseif l:match("^```") then
      local lang = l:match("^```%s*(%w*)")
      local start, code = i + 1, {}
      i = i + 1
      while i <= #lines and not lines[i]:match("^```%s*$") do
        code[#code + 1] = lines[i]
        i = i + 1
      end
      list[#list + 1] = { kind = marker, lang = lang, line = start, code = table.concat(code, "\n") .. "\n" }
      marker = nil
    elseif l:match("%S") then
      marker = nil
    end
    i = i + 1
  end
  return list
end

local ALL = blocks(read(README))
local function of_kind(kind)
  local t = {}
  for _, b in ipairs(ALL) do if b.kind == kind then t[#t + 1] = b end end
  return t
end

-- A long-bracket literal that holds s whatever it contains.
local function long_string(s)
  local eq = ""
  while s:find("]" .. eq .. "]", 1, true) do eq = eq .. "=" end
  return "[" .. eq .. "[\n" .. s .. "]" .. eq .. "]"
end

-- The driver: `prelude`, then the block compiled as README.md itself (blank lines in
-- front, so line numbers in errors and in the print log are README's).
local function driver(block, prelude)
  return table.concat({
    "local load = loadstring or load",
    "math.randomseed(20240611)",
    prelude or "",
    "local code = string.rep('\\n', " .. (block.line - 1) .. ") .. " .. long_string(block.code),
    "local f = assert(load(code, '@" .. README .. "'))",
    "f()",
  }, "\n")
end

local PRINT_LOG = [[
print = function(...)
  local t = {}
  for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
  local s = table.concat(t, "\t"):gsub("\r", "\\r"):gsub("\n", "\\n")
  io.stdout:write("PRINT\t", debug.getinfo(2, "l").currentline, "\t", s, "\n")
end
]]

local function run_block(block, prelude)
  local file = os.tmpname()
  write(file, driver(block, prelude))
  local code, out = sh(RT_ENV .. " " .. RT .. " " .. q(file))
  os.remove(file)
  return code, out
end

-- Expected text of a `-->` comment as a Lua pattern (anchored).
local function pattern_of(expected)
  local p = expected:gsub("%.%.%.", "\1")
  p = p:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
  p = p:gsub("(%d)x+", "%1%%d+")
  p = p:gsub("\1", ".-")
  return "^" .. p .. "$"
end

local function norm(s) return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")) end

local function matches(expected, actual)
  expected, actual = norm(expected), norm(actual)
  if actual:find(pattern_of(expected)) then return true end
  local without = expected:match("^(.-)%s+%b()$")   -- a trailing remark, e.g. "(one line)"
  return without ~= nil and actual:find(pattern_of(without)) ~= nil
end

describe("README.md", function()
  it("marks every ```lua block as an example (lua, nginx or skynet)", function()
    local unmarked = {}
    for _, b in ipairs(ALL) do
      -- "skynet": run as a service in a real skynet by spec/integration/skynet.sh.
      if b.lang == "lua" and b.kind ~= "lua" and b.kind ~= "nginx" and b.kind ~= "skynet" then
        unmarked[#unmarked + 1] = "README.md:" .. (b.line - 1)
      end
    end
    assert.are.same({}, unmarked)
    assert.is_true(#of_kind("lua") >= 2, "the lua examples are found")
    assert.are.equal(1, #of_kind("nginx"), "one nginx example")
  end)

  it("expected-output matcher: ..., 0.0xx and remarks", function()
    assert.is_true(matches("session_expired UNAUTHENTICATED 401 reauth",
      "session_expired\tUNAUTHENTICATED\t401\treauth"))
    assert.is_false(matches("session_expired UNAUTHENTICATED 401 reauth", "session_expired UNAUTHENTICATED 401 never"))
    assert.is_true(matches("true   0.0xx (seconds to wait)", "true\t0.0734"))
    assert.is_false(matches("true   0.0xx (seconds to wait)", "true\t1.5"))
    assert.is_true(matches("domain=imsdk code=-207 name=... (one line)", "domain=imsdk code=-207 name=x retry=backoff"))
    assert.is_false(matches("domain=imsdk code=-207 name=...", "domain=imsdk code=-208 name=x"))
    assert.is_true(matches("403", "403"))
    assert.is_false(matches("403", "4030"))
  end)

  for _, block in ipairs(of_kind("lua")) do
    it("lua example at README.md:" .. block.line .. " runs and prints what it says on " .. RT, function()
      local code, out = run_block(block, PRINT_LOG)
      assert(code == 0, "README.md:" .. block.line .. ": example failed:\n" .. out)
      local printed = {}
      for line, text in out:gmatch("PRINT\t(%d+)\t([^\n]*)") do
        line = tonumber(line)
        assert(printed[line] == nil, "README.md:" .. line .. " printed more than once")
        printed[line] = text
      end
      local n, checked = block.line - 1, 0
      for l in block.code:gmatch("([^\n]*)\n") do
        n = n + 1
        local expected = l:match("%-%->%s*(.-)%s*$")
        if expected then
          checked = checked + 1
          local actual = printed[n]
          assert(actual ~= nil, "README.md:" .. n .. " says it prints --> " .. expected .. ", but printed nothing")
          assert(matches(expected, actual),
            "README.md:" .. n .. ": expected --> " .. expected .. "\n   printed    " .. actual)
        end
      end
      assert.is_true(checked > 0, "the example shows some output to check")
    end)
  end
end)

---------------------------------------------------------------------------------------
-- The nginx example.

local NGINX_BLOCK = of_kind("nginx")[1]

-- The ```json block that follows it: the response the README promises.
local function promised_json()
  for _, b in ipairs(ALL) do
    if b.lang == "json" and b.line > NGINX_BLOCK.line then return b.code end
  end
end

-- iMSDK replies the fake upstream gives, by scenario.
local REPLIES = {
  expired = '{"code":-204,"desc":"user session is failure!"}',
  ok = '{"code":1,"desc":"success"}',
  busy = '{"code":-207,"desc":"get user session is failure!"}',
  limited = '{"code":-2,"desc":"access limit! wait a moment to try"}',
}

-- A fake ngx: enough of lua-nginx-module's API for the example and authcodes.ngx.
-- It logs what the handler does as tab-separated records on stdout.
local FAKE_NGX = [[
local function out(...) io.stdout:write(table.concat({ ... }, "\t"), "\n") end
local headers = setmetatable({}, { __newindex = function(t, k, v) rawset(t, k, v); out("HEADER", k, tostring(v)) end })
ngx = {
  OK = 0, ERROR = -1, HTTP_OK = 200,
  STDERR = 0, EMERG = 1, ALERT = 2, CRIT = 3, ERR = 4, WARN = 5, NOTICE = 6, INFO = 7, DEBUG = 8,
  headers_sent = false,
  header = headers,
  var = { http_accept_language = accept_language },
  location = {
    capture = function(uri)
      out("CAPTURE", uri)
      return { status = 200, header = {}, body = reply }
    end,
  },
  get_phase = function() return "content" end,
  sleep = function(s) out("SLEEP", tostring(s)) end,
  say = function(...) out("SAY", table.concat({ ... })) end,
  print = function(...) out("BODY", table.concat({ ... })) end,
  log = function(level, ...) out("LOG", tostring(level), table.concat({ ... })) end,
  exit = function(status) out("EXIT", tostring(status)) end,
}
setmetatable(ngx, { __newindex = function(t, k, v)
  if k == "status" then out("STATUS", tostring(v)) end
  rawset(t, k, v)
end })
]]

-- Parse the fake's records into { status=, headers={}, body=, said={}, captures=n, sleeps={} }.
local function parse_fake(out)
  local r = { headers = {}, said = {}, captures = 0, sleeps = {} }
  for line in out:gmatch("[^\n]+") do
    local kind, a, b = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
    if kind == "STATUS" then r.status = tonumber(a)
    elseif kind == "HEADER" then r.headers[a] = b
    elseif kind == "BODY" then r.body = (r.body or "") .. a .. (b ~= "" and "\t" .. b or "")
    elseif kind == "SAY" then r.said[#r.said + 1] = a
    elseif kind == "CAPTURE" then r.captures = r.captures + 1
    elseif kind == "SLEEP" then r.sleeps[#r.sleeps + 1] = tonumber(a)
    end
  end
  return r
end

local function run_fake(scenario, accept_language)
  local prelude = string.format("local reply, accept_language = %q, %q\n", REPLIES[scenario],
    accept_language or "") .. FAKE_NGX
  local code, out = run_block(NGINX_BLOCK, prelude)
  assert(code == 0, "README.md:" .. NGINX_BLOCK.line .. ": nginx example failed with a fake ngx:\n" .. out)
  return parse_fake(out), out
end

local function decode(s)
  local cjson = require "cjson"
  return cjson.decode(s)
end

describe("README.md nginx example, with a fake ngx on " .. RT, function()
  it("answers a session expired upstream with the README's problem+json, in zh", function()
    local r, out = run_fake("expired", "zh-CN,zh;q=0.9,en;q=0.8")
    assert.are.equal(401, r.status, out)
    assert.are.equal("application/problem+json", r.headers["Content-Type"])
    assert.are.equal("zh", r.headers["Content-Language"])
    assert.is_nil(r.headers["Retry-After"])
    assert.are.equal(1, r.captures, "no retry for a reauth code without policy.reauth")
    assert.are.same(decode(promised_json()), decode(r.body))
  end)

  it("says welcome when the upstream says success", function()
    local r, out = run_fake("ok", "en")
    assert.are.same({ "welcome" }, r.said, out)
    assert.is_nil(r.status)
  end)

  it("retries a transient failure with ngx.sleep, then answers 503", function()
    local r, out = run_fake("busy", "en")
    assert.are.equal(3, r.captures, out)
    assert.are.equal(2, #r.sleeps, "waits with ngx.sleep between attempts")
    assert.are.equal(503, r.status)
    assert.are.equal("en", r.headers["Content-Language"])
    local body = decode(r.body)
    assert.are.equal("session_get_failed", body.name)
    assert.is_true(body.retryable)
  end)

  it("answers a rate limit at once with 429 and Retry-After, no wait (issue #11)", function()
    local r, out = run_fake("limited", "en")
    assert.are.equal(429, r.status, out)
    assert.are.equal("5", r.headers["Retry-After"])
    assert.are.equal(1, r.captures)
    assert.are.same({}, r.sleeps)
  end)
end)

---------------------------------------------------------------------------------------
-- The nginx example in a real nginx (Debian nginx + libnginx-mod-http-lua, LuaJIT).

local NGINX_MODULES = {
  "/usr/lib/nginx/modules/ndk_http_module.so",
  "/usr/lib/nginx/modules/ngx_http_lua_module.so",
}

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function real_nginx_missing()
  if os.getenv("AUTHCODES_README_NGINX") ~= "1" then
    return "runs in the docs suite (TEST_ONLY=docs sh tools/test.sh), or set AUTHCODES_README_NGINX=1"
  end
  if sh("command -v nginx") ~= 0 then return "nginx is not installed" end
  if sh("command -v curl") ~= 0 then return "curl is not installed" end
  for _, m in ipairs(NGINX_MODULES) do
    if not exists(m) then return m .. " is missing (libnginx-mod-http-lua)" end
  end
  if not exists("build/luajit/authcodes/core.so") then return "build/luajit is not built (make LUA=luajit)" end
  return nil
end

-- The README's ```nginx block: the http-block lines for authcodes installed under
-- /opt/authcodes (`make install LUA=luajit PREFIX=/opt/authcodes`).
local function readme_nginx_lines()
  for _, blk in ipairs(ALL) do
    if blk.lang == "nginx" then return blk.code end
  end
end
local README_PREFIX = "/opt/authcodes"

-- authcodes as the README installs it for nginx: `make install LUA=luajit PREFIX=...`.
local function install_for_nginx(prefix)
  local code, out = sh("make --no-print-directory install LUA=luajit PREFIX=" .. q(prefix))
  assert(code == 0, "make install LUA=luajit PREFIX=" .. prefix .. " failed:\n" .. out)
end

local function nginx_conf(prefix, port)
  -- The upstream answers as the request's X-Reply header says (subrequests share the
  -- parent's headers).
  local replies = {}
  for k, v in pairs(REPLIES) do replies[#replies + 1] = string.format("[%q] = %q", k, v) end
  table.sort(replies)
  return table.concat({
    "daemon on;",
    "master_process on;",
    "worker_processes 1;",
    "pid " .. prefix .. "/nginx.pid;",
    "error_log " .. prefix .. "/error.log info;",
    "load_module " .. NGINX_MODULES[1] .. ";",
    "load_module " .. NGINX_MODULES[2] .. ";",
    "events { worker_connections 64; }",
    "http {",
    "  access_log off;",
    "  client_body_temp_path " .. prefix .. "/body;",
    "  proxy_temp_path " .. prefix .. "/proxy;",
    "  fastcgi_temp_path " .. prefix .. "/fastcgi;",
    "  uwsgi_temp_path " .. prefix .. "/uwsgi;",
    "  scgi_temp_path " .. prefix .. "/scgi;",
    -- The README's lines, for authcodes installed under prefix/inst as the README says.
    (readme_nginx_lines():gsub((README_PREFIX:gsub("%p", "%%%0")), ((prefix .. "/inst"):gsub("%%", "%%%%")))),
    "  server {",
    "    listen 127.0.0.1:" .. port .. ";",
    "    location = /upstream/imsdk/login {",
    "      default_type application/json;",
    "      content_by_lua_block {",
    "        local replies = { " .. table.concat(replies, ", ") .. " }",
    "        ngx.print(replies[ngx.var.http_x_reply] or replies.ok)",
    "      }",
    "    }",
    "    location = /where {",
    "      content_by_lua_block {",
    '        ngx.print(package.searchpath("authcodes", package.path), "\\n",',
    '          package.searchpath("authcodes.core", package.cpath))',
    "      }",
    "    }",
    "    location = /login {",
    "      content_by_lua_block {",
    NGINX_BLOCK.code,
    "      }",
    "    }",
    "  }",
    "}",
    "",
  }, "\n")
end

describe("README.md nginx example in a real nginx", function()
  local why = real_nginx_missing()
  if why and os.getenv("AUTHCODES_README_NGINX") == "1" then
    it("can run: nginx, its lua module, curl and the LuaJIT build are there", function() error(why, 0) end)
    return
  elseif why then
    pending("real nginx: " .. why)
    return
  end

  local prefix, port, master

  local function stop()
    if prefix == nil then return end
    local pidfile = io.open(prefix .. "/nginx.pid")
    local pid = pidfile and tonumber(pidfile:read("*a")) or master
    if pidfile then pidfile:close() end
    if pid then require("spec.process").stop_nginx(pid) end
    sh("rm -rf " .. q(prefix))
    prefix, master = nil, nil
  end

  setup(function()
    local _, dir = sh("mktemp -d /tmp/authcodes-readme-nginx.XXXXXX")
    prefix = dir:gsub("%s+$", "")
    -- A free port: let nginx try a few, as only binding tells for sure.
    local process = require "spec.process"
    for attempt = 0, 9 do
      port = process.free_port()
      if attempt == 0 then
        -- nginx workers (user nobody when started as root) read the installed modules.
        sh("chmod 755 " .. q(prefix))
        install_for_nginx(prefix .. "/inst")
      end
      write(prefix .. "/nginx.conf", nginx_conf(prefix, port))
      -- Without the specs' LUA_PATH/LUA_CPATH, which `;;` would otherwise bring in.
      local code, out = sh("env -u LUA_PATH -u LUA_CPATH nginx -p " .. q(prefix) .. " -c " .. q(prefix .. "/nginx.conf")
        .. " -e " .. q(prefix .. "/error.log"))
      if code == 0 then
        process.wait_until(5, function()
          master = tonumber(helpers.read(prefix .. "/nginx.pid") or "")
          return master ~= nil
        end)
        break
      end
      if not read(prefix .. "/error.log"):find("Address already in use", 1, true) then
        error("nginx did not start:\n" .. out .. "\n" .. read(prefix .. "/error.log"))
      end
    end
    assert(master, "nginx did not start on any port tried")
  end)

  teardown(stop)

  local function get(scenario, accept_language)
    local code, out = sh("curl -s -i --max-time 10 -H " .. q("X-Reply: " .. scenario)
      .. " -H " .. q("Accept-Language: " .. accept_language)
      .. " http://127.0.0.1:" .. port .. "/login")
    assert(code == 0, "curl failed: " .. out)
    local head, body = out:match("^(.-)\r?\n\r?\n(.*)$")
    local r = { status = tonumber(head:match("^HTTP/%S+ (%d+)")), headers = {}, body = body }
    for k, v in head:gmatch("\n([%w%-]+):%s*([^\r\n]*)") do r.headers[k:lower()] = v end
    return r, out
  end

  it("answers a session expired upstream with the README's problem+json, in zh", function()
    local r, out = get("expired", "zh-CN,zh;q=0.9")
    assert.are.equal(401, r.status, out)
    assert.are.equal("application/problem+json", r.headers["content-type"])
    assert.are.equal("zh", r.headers["content-language"])
    assert.are.same(decode(promised_json()), decode(r.body))
  end)

  it("says welcome when the upstream says success", function()
    local r, out = get("ok", "en")
    assert.are.equal(200, r.status, out)
    assert.are.equal("welcome\n", r.body)
  end)

  it("retries a transient failure, then answers 503", function()
    local r, out = get("busy", "en")
    assert.are.equal(503, r.status, out)
    assert.are.equal("session_get_failed", decode(r.body).name)
  end)

  it("loads authcodes from where the README installs it", function()
    local code, out = sh("curl -s --max-time 10 http://127.0.0.1:" .. port .. "/where")
    assert(code == 0, out)
    local mod, core = out:match("^([^\n]+)\n([^\n]+)$")
    assert.are.equal(prefix .. "/inst/share/lua/5.1/authcodes.lua", mod, out)
    assert.are.equal(prefix .. "/inst/lib/lua/5.1/authcodes/core.so", core, out)
  end)

  it("answers a rate-limited upstream with 429 and Retry-After in well under a second", function()
    local t0 = os.time()
    local r, out = get("limited", "en")
    assert.are.equal(429, r.status, out)
    assert.are.equal("5", r.headers["retry-after"])
    assert.is_true(os.time() - t0 <= 1, "held the request")
  end)

  it("logs no Lua error", function()
    local log = read(prefix .. "/error.log")
    assert.is_nil(log:match("[^\n]*%[error%][^\n]*"), log)
    assert.is_nil(log:match("[^\n]*lua entry thread aborted[^\n]*"), log)
  end)
end)

---------------------------------------------------------------------------------------
-- Numbers and tables the README states, against the code.

describe("README.md facts", function()
  local text = read(README)
  local authcodes = require "authcodes"

  it("counts the codes right", function()
    local n = 0
    for _, d in ipairs(authcodes.domains()) do for _ in authcodes.each(d) do n = n + 1 end end
    assert.are.equal(tostring(n), text:match("all (%d+) codes"))
  end)

  it("gives each class its HTTP status, as the catalog does", function()
    local schema = require "authcodes.schema"
    local seen = 0
    for row in text:gmatch("\n(| [%u_]+[^\n]*| %d%d%d |)") do
      for class, http in row:gmatch("| ([%u_]+)[^|]-| (%d%d%d) ") do
        assert.are.equal(schema.class_http[class], tonumber(http), class)
        seen = seen + 1
      end
    end
    assert.is_true(seen >= 12, "the class table is found")
    local _, bad = authcodes.check("not json", "imsdk")
    assert.are.equal(tonumber(text:match("| unreadable vendor reply | (%d+) |")), bad.http)
  end)

  it("names the retry kinds the catalog has", function()
    local schema = require "authcodes.schema"
    local kinds = {}
    for k in text:gmatch("\n| `([%l_]+)` | ") do kinds[#kinds + 1] = k end
    assert.are.same(schema.retry_kinds, kinds)
  end)

  it("states the retry defaults and the budget", function()
    local retry = require "authcodes.retry"
    local base, cap, attempts = text:match("base (%S+) s, cap (%S+) s, (%d+) attempts in all")
    assert.are.equal(retry.defaults.base, tonumber(base))
    assert.are.equal(retry.defaults.cap, tonumber(cap))
    assert.are.equal(retry.defaults.attempts, tonumber(attempts))
    local capacity, cost, refund = text:match("budget %((%d+) tokens, (%d+) a\n?%s*retry, (%d+) back per success")
    assert.are.equal(require("authcodes.budget").defaults.capacity, tonumber(capacity))
    assert.are.equal(require("authcodes.budget").defaults.cost, tonumber(cost))
    assert.are.equal(require("authcodes.budget").defaults.refund, tonumber(refund))
  end)

  it("gives the nginx lines for a make install under /opt/authcodes (run in the real nginx test)", function()
    local lines = assert(readme_nginx_lines(), "a ```nginx block")
    assert.truthy(lines:find('lua_package_path%s+"' .. README_PREFIX .. '/share/lua/5.1/%?%.lua;;"'), lines)
    assert.truthy(lines:find('lua_package_cpath%s+"' .. README_PREFIX .. '/lib/lua/5.1/%?%.so;;"'), lines)
    assert.truthy(lines:find('init_by_lua_block { require "authcodes" }', 1, true), lines)
    assert.truthy(text:find("PREFIX=" .. README_PREFIX, 1, true))
  end)

  it("says which iMSDK codes are not failures", function()
    for code = 1, 6 do
      assert.is_true(authcodes.lookup("imsdk", code).ok, "imsdk " .. code)
    end
    assert.is_truthy(text:find("iMSDK codes 1 (success) and 2..6", 1, true))
  end)

  -- Files the README promises that another change is still writing: pending, not failed.
  local UNDER_WAY = {
    ["BENCHMARKS.md"] = "the benchmarks (bench/, make bench) are not committed yet",
    ["bench/"] = "the benchmarks are not committed yet",
    ["examples/nginx/"] = "the nginx example configuration is not committed yet",
  }

  -- Links, and paths of this repository named in `code` (their first directory exists).
  local targets, seen = {}, {}
  local function add(t)
    if not seen[t] then seen[t] = true; targets[#targets + 1] = t end
  end
  for target in text:gmatch("%]%(([^)#]+)[^)]*%)") do add(target) end
  for path in text:gmatch("`([%w_.%-]+/[%w_./%-]*)`") do
    local top = path:match("^([^/]+)/")
    -- (`../shared/...` is beside a checkout, not in it: a user's clone has none)
    if top ~= ".." and sh("test -d " .. q(top)) == 0 then add(path) end
  end

  for _, target in ipairs(targets) do
    if not target:find("^%a+://") then
      if UNDER_WAY[target] and not exists(target) then
        pending("README.md names " .. target .. ": " .. UNDER_WAY[target])
      else
        it("names " .. target .. ", which exists", function()
          assert(sh("test -e " .. q(target)) == 0,
            "README.md names " .. target .. ", which does not exist")
        end)
      end
    end
  end
end)

---------------------------------------------------------------------------------------
-- The "Plain Lua" install lines: the ```sh block that installs under $HOME/.local and
-- requires authcodes from there, run as written with HOME a fresh directory. The block
-- names lua5.4, so it runs in the lua5.4 specs only.

if RT == "lua5.4" then
  describe("README.md plain Lua install lines", function()
    it("install under $HOME/.local and answer as the README says", function()
      local block
      for _, b in ipairs(ALL) do
        if b.lang == "sh" and b.code:find('make install LUA=lua5.4 PREFIX="$HOME/.local"', 1, true) then block = b end
      end
      assert(block, "the README has the plain Lua ```sh block")
      local expected = block.code:match("#%s*([%w_]+)%s*\n$")
      assert(expected, "its last line says what it prints")
      local _, dir = sh("mktemp -d /tmp/authcodes-readme-home.XXXXXX")
      local home = dir:gsub("%s+$", "")
      local code, out = sh("env -u LUA_PATH_5_4 -u LUA_CPATH_5_4 HOME=" .. q(home) .. " sh -e -c " .. q(block.code))
      sh("rm -rf " .. q(home))
      assert(code == 0, out)
      assert.are.equal(expected, out:match("([^\n]*)\n?$"), out)
    end)
  end)
end

---------------------------------------------------------------------------------------
-- The `authcodes` command lines.

describe("README.md authcodes commands", function()
  local lines = {}
  for _, b in ipairs(ALL) do
    if b.lang == "sh" then
      for l in b.code:gmatch("[^\n]+") do
        if l:match("^authcodes%s") then lines[#lines + 1] = l:gsub("%s+#.*$", "") end
      end
    end
  end

  if not exists("bin/authcodes") then
    pending("bin/authcodes does not exist yet: the README's authcodes lines are not run")
    return
  end

  it("finds the command lines", function()
    assert.is_true(#lines >= 3)
  end)

  local authcodes = require "authcodes"

  -- What each line must show, from the catalog itself.
  local function wanted(line)
    local args = line:gsub("^authcodes%s+", "")
    local code = tonumber(args)
    if code then
      local e = assert(authcodes.lookup(code))
      return { e.name, e.class, tostring(e.http), e.retry, e.message, e.description }
    end
    local term = args:match("^%-s%s+(.+)$")
    if term then
      local names = {}
      for _, d in ipairs(authcodes.domains()) do
        for e in authcodes.each(d) do
          for _, f in ipairs { "name", "message", "description", "summary" } do
            if e[f] and e[f]:find(term, 1, true) then names[#names + 1] = e.name; break end
          end
        end
      end
      assert.is_true(#names > 0, "the README searches for something that exists: " .. term)
      return names
    end
    local domain, retry = args:match("^%-l%s+(%w+)%s+%-%-retry%s+(%w+)$")
    if domain then
      local names = {}
      for e in authcodes.each(domain) do
        if e.retry == retry then names[#names + 1] = e.name end
      end
      assert.is_true(#names > 0)
      return names
    end
    return {}
  end

  for _, line in ipairs(lines) do
    it("runs `" .. line .. "` on " .. RT, function()
      local cmd = RT_ENV .. " " .. RT .. " bin/authcodes " .. line:gsub("^authcodes%s+", "")
      local code, out = sh(cmd)
      assert(code == 0, line .. ": exit " .. tostring(code) .. "\n" .. out)
      for _, w in ipairs(wanted(line)) do
        assert(out:find(w, 1, true), line .. ": the output lacks " .. w .. "\n" .. out)
      end
    end)
  end
end)
