--- The `authcodes` command: errno for Wilddog Auth and iMSDK error codes.
--
--     local cli = require "authcodes.cli"
--     os.exit(cli.main(arg, io.stdout, io.stderr))
--
-- `bin/authcodes` is only a launcher that finds the modules and calls `main`; the specs
-- call `main` in-process with fake streams. The parts: `args` (options, parsing),
-- `query` (lookup, search, "did you mean"), `scan` (keys in log lines and replies),
-- `text` (display width, wrapping, quoting; the escaping itself is `authcodes.text`'s),
-- `view` (records, tables, JSON), `words` (labels), `doc` (help, man page, completions).
--
-- No input may produce a traceback: `main` runs under xpcall; usage errors are raised
-- as tables `{ status =, msg = }`; anything else is reported as an internal error.
-- @module authcodes.cli

local args = require "authcodes.cli.args"
local query = require "authcodes.cli.query"
local scan = require "authcodes.cli.scan"
local text = require "authcodes.cli.text"
local view = require "authcodes.cli.view"

local format, lower = string.format, string.lower
local concat = table.concat
local floor = math.floor
local io, os = io, os
local ipairs, pcall, require, tonumber, tostring, type, xpcall =
      ipairs, pcall, require, tonumber, tostring, type, xpcall
local quote, usage = text.quote, args.usage

local PROG = query.PROG

local M = {}

-- The runtime's name, as `make LUA=` spells it.
local function runtime_name()
  if type(rawget(_G, "jit")) == "table" then return "luajit" end
  return "lua" .. (_VERSION:match("%d+%.%d+") or "5.4")
end

-- The real system: environment, is stdout a terminal, its width. `main`'s `sys`
-- argument replaces any of these (the specs do).
local function real_is_tty(getenv)
  local term = getenv("TERM")
  if not term or term == "" or term == "dumb" then return false end
  local r = os.execute("test -t 1")
  return r == true or r == 0
end

local function real_columns()
  local p = io.popen("stty size </dev/tty 2>/dev/null")
  if not p then return nil end
  local out = p:read("*a") or ""
  p:close()
  return tonumber(out:match("^%s*%d+%s+(%d+)"))
end

--- Load the library, or raise a usage error (status 2) that shows the whole error of
-- `require`, with every place searched, and a hint that fits where the command runs
-- (`sys.layout`: "checkout" or "installed", from the launcher; `sys.root`).
local function load_library(sys)
  local ok, m = pcall(require, "authcodes")
  if ok and type(m) == "table" then return m end
  local rt, ver = runtime_name(), _VERSION:match("%d+%.%d+") or "5.4"
  local hint
  if sys.layout == "checkout" then
    hint = format("build the C module for this runtime in the checkout: make LUA=%s (in %s)", rt, sys.root)
  elseif sys.layout == "installed" then
    hint = format("install the modules for %s into this prefix: make install LUA=%s PREFIX=%s "
      .. "(or luarocks --lua-version %s make), or set LUA_PATH and LUA_CPATH to where they are",
      rt, rt, sys.root, ver)
  else
    hint = format("install them for %s: luarocks --lua-version %s make rockspec/authcodes-scm-1.rockspec, "
      .. "or make install LUA=%s PREFIX=DIR; or set LUA_PATH and LUA_CPATH to where they are", rt, ver, rt)
  end
  local lines = {}
  for l in (tostring(m) .. "\n"):gmatch("([^\n]*)\n") do
    if l:find("%S") then lines[#lines + 1] = "  " .. text.clean(l) end
  end
  usage(format("cannot load the authcodes module on %s:\n%s\n%s: %s", rt, concat(lines, "\n"), PROG, hint))
end

local function version_line(lib)
  local counts = {}
  for _, d in ipairs(lib.domains()) do
    local n = 0
    for _ in lib.each(d) do n = n + 1 end
    counts[#counts + 1] = format("%s %d codes", d, n)
  end
  local jit = rawget(_G, "jit")
  return format("authcodes %s (%s; catalog: %s)", tostring(lib._VERSION),
    type(jit) == "table" and jit.version or _VERSION, concat(counts, ", "))
end

-- The keys of a lookup, with `-` replaced by every code found on stdin:
-- a list of { key = as shown, lookup = what to resolve, domain = hint }.
local function lookup_keys(o, q, sys, errors)
  local is_domain = function(d) return q:is_domain(d) end
  local keys, stdin_done, none = {}, false, false
  for _, raw in ipairs(o.positional) do
    if raw == "-" then
      if not stdin_done then
        stdin_done = true
        local input, cut = scan.read(sys.stdin)
        local found, more = scan.codes(input, is_domain)
        if cut then
          errors[#errors + 1] = format("stdin: read only the first %d bytes", scan.MAX_INPUT)
        end
        if more > 0 then
          errors[#errors + 1] = format("stdin: %d more keys not described (at most %d)", more, scan.MAX_KEYS)
        end
        if #found == 0 then
          none = true
          errors[#errors + 1] = "no code found on stdin; give it log lines with code=N fields, "
            .. format("a JSON reply ({\"code\":-207,...}), or one key a line (see %s --help)", PROG)
        end
        for _, f in ipairs(found) do
          f.once = true          -- a code logged many ways is described once
          keys[#keys + 1] = f
        end
      end
    else
      keys[#keys + 1] = { key = raw, lookup = scan.key_of(raw, is_domain) }
    end
  end
  return keys, none
end

local function run(argv, sys, say, errors)
  local o = args.parse(argv)
  if o.help then say((require("authcodes.cli.doc").help():gsub("\n$", ""))) return 0 end
  if o.completion then
    local ok, lib = pcall(load_library, sys)
    local script = require("authcodes.cli.doc").completion(lower(o.completion), ok and lib.domains() or {})
    if not script then
      usage(format("unknown shell %s for --completion; type --completion bash or --completion zsh",
        quote(o.completion)))
    end
    say((script:gsub("\n$", "")))
    return 0
  end
  if o.version then say(version_line(load_library(sys))) return 0 end
  args.check(o, sys.getenv)
  local cjson
  if o.json then
    local why
    cjson, why = view.cjson()
    if not cjson then usage(why) end
  end
  local q = query.new(load_library(sys))

  local paint, cols = view.painter(false), nil
  if not o.json then
    local nc = sys.getenv("NO_COLOR")
    local tty = sys.is_tty()
    paint = view.painter(o.color == "always" or (o.color == "auto" and (nc == nil or nc == "") and tty))
    if tty then
      local n = tonumber(sys.getenv("COLUMNS") or "") or sys.columns()
      cols = (n and n >= 20) and floor(n) or 80
    end
  end

  local status = 0
  if o.mode == "lookup" then
    local items, shown = {}, 0
    local keys, none = lookup_keys(o, q, sys, errors)
    if none then status = 1 end
    local described = {}      -- codes from stdin are described once however often logged
    for _, k in ipairs(keys) do
      local e, why = q:resolve(k.lookup, k.domain)
      if not e then
        status = 1
        errors[#errors + 1] = why
        if o.json then items[#items + 1] = view.json_miss(cjson, k.key, why) end
      elseif not (k.once and described[e.domain .. "." .. tostring(e.code)]) then
        described[e.domain .. "." .. tostring(e.code)] = true
        if o.json then
          items[#items + 1] = view.json_entry(cjson, e, k.key)
        else
          if shown > 0 then say("") end
          shown = shown + 1
          for _, l in ipairs(view.record(e, o.lang, paint, cols)) do say(l) end
        end
      end
    end
    if o.json then say(view.json_array(items)) end
    return status
  end

  local list, what
  if o.mode == "search" then
    local ws = {}
    for _, p in ipairs(o.positional) do
      for w in p:gmatch("%S+") do ws[#ws + 1] = lower(w) end
    end
    if #ws == 0 then
      usage(format("--search needs words, e.g. %s -s token expired (or %s -s 过期)", PROG, PROG))
    end
    list = q:search(ws, o)
    local shown = {}
    for i, w in ipairs(ws) do shown[i] = quote(w) end
    what = "matches " .. concat(shown, " and ")
  else
    local domains = {}
    for _, p in ipairs(o.positional) do
      local d = lower(p)
      if not q:is_domain(d) then
        local hint = query.closest(d, q:domains())
        usage(format("unknown domain %s for --list; %stype one of: %s (e.g. %s -l %s), or just %s -l",
          quote(p), hint and ("did you mean " .. hint .. "? ") or "",
          concat(q:domains(), ", "), PROG, hint or q:domains()[1], PROG))
      end
      domains[#domains + 1] = d
    end
    list = q:filter(q:entries(#domains > 0 and domains or nil), o)
    what = "is listed"
  end
  if #list == 0 then
    status = 1
    local filters = {}
    if o.class then filters[#filters + 1] = "--class " .. o.class end
    if o.retry then filters[#filters + 1] = "--retry " .. o.retry end
    errors[#errors + 1] = format("no code %s%s; %s", what,
      #filters > 0 and (" with " .. concat(filters, " ")) or "",
      o.mode == "search" and format("try fewer or other words, or list them all: %s -l", PROG)
        or format("try without filters: %s -l", PROG))
  end
  if o.json then
    local items = {}
    for i, e in ipairs(list) do items[i] = view.json_entry(cjson, e, query.qualified(e)) end
    say(view.json_array(items))
  elseif #list > 0 then
    for _, l in ipairs(view.table(list, o.lang, paint, cols)) do say(l) end
  end
  return status
end

--- Run the command. `argv` is the argument list (`arg`), `stdout` and `stderr` are
-- file-like (`:write`, `:flush`); `sys` (optional) replaces parts of the system:
-- `getenv(name)`, `is_tty()`, `columns()`, `stdin` (`:read(n)`), and from the
-- launcher `root` and `layout` ("checkout" or "installed") for the hint shown when the
-- library cannot be loaded. Returns the exit status: 0 found, 1 nothing matched, 2 bad
-- usage or an internal error. Never raises.
function M.main(argv, stdout, stderr, sys)
  sys = sys or {}
  local getenv = sys.getenv or os.getenv
  local tty
  local system = {
    getenv = getenv,
    is_tty = sys.is_tty or function()
      if tty == nil then tty = real_is_tty(getenv) end
      return tty
    end,
    columns = sys.columns or real_columns,
    stdin = sys.stdin or io.stdin,
    root = sys.root or ".",
    layout = sys.layout,
  }
  local out = {}
  local errors = {}
  local function say(s) out[#out + 1] = s end
  local status
  local ok, err = xpcall(function() status = run(argv or {}, system, say, errors) end, function(e)
    if type(e) == "table" then return e end
    return { internal = tostring(e) }
  end)
  if ok and #out > 0 then
    local wrote, why = stdout:write(concat(out, "\n"), "\n")
    if wrote then wrote, why = stdout:flush() end
    if not wrote then
      ok, err = false, { status = 2, msg = "cannot write the output: " .. text.clean(tostring(why)) }
    end
  end
  for _, msg in ipairs(errors) do stderr:write(PROG, ": ", msg, "\n") end
  if not ok then
    if type(err) == "table" and err.msg then
      stderr:write(PROG, ": ", err.msg, "\n")
      status = err.status or 2
    else
      local msg = type(err) == "table" and err.internal or tostring(err)
      stderr:write(PROG, ": internal error: ", text.clean(tostring(msg):match("^[^\n]*") or "?"),
        "\n", PROG, ": this is a bug in authcodes; please report it with the command you typed\n")
      status = 2
    end
  end
  if stderr.flush then stderr:flush() end
  return status or 0
end

return M
