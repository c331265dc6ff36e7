-- LuaJIT's half of a lookup miss (private to authcodes.catalog, loaded by LuaJIT only).
-- What the C core's two searches answer, as Lua tables made on the first miss, so that
-- a miss compiles (calling a C function ends a trace): a bare miss is a few table
-- indexes. Codes 0..1024 apart, as in every code-indexed table (no array part). PUC Lua
-- calls the core instead (a C call costs no more than a Lua one there) and never loads
-- this module: about 2 KB of prototypes a PUC VM does not hold. docs/design-caches.md,
-- "Misses". Called with the C core and `internal.is_small`; answers `builtin_code`,
-- `builtin_key`, `may_name` and `domain_like`.

local type, ipairs = type, ipairs
local lower, byte = string.lower, string.byte

return function(core, is_small)
  local find_code, find_key = core.find_code, core.find_key

  -- `jit_heads`: the first two bytes (lower case; 0 for none) of every built-in name and
  -- alias, as `FOLD[b1] * 256 + FOLD[b2]`: a key that starts otherwise names no built-in
  -- entry in any case, and is not lower-cased to be sure (`lower` makes a string: most
  -- of a miss's cost, and all it allocated). About 300 keys.
  local jit_codes, jit_small, jit_keys, jit_heads, FOLD
  local function jit_tables()
    jit_codes, jit_small, jit_keys, jit_heads, FOLD = {}, {}, {}, {}, {}
    for b = 0, 255 do FOLD[b] = (b >= 65 and b <= 90) and b + 32 or b end
    for i = 1, core.count do
      local f = core.entry(i)
      if is_small(f.code) then jit_small[f.code] = i else jit_codes[f.code] = i end
      local names = f.aliases
      names[#names + 1] = f.name
      for _, k in ipairs(names) do
        local low = lower(k)
        jit_heads[FOLD[byte(low, 1)] * 256 + (#low > 1 and FOLD[byte(low, 2)] or 0)] = true
        local v = jit_keys[low]
        if v == nil then
          jit_keys[low] = i
        elseif type(v) == "number" then
          if v ~= i then jit_keys[low] = { v, i } end
        else
          v[#v + 1] = i
        end
      end
    end
  end

  -- The built-in entry index of a code, or nil (the core's answer). Until the first miss
  -- the core is asked (a VM that never misses never makes the tables).
  local function builtin_code(code)
    if jit_codes == nil then
      local i = find_code(code)
      if i == nil then jit_tables() end
      return i
    end
    if code >= 0 and code <= 1024 then return jit_small[code] end
    return jit_codes[code]
  end

  -- LuaJIT: false when no built-in name or alias starts like `key` in any case (known
  -- once the tables exist); true when it may.
  local function may_name(key)
    if jit_heads == nil then return true end
    local b2 = byte(key, 2)
    return jit_heads[FOLD[byte(key, 1)] * 256 + (b2 == nil and 0 or FOLD[b2])] ~= nil
  end

  -- The built-in entry indices of a name or alias in any case (`low`: its lower case, on
  -- LuaJIT), at most two of them, or nil (the core's answer).
  local function builtin_key(key, low)
    if jit_codes == nil then
      local i, j = find_key(key)
      if i == nil then jit_tables() end
      return i, j
    end
    local v = jit_keys[low]
    if type(v) == "table" then return v[1], v[2] end
    return v
  end

  -- True when key[1 .. dot-1] could be a domain name (`%a[%w_]*`), LuaJIT only: a byte
  -- loop, which LuaJIT compiles (a pattern `find` it does not), with one table read per
  -- byte (`WORD`: 1 a letter, 2 a digit or `_`) rather than a chain of range tests, each
  -- a guard that random bytes take both ways (a miss of a name: 34 -> 28 ns here). Made
  -- on the first call: a VM that never misses never holds it.
  local WORD
  local function domain_like(key, dot)
    if WORD == nil then
      WORD = {}
      for b = 0, 255 do
        if (b >= 65 and b <= 90) or (b >= 97 and b <= 122) then WORD[b] = 1
        elseif (b >= 48 and b <= 57) or b == 95 then WORD[b] = 2 end
      end
    end
    if WORD[byte(key, 1)] ~= 1 then return false end
    for i = 2, dot - 1 do
      if WORD[byte(key, i)] == nil then return false end
    end
    return true
  end

  return builtin_code, builtin_key, may_name, domain_like
end
