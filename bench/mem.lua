-- bench/mem.lua MODULE CODES.lua: Lua heap a module adds, in a fresh process.
--
-- Prints three numbers (KB): the heap added by `require MODULE` (after a full
-- collection), the heap added once every code in CODES.lua has been looked up through
-- MODULE.lookup, and the bytes allocated per lookup in a steady loop with the
-- collector stopped. The code list is loaded before the baseline so it counts for
-- neither. On LuaJIT the JIT is off: compiled traces live on the GC heap too, and
-- which ones exist is not a property of the module's data.

local jit = rawget(_G, "jit")
if jit then jit.off() end

local mod, codes_file = arg[1], arg[2]
local codes = dofile(codes_file)

local function full_gc()
  collectgarbage("collect")
  collectgarbage("collect")
  return collectgarbage("count")
end

local base = full_gc()
local m = require(mod)
local after_require = full_gc() - base

local lookup = m.lookup
for i = 1, #codes do assert(lookup(codes[i]), codes[i]) end
local after_all = full_gc() - base

-- steady state: every code is known; allocations per lookup with the GC stopped
local n, sink = 0, nil
collectgarbage("stop")
local c0 = collectgarbage("count")
for _ = 1, 100 do
  for i = 1, #codes do sink = lookup(codes[i]); n = n + 1 end
end
local c1 = collectgarbage("count")
collectgarbage("restart")
assert(sink)

io.write(string.format("%.1f %.1f %.3f\n", after_require, after_all, (c1 - c0) * 1024 / n))
