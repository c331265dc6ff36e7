--- Private: what the authcodes modules share and users must not reach.
--
-- Not part of the API (no stability promise, not documented for users). The public
-- modules hold nothing internal on their own tables; what one of them must hand to
-- another goes through this table instead:
--
-- * `fields_of(entry)`, `methods`, `CLASSES`: the fields table behind a read-only entry,
--   nil for anything else, the entry methods and the set of class names (set by
--   `authcodes.entry`);
-- * `lookup`, `cached`, `cached_in`, `has_domain`: set by `authcodes.catalog` when it
--   loads (entries only exist once it has, so readers never see them unset);
-- * `builtin`, `registered`, `reg_any`, `add_registered`: the catalog's domain tables
--   and how a domain is added, set by `authcodes.catalog` for `authcodes.register`;
-- * `mark_errors`, `unknown`, `bad_reply`, `mt_for`, `circuit_open`, `transport_error`:
--   set by `authcodes.errors`;
-- * `check_problem_opts`, `status_for`: set by `authcodes.format` for `authcodes.ngx`;
--   `budget_amount`: set by `authcodes.budget` for its Redis budget;
-- * helpers written once: `bad_argument`, `show`, `text_of`, `is_small`, `as_error`, `json`, `has_json`,
--   `FIELDS`, `severity`, `schema` (loaded on first use).
-- @module authcodes.internal
-- @local

local type, tostring, pcall, require, error, ipairs, setmetatable, rawget =
  type, tostring, pcall, require, error, ipairs, setmetatable, rawget
local format = string.format

local M = {}

--- `authcodes.schema` (the validation rules), loaded on first use: on a slow path or in
-- `register`, not at require, so a process that only ever hits the caches never pays
-- for it.
M.schema = setmetatable({}, { __index = function(t, k)
  local m = require "authcodes.schema"
  setmetatable(t, { __index = m })
  return m[k]
end })

--- The data fields of an entry, in the order `totable`, `--json` and the docs show them.
M.FIELDS = { "domain", "code", "name", "message", "description", "sdk_message",
             "doc_message", "doc_description", "summary", "class", "retry",
             "retryable", "retry_after", "http", "action", "ok", "source", "note" }

--- Codes 0..1024 are kept out of every code-indexed cache (docs/design.md, "Small
-- codes"): with them a cache gets an array part, and LuaJIT cannot compile an index
-- by a negative integer into such a table.
function M.is_small(k) return type(k) == "number" and k >= 0 and k <= 1024 end

--- Printable, bounded form of any key for messages: never calls a metamethod.
function M.show(v)
  local t = type(v)
  if t == "string" then
    local s, more = v:sub(1, 40), #v > 40 and "..." or ""
    s = s:gsub('[%c"\\\128-\255]', function(c) return format("\\%03d", c:byte()) end)
    return '"' .. s .. '"' .. more
  elseif t == "number" then
    return tostring(v)
  end
  return t
end

--- Text of any value without trusting it: strings as they are, error objects through
-- their own `tostring`, other tables only through a `__tostring` that behaves.
function M.text_of(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" or t == "boolean" then return tostring(v) end
  if t == "nil" then return nil end
  if t == "table" or t == "userdata" then
    local ok, s = pcall(tostring, v)
    if ok and type(s) == "string" then return s end
  end
  return "<" .. t .. ">"
end

--- True when `v` is an authcodes error object: a table whose (protected) metatable holds
-- `authcodes.errors`' own `__concat`, a function no one else has (so no map of
-- metatables is kept; docs/design-caches.md, "Error objects"). Never raises: only raw
-- reads.
local getmetatable = debug.getmetatable
local err_concat   -- set by `authcodes.errors` (`mark_errors`); nil until it loads
function M.mark_errors(f) err_concat = f end
local function is_error(v)
  if type(v) ~= "table" or err_concat == nil then return false end
  local mt = getmetatable(v)
  return mt ~= nil and rawget(mt, "__concat") == err_concat
end
M.is_error = is_error

--- `v` itself when it is an error object, else `authcodes.new(v)`: how every helper
-- that takes "an error object, or anything `new` accepts" reads its argument.
local new
function M.as_error(v)
  if is_error(v) then return v end
  if new == nil then new = require("authcodes.errors").new end
  return new(v)
end

-- lua-cjson, required on first use and kept: `require` is a C call. A failed load is
-- kept too, with its message, so every JSON-needing call reports the same cause.
local cjson_mod, cjson_err
local function load_json()
  local ok, m = pcall(require, "cjson.safe")
  if ok and type(m) == "table" then cjson_mod = m; return end
  cjson_err = tostring(m)
end

--- True when lua-cjson can be loaded; else false and the load error. For a service's
-- start-up check (`authcodes.has_json()`).
function M.has_json()
  if cjson_mod == nil and cjson_err == nil then load_json() end
  if cjson_mod ~= nil then return true end
  return false, cjson_err
end

--- lua-cjson's safe module, or a raise naming the load error and the fix: a missing
-- JSON library is a deployment mistake, never a vendor's bad reply.
-- @int level the error level to blame (the public function's caller)
function M.json(level)
  if cjson_mod ~= nil then return cjson_mod end
  if cjson_err == nil then load_json() end
  if cjson_mod ~= nil then return cjson_mod end
  error(format("authcodes: lua-cjson is required for JSON but cannot be loaded (%s); "
    .. "install it (Debian: apt-get install lua-cjson; LuaRocks: luarocks install lua-cjson)",
    cjson_err), (level or 1) + 1)
end

-- Log severity per class, from the class table's third column (`authcodes.schema`).
local severity
--- The severity of a class: `"error"`, `"warn"`, `"info"` or `"debug"`.
function M.severity(class)
  if severity == nil then
    severity = {}
    for _, c in ipairs(require("authcodes.schema").classes) do severity[c[1]] = c[3] end
  end
  return severity[class] or "info"
end

-- `unknown`, `bad_reply`, `mt_for` and `circuit_open` are set by `authcodes.errors`, which `require
-- "authcodes"` no longer loads up front: the first module to ask for one loads it.
local FROM_ERRORS = { unknown = true, bad_reply = true, mt_for = true, circuit_open = true, transport_error = true }

--- Raise `bad argument #n to 'fname' (msg)`, blaming the caller of the function that
-- called this one (level 3), as Lua's own argument errors do. Programmer misuse only:
-- network input never comes here.
function M.bad_argument(fname, n, msg)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 3)
end

return setmetatable(M, { __index = function(t, k)
  if FROM_ERRORS[k] then
    require "authcodes.errors"
    return rawget(t, k)
  end
  return nil
end })
