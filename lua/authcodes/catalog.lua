--- Lookup: codes and names to catalog entries.
--
-- The built-in entries live in the C core (`authcodes.core`) as read-only tables; an
-- entry becomes a Lua table the first time it is asked for, and from then on every
-- spelling that names it (code, decimal string, name, aliases, `domain.name`) is one
-- index into a plain cache table. So the hot path makes no C call and allocates
-- nothing, and LuaJIT compiles it; the heap only holds what the process has used.
--
-- Domains added with `register` (`authcodes.register`, loaded on first use) live in Lua
-- with the same entry shape, in this module's tables. They never shadow built-in codes
-- or names: a bare key resolves to a built-in entry first.
-- @module authcodes.catalog

local core = require "authcodes.core"
local internal = require "authcodes.internal"
local entry = require "authcodes.entry"
local code_rules = require "authcodes.code"
local parse_code, CODE_MIN, CODE_MAX = code_rules.parse_code, code_rules.min, code_rules.max

local type, tostring, ipairs = type, tostring, ipairs
local rawget = rawget
local huge = math.huge
local sort, concat = table.sort, table.concat
local format, lower, find, sub, gsub, byte =
  string.format, string.lower, string.find, string.sub, string.gsub, string.byte
local find_code, find_key, core_fields = core.find_code, core.find_key, core.fields

local M = {}

local MAX_KEY = 256  -- longer strings name nothing; do no work on them
local LONGEST_BUILTIN = core.longest_key

