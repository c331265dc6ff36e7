-- wrk script for spec/integration/nginx_spec.lua: a mix of vendor answers sent to
-- examples/nginx, and every response checked (wrk itself only counts them).
--
--   wrk -t1 -c8 -d60s -s spec/integration/wrk_mix.lua http://127.0.0.1:PORT -- 20000
--
-- The argument is how many responses to check: then the thread stops, and sends wrk
-- SIGINT so that it reports at once (wrk's main thread otherwise sleeps out -d; hence
-- one thread, -t1: a thread cannot tell when the others are done). A response
-- is expected when its status is the one of the answer its body names ("name"), its
-- Content-Type is application/json for 200 and application/problem+json otherwise,
-- and rate-limited answers carry their Retry-After. done() prints one line:
--   mix: checked N unexpected N statuses 200=N 401=N ...
-- and the first unexpected response, if any.

-- wrk's API and the per-thread state done() reads back are globals:
-- luacheck: globals setup init request response done wrk id
-- luacheck: globals i limit checked bad first_bad statuses stopped

-- path, the name the answer carries, its status, its Retry-After
local MIX = {
  { "/login/imsdk?code=-204", "session_expired", 401 },
  { "/login/wilddog?code=22002", "expired_token", 401 },
  { "/login/wilddog?code=22239", "sms_api_check_error", 429, "1" },
  { "/login/imsdk?code=-2", "rate_limited", 429, "5" },
  { "/login/imsdk?code=-1108", "ext_token_missing", 400 },
  { "/login/wilddog?code=22006", "authentication_disabled", 400 },
  { "/login/wilddog?code=22012", "invalid_origin", 403 },
  { "/login/imsdk?code=-1200", "game_platform_config_missing", 404 },
  { "/login/wilddog?code=22013", "email_taken", 409 },
  { "/login/imsdk?code=-721", "migrate_code_expired", 409 },
  { "/login/wilddog?code=22001", "failure", 500 },
  { "/login/imsdk?code=-1107", "operation_unsupported", 501 },
  { "/login/imsdk?code=-1103", "wan37_user_info_failed", 503 },
  { "/login/imsdk", "success", 200 },
  { "/login/wilddog", "success", 200 },
  { "/login/imsdk?code=3", "restore_sns_account", 200 },
  { "/login/imsdk?code=-99999", "unknown", 500 },
  { "/login/wilddog?garbage=html", "bad_gateway", 502 },   -- an HTTP 502 page: transport
  { "/login/imsdk?garbage=truncated", "bad_reply", 502 },
  { "/login/wilddog?garbage=strcode", "bad_reply", 502 },
}
local STATUS, RETRY_AFTER = {}, {}
for _, m in ipairs(MIX) do STATUS[m[2]] = m[3]; RETRY_AFTER[m[2]] = m[4] end
local LANGS = { "zh-CN,zh;q=0.9,en;q=0.8", "en-US,en;q=0.9" }

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

-- Globals, not locals: done() reads them with thread:get.
function init(args)
  i = (id or 0) * 7             -- threads start at different places in the mix
  limit = tonumber(args[1]) or 20000
  checked, bad, first_bad, statuses = 0, 0, "", {}
  stopped = false
end

function request()
  i = i + 1
  local m = MIX[i % #MIX + 1]
  return wrk.format("GET", m[1], { ["Accept-Language"] = LANGS[i % 2 + 1] })
end

local function header(headers, name)
  return headers[name] or headers[name:lower()]
end

function response(status, headers, body)
  checked = checked + 1
  statuses[status] = (statuses[status] or 0) + 1
  local name = body:match('"name":"([^"]+)"')
  local ctype = header(headers, "Content-Type")
  local want_ctype = status == 200 and "application/json" or "application/problem+json"
  local why
  if name == nil or STATUS[name] == nil then
    why = "body names no answer of the mix"
  elseif status ~= STATUS[name] then
    why = "status " .. status .. ", want " .. STATUS[name]
  elseif ctype ~= want_ctype then
    why = "Content-Type " .. tostring(ctype) .. ", want " .. want_ctype
  elseif header(headers, "Retry-After") ~= RETRY_AFTER[name] then
    why = "Retry-After " .. tostring(header(headers, "Retry-After")) .. ", want " .. tostring(RETRY_AFTER[name])
  end
  if why then
    bad = bad + 1
    if first_bad == "" then first_bad = why .. ": " .. status .. " " .. body:sub(1, 300) end
  end
  if checked >= limit and not stopped then
    stopped = true
    wrk.thread:stop()
    -- $PPID: wrk. In the background and a little later: system() has wrk ignore
    -- SIGINT until the command returns.
    os.execute("(sleep 0.1; kill -INT $PPID) &")
  end
end

function done()
  local n, b, first, st = 0, 0, "", {}
  for _, t in ipairs(threads) do
    n = n + t:get("checked")
    b = b + t:get("bad")
    if first == "" then first = t:get("first_bad") end
    for code, c in pairs(t:get("statuses")) do st[code] = (st[code] or 0) + c end
  end
  local keys = {}
  for code in pairs(st) do keys[#keys + 1] = code end
  table.sort(keys)
  local parts = {}
  for _, code in ipairs(keys) do parts[#parts + 1] = code .. "=" .. st[code] end
  io.write(string.format("mix: checked %d unexpected %d statuses %s\n", n, b, table.concat(parts, " ")))
  if first ~= "" then io.write("mix: first unexpected: " .. first .. "\n") end
end
