-- memmain: the start service of bench/skynet_mem.sh (one skynet per kind). Launches one
-- warm-up service of the kind (it fills skynet's code cache and maps the C modules), then
-- `bench_n` more, one after another; asks each for its Lua heap; reads the process's
-- resident set (/proc/self/statm) before and after the `bench_n`. Writes one line to
-- `bench_out` and aborts skynet:
--   ok KIND N HEAP_MEDIAN HEAP_MIN HEAP_MAX RSS_BEFORE RSS_AFTER ENTRIES CODECACHE
-- (KB) or `error MESSAGE`.
local skynet = require "skynet"
require "skynet.manager"   -- skynet.abort

local KIND = assert(skynet.getenv("bench_kind"))
local N = assert(tonumber(skynet.getenv("bench_n")))
local PAGE_KB = assert(tonumber(skynet.getenv("bench_page_bytes"))) / 1024
local OUT = assert(skynet.getenv("bench_out"))
local CACHE = assert(skynet.getenv("bench_codecache"))

local function rss_kb()
  local f = assert(io.open("/proc/self/statm", "r"))
  local line = f:read("l")
  f:close()
  return assert(tonumber(line:match("^%d+%s+(%d+)"))) * PAGE_KB
end

local function measure()
  local warm = skynet.newservice("memsvc", KIND, CACHE)
  local _, entries, mode = skynet.call(warm, "lua", "heap")
  local before = rss_kb()
  local services = {}
  for i = 1, N do services[i] = skynet.newservice("memsvc", KIND, CACHE) end
  local heaps = {}
  for i = 1, N do
    local heap, n, m = skynet.call(services[i], "lua", "heap")
    assert(n == entries and m == mode, "services of one kind disagree")
    heaps[i] = heap
  end
  local after = rss_kb()
  table.sort(heaps)
  local median = N % 2 == 1 and heaps[(N + 1) // 2] or (heaps[N // 2] + heaps[N // 2 + 1]) / 2
  return string.format("ok %s %d %.2f %.2f %.2f %.0f %.0f %d %s",
    KIND, N, median, heaps[1], heaps[N], before, after, entries, mode)
end

skynet.start(function()
  local ok, line = pcall(measure)
  if not ok then line = "error " .. tostring(line):gsub("%s+", " ") end
  local f = assert(io.open(OUT, "w"))
  f:write(line, "\n")
  f:close()
  skynet.abort()
end)
