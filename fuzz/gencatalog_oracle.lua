--- Run tools/gencatalog.lua in this Lua state on a data directory, and judge how it
-- ended. Shared by the fuzz_gencatalog harness (fuzz/fuzz_gencatalog.lua) and by
-- spec/fuzz_corpus_spec.lua, which replays the corpus; portable to Lua 5.1-5.4/LuaJIT.
--
-- The generator must either succeed (exit 0, no message) or report every problem as a
-- `data/FILE:LINE: reason` line on stderr and exit 1. A Lua error inside it, another
-- exit status, or any other stderr line is a crash: `run` raises then.
--
--   local oracle = dofile("fuzz/gencatalog_oracle.lua")
--   local gen = oracle.loader("tools/gencatalog.lua")
--   oracle.write_input(dir, input)         -- first byte picks the file, the rest is it
--   local status, lines = gen.run({ "--data", dir, "--check" })

local M = {}

--- The data files an input can replace, in the order its first byte selects them.
M.FILES = {
  "imsdk.tsv", "wilddog.tsv",
  "vendor/imsdk-seed.md", "vendor/imsdk-additions.tsv",
  "vendor/wilddog-seed.md", "vendor/wilddog-sdk.tsv",
  "transport.tsv", "transport-text.tsv",   -- authcodes' own domain (no seed file)
}

local EXIT = {}  -- identity of the error os.exit raises inside the sandbox

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end
M.read = read

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end
M.write = write

--- Make `dir` a copy of the data directory `from` (dir and dir/vendor must exist).
function M.copy_data(from, dir)
  for _, f in ipairs(M.FILES) do write(dir .. "/" .. f, read(from .. "/" .. f)) end
end

--- Which file an input replaces, and its content.
function M.split_input(input)
  if #input == 0 then return M.FILES[1], "" end
  return M.FILES[input:byte(1) % #M.FILES + 1], input:sub(2)
end

--- Write an input over its file in `dir`; `from` (the pristine copy) restores the
-- file the previous input replaced. Returns the file name.
local last
function M.write_input(dir, input, from)
  if last and from then write(dir .. "/" .. last, read(from .. "/" .. last)) end
  local file, content = M.split_input(input)
  write(dir .. "/" .. file, content)
  last = file
  return file
end

local function valid_line(line)
  local file, n, reason = line:match("^data/([%w_%-/%.]+):(%d+): (.+)$")
  if not file then return false end
  for _, f in ipairs(M.FILES) do
    if f == file then return reason:find("%S") ~= nil and tonumber(n) ~= nil end
  end
  return false
end
M.valid_line = valid_line

--- Load the generator once, sandboxed: os.exit raises, stdout/stderr are captured.
function M.loader(path)
  local out, err = {}, {}
  local function sink(t)
    return { write = function(self, ...)
      for i = 1, select("#", ...) do t[#t + 1] = tostring((select(i, ...))) end
      return self
    end }
  end
  local env = setmetatable({
    print = function(...)
      local p = {}
      for i = 1, select("#", ...) do p[i] = tostring((select(i, ...))) end
      out[#out + 1] = table.concat(p, "\t") .. "\n"
    end,
    os = setmetatable({ exit = function(code) error({ [EXIT] = code or true }, 0) end }, { __index = os }),
    io = setmetatable({ stdout = sink(out), stderr = sink(err) }, { __index = io }),
  }, { __index = _G })
  local chunk
  if setfenv then
    chunk = assert(loadfile(path))
    setfenv(chunk, env)
  else
    chunk = assert(loadfile(path, "t", env))
  end

  local gen = {}
  --- Run with these arguments. Returns the exit status (0 or 1) and the stderr lines;
  -- raises on a crash or on output that breaks the contract.
  function gen.run(args)
    for k in pairs(out) do out[k] = nil end
    for k in pairs(err) do err[k] = nil end
    local argv = { [0] = path }
    for i, a in ipairs(args) do argv[i] = a end
    env.arg = argv
    local saved_path = package.path  -- the generator prepends to it on every run
    local ok, e = xpcall(chunk, function(m)
      if type(m) == "table" and m[EXIT] ~= nil then return m end
      return debug.traceback(tostring(m), 2)
    end)
    package.path = saved_path
    if ok then error("gencatalog returned without calling os.exit", 0) end
    if type(e) ~= "table" or e[EXIT] == nil then error("gencatalog crashed: " .. tostring(e), 0) end
    local status = e[EXIT]
    local text = table.concat(err)
    local lines = {}
    for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
    if #text > 0 and text:sub(-1) ~= "\n" then error("gencatalog: stderr does not end in a newline", 0) end
    if status == 0 then
      if #lines > 0 then error("gencatalog exited 0 but reported: " .. lines[1], 0) end
    elseif status == 1 then
      if #lines == 0 then error("gencatalog exited 1 without saying why", 0) end
      for _, line in ipairs(lines) do
        if not valid_line(line) then error("gencatalog: not a file:line: reason line: " .. line, 0) end
      end
    else
      error("gencatalog exited with " .. tostring(status) .. ": " .. text, 0)
    end
    return status, lines, table.concat(out)
  end
  return gen
end

return M
