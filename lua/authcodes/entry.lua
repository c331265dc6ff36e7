--- Entries: the read-only shape every catalog entry has, and the methods that entries
-- and error objects answer to (`is`, `text`, `totable`).
--
-- An entry is an empty proxy whose metatable reads a fields table and refuses writes;
-- the fields table itself is never handed out (docs/design.md, "Entries"). Built-in
-- entries are made by `authcodes.catalog` from the C core's rows, registered ones from
-- `register`'s rows; both get the same shape here.
-- @module authcodes.entry

local internal = require "authcodes.internal"

local type, tostring, pcall, rawget, rawequal, setmetatable, error, ipairs, pairs, next =
  type, tostring, pcall, rawget, rawequal, setmetatable, error, ipairs, pairs, next
local format = string.format

local fields_of, is_error = internal.fields_of, internal.is_error
local CLASSES = {}  -- class name -> true: `err:is("NOT_FOUND")` needs no lookup
for _, c in ipairs(require("authcodes.core").classes) do CLASSES[c] = true end

local M = {}

-- The methods every entry and error object answers to (documented below).
local methods = {}
M.methods = methods

--- Methods of entries and error objects.
-- Call them with a colon: `err:is("session_expired")`, `entry:text("zh")`. Error
-- objects also convert with `tostring(err)` (one line: domain, code, name, class,
-- summary, then `; detail: ...` and `; caused by: ...`) and concatenate with `..`.
-- @section methods

-- Field readers for `is`, at module level: a closure made inside `is` would put a UCLO
-- before each of its returns, which LuaJIT 2.1 cannot compile (NYI: bytecode 50).
local function code_of(x) return x.code end
local function domain_of(x) return x.domain end

--- True when x names the same error: its code, name or alias, `"domain.name"`, its
-- class name (`"UNAUTHENTICATED"`), or another entry / error object of the same code.
-- Never raises; false for anything else.
-- @param self the entry or error object (`err:is(x)`)
-- @param x a code (number), a name, alias, `"domain.name"` or class (string), or an
-- entry or error object
-- @treturn boolean
function methods.is(self, x)
  if rawequal(self, x) then return true end   -- even an unknown error without a code
  local code, domain = self.code, self.domain
  local tx = type(x)
  if tx == "number" then return x == code end
  if tx == "string" then
    if x == self.class then return true end
    if CLASSES[x] then return false end
    if self.name == "unknown" and code == nil and x == rawget(self, "key") then return true end
    -- A spelling already cached, in the error's own domain first, answers without
    -- lookup's slow path, also when it names an entry of another domain.
    local e = internal.cached_in(domain, x)
    if e == nil then e = internal.cached(x) end
    if e ~= nil then return e.code == code and e.domain == domain end
    local lookup = internal.lookup
    if domain ~= nil and internal.has_domain(domain) then
      e = lookup(domain, x)
      if e == nil and x:find(".", 1, true) then e = lookup(x) end
    else
      e = lookup(x)
    end
    return e ~= nil and e.code == code and e.domain == domain
  end
  if tx == "table" then
    local ok, c = pcall(code_of, x)
    local ok2, d = pcall(domain_of, x)
    if not (ok and ok2) or c == nil then return false end
    return (is_error(x) or fields_of[x] ~= nil) and c == code and d == domain
  end
  return false
end

--- The message in a language: `"zh"` gives the vendor's Chinese description (falling
-- back to English), anything else the English summary.
-- @param self the entry or error object (`err:text(lang)`)
-- @tparam[opt] string lang `"zh"` or `"en"` (the default)
-- @treturn string the message
function methods.text(self, lang)
  if lang == "zh" then return self.description or self.summary end
  return self.summary
end

--- A plain, writable copy of the fields (for JSON or inspection).
-- @param self the entry or error object (`err:totable()`)
-- @treturn table the entry's fields (absent ones absent), `aliases` as a new list,
-- and for an error object its `detail` and `key`
function methods.totable(self)
  local t = {}
  for _, k in ipairs(internal.FIELDS) do t[k] = self[k] end
  local al = {}
  for i, a in ipairs(self.aliases or {}) do al[i] = a end
  t.aliases = al
  if is_error(self) then
    t.detail, t.key = rawget(self, "detail"), rawget(self, "key")
  end
  return t
end

--- Making entries.
-- @section making

local function readonly_error(_, k)
  error(format("authcodes: catalog entries are read-only (assigning %s)", tostring(k)), 2)
end

--- Wrap a fields table so that reads see it and writes raise. The fields table itself
-- stays unreachable: the metatable is protected and `pairs` goes through a closure.
local function freeze(fields)
  local function field_after(_, k)  -- `pairs` shows data fields, not methods
    local v
    repeat k, v = next(fields, k) until k == nil or type(v) ~= "function"
    return k, v
  end
  return setmetatable({}, {
    __index = fields,
    __newindex = readonly_error,
    __pairs = function(t) return field_after, t, nil end,
    __metatable = "authcodes.entry",
  })
end

-- `aliases` is handed out as a fresh copy on every read: a real array, so `#` and
-- `ipairs` work on Lua 5.1/LuaJIT too, that a caller may change without touching the
-- catalog (a shared table could not be both). Methods are copied into the fields so
-- that `err:is` is one index; the fallback serves methods added later.
local function fields_mt(aliases)
  return { __index = function(_, k)
    if k == "aliases" then
      local copy = {}
      for i = 1, #aliases do copy[i] = aliases[i] end
      return copy
    end
    return methods[k]
  end }
end

--- Make the read-only entry of a fields table (a row from the C core or `register`).
-- Returns the entry and its aliases list (which the entry no longer holds).
-- @local
function M.new(f)
  local aliases = f.aliases
  f.aliases = nil
  f.retryable = f.retry == "backoff" or f.retry == "after_delay"
  for k, fn in pairs(methods) do f[k] = fn end
  local e = freeze(setmetatable(f, fields_mt(aliases)))
  fields_of[e] = f
  return e, aliases
end

return M
