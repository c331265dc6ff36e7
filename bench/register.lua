-- bench/register.lua N [instructions]: CPU microseconds (or Lua VM instructions) per row
-- of `authcodes.register` with N rows,
-- in a fresh process (the rows are built before the clock starts). Run by
-- bench/run.lua at 1k and 100k rows: the per-row cost must not grow with N (issue #13).
-- The rows come in code order except every 10th pair, swapped, so that the order check
-- finds them unsorted and the sort runs too; a few aliases each.
local authcodes = require "authcodes"
local n = assert(tonumber(arg[1]), "usage: register.lua ROWS")

local rows = {}
for i = 1, n do
  rows[i] = { code = 1000000 + i, name = "bench_row_" .. i, class = "UNAVAILABLE", retry = "backoff",
              summary = "Bench row " .. i .. ".", aliases = { "BenchAlias" .. i } }
end
for i = 10, n, 10 do rows[i], rows[i - 1] = rows[i - 1], rows[i] end

collectgarbage("collect")
if arg[2] == "instructions" then
  -- The Lua VM instructions per row (PUC Lua: a count hook every 100), to tell an
  -- algorithm that grows from a machine that slows down as the heap outgrows its caches.
  local count = 0
  debug.sethook(function() count = count + 1 end, "", 100)
  assert(authcodes.register("bench_linear", rows))
  debug.sethook()
  io.write(string.format("%.1f\n", count * 100 / n))
  return
end
local t0 = os.clock()
assert(authcodes.register("bench_linear", rows))
local t1 = os.clock()
assert(authcodes.lookup("bench_linear", 1000000 + n).name == "bench_row_" .. n)
io.write(string.format("%.3f\n", (t1 - t0) * 1e6 / n))
