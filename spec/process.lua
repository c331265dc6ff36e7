-- Processes and ports for the specs that start real servers (nginx, redis-server):
-- spec/integration/nginx_spec.lua, spec/integration/redis_fleet.lua,
-- spec/redis_server.lua. One copy of each helper; loopback only.
--
--   local process = require "spec.process"
--   local ok, out = process.run("nginx -p ... -c nginx.conf")
--   local port = process.free_port()
--   process.wait_until(5, function() return process.listening()[port] end)
--   local left = process.stop_nginx(master)    -- QUIT, then KILL after 10 s

local helpers = require "spec.helpers"

local M = {}

--- Run a shell command: ok (true when it exited 0, on every Lua) and its output,
-- stderr included.
function M.run(cmd)
  local code, out = helpers.sh(cmd)
  return code == 0, out
end

--- True when a shell command exits 0 (its output thrown away).
function M.sh_ok(cmd)
  local r = os.execute(cmd .. " >/dev/null 2>&1")
  return r == true or r == 0
end

function M.sleep(seconds) os.execute("sleep " .. seconds) end

--- Call f every 50 ms until it answers true or `seconds` have passed; its last answer.
function M.wait_until(seconds, f)
  for _ = 1, math.ceil(seconds / 0.05) do
    if f() then return true end
    M.sleep(0.05)
  end
  return f()
end

--- A process that still runs (a zombie has ended: only its exit status is left).
function M.alive(pid)
  local s = helpers.read("/proc/" .. pid .. "/stat")
  if not s then return false end
  local state = s:match("^%d+ %b() (%a)")
  return state ~= nil and state ~= "Z"
end

--- The pids of a process's children, ascending.
function M.children(pid)
  local _, out = M.run("pgrep -P " .. pid)
  local list = {}
  for p in out:gmatch("%d+") do list[#list + 1] = tonumber(p) end
  table.sort(list)
  return list
end

--- TCP ports something listens on now (/proc/net/tcp, tcp6: state 0A). Asked of the
-- kernel: a request to the port would be logged by the server.
function M.listening()
  local used = {}
  for _, f in ipairs { "/proc/net/tcp", "/proc/net/tcp6" } do
    for port in (helpers.read(f) or ""):gmatch("\n%s*%d+: %x+:(%x+) %x+:%x+ 0A") do used[tonumber(port, 16)] = true end
  end
  return used
end

-- Seeded once per process, differently in each: two suites started together pick
-- different ports.
local seeded = false

--- A port from 20000 to 59999 that nothing listens on now (and not `not_this`). Picked,
-- not reserved: a caller that finds it taken when it binds picks again.
function M.free_port(not_this)
  if not seeded then
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
    seeded = true
  end
  local used = M.listening()
  while true do
    local port = math.random(20000, 59999)
    if not used[port] and port ~= not_this then return port end
  end
end

--- Start an nginx with 2 workers from the config in `dir` (which has `logs/`): each try,
-- `write_conf()` picks its ports, writes `dir/nginx.conf` and returns the port nginx
-- listens on; a port taken meanwhile is picked again (5 tries). `env`: a shell prefix
-- of variables for nginx, or nil. Raises with nginx's own words when it does not start.
-- Returns the master's pid, the workers' pids and the port.
function M.start_nginx(nginx, dir, write_conf, env)
  -- As root, nginx would run its workers as "nobody": run them as the caller, who can
  -- read the checkout wherever it is.
  local _, uid = M.run("id -u")
  local g = uid:match("^0%s*$") and " -g 'user root;'" or ""
  local ok, out, port
  for _ = 1, 5 do
    port = write_conf()
    ok, out = M.run((env and env .. " " or "") .. nginx .. " -p " .. helpers.shell_quote(dir .. "/")
      .. " -c nginx.conf" .. g)
    if ok or not out:find("Address already in use", 1, true) then break end
  end
  local function log() return helpers.read(dir .. "/logs/error.log") or "" end
  assert(ok, "nginx did not start: " .. out .. log())
  assert(M.wait_until(5, function() return helpers.read(dir .. "/logs/nginx.pid") ~= nil end), "no pid file")
  local master = tonumber(helpers.read(dir .. "/logs/nginx.pid"):match("%d+"))
  assert(M.wait_until(5, function() return M.listening()[port] end), "nginx does not listen: " .. log())
  assert(M.wait_until(5, function() return #M.children(master) == 2 end), "want 2 workers")
  return master, M.children(master), port
end

--- Stop an nginx: QUIT to its master, then KILL to whatever of it is left after 10 s;
-- waits for every process to end. `also`: more pids of it (workers seen earlier).
-- Returns every pid it stopped, and those that would not die.
function M.stop_nginx(master, also)
  local pids = { master }
  for _, p in ipairs(M.children(master)) do pids[#pids + 1] = p end
  for _, p in ipairs(also or {}) do pids[#pids + 1] = p end
  M.run("kill -QUIT " .. master)
  local function all_gone()
    for _, p in ipairs(pids) do if M.alive(p) then return false end end
    return true
  end
  if not M.wait_until(10, all_gone) then
    for _, p in ipairs(pids) do if M.alive(p) then M.run("kill -KILL " .. p) end end
    M.wait_until(3, all_gone)
  end
  local left = {}
  for _, p in ipairs(pids) do if M.alive(p) then left[#left + 1] = p end end
  return pids, left
end

return M
