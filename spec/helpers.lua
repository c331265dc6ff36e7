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

--- `s` as one POSIX shell word.
function M.shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

return M
