-- LuaJIT's half of a lookup miss (private to authcodes.catalog, loaded by LuaJIT only).
-- What the C core's two searches answer, as Lua tables made on the first miss, so that
-- a miss compiles (calling a C function ends a trace): a bare miss is a few table
-- indexes. Codes 0..1024 apart, as in every code-indexed table (no array part). PUC Lua
-- calls the core instead (a C call costs no more than a Lua one there) and never loads
-- this module: about 2 KB of prototypes a PUC VM does not hold. docs/design-caches.md,
-- "Misses". Called with the C core and `internal.is_small`; answers `builtin_code`,
-- `builtin_key`, `may_name` and `domain_like`.

local type, ipairs = type, ipairs
local lower, byte, concat = string.lower, string.byte, table.concat

return function(core, is_small)
  local find_code, find_key = core.find_code, core.find_key

  -- `WORD`: a byte's class, 1..26 a letter in either case, 27..36 a digit, 37 `_`,
  -- false for any other byte (false, not nil, keeps all 256 in the array part: 2 KB).
  -- Made on the first miss that needs it: a VM that never misses never holds it.
  local WORD
  local function make_word()
    WORD = {}
    for b = 0, 255 do
      WORD[b] = (b >= 65 and b <= 90 and b - 64) or (b >= 97 and b <= 122 and b - 96)
        or (b >= 48 and b <= 57 and b - 21) or (b == 95 and 37)
    end
  end
  -- The index of a key's first two bytes in `jit_heads`, by class (0: any other byte, or none).
  local function head_of(s)
    local b2 = byte(s, 2)
    return (WORD[byte(s, 1)] or 0) * 38 + (b2 == nil and 0 or WORD[b2] or 0) + 1
  end

  -- `jit_heads`: one byte per pair of classes, "1" when a built-in name or alias starts
  -- with that pair (a string of 1444 bytes): a key that starts otherwise names no
  -- built-in entry in any case, and is not lower-cased to be sure (`lower` makes a
  -- string: most of a miss's cost, and all it allocated). A map of the pairs cost 12 KB.
  local jit_codes, jit_small, jit_keys, jit_heads
  local function jit_tables()
    jit_codes, jit_small, jit_keys = {}, {}, {}
    if WORD == nil then make_word() end
    local heads = {}
    for n = 1, 38 * 38 do heads[n] = "0" end
    for i = 1, core.count do
      -- (the hot fields and the aliases only: core.entry would copy every text in)
      local f = core.fields(i)
      if is_small(f.code) then jit_small[f.code] = i else jit_codes[f.code] = i end
      local names = core.aliases(i)
      names[#names + 1] = f.name
      for _, k in ipairs(names) do
        local low = lower(k)
        heads[head_of(low)] = "1"
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
    jit_heads = concat(heads)
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
    return byte(jit_heads, head_of(key)) == 49   -- "1"
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

  -- True when key[1 .. dot-1] could be a domain name (`%a[%w_]*`): a byte loop, which
  -- LuaJIT compiles (a pattern `find` it does not), with one read of `WORD` per byte
  -- rather than a chain of range tests, each a guard that random bytes take both ways
  -- (a miss of a name: 34 -> 28 ns here).
  local function domain_like(key, dot)
    if WORD == nil then make_word() end
    local c = WORD[byte(key, 1)]
    if not c or c > 26 then return false end
    for i = 2, dot - 1 do
      if not WORD[byte(key, i)] then return false end
    end
    return true
  end

  return builtin_code, builtin_key, may_name, domain_like
end
