-- Small helpers the specs share: files and shell quoting. `require "spec.helpers"`
-- (busted runs from the repository root, where ./?.lua finds it).
local M = {}

--- The whole file, or nil (and the reason) when it cannot be read.
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("*a")
  f:close()
  return s
end

--- The whole file; raises when it cannot be read.
function M.slurp(path)
  return assert(M.read(path))
end

--- Write `s` to `path` (replacing it); raises on failure.
function M.write(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
end

--- Every entry of every domain `authcodes` knows (built-in and registered), in order.
function M.all_entries(authcodes)
  local list = {}
  for _, d in ipairs(authcodes.domains()) do
    for e in authcodes.each(d) do list[#list + 1] = e end
  end
  return list
end

--- The entries of one domain of `authcodes`, in code order.
function M.entries_of(authcodes, domain)
  local list = {}
  for e in authcodes.each(domain) do list[#list + 1] = e end
  return list
end

--- Is `v` an integer (a Lua 5.3+ integer subtype where there is one)?
function M.is_integer(v)
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge or math.floor(v) ~= v then
    return false
  end
  if math.type then return math.type(v) == "integer" end
  return true
end

--- Is `v` an element of the array `list`?
function M.contains(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end

--- A second, cold copy of the library: its own catalog state, nothing materialised or
--- cached yet, no registrations. The shared copy's modules are put back afterwards.
function M.fresh_authcodes()
  local saved = {}
  for name, mod in pairs(package.loaded) do
    if name == "authcodes" or name:find("^authcodes%.") then saved[name] = mod end
  end
  for name in pairs(saved) do package.loaded[name] = nil end
  local lib = require "authcodes"
  -- `register` loads on first use (authcodes.register): resolve it now, while this
  -- copy's modules are the loaded ones, so that it registers into this copy's catalog.
  local _ = lib.register
  for name in pairs(saved) do package.loaded[name] = nil end
  for name, mod in pairs(saved) do package.loaded[name] = mod end
  return lib
end

--- Every built-in entry of `lib`, "domain code" -> { e = the entry, t = e:totable() }.
function M.snapshot(lib)
  local all = {}
  for _, d in ipairs { "imsdk", "wilddog" } do
    for e in lib.each(d) do all[d .. " " .. e.code] = { e = e, t = e:totable() } end
  end
  return all
end

--- Where `s` stops being strict UTF-8 (RFC 3629, Unicode table 3-7: no overlong
-- forms, no surrogates, nothing past U+10FFFF, no truncated sequence): the byte
-- position of the first bad sequence, or nil when all of `s` is well-formed. Written
-- here, apart from the library's own decoder, so that the specs check it.
function M.utf8_error(s)
  local i = s:find("[\128-\255]")
  while i do
    local b = s:byte(i)
    local len
    local lo, hi = 0x80, 0xBF   -- the range of the second byte
    if b >= 0xC2 and b <= 0xDF then len = 2
    elseif b == 0xE0 then len, lo = 3, 0xA0
    elseif b == 0xED then len, hi = 3, 0x9F
    elseif b >= 0xE1 and b <= 0xEF then len = 3
    elseif b == 0xF0 then len, lo = 4, 0x90
    elseif b == 0xF4 then len, hi = 4, 0x8F
    elseif b >= 0xF1 and b <= 0xF3 then len = 4
    else return i end
    for k = 1, len - 1 do
      local c = s:byte(i + k)
      if c == nil or c < (k == 1 and lo or 0x80) or c > (k == 1 and hi or 0xBF) then return i end
    end
    i = s:find("[\128-\255]", i + len)   -- the next non-ASCII byte
  end
  return nil
end

-- Code points that end a line, hide text or reorder it on a terminal or in a log.
local function unsafe_cp(cp)
  return cp < 0x20 or (cp >= 0x7F and cp <= 0x9F) or cp == 0x061C or cp == 0x200E or cp == 0x200F
    or (cp >= 0x2028 and cp <= 0x202E) or (cp >= 0x2066 and cp <= 0x2069)
end

--- The first character of a well-formed UTF-8 `s` that must not reach a log line or a
-- terminal (a C0 or C1 control, DEL, U+2028/2029, a bidi control), as "U+XXXX", or nil.
function M.unsafe_char(s)
  local c = s:find("[%z\1-\31\127]")
  if c then return ("U+%04X at %d"):format(s:byte(c), c) end
  -- Every other one starts with one of these bytes (U+0080-U+009F: C2, U+061C: D8,
  -- U+200E-U+2069: E2), which in well-formed UTF-8 only ever start a character.
  local i = s:find("[\194\216\226]")
  while i do
    local b = s:byte(i)
    local cp
    if b < 0xE0 then cp = (b - 0xC0) * 64 + (s:byte(i + 1) - 0x80)
    else cp = ((b - 0xE0) * 64 + (s:byte(i + 1) - 0x80)) * 64 + (s:byte(i + 2) - 0x80) end
    if unsafe_cp(cp) then return ("U+%04X at %d"):format(cp, i) end
    i = s:find("[\194\216\226]", i + 1)
  end
  return nil
end

--- `s` as one POSIX shell word.
function M.shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- A fake global `ngx`: the part of the ngx API authcodes.ngx uses (levels as
-- lua-nginx-module numbers them). What it prints goes to `printed`, what it logs to
-- `logs` as `{ level, msg, level = level, msg = msg }`.
function M.fake_ngx(accept_language)
  local n = {
    STDERR = 0, EMERG = 1, ALERT = 2, CRIT = 3, ERR = 4, WARN = 5, NOTICE = 6, INFO = 7, DEBUG = 8,
    status = 0, header = {}, headers_sent = false,
    var = { http_accept_language = accept_language },
    printed = {}, logs = {},
  }
  function n.print(...)
    n.printed[#n.printed + 1] = table.concat({ ... })
  end
  function n.log(level, ...)
    local msg = table.concat({ ... })
    n.logs[#n.logs + 1] = { level, msg, level = level, msg = msg }
  end
  return n
end

--- Install a new fake `ngx` as the global and load `authcodes.ngx` afresh over it:
-- the module and the fake. The caller puts the real global and module back.
function M.use_fake_ngx(accept_language)
  local fake = M.fake_ngx(accept_language)
  rawset(_G, "ngx", fake)
  package.loaded["authcodes.ngx"] = nil
  return require "authcodes.ngx", fake
end

--- A row for `register`: a valid minimal one, with the fields of `t` over it.
function M.row(t)
  local r = { code = 1, name = "a", summary = "A.", class = "INTERNAL" }
  for k, v in pairs(t or {}) do r[k] = v end
  return r
end

--- Run a shell command: its exit status and its output (stdout and stderr). The status
-- is read from the shell itself: on Lua 5.1 and LuaJIT `close` of a pipe does not give it.
function M.sh(cmd)
  local p = assert(io.popen("(" .. cmd .. ") 2>&1; echo \"EXIT:$?\""))
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("EXIT:(%d+)%s*$")), (out:gsub("EXIT:%d+%s*$", ""))
end

--- The interpreter the specs run on (`AUTHCODES_LUA`, set by tools/suites/specs.sh,
-- else the one running this), for specs that start another process on the same one.
function M.runtime()
  local env = os.getenv("AUTHCODES_LUA")
  if env and env ~= "" then return env end
  if rawget(_G, "jit") then return "luajit" end
  return "lua" .. _VERSION:match("%d+%.%d+")
end

--- A CPU-time bound of `seconds` for the complexity checks (hostile_spec, text_spec),
-- scaled by AUTHCODES_TIME_SCALE where the interpreter runs instrumented: valgrind
-- runs Lua 30-50 times slower, and tools/suites/hardening.sh says so. Not a speed test:
-- a quadratic path still takes minutes, far past any scaled bound.
function M.cpu_limit(seconds)
  return seconds * (tonumber(os.getenv("AUTHCODES_TIME_SCALE")) or 1)
end

return M
