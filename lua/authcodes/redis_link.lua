--- Private: one Redis-backed store as `authcodes.redis` describes it (the client
-- interface, failing open, logging once per interval). `authcodes.retry`'s Redis budget
-- and `authcodes.breaker` make one each; not part of the API.
-- @module authcodes.redis_link
-- @local

local core = require "authcodes.core"
local redis = require "authcodes.redis"
local text_of = require("authcodes.internal").text_of

local type, pcall, ipairs, rawget, setmetatable, unpack =
  type, pcall, ipairs, rawget, setmetatable, table.unpack or unpack  -- luacheck: ignore 143
local format, floor = string.format, math.floor

local M = {}

-- Error text from Redis or a client, made fit for one log line: printable ASCII only,
-- at most 200 bytes.
local function clean(v)
  local s = text_of(v) or "nil"
  s = s:gsub("[^\32-\126]", "?")
  if #s > 200 then s = s:sub(1, 200) .. "..." end
  return s
end

local function default_log(msg)
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.log) == "function" and ngx.WARN then
    ngx.log(ngx.WARN, msg)
  else
    io.stderr:write(msg, "\n")
  end
end

local function number_opt(opts, k)
  local v = rawget(opts, k)
  if v == nil then return redis.defaults[k] end
  if type(v) ~= "number" or v ~= v or v < 0 then return nil, "opts." .. k .. " must be a number >= 0" end
  return v
end

local Link = {}
Link.__index = Link

--- The connection side of a Redis-backed object, its options checked once: a link, or
-- `nil, msg` for the caller to raise as a bad argument.
function M.link(opts, what)
  local r = rawget(opts, "redis")
  local tr = type(r)
  if tr ~= "function" and not ((tr == "table" or tr == "userdata") and r.eval ~= nil) then
    return nil, "opts.redis must be a Redis client (with an eval method) or a function returning one"
  end
  local release, log, now = rawget(opts, "release"), rawget(opts, "log"), rawget(opts, "now")
  if release ~= nil and type(release) ~= "function" then return nil, "opts.release must be a function" end
  if log ~= nil and type(log) ~= "function" then return nil, "opts.log must be a function" end
  if now ~= nil and type(now) ~= "function" then return nil, "opts.now must be a function" end
  local link = setmetatable({
    redis = r, getter = tr == "function", release = release,
    log = log or default_log, now = now or core.now, what = what,
    down_until = nil,     -- while set and not passed, Redis is not asked
    fallbacks = 0,        -- operations that fell back since the last log line
    logged_at = nil,      -- when the last line was written
    last_err = nil,
  }, Link)
  for _, k in ipairs { "timeout", "recheck", "log_interval" } do
    local v, err = number_opt(opts, k)
    if v == nil then return nil, err end
    link[k] = v
  end
  return link
end

-- Set the time left on a client that can take it: lua-resty-redis (its object holds
-- `_sock`) and redis-lua (`network.socket`). Not by asking for a `set_timeout` method:
-- skynet's client makes a Redis command of any method name.
local function set_timeout(client, seconds)
  if type(client) ~= "table" then return end
  if rawget(client, "_sock") ~= nil and type(client.set_timeout) == "function" then
    client:set_timeout(floor(seconds * 1000) + 1)
    return
  end
  local net = rawget(client, "network")
  local sock = type(net) == "table" and rawget(net, "socket")
  if sock and type(sock.settimeout) == "function" then sock:settimeout(seconds) end
end

local function is_noscript(err)
  return type(err) == "string" and err:find("NOSCRIPT", 1, true) ~= nil
end

-- One script call on a client: reply, or nil and an error message. May raise. A
-- client that raises on error replies (redis-lua, skynet) raises NOSCRIPT too.
local function call(client, script, nkeys, ...)
  if client.evalsha ~= nil and script.sha then
    local ok, res, err = pcall(client.evalsha, client, script.sha, nkeys, ...)
    if not ok then res, err = nil, res end
    if res or not is_noscript(err) then
      if not ok then error(err, 0) end
      return res, err
    end
  end
  return client:eval(script.source, nkeys, ...)
end

-- The script call, run under pcall: reply, or nil and why.
local function send(link, client, script, nkeys, argv, deadline)
  local left = deadline - link.now()
  if left <= 0 then return nil, "timeout (connecting)" end
  set_timeout(client, left)
  local res, err = call(client, script, nkeys, unpack(argv, 1, argv.n or #argv))
  if not res then return nil, err == nil and "empty reply" or clean(err) end
  if link.now() > deadline then return nil, "slower than timeout" end
  return res
end

-- Anything raised while reporting (a broken log function) stays here.
local function note(link, msg)
  pcall(link.log, msg)
end

--- Run a script on Redis: `argv` holds its `nkeys` keys, then its arguments. Its
-- reply, or `nil, err` when it failed or Redis is being left alone after a failure;
-- never raises. Counts and logs fallbacks.
function Link:run(script, nkeys, argv)
  local now = self.now()
  local down = self.down_until
  if down and now < down then
    return self:fell_back(now, nil)
  end
  local client, ok, res, err = self.redis
  if self.getter then
    ok, client, err = pcall(client, floor(self.timeout * 1000) + 1)
    if not ok or not client then
      client, res, err = nil, nil, "no connection: " .. clean(ok and err or client)
    end
  end
  if client then
    ok, res, err = pcall(send, self, client, script, nkeys, argv, now + self.timeout)
    if not ok then res, err = nil, clean(res) end
    if self.getter and self.release then pcall(self.release, client, res ~= nil) end
  end
  if res == nil then
    self.down_until = self.now() + self.recheck
    return self:fell_back(now, err)
  end
  if down then
    self.down_until = nil
    note(self, format("authcodes: %s: Redis answers again; %d operation(s) used the local backend",
      self.what, self.fallbacks))
    self.fallbacks, self.logged_at = 0, nil
  end
  return res
end

-- Count one fallback; log at most once per log_interval. Returns nil, why.
function Link:fell_back(now, err)
  if err then self.last_err = err end
  self.fallbacks = self.fallbacks + 1
  local at = self.logged_at
  if at == nil or now - at >= self.log_interval then
    self.logged_at = now
    note(self, format("authcodes: %s: Redis failed (%s); using the local backend, " ..
      "Redis asked again every %gs; %d operation(s) fell back since the last message",
      self.what, self.last_err or "?", self.recheck, self.fallbacks))
    self.fallbacks = 0
  end
  return nil, self.last_err
end

--- A script, sent with `EVALSHA` and, when Redis does not hold it (`NOSCRIPT`), `EVAL`.
-- The SHA-1 is given with the source (spec/redis_spec.lua checks it against what Redis
-- computes), so no SHA-1 code is needed here.
-- @local
function M.script(source, sha)
  return { source = source, sha = sha }
end

return M
