-- bench/mem.lua MODULE CODES.lua: Lua heap a module adds, in a fresh process.
--
-- Prints five numbers: the heap added by `require MODULE` (KB, after a full
-- collection), the heap added once every code in CODES.lua has been looked up through
-- MODULE.lookup (KB), the bytes allocated per lookup in a steady loop with the
-- collector stopped, then (KB) the heap once every code has also been made into an
-- error object with MODULE.new, and once each has also been printed (`tostring`) and
-- formatted as a problem body (`MODULE.format(err, "problem")`). The error objects are
-- dropped before each measure: what is left is what the VM keeps (caches), not the
-- objects. A module without `new` (the peer) prints its catalog's heap there: a
-- Kong-style error keeps nothing per code. The code list is loaded before the baseline
-- so it counts for none. On LuaJIT the JIT is off: compiled traces live on the GC heap too, and
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

local after_new, after_fmt = after_all, after_all
if m.new then
  local new = m.new
  for i = 1, #codes do assert(new(codes[i])) end
  after_new = full_gc() - base
  local format = m.format
  for i = 1, #codes do
    local err = new(codes[i])
    assert(#tostring(err) > 0 and #format(err, "problem") > 0)
  end
  after_fmt = full_gc() - base
end

io.write(string.format("%.1f %.1f %.3f %.1f %.1f\n", after_require, after_all, (c1 - c0) * 1024 / n,
  after_new, after_fmt))
