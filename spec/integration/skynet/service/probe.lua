-- probe: is skynet still on time while other services wait between retries?
--   newservice("probe", "timer")   a 10 ms timer (skynet.sleep(1)) in a loop, each one timed
--   newservice("probe", "ping")    "start" with a target service: `ping` it every 10 ms,
--                                  each round trip timed
-- `start([target])` begins measuring, `stop()` ends and returns
-- { n = samples, max_ms = the slowest, mean_ms = }. A service blocked in a C sleep answers
-- a ping only when its sleep ends; worker threads all blocked fire no timer: both show
-- up here as hundreds of milliseconds.
local skynet = require "skynet"

local kind = ...
local running, n, max_ms, sum_ms = false, 0, 0, 0
local CMD = {}

local function now_ms() return skynet.hpc() / 1e6 end

local function loop(target)
  while running do
    local t0 = now_ms()
    if kind == "ping" then
      skynet.call(target, "lua", "ping")
    else
      skynet.sleep(1)
    end
    local dt = now_ms() - t0
    if not running then break end
    n, sum_ms = n + 1, sum_ms + dt
    if dt > max_ms then max_ms = dt end
    if kind == "ping" then skynet.sleep(1) end
  end
end

function CMD.start(target)
  assert(not running, "probe already running")
  running, n, max_ms, sum_ms = true, 0, 0, 0
  skynet.fork(loop, target)
  return true
end

function CMD.stop()
  running = false
  return { n = n, max_ms = max_ms, mean_ms = n > 0 and sum_ms / n or 0 }
end

skynet.start(function()
  assert(kind == "ping" or kind == "timer", "probe: ping or timer")
  skynet.dispatch("lua", function(_, _, cmd, ...)
    skynet.retpack(assert(CMD[cmd], cmd)(...))
  end)
end)
