--- Lookup: codes and names to catalog entries.
--
-- The built-in entries live in the C core (`authcodes.core`) as read-only tables; an
-- entry becomes a Lua table the first time it is asked for, and from then on every
-- spelling that names it (code, decimal string, name, aliases, `domain.name`) is one
-- index into a plain cache table. So the hot path makes no C call and allocates
-- nothing, and LuaJIT compiles it; the heap only holds what the process has used.
--
-- Domains added with `register` live in Lua with the same entry shape. They never
-- shadow built-in codes or names: a bare key resolves to a built-in entry first.
-- @module authcodes.catalog

local core = require "authcodes.core"
local internal = require "authcodes.internal"
local entry = require "authcodes.entry"
local schema = internal.schema

local type, tostring, pairs, ipairs, next, select, error = type, tostring, pairs, ipairs, next, select, error
local rawget = rawget
local floor, huge = math.floor, math.huge
local sort, concat = table.sort, table.concat
local format, lower = string.format, string.lower

local M = {}

local MAX_KEY = 256  -- longer strings name nothing; do no work on them

local builtin = core.domains()          -- { "imsdk", "wilddog", imsdk = {first, count}, ... }
local registered = {}                   -- domain -> { list = {...}, by_code = {}, by_key = {} }
local entries = {}                      -- built-in index -> entry
local by_key = {}                       -- canonical spelling -> entry, bare (no domain)
local by_domain = {}                    -- domain -> { canonical spelling -> entry }
-- Codes 0..1024 (iMSDK's success and next-step codes 1..6) are cached in tables of
-- their own, read only when the main ones miss (docs/design.md, "Small codes").
local by_small = {}                     -- code -> entry, for codes 0..1024
local small_domain = {}                 -- domain -> { code -> entry }
for _, d in ipairs(builtin) do by_domain[d], small_domain[d] = {}, {} end

local is_small, show = internal.is_small, internal.show
local function put(t, small, k, e)
  if is_small(k) then small[k] = e else t[k] = e end
end

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

--- Spellings that name an entry unambiguously within its domain.
local function spellings(f, aliases)
  local s = { f.code, tostring(f.code), f.name, lower(f.name) }
  for _, a in ipairs(aliases) do s[#s + 1] = a; s[#s + 1] = lower(a) end
  return s
end

local function materialise(i)
  local e = entries[i]
  if e then return e end
  local f = core.entry(i)
  local aliases
  e, aliases = entry.new(f)
  entries[i] = e
  local own, own_small = by_domain[f.domain], small_domain[f.domain]
  local keys = spellings(f, aliases)
  for _, k in ipairs(keys) do put(own, own_small, k, e) end
  -- Bare spellings: codes are unique across built-in domains; a name is cached bare
  -- only when no other built-in domain uses it.
  put(by_key, by_small, f.code, e)
  by_key[tostring(f.code)] = e
  for _, k in ipairs(keys) do
    if type(k) == "string" and not k:find("^[+-]?%d") and select("#", core.find_key(k)) == 1 then
      by_key[k] = e
    end
    if type(k) == "string" then
      by_key[f.domain .. "." .. k] = e
      by_key[lower(f.domain) .. "." .. lower(k)] = e
    end
  end
  return e
end

local function known_domains()
  local list = {}
  for _, d in ipairs(builtin) do list[#list + 1] = d end
  for d in pairs(registered) do list[#list + 1] = d end
  sort(list)
  return list
end

-- Resolve a string key inside one registered domain.
local function reg_find(r, key)
  if type(key) == "number" then return r.by_code[key] end
  local n = schema.parse_code(key)
  if n then return r.by_code[n] end
  return r.by_key[lower(key)]
end

-- Candidate built-in entries for a key, as a list (codes give at most one).
local function builtin_matches(key)
  if type(key) == "number" then
    local i = core.find_code(key)
    return i and { materialise(i) } or {}
  end
  local n = schema.parse_code(key)
  if n then
    local i = core.find_code(n)
    return i and { materialise(i) } or {}
  end
  local found = { core.find_key(key) }
  for j, i in ipairs(found) do found[j] = materialise(i) end
  return found
end

local function names_of(list)
  local s = {}
  for i, e in ipairs(list) do s[i] = e.domain .. "." .. e.name end
  return concat(s, ", ")
end

-- Why a key is no key at all, or nil when it is worth resolving.
local function bad_key(key)
  local t = type(key)
  if t == "number" then
    if key ~= key then return "code is NaN" end
    if key == huge or key == -huge then return "code is infinite" end
    if floor(key) ~= key then return "code " .. show(key) .. " is not an integer" end
    if not schema.is_code(key) then return "code " .. show(key) .. " is out of range" end
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

local function not_found(key)
  if type(key) == "number" or schema.parse_code(key) then return "unknown code " .. show(key) end
  return "unknown name " .. show(key)
end

-- lookup(domain, key) on a miss.
local function lookup_in(domain, key)
  if type(domain) ~= "string" then
    return nil, "domain must be a string, got " .. type(domain)
  end
  local d = lower(domain)
  local why = bad_key(key)
  if why then return nil, why end
  local r = registered[d]
  if r then
    local e = reg_find(r, key)
    if e then return e end
    return nil, not_found(key) .. " in " .. d
  end
  if not builtin[d] then return nil, "unknown domain " .. show(domain) end
  for _, e in ipairs(builtin_matches(key)) do
    if e.domain == d then return e end
  end
  return nil, not_found(key) .. " in " .. d
end

-- lookup(key) on a miss.
local function lookup_any(key)
  local why = bad_key(key)
  if why then return nil, why end
  if type(key) == "string" then
    local e = by_key[lower(key)]  -- a cached spelling in another case
    if e ~= nil then return e end
    local d, rest = key:match("^(%a[%w_]*)%.(.+)$")
    if d then return lookup_in(d, rest) end
  end
  local found = builtin_matches(key)
  if #found == 1 then return found[1] end
  if #found > 1 then
    return nil, format("ambiguous name %s: %s (qualify it as domain.name)", show(key), names_of(found))
  end
  local hits = {}
  for _, d in ipairs(known_domains()) do
    local r = registered[d]
    local e = r and reg_find(r, key)
    if e then hits[#hits + 1] = e end
  end
  if #hits == 1 then return hits[1] end
  if #hits > 1 then
    return nil, format("ambiguous key %s: %s (qualify it as domain.name)", show(key), names_of(hits))
  end
  return nil, not_found(key)
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
-- @param a the key (`number` or `string`), or with `b` the domain name (`string`)
-- @param[opt] b the key, looked up in domain `a` only
-- @treturn[1] table the read-only entry (see the topic *Entries and error objects*);
-- assigning to it raises
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

--- The domain names, sorted: `{ "imsdk", "wilddog" }` plus any registered ones.
-- @treturn {string,...} a new list on every call
function M.domains() return known_domains() end

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
    error(format("bad argument #1 to 'each' (unknown domain %s)", show(domain)), 2)
  end
  local i, list = 0, r.list
  return function()
    i = i + 1
    return list[i]
  end
end

--- Add a domain of the caller's own at run time (see `authcodes.register`).
-- Its entries get the same checks and shape as built-in ones (`source` is
-- `"registered"`); look them up with `lookup(domain, key)`, or bare when no built-in
-- entry answers to the key: a registered domain never shadows a built-in code or name.
-- A domain can be registered once; all rows are checked before any is added.
-- @string domain the new domain's name, `[a-z][a-z0-9_]*`, at most 64 bytes, not a
-- built-in or already registered one
-- @tparam {table,...} rows one table per code, with the fields of an entry:
-- `code` (integer, required, unique), `name` (`[A-Za-z][A-Za-z0-9_]*`, required, unique
-- with the aliases, case ignored), `class` (a gRPC class name, required), `summary`
-- (required), and optionally `aliases` (list of names), `retry` (default `"never"`),
-- `retry_after` (seconds, required for and only for `"after_delay"`), `http` (default
-- from the class), `action` (default `"none"`), `message`, `description`, `note`,
-- `ok` (default: class is `OK`). Other fields are ignored.
-- @treturn[1] boolean true
-- @return[2] nil when the domain name or a row is invalid (nothing is added)
-- @treturn[2] string the reason, e.g. `row 2: unknown class UNAVAILBLE`
-- @raise `bad argument #1 to 'register'` when domain is not a string,
-- `bad argument #2` when rows is not a table
function M.register(domain, rows)
  if type(domain) ~= "string" then
    error("bad argument #1 to 'register' (string expected, got " .. type(domain) .. ")", 2)
  end
  if type(rows) ~= "table" then
    error("bad argument #2 to 'register' (table expected, got " .. type(rows) .. ")", 2)
  end
  if not domain:find("^[a-z][a-z0-9_]*$") or #domain > 64 then
    return nil, "domain name " .. show(domain) .. " must match [a-z][a-z0-9_]*"
  end
  if builtin[domain] then return nil, "cannot replace built-in domain " .. domain end
  if registered[domain] then return nil, "domain " .. domain .. " is already registered" end
  local checked = {}
  for i = 1, 2 ^ 31 do   -- raw reads: no __index/__ipairs of the caller's table runs here
    local raw = rawget(rows, i)
    if raw == nil then break end
    if type(raw) ~= "table" then return nil, format("row %d: table expected, got %s", i, type(raw)) end
    local row = {}
    for _, k in ipairs { "code", "name", "class", "retry", "retry_after", "http", "action",
                         "summary", "message", "description", "note", "ok" } do
      row[k] = rawget(raw, k)
    end
    row.aliases = {}
    local al = rawget(raw, "aliases")
    if al ~= nil and type(al) ~= "table" then return nil, format("row %d: aliases must be a list", i) end
    local n, k = 0, al and next(al)
    while k ~= nil do
      n = n + 1
      if n > 64 then return nil, format("row %d: at most 64 aliases", i) end
      k = next(al, k)
    end
    for j = 1, n do
      local a = rawget(al, j)
      if a == nil then return nil, format("row %d: aliases must be a list (no holes, no keys)", i) end
      row.aliases[j] = a
    end
    if row.retry == nil then row.retry = "never" end
    if row.action == nil then row.action = "none" end
    if row.ok == nil then row.ok = row.class == "OK" end
    local ok, why = schema.check_row(row)
    if not ok then return nil, format("row %d: %s", i, why) end
    checked[#checked + 1] = row
  end
  if #checked == 0 then return nil, "no rows" end
  local ok, why = schema.check_unique(checked, function(i) return "row " .. i end)
  if not ok then return nil, why end
  schema.sort_by_code(checked)
  local r, own, own_small = { list = {}, by_code = {}, by_key = {} }, {}, {}
  for i, row in ipairs(checked) do
    row.domain, row.source, row.index = domain, "registered", i
    local keys = schema.keys_of(row)
    local e, aliases = entry.new(row)
    for _, k in ipairs(keys) do r.by_key[k] = e end
    r.list[i] = e
    r.by_code[row.code] = e
    for _, k in ipairs(spellings(row, aliases)) do put(own, own_small, k, e) end
  end
  registered[domain], by_domain[domain], small_domain[domain] = r, own, own_small
  return true
end

internal.lookup = M.lookup

return M
