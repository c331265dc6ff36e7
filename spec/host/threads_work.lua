--- The work of one thread of spec/host/threads_host.c (`make check-threads`): N rounds
-- of lookups and error objects on varying codes and names, plus direct calls into the
-- C core (the Lua cache answers repeated lookups without it). Returns a checksum of
-- every name, code and message it saw; the host compares the threads' checksums.
-- Plain Lua 5.1-5.4: `lua5.4 -e 'print(dofile("spec/host/threads_work.lua")(1000))'`.

local core = require "authcodes.core"
local authcodes = require "authcodes"

local MOD = 2147483629  -- a prime below 2^31: the sums stay exact in doubles

return function(iterations)
  -- Every spelling of every entry, and keys that name nothing (those reach the C core
  -- on every lookup: misses are not cached).
  local keys, names = {}, {}
  for i = 1, core.count do
    local e = core.entry(i)
    keys[#keys + 1] = e.code
    keys[#keys + 1] = tostring(e.code)
    keys[#keys + 1] = e.name:upper()
    keys[#keys + 1] = e.domain .. "." .. e.name
    names[#names + 1] = e.name
    for _, a in ipairs(e.aliases) do keys[#keys + 1] = a; names[#names + 1] = a end
  end
  for _, k in ipairs { "nope", "imsdk.nope", 123456789, -99999, "failure", "", ("x"):rep(300), 1.5 } do
    keys[#keys + 1] = k
  end

  local found, missed, sum, hash = 0, 0, 0, 0
  local nkeys, nnames = #keys, #names
  for i = 1, iterations do
    local k = keys[i % nkeys + 1]
    local e = authcodes.lookup(k)
    if e then
      found = found + 1
      sum = (sum + e.code + e.http) % MOD
    else
      missed = missed + 1
    end
    local err = authcodes.new(k, i % 5 == 0 and { detail = "attempt " .. (i % 10) } or nil)
    local s = tostring(err)
    hash = (hash * 31 + #s + #err.name) % MOD
    -- the C core directly: a name (any case), a code, an entry
    local n = names[i % nnames + 1]
    local j = core.find_key(i % 2 == 0 and n or n:lower())
    local c = core.find_code(i % 70001 - 35000)
    if c then sum = (sum + c) % MOD end
    if j then hash = (hash * 7 + j) % MOD end
    if i % 64 == 0 then
      local t = core.entry(i % core.count + 1)
      hash = (hash + #t.name + #t.summary) % MOD
    end
  end
  return string.format("found=%d missed=%d sum=%d hash=%d", found, missed, sum, hash)
end
