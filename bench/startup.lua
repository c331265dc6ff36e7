-- bench/startup.lua MODULE: CPU time of `require MODULE` in this (fresh) process, in
-- microseconds (os.clock: process CPU time, 1 us resolution). Run once per process.

local clock = os.clock
local mod = arg[1]
local t0 = clock()
require(mod)
local t1 = clock()
io.write(string.format("%.1f\n", (t1 - t0) * 1e6))
