-- A real redis-server (Debian's) for the specs of issue #16: started on a free port of
-- 127.0.0.1 in a temporary directory, nothing saved to disk, and stopped by the spec.
--
--   local server = require "spec.redis_server"
--   local srv, why = server.start()     -- nil, why when redis-server is missing
--   srv.port; srv:kill(); srv:restart(); srv:stop()
--
-- Also `server.client_module()`: Debian's lua-redis (redis-lua), found for every
-- runtime (Debian links it for Lua 5.1-5.3 only; the file is plain Lua and runs on
-- 5.4 too, so /usr/share/lua/5.1 is tried last).

local helpers = require "spec.helpers"

local M = {}

local process = require "spec.process"
local run, sh_ok, listening, alive, wait_until =
  process.run, process.sh_ok, process.listening, process.alive, process.wait_until

--- redis-lua's module, or nil and why.
function M.client_module()
  local ok, m = pcall(require, "redis")
  if ok then return m end
  local saved = package.path
  package.path = package.path .. ";/usr/share/lua/5.1/?.lua"
  ok, m = pcall(require, "redis")
  if ok then return m end
  package.path = saved
  return nil, "lua-redis (redis-lua) cannot be loaded: " .. tostring(m)
end

local Server = {}
Server.__index = Server

function Server:launch()
  local args = table.concat({
    "redis-server", "--port", self.port, "--bind", "127.0.0.1", "--save", "''", "--appendonly", "no",
    "--daemonize", "yes", "--pidfile", helpers.shell_quote(self.dir .. "/redis.pid"),
    "--dir", helpers.shell_quote(self.dir), "--logfile", helpers.shell_quote(self.dir .. "/redis.log"),
  }, " ")
  local ok, out = run(args)
  if not ok then return nil, out end
  -- Redis listens first and writes its pid file after: wait for both.
  local function pid() return tonumber((helpers.read(self.dir .. "/redis.pid") or ""):match("%d+")) end
  if not wait_until(5, function() return listening()[self.port] and pid() ~= nil end) then
    self.pid = pid()
    return nil, "redis-server does not listen: " .. (helpers.read(self.dir .. "/redis.log") or "")
  end
  self.pid = pid()
  return true
end

--- Kill it at once (SIGKILL: a crash, nothing said to the clients).
function Server:kill()
  if self.pid and alive(self.pid) then
    run("kill -KILL " .. self.pid)
    wait_until(5, function() return not alive(self.pid) end)
  end
  self.pid = nil
  os.remove(self.dir .. "/redis.pid")
end

--- Start it again on the same port (empty: nothing was saved).
function Server:restart()
  self:kill()
  return assert(self:launch())
end

--- Stop it and remove its directory.
function Server:stop()
  if self.pid and alive(self.pid) then
    run("kill -TERM " .. self.pid)
    if not wait_until(5, function() return not alive(self.pid) end) then self:kill() end
  end
  self.pid = nil
  if self.dir then run("rm -rf " .. helpers.shell_quote(self.dir)) end
  self.dir = nil
end

--- Start a redis-server; nil and why when there is none.
function M.start()
  if not sh_ok("command -v redis-server") then
    return nil, "redis-server is not installed (Debian: apt-get install redis-server; make deps)"
  end
  local tmp = os.getenv("AUTHCODES_TMP") or "/tmp"
  local _, dir = run("mktemp -d " .. helpers.shell_quote(tmp .. "/authcodes-redis.XXXXXX"))
  local srv = setmetatable({ dir = dir:gsub("%s+$", "") }, Server)
  local ok, err
  for _ = 1, 5 do   -- a free port is picked, not reserved: pick again when it was taken
    srv.port = process.free_port()
    ok, err = srv:launch()
    if ok then return srv end
  end
  srv:stop()
  return nil, "redis-server did not start: " .. tostring(err)
end

--- Say loudly that a suite did not run, and why.
function M.skip_loudly(what, why)
  io.stderr:write(("\n*** SKIPPED: %s: %s ***\n*** This is not a pass: install it (make deps) ***\n\n")
    :format(what, why))
end

return M
