-- bench/gencat.lua N [instructions]: CPU microseconds per row of tools/gencatalog.lua on a catalog of
-- N Wilddog rows (and the spec fixture's other domains), in a fresh process. The data is
-- written to build/bench/gencat-N/ first, outside the clock. Run by bench/run.lua at
-- 1k and 100k rows: the per-row cost must not grow with N (issue #13).
local n = assert(tonumber(arg[1]), "usage: gencat.lua ROWS [instructions]")
-- "instructions": Lua VM instructions per row instead (PUC Lua; a count hook every 100),
-- as bench/register.lua.
local instructions = arg[2] == "instructions"
local dir = "build/bench/gencat-" .. n

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end
local function copy(from, to)
  local f = assert(io.open(from, "rb"))
  write(to, f:read("*a"))
  f:close()
end

assert(os.execute("mkdir -p " .. dir .. "/vendor"))
local fix = "spec/fixtures/gen/good/"
-- Every domain but Wilddog as the spec fixture has it.
for _, f in ipairs { "imsdk.tsv", "transport.tsv", "transport-text.tsv", "vendor/imsdk-seed.md",
                     "vendor/imsdk-additions.tsv" } do
  copy(fix .. f, dir .. "/" .. f)
end
local curated = { "code\tname\taliases\tclass\tretry\tretry_after\thttp\taction\tok\tseed_quirk\tsummary\tnote" }
local seed = { "| 错误码 | 错误信息 | 描述 |", "| ---- | ---- | ---- |" }
local sdk = { "code\tios_enum\tvendor_message_en" }
for i = 1, n do
  local code = 100000 + i
  curated[#curated + 1] = table.concat({ code, "bench_code_" .. i, "BenchEnum" .. i, "UNAVAILABLE", "backoff",
    "-", "-", "retry", "no", "-", "Bench row " .. i .. ".", "-" }, "\t")
  seed[#seed + 1] = "|" .. code .. "| bench_code_" .. i .. "| 基准 " .. i .. "|"
  sdk[#sdk + 1] = code .. "\tBenchEnum" .. i .. "\tBench message " .. i
end
write(dir .. "/wilddog.tsv", table.concat(curated, "\n") .. "\n")
write(dir .. "/vendor/wilddog-seed.md", table.concat(seed, "\n") .. "\n")
write(dir .. "/vendor/wilddog-sdk.tsv", table.concat(sdk, "\n") .. "\n")

-- The generator ends in os.exit: run it in this process with os.exit turned into an error.
local exit = os.exit
os.exit = function(code) error({ exit = code }, 0) end -- luacheck: ignore 122
arg = { [0] = "tools/gencatalog.lua", "--data", dir, "--out", dir .. "/catalog_data.h" } -- luacheck: ignore 121
collectgarbage("collect")
local count, t0 = 0, os.clock()
if instructions then debug.sethook(function() count = count + 1 end, "", 100) end
local ok, err = pcall(dofile, "tools/gencatalog.lua")
if instructions then debug.sethook() end
local t1 = os.clock()
os.exit = exit -- luacheck: ignore 122
assert(not ok and type(err) == "table" and err.exit == 0,
  "gencatalog failed: " .. tostring(type(err) == "table" and err.exit or err))
if instructions then
  io.write(string.format("%.1f\n", count * 100 / n))
else
  io.write(string.format("%.3f\n", (t1 - t0) * 1e6 / n))
end
