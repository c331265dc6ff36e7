--- Private: the event loop authcodes finds itself in (nginx, skynet, or none), how to
-- wait there without blocking it, and which clock to read.
--
-- Every wait `retry` makes goes through `sleep` here, so this file is the one place
-- that knows the rule "never block an event loop": inside nginx only `ngx.sleep`, and
-- only in a phase that can yield; inside skynet only `skynet.sleep`, and only in a
-- coroutine skynet runs; the C core's blocking sleep only where there is no loop.
-- @module authcodes.loop
-- @local

local core = require "authcodes.core"

local type, tostring, rawget, pcall = type, tostring, rawget, pcall
local ceil = math.ceil

local M = {}

-- nginx phases whose handlers may yield (ngx.sleep works there); every other phase
-- (init, init_worker, set, header_filter, body_filter, log, balancer, exit_worker...)
-- runs outside a coroutine, and any sleep there would freeze the whole worker.
local YIELDABLE = { rewrite = true, server_rewrite = true, access = true, content = true,
  timer = true, ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
  preread = true }
-- Phases that serve a client who waits for the answer: a default deadline applies.
local REQUEST = { rewrite = true, server_rewrite = true, access = true, content = true }

-- ngx.sleep counts whole milliseconds: a shorter delay is a sleep(0), which nginx
-- without OpenResty's delayed-events patch (Debian's libnginx-mod-http-lua) answers with
-- a warning in the error log, on every call. So inside nginx, wait at least 1 ms.
-- (Made once per sleep function, not per call: `retry` asks at its first wait.)
local wrapped_for, wrapped
local function at_least_1ms(sleep)
  if sleep ~= wrapped_for then
    wrapped_for, wrapped = sleep, function(seconds) return sleep(seconds < 0.001 and 0.001 or seconds) end
  end
  return wrapped
end

-- skynet.sleep counts ticks of 10 ms; a wait is at least one tick (0 would not yield
-- to the other coroutines of the service, and rounding down would come back early).
local function in_ticks(sleep)
  return function(seconds)
    local ticks = ceil(seconds * 100)
    return sleep(ticks < 1 and 1 or ticks)
  end
end

-- The ngx API when running inside nginx, else nil.
local function ngx_api()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.sleep) == "function" and type(ngx.get_phase) == "function" then
    return ngx
  end
  return nil
end

-- The skynet module once the service has required it, else nil.
local function skynet_api()
  local loaded = rawget(package, "loaded")
  local sk = type(loaded) == "table" and rawget(loaded, "skynet")
  if type(sk) == "table" and type(rawget(sk, "sleep")) == "function" then return sk end
  return nil
end

--- The sleep to use, function(seconds), or nil and why there is none: inside nginx,
-- ngx.sleep in a phase that can yield and none elsewhere; then `other` (the sleep of
-- an event loop authcodes does not know, if the caller configured one); inside skynet,
-- skynet.sleep inside a coroutine that can yield; else the C core's blocking sleep
-- (plain scripts only).
-- @tparam[opt] function other
function M.sleep(other)
  local ngx = ngx_api()
  if ngx then
    local phase = ngx.get_phase()
    if YIELDABLE[phase] then return at_least_1ms(ngx.sleep) end
    return nil, "cannot wait in phase " .. tostring(phase)
  end
  if other ~= nil then return other end
  local sk = skynet_api()
  if sk then
    local yieldable = coroutine.isyieldable  -- Lua 5.3+; skynet runs 5.4 and 5.5
    if yieldable and not yieldable() then return nil, "cannot wait outside a skynet coroutine" end
    return in_ticks(sk.sleep)
  end
  return core.sleep
end

local function ngx_now()
  local ngx = rawget(_G, "ngx")
  ngx.update_time()
  return ngx.now()
end

-- Inside nginx, ngx.now() (refreshed first): the clock of ngx.req.start_time().
local function ngx_clock()
  local ngx = ngx_api()
  if ngx and type(ngx.now) == "function" and type(ngx.update_time) == "function" then return ngx_now end
  return nil
end

--- The clock to read, a function giving seconds: inside nginx `ngx.now()`, refreshed
-- first; elsewhere the C core's monotonic clock.
function M.clock() return ngx_clock() or core.now end

--- The time now on `clock()`'s clock.
function M.now() return M.clock()() end

--- When the current nginx request started (`ngx.req.start_time()`), or nil outside one.
function M.request_start()
  local ngx = ngx_api()
  local req = ngx and rawget(ngx, "req")
  if type(req) ~= "table" or type(req.start_time) ~= "function" then return nil end
  local ok, t = pcall(req.start_time)
  if ok and type(t) == "number" then return t end
  return nil
end

--- True inside an nginx phase that serves a waiting client (rewrite, access, content).
function M.in_request()
  local ngx = ngx_api()
  return ngx ~= nil and REQUEST[ngx.get_phase()] == true
end

return M
