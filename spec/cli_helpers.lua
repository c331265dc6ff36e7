-- Shared by the specs of the `authcodes` command (cli_spec.lua, cli_input_spec.lua,
-- cli_install_spec.lua): run it in-process (`run`, `run_with`: `main` with fake
-- streams and a fake environment: LC_ALL=C, NO_COLOR unset, stdout not a terminal
-- unless a case says so) or as a process (`run_process`, `sh`, with the interpreter
-- named by AUTHCODES_LUA, else the one running the specs), and read what it printed.
local cli = require "authcodes.cli"
local authcodes = require "authcodes"

local spec_helpers = require "spec.helpers"
local shell_quote, slurp = spec_helpers.shell_quote, spec_helpers.slurp

local LUA = spec_helpers.runtime()

-- Is `cmd` installed?
local function have(cmd) return require("spec.process").sh_ok("command -v " .. cmd) end

local function capture(cmd)
  local p = assert(io.popen(cmd))
  local s = p:read("*a")
  p:close()
  return s
end

-- The checkout root, absolute: this file is <root>/spec/cli_helpers.lua.
local ROOT = (function()
  local src = debug.getinfo(1, "S").source:sub(2)
  local dir = src:match("^(.*)/spec/[^/]*$") or "."
  return (capture("cd " .. shell_quote(dir) .. " && pwd"):gsub("\n$", ""))
end)()

local ABI = LUA == "luajit" and "5.1" or LUA:match("^lua(%d%.%d)$") or "5.4"

--- Run a shell command line in `dir` (the checkout by default) with a fixed locale and
-- no colour preference; returns { out, err, status }.
local function sh(cmdline, dir, env)
  local out, err, st = os.tmpname(), os.tmpname(), os.tmpname()
  local full = string.format("cd %s && (env LC_ALL=C NO_COLOR= %s %s) >%s 2>%s </dev/null; echo $? >%s",
    shell_quote(dir or ROOT), env or "", cmdline, out, err, st)
  os.execute(full)
  local r = { out = slurp(out), err = slurp(err), status = tonumber(slurp(st):match("%d+")) }
  os.remove(out) os.remove(err) os.remove(st)
  return r
end

--- Run bin/authcodes as a process, with these arguments (each one shell-quoted).
local function run_process(...)
  local args = { LUA, "bin/authcodes" }
  for i = 1, select("#", ...) do args[#args + 1] = shell_quote((select(i, ...))) end
  return sh(table.concat(args, " "))
end

-- A file-like object that keeps what is written to it.
local function sink()
  local parts = {}
  return {
    write = function(self, ...)
      for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
      return self
    end,
    flush = function(self) return self end,
    text = function() return table.concat(parts) end,
  }
end

-- A file-like stdin holding `s`.
local function source(s)
  local pos = 1
  return {
    read = function(_, n)
      if pos > #s then return nil end
      local chunk = s:sub(pos, pos + n - 1)
      pos = pos + #chunk
      return chunk
    end,
  }
end

--- Call main in-process: `argv` a list, `opts` { env = {...}, tty = bool, columns = n,
-- stdin = string }; returns { out, err, status }. The environment is LC_ALL=C and
-- nothing else unless `opts.env` says more.
local function run_with(argv, opts)
  opts = opts or {}
  local env = { LC_ALL = "C" }
  for k, v in pairs(opts.env or {}) do env[k] = v end
  local out, err = sink(), sink()
  local status = cli.main(argv, out, err, {
    getenv = function(k) return env[k] end,
    is_tty = function() return opts.tty == true end,
    columns = function() return opts.columns end,
    stdin = source(opts.stdin or ""),
  })
  return { out = out.text(), err = err.text(), status = status }
end

--- Call main in-process with these arguments.
local function run(...)
  return run_with({ ... })
end

-- Run `fn` with package.loaded.authcodes (and preload) replaced, then put them back.
local function with_library(loaded, preload, fn)
  local saved_loaded, saved_preload = package.loaded.authcodes, package.preload.authcodes
  package.loaded.authcodes, package.preload.authcodes = loaded, preload
  local ok, err = pcall(fn)
  package.loaded.authcodes, package.preload.authcodes = saved_loaded, saved_preload
  assert(ok, err)
end

local function lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

-- A record's "  label  value" lines as a map (first occurrence), plus the headline.
local function record(s)
  local ls = lines(s)
  local fields = {}
  for _, l in ipairs(ls) do
    local label, value = l:match("^  (%S.-)  +(%S.*)$")
    if label and fields[label] == nil then fields[label] = value end
  end
  return fields, ls[1]
end


-- Display width, written independently of the command's: one column per character, two
-- for the CJK / fullwidth blocks the catalog uses.
local function display_width(s)
  local w = 0
  for ch in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    local cp
    local b = { ch:byte(1, -1) }
    if #b == 1 then cp = b[1]
    elseif #b == 2 then cp = (b[1] % 32) * 64 + b[2] % 64
    elseif #b == 3 then cp = ((b[1] % 16) * 64 + b[2] % 64) * 64 + b[3] % 64
    else cp = (((b[1] % 8) * 64 + b[2] % 64) * 64 + b[3] % 64) * 64 + b[4] % 64 end
    local wide = (cp >= 0x1100 and cp <= 0x115F) or (cp >= 0x2E80 and cp <= 0xA4CF)
      or (cp >= 0xAC00 and cp <= 0xD7A3) or (cp >= 0xF900 and cp <= 0xFAFF)
      or (cp >= 0xFE30 and cp <= 0xFE4F) or (cp >= 0xFF00 and cp <= 0xFF60)
      or (cp >= 0xFFE0 and cp <= 0xFFE6) or (cp >= 0x20000 and cp <= 0x3FFFD)
    w = w + (wide and 2 or 1)
  end
  return w
end

local function count(domain) return #spec_helpers.entries_of(authcodes, domain) end

return {
  LUA = LUA,
  have = have,
  ROOT = ROOT,
  ABI = ABI,
  sh = sh,
  run_process = run_process,
  run_with = run_with,
  run = run,
  with_library = with_library,
  lines = lines,
  record = record,
  display_width = display_width,
  count = count,
  shell_quote = shell_quote,
  slurp = slurp,
}