local builtin = core.domains()          -- { "imsdk", "wilddog", imsdk = {first, count}, ... }
local registered = {}                   -- domain -> { list = {...}, by_code = {}, by_key = {} }
-- Every registered domain's bare keys at once, so that a bare miss costs one index
-- however many domains are registered: code, or name/alias in lower case -> its entry,
-- or the list of entries when several registered domains have that key.
local reg_any = {}
local n_registered, reg_longest = 0, 0   -- reg_longest: the longest name or alias in reg_any
local all_names = {}                    -- every domain name, sorted as one is added
local prefix = {}                       -- domain -> pattern of "domain." at a key's start, any case
-- The spelling caches: spelling -> entry, filled as spellings are first looked up (so a
-- VM pays only for the spellings it meets). Only an entry's own spellings are cached
-- (code, decimal string, name or alias as written or in lower case, and those behind
-- `domain.`): any other spelling ("+5", "Session_Expired") resolves through the slow
-- path every time, and garbage never grows a cache (docs/design-caches.md).
local by_key = {}                       -- canonical spelling -> entry, bare (no domain)
local by_domain = {}                    -- domain -> { canonical spelling -> entry }
-- Codes 0..1024 (iMSDK's success and next-step codes 1..6) are cached in tables of
-- their own, read only when the main ones miss (docs/design.md, "Small codes").
local by_small = {}                     -- code -> entry, for codes 0..1024
local small_domain = {}                 -- domain -> { code -> entry }

local is_small, show, fields_of = internal.is_small, internal.show, internal.fields_of
local longest = 11  -- the longest string in by_key (at least a code's): a longer key is no spelling
local function put(t, small, k, e)
  if is_small(k) then small[k] = e else t[k] = e end
  if type(k) == "string" and #k > longest then longest = #k end
end

-- "^[iI][mM][sS][dD][kK]%.": finds a domain prefix in any case without making a string.
local function prefix_pattern(d)
  return "^" .. gsub(d, "%a", function(c) return "[" .. c .. c:upper() .. "]" end) .. "%."
end

local by_length = {}                    -- name length -> the domain names of that length
local function add_domain_name(d)
  prefix[d] = prefix_pattern(d)
  all_names[#all_names + 1] = d
  sort(all_names)
  local list = by_length[#d] or {}
  list[#list + 1] = d
  by_length[#d] = list
end
for _, d in ipairs(builtin) do
  by_domain[d], small_domain[d] = {}, {}
  add_domain_name(d)
end

internal.by_key = by_key   -- read by `authcodes.errors`' `new` (never written there)

-- The caches other modules read (`authcodes.errors`, `authcodes.entry`) without a
-- lookup's slow path: the entry a bare key names for good, or nil.
function internal.cached(k)
  local e = by_key[k]
  if e == nil then e = by_small[k] end
  return e
end

-- The same within one domain (`lookup(d, k)`'s cache), or nil.
function internal.cached_in(d, k)
  local t = by_domain[d]
  if t == nil then return nil end
  local e = t[k]
  if e == nil then e = small_domain[d][k] end
  return e
end

-- The entry of built-in index i, made on first use and kept here by its index, so that
-- every path to it (a spelling, `each`) gives the same entry; the spelling caches hold
-- only spellings that were looked up (docs/design-caches.md, "Entries made").
local made = core.slots()
local function materialise(i)
  local e = made[i]
  if e == nil then
    e = entry.new(core_fields(i))
    made[i] = e
  end
  return e
end

-- True when string `s`, which names `e` (any case), is one of e's own spellings: its
-- name or an alias as written or in lower case. Called only when a spelling is about to
-- be cached, never on a cache hit.
local function is_spelling(e, s)
  if s == lower(s) or s == fields_of(e).name then return true end
  local al = e.aliases
  for i = 1, #al do
    if s == al[i] then return true end
  end
  return false
end

local JIT = rawget(_G, "jit") ~= nil
local function cache_bare(k, e) put(by_key, by_small, k, e) end

-- What a miss asks the C core: the built-in entry index of a code, and the (at most
-- two) indices of a name or alias in any case. PUC Lua calls the core: a C call costs
-- no more than a Lua one there. LuaJIT reads Lua tables made on the first miss
-- (authcodes.catalog_jit, loaded by LuaJIT only: a PUC VM holds none of its code), so
-- that a miss compiles (calling a C function ends a trace), and it tells keys that
-- name no built-in entry and `domain.name` heads apart without `lower` or a pattern.
-- docs/design-caches.md, "Misses".
local builtin_code, builtin_key, may_name, domain_like = find_code, find_key, nil, nil
if JIT then
  builtin_code, builtin_key, may_name, domain_like = require("authcodes.catalog_jit")(core, is_small)
end

-- A key's head that could be a domain name, and the dot after it (PUC Lua's search).
local DOMAIN_HEAD = "^[A-Za-z][A-Za-z0-9_]*%."

-- Why a key is no key at all, or nil when it is worth resolving.
local function bad_key(key)
  local t = type(key)
  if t == "number" then
    if key ~= key then return "code is NaN" end
    if key == huge or key == -huge then return "code is infinite" end
    -- (No C call here: this runs on every miss.)
    if key % 1 ~= 0 then return "code " .. show(key) .. " is not an integer" end
    if key < CODE_MIN or key > CODE_MAX then return "code " .. show(key) .. " is out of range" end
    return nil
  elseif t == "string" then
    if #key == 0 then return "empty key" end
    if #key > MAX_KEY then return format("key is too long (%d bytes)", #key) end
    return nil
  elseif t == "nil" then
    return "no key given"
  end
  return "key must be a code or a name, got " .. t
end

-- The reasons of misses. Unknown names are not echoed: the caller has the key, and a
-- miss (garbage from the network, mostly) then allocates nothing (docs/design-caches.md,
-- "Misses").
local UNKNOWN_NAME = "unknown name"
local function unknown_code(code, d)
  if d == nil then return format("unknown code %d", code) end
  return format("unknown code %d in %s", code, d)
end

local function names_of(list)
  local s = {}
  for i, e in ipairs(list) do s[i] = e.domain .. "." .. e.name end
  return concat(s, ", ")
end

local function ambiguous(what, key, list)
  return nil, format("ambiguous %s %s: %s (qualify it as domain.name)", what, show(key), names_of(list))
end

-- The one registered entry a bare code or lower-case key names; nil and the entries
-- (in domain order) when two registered domains have it; nil when none has.
-- (The comparison at module level: a closure made inside `reg_bare` would put a UCLO
-- before its returns, which LuaJIT cannot compile, NYI bytecode 50, on every miss.)
local function by_domain_name(x, y) return fields_of(x).domain < fields_of(y).domain end
local function reg_bare(k)
  local v = reg_any[k]
  if type(v) ~= "table" then return v, nil end
  local list = {}
  for i, e in ipairs(v) do list[i] = e end
  sort(list, by_domain_name)
  return nil, list
end

local lookup_in

-- lookup(key) on a miss of the caches.
local function lookup_any(key)
  -- bad_key's tests, inline for the two kinds of key that name something: every miss
  -- passes here.
  local t = type(key)
  if t == "number" then
    if key ~= key or key % 1 ~= 0 or key < CODE_MIN or key > CODE_MAX then return nil, bad_key(key) end
  elseif t ~= "string" or #key == 0 or #key > MAX_KEY then
    return nil, bad_key(key)
  end
  local code = key
  if t == "string" then
    -- LuaJIT: an any-case spelling of a cached one, with no C call, so that this path
    -- compiles (LuaJIT interns every string: `lower` of a lower-case key makes none).
    -- Only for a key that a built-in name or alias could be: the other spellings in
    -- the cache (decimal codes, `domain.name`, registered keys) are found below as
    -- surely, and garbage is not lower-cased for nothing.
    local low
    local named = not JIT or (#key <= LONGEST_BUILTIN and may_name(key))
    if JIT and named and #key <= longest then
      low = lower(key)
      local e = by_key[low]
      if e ~= nil then return e end
    end
    code = nil
    if #key <= 12 then   -- (no decimal code is longer, and one starts with a sign or digit)
      local b = byte(key, 1)
      if b == 43 or b == 45 or (b >= 48 and b <= 57) then code = parse_code(key) end
    end
    if code == nil then
      -- A name: the C core matches it in any case without making a string (and a key
      -- longer than every built-in name and alias is not asked about).
      local i, j
      if named and #key <= LONGEST_BUILTIN then
        if JIT and low == nil then low = lower(key) end
        if JIT then i, j = builtin_key(key, low) else i, j = find_key(key) end
      end
      if i ~= nil then
        if j ~= nil then
          local list = { find_key(key) }
          for n, x in ipairs(list) do list[n] = materialise(x) end
          return ambiguous("name", key, list)
        end
        local e = materialise(i)
        -- Its lower case is a spelling of e's (the core matched a name or an alias
        -- ignoring case); the key as given, when it is the name or an alias as written.
        low = low or lower(key)
        if by_key[low] == nil then
          cache_bare(low, e)
          if key ~= low and is_spelling(e, key) then cache_bare(key, e) end
        elseif key == fields_of(e).name then
          cache_bare(key, e)
        end
        return e
      end
      -- "domain.name": the key's first dot must come right after a domain name of that
      -- length (a search, then at most a few anchored matches: no string made). PUC Lua
      -- finds the dot only after a head that could be a domain name (`[a-z][a-z0-9_]*`
      -- in any case, what `register` accepts): one C call answers both, where a byte
      -- loop there is a C call per byte (a miss of a name was 10-11 x a hit). LuaJIT
      -- does not compile a pattern `find`: a plain search, then the byte loop.
      local _, dot
      if JIT then dot = find(key, ".", 1, true) else _, dot = find(key, DOMAIN_HEAD) end
      if dot ~= nil then
        local same_length = by_length[dot - 1]
        if same_length ~= nil then
          -- (LuaJIT compares the lower-cased head: a pattern `find` ends its trace.)
          local head = JIT and lower(sub(key, 1, dot - 1))
          for n = 1, #same_length do
            local d = same_length[n]
            if (JIT and head == d) or (not JIT and find(key, prefix[d])) then
              local rest = sub(key, dot + 1)
              local e, w, canonical = lookup_in(d, rest, true)
              if e == nil then return nil, w end
              if canonical and sub(key, 1, dot - 1) == d then cache_bare(key, e) end
              return e
            end
          end
        end
        if dot <= 65 and (not JIT or domain_like(key, dot)) then return nil, "unknown domain" end
      end
      if n_registered > 0 and #key <= reg_longest then
        low = low or lower(key)
        local e, more = reg_bare(low)
        if more ~= nil then return ambiguous("key", key, more) end
        if e ~= nil then
          cache_bare(low, e)   -- lower case only: `register` forgets these when they turn ambiguous
          return e
        end
      end
      return nil, UNKNOWN_NAME
    end
  end
  -- A code: a number, or a decimal string.
  local i = builtin_code(code)
  if i ~= nil then
    local e = materialise(i)
    if key == code or key == tostring(code) then put(by_key, by_small, key, e) end
    return e
  end
  if n_registered > 0 then
    local e, more = reg_bare(code)
    if more ~= nil then return ambiguous("key", key, more) end
    if e ~= nil then
      if code == key or key == tostring(code) then put(by_key, by_small, key, e) end
      return e
    end
  end
  return nil, unknown_code(code)
end

-- lookup(domain, key) on a miss of the caches. For lookup("domain.key") (`whole`), which
-- caches the whole key itself, `key` is not cached in the domain's cache (it was not
-- looked up), and a third result says whether it is one of the entry's own spellings.
lookup_in = function(domain, key, whole)
  if type(domain) ~= "string" then
    return nil, "domain must be a string, got " .. type(domain)
  end
  local d = domain
  if builtin[d] == nil and registered[d] == nil then
    d = lower(domain)
    if builtin[d] == nil and registered[d] == nil then return nil, "unknown domain " .. show(domain) end
  end
  local why = bad_key(key)
  if why ~= nil then return nil, why end
  local cache, small, r = by_domain[d], small_domain[d], registered[d]
  local code = key
  if type(key) == "string" then code = parse_code(key) end
  local e, canonical
  if code ~= nil then
    if r ~= nil then
      e = r.by_code[code]
    else
      local i = find_code(code)
      local b = builtin[d]
      if i ~= nil and i >= b.first and i < b.first + b.count then e = materialise(i) end
    end
    if e == nil then return nil, unknown_code(code, d) end
    canonical = code == key or key == tostring(code)
  else
    if r ~= nil then
      e = r.by_key[lower(key)]
      canonical = e ~= nil and (r.by_key[key] == e or key == fields_of(e).name)
    else
      local b = builtin[d]
      local i = find_key(key, b.first, b.count)
      if i ~= nil then
        e = materialise(i)
        canonical = is_spelling(e, key)
      end
    end
    if e == nil then return nil, UNKNOWN_NAME .. " in " .. d end
  end
  if whole then return e, nil, canonical end
  if canonical then put(cache, small, key, e) end
  return e
end

--- Find an entry.
-- `lookup(key)` or `lookup(domain, key)`. A key is a code (integer or integral float),
-- a decimal string (`"-204"`), a name or alias in any case, or `"domain.name"`.
-- Codes are unique across the built-in domains; a name two domains use (`failure`)
-- must be qualified, or `lookup` answers `nil, "ambiguous name ..."`.
-- Never raises: anything else gives `nil` and a reason.
--
--     authcodes.lookup(-204).name                    --> "session_expired"
--     authcodes.lookup("wilddog", "expired_token").code   --> 22002
--     authcodes.lookup(12345)                        --> nil, "unknown code 12345"
--     authcodes.lookup("nope")                       --> nil, "unknown name"
--
-- A miss is cheap and caches nothing: unknown keys are what garbage from the network
-- looks like. The reason for an unknown name does not repeat the key (the caller has
-- it); a miss of a name allocates nothing, one of a code only its reason.
-- @param a the key (`number` or `string`), or with `b` the domain name (`string`)
-- @param[opt] b the key, looked up in domain `a` only
-- @treturn[1] userdata the read-only entry (see the topic *Entries and error objects*):
-- assigning to it raises, and `rawset` cannot reach it
-- @return[2] nil: unknown code or name, unknown domain, ambiguous name, or a key that
-- is no key (wrong type, NaN, not an integer, out of range, empty, over 256 bytes)
-- @treturn[2] string the reason, e.g. `unknown code 12345`
function M.lookup(a, b)
  if b == nil then
    local e = by_key[a]
    if e ~= nil then return e end
    e = by_small[a]
    if e ~= nil then return e end
    return lookup_any(a)
  end
  local t = by_domain[a]
  if t ~= nil then
    local e = t[b]
    if e ~= nil then return e end
    e = small_domain[a][b]
    if e ~= nil then return e end
  end
  return lookup_in(a, b)
end

--- `lookup(key)` with one argument, for hot paths: the same answers (the entry, or nil
-- and the reason), in one test fewer. On Lua 5.4 a hit costs what a plain-Lua
-- `function(k) return T[k] end` costs, where `lookup`'s test for a second argument adds
-- about 8 % (BENCHMARKS.md, rows *lookup by code* and *get by code*); on LuaJIT the two
-- compile to the same trace. Use it where a key is looked up per request; `lookup`
-- everywhere else.
--
--     authcodes.get(-204).name                       --> "session_expired"
--     authcodes.get("wilddog.expired_token").code    --> 22002
--     authcodes.get(12345)                           --> nil, "unknown code 12345"
--
-- @param key the key (`number` or `string`): a code, a decimal string, a name or alias
-- in any case, or `"domain.name"`
-- @treturn[1] userdata the read-only entry, as `lookup(key)`
-- @return[2] nil, as `lookup(key)`
-- @treturn[2] string the reason
function M.get(key)
  local e = by_key[key]
  if e ~= nil then return e end
  e = by_small[key]
  if e ~= nil then return e end
  return lookup_any(key)
end

--- The domain names, sorted: `{ "imsdk", "wilddog" }` plus any registered ones.
-- @treturn {string,...} a new list on every call
function M.domains()
  local list = {}
  for i = 1, #all_names do list[i] = all_names[i] end
  return list
end

-- True when `d` is a known domain name.
function internal.has_domain(d)
  return type(d) == "string" and (builtin[d] ~= nil or registered[d] ~= nil)
end

--- Iterate over a domain's entries in ascending code order: `for e in each("imsdk")`.
-- Raises `bad argument` for an unknown domain (a programming error).
-- @string domain a built-in or registered domain name (exact case)
-- @treturn function an iterator giving one entry per call, then nil
-- @raise `bad argument #1 to 'each' (unknown domain ...)` for an unknown domain or a
-- non-string
function M.each(domain)
  if type(domain) == "string" and builtin[domain] then
    local d = builtin[domain]
    local i, last = d.first - 1, d.first + d.count - 1
    return function()
      if i < last then i = i + 1; return materialise(i) end
    end
  end
  local r = type(domain) == "string" and registered[domain]
  if not r then
    internal.bad_argument("each", 1, "unknown domain " .. show(domain))
  end
  local i, list = 0, r.list
  return function()
    i = i + 1
    return list[i]
  end
end

-- For `authcodes.register`, which fills `reg_any` and then hands over domain `domain`:
-- `r` its entries ({ list, by_code, by_key }), `keys` their names and aliases (lower
-- case), `spellings` every bare spelling of them. Such a spelling cached bare for an
-- older registered entry is ambiguous from now on: its cached answer is forgotten.
internal.builtin, internal.registered, internal.reg_any = builtin, registered, reg_any
function internal.add_registered(domain, r, keys, spellings)
  for i = 1, #keys do
    if #keys[i] > reg_longest then reg_longest = #keys[i] end
  end
  for _, k in ipairs(spellings) do
    local old = by_key[k] or by_small[k]
    if old ~= nil and registered[fields_of(old).domain] ~= nil then by_key[k], by_small[k] = nil, nil end
  end
  registered[domain], by_domain[domain], small_domain[domain] = r, {}, {}
  n_registered = n_registered + 1
  add_domain_name(domain)
end

internal.lookup = M.lookup

return M
