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

--- `s` as one POSIX shell word.
function M.shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

return M
