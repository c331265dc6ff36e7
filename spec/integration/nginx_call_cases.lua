--- Test-only handlers for spec/integration/nginx_example.lua (issue #11): authcodes
-- around real vendor calls in a real nginx. Copied into the test prefix next to
-- examples/nginx's own handlers; its server block is added to the example's nginx.conf
-- by the spec. Every answer carries X-Attempts (calls made) and X-Why (why retry
-- stopped).

local authcodes = require "authcodes"
local acngx = require "authcodes.ngx"
local cjson = require "cjson.safe"

local M = {}

local function arg1(v)
  if type(v) == "table" then return v[1] end
  return v
end

-- Send the outcome of a retry: "ok" or the problem, with X-Attempts and X-Why.
local function answer(reply, err, attempts, why)
  ngx.header["X-Attempts"] = attempts or 1
  ngx.header["X-Why"] = why or "success"
  if reply == nil then return acngx.respond(err) end
  ngx.say("ok")
end

-- One HTTP/1.0 call to the simulated vendor over a cosocket: whatever goes wrong is
-- returned as the cosocket says it (`nil, "connection refused"`, `nil, "timeout"`), the
-- way a user's own client code does; a reply goes through check with status and headers.
local function call_socket(port, query, left)
  local sock = ngx.socket.tcp()
  sock:settimeout(math.max(1, math.floor((left or 2) * 1000)))
  local ok, err = sock:connect("127.0.0.1", port)
  if not ok then return nil, err end
  ok, err = sock:send("GET /imsdk?" .. query .. " HTTP/1.0\r\nHost: vendor\r\n\r\n")
  if not ok then sock:close(); return nil, err end
  local line
  line, err = sock:receive("*l")
  if not line then sock:close(); return nil, err end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  local headers = {}
  while true do
    local h
    h, err = sock:receive("*l")
    if not h then sock:close(); return nil, err end
    if h == "" then break end
    local k, v = h:match("^([^:]+):%s*(.*)$")
    if k then headers[k] = v end
  end
  local body
  body, err = sock:receive("*a")
  sock:close()
  if not body then return nil, err end
  return authcodes.check(body, "imsdk", { status = status, headers = headers })
end

--- /t/socket?port=P&q=QUERY&deadline=D: a cosocket call with the default policy (a
-- deadline when given), fn setting its socket timeout from the time left.
function M.socket()
  local args = ngx.req.get_uri_args(20)
  local port, query = tonumber(arg1(args.port)), arg1(args.q) or ""
  local policy = { budget = false, base = 0.01, cap = 0.05, deadline = tonumber(arg1(args.deadline)) }
  return answer(authcodes.retry(function(_, left) return call_socket(port, query, left) end, policy))
end

--- /t/capture?via=down|slow&q=QUERY: ngx.location.capture through a proxy that cannot
-- connect (502 page) or times out (504 page); check reads the status.
function M.capture()
  local args = ngx.req.get_uri_args(20)
  local uri = arg1(args.via) == "down" and "/_down_vendor/imsdk" or "/_slow_vendor/imsdk"
  return answer(authcodes.retry(function()
    local res = ngx.location.capture(uri, { args = arg1(args.q) or "" })
    return authcodes.check(res.body, "imsdk", { status = res.status, headers = res.header })
  end, { budget = false, base = 0.01, cap = 0.05 }))
end

local outage_budget
--- /t/outage?port=P: the vendor is down; retries come out of one budget shared by all
-- workers (capacity 50, cost 5: ten retries in all, however many requests).
function M.outage()
  if outage_budget == nil then
    outage_budget = authcodes.budget { dict = ngx.shared.authcodes, key = "outage", capacity = 50, cost = 5 }
  end
  local port = tonumber(arg1(ngx.req.get_uri_args(5).port))
  return answer(authcodes.retry(function(_, left) return call_socket(port, "", left) end,
    { budget = outage_budget, base = 0.001, cap = 0.005 }))
end

--- log_by_lua of /t/log_retry: a retry whose wait would be 2 s, in a phase that cannot
-- yield. It must come back at once; the result goes to the shared dict.
function M.log_retry()
  ngx.update_time()
  local t0 = ngx.now()
  local _, _, n, why, reason = authcodes.retry(function() return nil, -207 end,
    { base = 2, cap = 2, random = function() return 1 end, budget = false })
  ngx.update_time()
  ngx.shared.vendor_sim:set("log_retry", cjson.encode {
    elapsed = ngx.now() - t0, attempts = n, why = why, reason = reason })
end

--- /t/log_result: what the last log-phase retry said.
function M.log_result()
  ngx.say(ngx.shared.vendor_sim:get("log_retry") or "{}")
end

-- The first jitter this worker drew, in init_worker (before any request).
local first_jitter

--- init_worker_by_lua: draw the worker's first jitter (should_retry does not sleep).
function M.init_worker()
  first_jitter = select(2, authcodes.should_retry(-207, 1, { base = 1, cap = 1 }))
end

--- /t/jitter: this worker's pid and first jitter.
function M.jitter()
  ngx.say(ngx.worker.pid(), " ", string.format("%.17g", first_jitter))
end

--- The README's upstream (/upstream/imsdk/login): the simulated vendor, asked what the
-- request's X-Sim-Args header says (a subrequest has its parent's headers).
function M.readme_upstream()
  ngx.req.set_uri_args(ngx.var.http_x_sim_args or "")
  require("vendor_sim").serve("imsdk")
end

return M
