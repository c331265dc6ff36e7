-- bench/run.lua: everything `make bench` measures, then one table of ratios.
--
--   lua5.4 bench/run.lua        (from the top of the tree, after `make LUA=lua5.4` and
--                                `make LUA=luajit`; mk/bench.mk does both)
--
-- 1. generates the pure-Lua peer (build/bench/acpeer.lua) and the code list from the
--    catalog (bench/gen_peer.lua);
-- 2. CPU: bench/bench.lua, one process per runtime (lua5.4, luajit);
-- 3. memory: bench/mem.lua, fresh processes, authcodes against the peer;
-- 3b. linearity: bench/register.lua (register) and bench/gencat.lua (the generator) at
--    1k and 100k rows, fresh processes;
-- 4. start-up: bench/startup.lua, BENCH_STARTS (50) fresh processes per module and
--    runtime, authcodes and peer alternating;
-- 5. nginx: bench/nginx.sh (authcodes.ngx.respond against a hand-made handler);
-- 6. the C module: readelf on both builds;
-- 7. skynet: bench/skynet_mem.sh, Lua heap per service in a real skynet (f19d160 and
--    v1.8.0; skipped, loudly, without the third-party sources);
-- then prints every ratio with its target and PASS/MISS, and writes the same table as
-- Markdown to build/bench/results.md. Exits 0 whatever the verdicts: only a crash fails.
--
-- Variables: BENCH_ROUNDS, BENCH_RUN_MS (bench.lua), BENCH_STARTS, NGINX_ROUNDS,
-- NGINX_SECONDS, WRK_THREADS, WRK_CONNS (nginx.sh), BENCH_SKIP (words: cpu mem linear
-- startup nginx elf).

package.path = "./lua/?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local core = require "authcodes.core"       -- only for its monotonic clock
local now = core.now

local fmt = string.format
local RUNTIMES = { "lua5.4", "luajit" }
local OUT = "build/bench"
local STARTS = tonumber(os.getenv("BENCH_STARTS")) or 50
local skip = {}
for w in (os.getenv("BENCH_SKIP") or ""):gmatch("%S+") do skip[w] = true end
-- BENCH_ONLY: run only the sections named (`make bench-skynet` is BENCH_ONLY=skynet).
-- Section 7 is `skynet` (BENCH_SKIP and BENCH_ONLY words); bench/skynet_mem.sh reads
-- BENCH_SKYNET_N, BENCH_SKYNET_THREADS and BENCH_SKYNET_CODECACHE.
local only = {}
for w in (os.getenv("BENCH_ONLY") or ""):gmatch("%S+") do only[w] = true end
if next(only) then setmetatable(skip, { __index = function(_, k) return not only[k] end }) end

local function say(...) io.write(fmt(...), "\n"); io.flush() end

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function env_for(rt)
  return fmt("LUA_PATH=%s LUA_CPATH=%s", sh_quote("./" .. OUT .. "/?.lua;./lua/?.lua;;"),
    sh_quote("./build/" .. rt .. "/?.so;;"))
end

-- Run a command; `on_line` sees every output line as it comes. Raises on failure.
local function run(cmd, on_line)
  local p = assert(io.popen(cmd .. " 2>&1", "r"))
  for line in p:lines() do on_line(line) end
  local ok, how, code = p:close()
  if ok ~= true and ok ~= 0 then
    error(fmt("bench: command failed (%s %s): %s", tostring(how), tostring(code), cmd), 0)
  end
end

