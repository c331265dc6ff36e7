--- Entries: the read-only shape every catalog entry has, and the methods that entries
-- and error objects answer to (`is`, `text`, `totable`).
--
-- An entry is an empty full userdata whose metatable reads a fields table and refuses
-- writes: nothing about it can be changed, not even with `rawset`, and the fields table
-- is never handed out (docs/design-caches.md, "What an entry is"). Built-in entries are
-- made by `authcodes.catalog` from the C core's rows, registered ones from `register`'s
-- rows; both get the same shape here. A built-in entry's fields table holds only what
-- hot paths read; its cold fields (`summary`, `note`, `message`, `description`, the
-- sdk/doc wording, `action`, `source`, `ok`), `index` and `aliases` are read from the C core
-- when asked for, so a VM that never shows them never holds them.
-- @module authcodes.entry

local internal = require "authcodes.internal"

local core = require "authcodes.core"

local type, tostring, pcall, rawget, rawequal, setmetatable, error, ipairs =
  type, tostring, pcall, rawget, rawequal, setmetatable, error, ipairs
-- Entries are userdata, and their metatables are protected: only the debug functions
-- set and read them.
local dgetmetatable, dsetmetatable = debug.getmetatable, debug.setmetatable
local format = string.format
local text_of_core, aliases_of_core, box = core.text, core.aliases, core.box

local is_error = internal.is_error
local CLASSES = {}  -- class name -> true: `err:is("NOT_FOUND")` needs no lookup
for _, c in ipairs(core.classes) do CLASSES[c] = true end
internal.CLASSES = CLASSES   -- also read by authcodes.retry (never written there)

local M = {}

-- The methods every entry and error object answers to (documented below); shared with
-- `authcodes.errors` through the private module, not through a public table.
local methods = {}
internal.methods = methods

local fields_of  -- entry -> its fields table, or nil for anything else (defined below)

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
  if tx == "userdata" then
    local f = fields_of(x)
    return f ~= nil and f.code == code and f.domain == domain
  end
  if tx == "table" then
    if not is_error(x) then return false end
    local ok, c = pcall(code_of, x)
    local ok2, d = pcall(domain_of, x)
    if not (ok and ok2) or c == nil then return false end
    return c == code and d == domain
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

--- The fields table behind an entry, or nil for any other value (error objects, other
-- userdata, forged tables). The test is unforgeable: only this module has
-- `readonly_error`.
-- @local
function fields_of(v)
  if type(v) ~= "userdata" then return nil end
  local mt = dgetmetatable(v)
  if type(mt) ~= "table" or rawget(mt, "__newindex") ~= readonly_error then return nil end
  return rawget(mt, "__index")
end
internal.fields_of = fields_of

-- `pairs(entry)` (Lua 5.2+): the data fields in FIELDS order, then `index`, read through
-- the entry itself; one shared iterator, no closure per entry.
local PAIR_FIRST, PAIR_NEXT = internal.FIELDS[1], {}
do
  local keys = {}
  for i, k in ipairs(internal.FIELDS) do keys[i] = k end
  keys[#keys + 1] = "index"
  for i = 1, #keys - 1 do PAIR_NEXT[keys[i]] = keys[i + 1] end
end
local function field_after(e, k)
  if k == nil then k = PAIR_FIRST else k = PAIR_NEXT[k] end
  while k ~= nil do
    local v = e[k]
    if v ~= nil then return k, v end
    k = PAIR_NEXT[k]
  end
  return nil
end
local function entry_pairs(e) return field_after, e, nil end

-- What a fields table does not hold itself. `aliases` is handed out as a fresh list on
-- every read: a real array, so `#` and `ipairs` work on Lua 5.1/LuaJIT too, that a
-- caller may change without touching the catalog (a shared table could not be both).
-- The methods other than `is` are found here, and a built-in entry's cold fields and its
-- `index` come from the C core. docs/design-caches.md, "What an entry is", says why the fields table
-- holds no more.
local COLD = { summary = true, message = true, description = true, sdk_message = true, doc_message = true,
               doc_description = true, note = true, action = true, source = true, ok = true }
local own_aliases = {}  -- a registered entry's fields table -> its aliases (built-in: the C core's)
local find_code = core.find_code
local fields_mt = { __index = function(f, k)
  local m = methods[k]
  if m ~= nil then return m end
  local list = own_aliases[f]
  if list ~= nil then
    if k ~= "aliases" then return nil end
    local copy = {}
    for i = 1, #list do copy[i] = list[i] end
    return copy
  end
  -- A built-in entry: its index is its code's (codes are unique across the built-in
  -- domains), found when asked for, never kept.
  if k == "index" then return find_code(rawget(f, "code")) end
  if k == "aliases" then return aliases_of_core(find_code(rawget(f, "code"))) end
  if COLD[k] then return text_of_core(find_code(rawget(f, "code")), k) end
  return nil
end }

--- Make the read-only entry of a fields table: a built-in entry's hot fields from the C
-- core (`aliases` nil: the core has them), or a registered row with every field and
-- its aliases list (which the entry then owns).
-- @local
function M.new(f, aliases)
  f.aliases = nil
  f.retryable = f.retry == "backoff" or f.retry == "after_delay"
  f.is = methods.is   -- what a request handler calls: one index, not the fallback
  if aliases ~= nil then own_aliases[f] = aliases end
  setmetatable(f, fields_mt)
  local e = box()
  dsetmetatable(e, { __index = f, __newindex = readonly_error, __pairs = entry_pairs,
                     __metatable = "authcodes.entry" })
  return e
end

return M