local function capture(cmd)
  local out = {}
  run(cmd, function(l) out[#out + 1] = l end)
  return table.concat(out, "\n")
end

local function first_line(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local s = p and p:read("*l") or ""
  if p then p:close() end
  return s or ""
end

local median = require("bench.stats").median

local rows = {}
local function add_row(fields) rows[#rows + 1] = fields end
local function collect(line)
  if line:sub(1, 4) == "ROW\t" then
    local f = {}
    for v in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = v end
    table.remove(f, 1)
    add_row(f)
  else
    say("%s", line)
  end
end

---------------------------------------------------------------------------------------
say("== machine")
local cpu = first_line("grep -m1 '^model name' /proc/cpuinfo"):gsub("^model name%s*:%s*", "")
say("   %s, nproc %s, %s", cpu, first_line("nproc"), first_line("uname -srm"))
say("   %s; %s; lua-cjson %s; %s", first_line("lua5.4 -v"), first_line("luajit -v"),
  first_line("dpkg-query -W -f '${Version}' lua-cjson"), first_line("cc --version"))

say("== peer: build/bench/acpeer.lua, generated from the catalog (data/)")
run("mkdir -p " .. OUT, say)
run(env_for("lua5.4") .. " lua5.4 bench/gen_peer.lua " .. OUT .. "/acpeer.lua " .. OUT .. "/codes.lua", say)

---------------------------------------------------------------------------------------
if not skip.cpu then
  for _, rt in ipairs(RUNTIMES) do
    run(env_for(rt) .. " " .. rt .. " bench/bench.lua", collect)
  end
end

---------------------------------------------------------------------------------------
if not skip.mem then
  say("== memory: Lua heap (KB) after a full collection, fresh processes")
  for _, rt in ipairs(RUNTIMES) do
    local res = {}
    for _, mod in ipairs { "authcodes", "acpeer" } do
      local runs = { {}, {}, {}, {}, {} }
      for i = 1, 3 do
        local out = capture(fmt("%s %s bench/mem.lua %s %s/codes.lua", env_for(rt), rt, mod, OUT))
        local j = 0
        for v in out:gmatch("[%d%.]+") do j = j + 1; if runs[j] then runs[j][i] = tonumber(v) end end
      end
      local m = {}
      for j = 1, 5 do m[j] = median(runs[j]) end
      res[mod] = { req = m[1], all = m[2], per = m[3], new = m[4], fmt = m[5] }
      say("   %-7s %-10s require %6.1f KB   every code looked up %6.1f KB   steady lookup %.3f B"
        .. "   + new %6.1f KB   + tostring, problem %6.1f KB",
        rt, mod, m[1], m[2], m[3], m[4], m[5])
    end
    local a, p = res.authcodes, res.acpeer
    local function heap_row(measure, subject, v, limit)
      local r = v / p.all
      add_row { rt, measure, subject, fmt("%.1f", v), "pure-Lua peer", fmt("%.1f", p.all), "KB",
        fmt("%.2f", r), limit and fmt("<= %.2f", limit) or "-",
        limit == nil and "info" or (r <= limit and "PASS" or "MISS") }
    end
    heap_row("heap after require", 'require "authcodes"', a.req, 0.25)
    heap_row("heap after every code looked up", "authcodes", a.all, 1.0)
    heap_row("heap, + new() of every code", "authcodes", a.new, nil)
    heap_row("heap, + tostring and problem of every code", "authcodes", a.fmt, 1.5)
  end
end

---------------------------------------------------------------------------------------
if not skip.linear then
  say("== linear: register and the generator, per-row cost at 1k and 100k rows (CPU, median)")
  for _, rt in ipairs(RUNTIMES) do
    local per = {}
    for _, n in ipairs { 1000, 100000 } do
      local t = {}
      for i = 1, 3 do t[i] = tonumber(capture(fmt("%s %s bench/register.lua %d", env_for(rt), rt, n))) end
      per[n] = median(t)
      say("   %-7s register, %6d rows: %.2f us per row", rt, n, per[n])
    end
    local r = per[100000] / per[1000]
    add_row { rt, "register, per row at 100k rows", "100k rows", fmt("%.2f", per[100000]), "1k rows",
      fmt("%.2f", per[1000]), "us/row", fmt("%.2f", r), "<= 1.20", r <= 1.2 and "PASS" or "MISS" }
    -- The generator runs under one interpreter whatever is built; both are measured.
    for _, n in ipairs { 1000, 100000 } do
      local t = {}
      for i = 1, 3 do t[i] = tonumber(capture(fmt("%s bench/gencat.lua %d", rt, n))) end
      per[n] = median(t)
      say("   %-7s generator, %6d rows: %.2f us per row", rt, n, per[n])
    end
    r = per[100000] / per[1000]
    add_row { rt, "generator, per row at 100k rows", "100k rows", fmt("%.2f", per[100000]), "1k rows",
      fmt("%.2f", per[1000]), "us/row", fmt("%.2f", r), "<= 1.20", r <= 1.2 and "PASS" or "MISS" }
  end
  -- The same runs counting Lua VM instructions instead of time (PUC Lua: LuaJIT's hooks
  -- do not see compiled code): what the code does per row, without the machine. Info:
  -- the target is on the time rows above; BENCHMARKS.md says what these tell.
  for _, what in ipairs { { "register", "bench/register.lua", true }, { "generator", "bench/gencat.lua", false } } do
    local per = {}
    for _, n in ipairs { 1000, 100000 } do
      local cmd = what[3] and fmt("%s lua5.4 %s %d instructions", env_for("lua5.4"), what[2], n)
        or fmt("lua5.4 %s %d instructions", what[2], n)
      per[n] = tonumber(capture(cmd))
      say("   lua5.4  %s, %6d rows: %.0f VM instructions per row", what[1], n, per[n])
    end
    add_row { "lua5.4", what[1] .. ", VM instructions per row at 100k rows", "100k rows", fmt("%.0f", per[100000]),
      "1k rows", fmt("%.0f", per[1000]), "instr/row", fmt("%.2f", per[100000] / per[1000]), "-", "info" }
  end
end

---------------------------------------------------------------------------------------
if not skip.startup then
  say("== start-up: `require` in %d fresh processes per module and runtime (alternating)", STARTS)
  for _, rt in ipairs(RUNTIMES) do
    local cpu_t, wall_t = { authcodes = {}, acpeer = {} }, { authcodes = {}, acpeer = {} }
    for _ = 1, STARTS do
      for _, mod in ipairs { "authcodes", "acpeer" } do
        local t0 = now()
        local us = tonumber(capture(fmt("%s %s bench/startup.lua %s", env_for(rt), rt, mod)))
        local t1 = now()
        cpu_t[mod][#cpu_t[mod] + 1] = us
        wall_t[mod][#wall_t[mod] + 1] = (t1 - t0) * 1e3
      end
    end
    local ca, cp = median(cpu_t.authcodes), median(cpu_t.acpeer)
    local wa, wp = median(wall_t.authcodes), median(wall_t.acpeer)
    say("   %-7s require: authcodes %7.0f us, peer %7.0f us (CPU, median); "
      .. "whole process: %.2f ms, %.2f ms (wall, median)",
      rt, ca, cp, wa, wp)
    add_row { rt, "require time (CPU, median)", 'require "authcodes"', fmt("%.0f", ca), "pure-Lua peer",
      fmt("%.0f", cp), "us", fmt("%.2f", ca / cp), "<= 1.00", ca <= cp and "PASS" or "MISS" }
    add_row { rt, "process start + require (wall)", "authcodes", fmt("%.2f", wa), "pure-Lua peer",
      fmt("%.2f", wp), "ms", fmt("%.2f", wa / wp), "-", "info" }
  end
end

---------------------------------------------------------------------------------------
if not skip.nginx then
  say("== nginx: problem+json handler, authcodes.ngx.respond against hand-made, same nginx and wrk")
  run("sh bench/nginx.sh", collect)
end

---------------------------------------------------------------------------------------
if not skip.elf then
  say("== the C module (readelf)")
  for _, rt in ipairs(RUNTIMES) do
    local so = "build/" .. rt .. "/authcodes/core.so"
    local sections, by_index = {}, {}
    for line in capture("readelf -S -W " .. so):gmatch("[^\n]+") do
      local idx, name, addr, size = line:match("^%s*%[%s*(%d+)%]%s+(%S+)%s+%S+%s+(%x+)%s+%x+%s+(%x+)")
      if idx then
        sections[name] = { addr = tonumber(addr, 16), size = tonumber(size, 16) }
        by_index[tonumber(idx)] = name
      end
    end
    local catalog, cat_bytes, outside = {}, 0, {}
    for line in capture("readelf -s -W " .. so):gmatch("[^\n]+") do
      local value, size, kind, ndx, name = line:match("^%s*%d+:%s+(%x+)%s+(%d+)%s+(%S+)%s+%S+%s+%S+%s+(%S+)%s+(ac_%S+)")
      if value and kind == "OBJECT" and not catalog[name] then
        local sec = by_index[tonumber(ndx)] or ndx
        catalog[name] = { addr = tonumber(value, 16), size = tonumber(size), section = sec }
        cat_bytes = cat_bytes + tonumber(size)
        if sec ~= ".rodata" then outside[#outside + 1] = name .. " in " .. sec end
      end
    end
    local relocs, into_catalog, kinds = 0, 0, {}
    for line in capture("readelf -r -W " .. so):gmatch("[^\n]+") do
      local kind, rest = line:match("^%x+%s+%x+%s+(R_%S+)%s*(.*)$")
      if kind then
        relocs = relocs + 1
        kinds[kind] = (kinds[kind] or 0) + 1
        local target = tonumber(rest:match("^(%x+)$") or "", 16)   -- R_*_RELATIVE addend
        if target then
          for _, c in pairs(catalog) do
            if target >= c.addr and target < c.addr + c.size then into_catalog = into_catalog + 1 end
          end
        end
      end
    end
    local function size_of(n) return sections[n] and sections[n].size or 0 end
    local writable = size_of(".data") + size_of(".data.rel.ro") + size_of(".bss")
    local names = {}
    for n, c in pairs(catalog) do names[#names + 1] = fmt("%s %d", n, c.size) end
    table.sort(names)
    local ks = {}
    for k, n in pairs(kinds) do ks[#ks + 1] = fmt("%d %s", n, k) end
    table.sort(ks)
    say("   %s: .text %d B, .rodata %d B, .data %d B, .data.rel.ro %d B, .bss %d B", so,
      size_of(".text"), size_of(".rodata"), size_of(".data"), size_of(".data.rel.ro"), size_of(".bss"))
    say("     catalog objects (%d B): %s", cat_bytes, table.concat(names, ", "))
    say("     dynamic relocations: %d (%s); pointing into the catalog: %d",
      relocs, table.concat(ks, ", "), into_catalog)
    local label = "C core (" .. rt .. " build)"
    add_row { label, "catalog in .rodata", "ac_* objects", fmt("%d", cat_bytes), "outside .rodata",
      #outside == 0 and "none" or table.concat(outside, " "), "B", "-", "all in .rodata",
      (#outside == 0 and cat_bytes > 0) and "PASS" or "MISS" }
    add_row { label, "writable data", ".data+.data.rel.ro+.bss", fmt("%d", writable), ".rodata",
      fmt("%d", size_of(".rodata")), "B", fmt("%.4f", writable / math.max(1, size_of(".rodata"))), "<= 1024 B",
      writable <= 1024 and "PASS" or "MISS" }
    add_row { label, "dynamic relocations", "readelf -r", fmt("%d", relocs), "into the catalog",
      fmt("%d", into_catalog), "", "-", "0 into the catalog", into_catalog == 0 and "PASS" or "MISS" }
  end
end

---------------------------------------------------------------------------------------
if not skip.skynet then
  say("== skynet: Lua heap per service, authcodes against the plain-table catalog (bench/skynet_mem.sh)")
  for _, tag in ipairs { "f19d160", "v1.8.0" } do
    local cmd = "sh bench/skynet_mem.sh " .. tag
    local p = assert(io.popen(cmd .. " 2>&1", "r"))
    for l in p:lines() do collect(l) end
    local ok, how, code = p:close()
    if code == 77 then   -- no third-party sources: said loudly above; a row says so too
      add_row { "skynet " .. tag, "heap per service (SKIPPED: set AUTHCODES_THIRD_PARTY)", "authcodes", "-",
        "plain-table catalog", "-", "KB", "-", "<= 1.00", "SKIP" }
    elseif ok ~= true and ok ~= 0 then
      error(fmt("bench: command failed (%s %s): %s", tostring(how), tostring(code), cmd), 0)
    end
  end
end

---------------------------------------------------------------------------------------
-- The table.
local head = { "runtime", "measure", "authcodes", "value", "against", "value", "unit", "ratio", "target", "result" }
local widths = {}
for i, h in ipairs(head) do widths[i] = #h end
for _, r in ipairs(rows) do
  for i = 1, #head do widths[i] = math.max(widths[i], #(r[i] or "")) end
end
local function line(r)
  local cells = {}
  for i = 1, #head do
    local v = r[i] or ""
    cells[i] = (i == 4 or i == 6 or i == 8) and fmt("%" .. widths[i] .. "s", v) or fmt("%-" .. widths[i] .. "s", v)
  end
  return table.concat(cells, "  ")
end
local counts = { PASS = 0, MISS = 0, ["MISS?"] = 0 }
say("")
say("== results (ratio = authcodes / the other; for req/s higher is better)")
say("%s", line(head))
for _, r in ipairs(rows) do
  say("%s", line(r))
  counts[r[10]] = (counts[r[10]] or 0) + 1
end
say("== %d PASS, %d MISS, %d MISS? (missed by the median, met by a quarter of the rounds: noise)%s",
  counts.PASS, counts.MISS, counts["MISS?"],
  counts.SKIP and fmt("; %d SKIP (NOT measured: see above)", counts.SKIP) or "")
say("   benchmarks are not tests: make bench exits 0 either way")

local f = assert(io.open(OUT .. "/results.md", "wb"))
f:write("| " .. table.concat(head, " | ") .. " |\n")
f:write("|" .. string.rep(" --- |", #head) .. "\n")
for _, r in ipairs(rows) do
  local cells = {}
  for i = 1, #head do cells[i] = (r[i] or ""):gsub("|", "\\|") end
  f:write("| " .. table.concat(cells, " | ") .. " |\n")
end
f:close()
say("   (also in %s/results.md)", OUT)
