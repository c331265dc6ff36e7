--- Error objects: a catalog entry plus what is specific to one occurrence.
--
-- An error object is a plain table holding only `detail`, `cause` and `context` (and,
-- for unknown codes, the raw `key`); everything else (code, name, class, retry...) is
-- read through its metatable from the shared entry, which is never modified. One
-- metatable per entry, made on first use, so `new` is one small table and a
-- `setmetatable`, like a hand-written Kong-style constructor.
-- @module authcodes.errors

local catalog = require "authcodes.catalog"

local type, tostring, pcall, rawget, setmetatable, error, ipairs, next =
  type, tostring, pcall, rawget, setmetatable, error, ipairs, next
-- Our metatables are protected (`getmetatable` answers a string), so that nobody can
-- reach an entry's fields through an error object; we read them with the debug one.
local getmetatable = debug.getmetatable
local format = string.format
local floor, huge = math.floor, math.huge

local lookup, fields_of, show, methods = catalog.lookup, catalog.fields_of, catalog.show, catalog.methods
local cached, cached_in = catalog.cached, catalog.cached_in
local CLASSES = {}  -- class name -> true: `err:is("NOT_FOUND")` needs no lookup
for _, c in ipairs(require("authcodes.core").classes) do CLASSES[c] = true end

local M = {}

local MAX_CHAIN = 8   -- causes printed; a longer (or cyclic) chain ends in "..."

--- Text of any value without trusting it: strings as they are, error objects through
-- their own `tostring`, other tables only through a `__tostring` that behaves.
-- @local
local function text_of(v)
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
M.text_of = text_of

local error_mts = {}   -- metatable -> true: how is_error knows its own
local mt_of = {}       -- entry -> the metatable of its error objects
-- key -> metatable, for keys in the catalog's cache (they name their entry for good):
-- then `new(key)` is one index and a `setmetatable`, like a hand-written constructor.
-- Codes 0..1024 stay out, as in the catalog: with them the table would get an array
-- part, and LuaJIT cannot compile an index of such a table by a negative integer
-- (NYI: mixed sparse/dense table), which every iMSDK failure code is.
local mt_by_key = {}

-- Free text inside `tostring(err)`: line breaks escaped, so the result is one line.
local BREAKS = { ["\r"] = "\\r", ["\n"] = "\\n" }
local function one_line(s)
  return (s:gsub("[\r\n]", BREAKS))
end

local function line_of(f, key)
  local code = f.code
  if code == nil then code = key ~= nil and show(key) or "-" end
  -- The domain of an unknown error is whatever string the caller gave.
  local domain = f.domain == nil and "authcodes" or one_line(text_of(f.domain))
  return format("%s %s %s (%s): %s", domain, tostring(code), f.name, f.class, f.summary)
end

-- `tostring(err)`: the entry's line, then detail, then the causes.
local function render(err, depth)
  local mt = getmetatable(err)
  local s = mt.line or line_of(err, rawget(err, "key"))
  local detail = rawget(err, "detail")
  if detail ~= nil then s = s .. "; detail: " .. one_line(text_of(detail)) end
  local cause = rawget(err, "cause")
  if cause ~= nil then
    if depth >= MAX_CHAIN then return s .. "; caused by: ..." end
    if M.is_error(cause) then
      s = s .. "; caused by: " .. render(cause, depth + 1)
    else
      s = s .. "; caused by: " .. one_line(text_of(cause))
    end
  end
  return s
end

local function err_tostring(err) return render(err, 1) end

-- `tostring` of an object with nothing of its own (`new(code)`: no detail, no cause)
-- is its entry's line, made once, without `render`. The test is the cheapest each VM
-- has. PUC Lua: each entry's metatable gets a closure over its line, and one `next`
-- (a C call costs more there than the rest of the call). LuaJIT: one shared function
-- (a call site stays monomorphic) whose `rawget`s and `getmetatable` compile; `next`
-- would keep the new object from being sunk.
local line_tostring
if rawget(_G, "jit") then
  local function bare_tostring(err)
    if rawget(err, "detail") == nil and rawget(err, "cause") == nil then return getmetatable(err).line end
    return render(err, 1)
  end
  line_tostring = function() return bare_tostring end
else
  line_tostring = function(line)
    return function(err)
      if next(err) == nil then return line end
      return render(err, 1)
    end
  end
end

local function err_concat(a, b)
  return (M.is_error(a) and render(a, 1) or text_of(a)) .. (M.is_error(b) and render(b, 1) or text_of(b))
end

local function make_mt(fields, line)
  local mt = {
    __index = fields,
    __tostring = line ~= nil and line_tostring(line) or err_tostring,
    __concat = err_concat,
    __metatable = "authcodes.error",
    line = line,
  }
  error_mts[mt] = true
  return mt
end

-- Error objects of unknown codes share these fields; the raw key and the domain asked
-- for stay on the object itself.
local unknown_fields = setmetatable({
  name = "unknown", class = "UNKNOWN", retry = "never", retryable = false, http = 500,
  action = "none", ok = false, source = "unknown", aliases = setmetatable({}, { __newindex = error }),
  summary = "The code is not in the catalog.",
}, { __index = methods })
local unknown_mt = make_mt(unknown_fields, nil)

-- A vendor reply that could not be read at all: the upstream is at fault (502).
local bad_reply_fields = setmetatable({
  name = "bad_reply", class = "UNKNOWN", retry = "never", retryable = false, http = 502,
  action = "contact_vendor", ok = false, source = "unknown", aliases = unknown_fields.aliases,
  summary = "The vendor's reply could not be understood.",
}, { __index = methods })
local bad_reply_mt = make_mt(bad_reply_fields, nil)

local function mt_for(entry)
  local mt = mt_of[entry]
  if mt == nil then
    local f = fields_of[entry]
    mt = make_mt(f, line_of(f))
    mt_of[entry] = mt
  end
  return mt
end

--- True when `v` is an authcodes error object (made by `new`, `check` or `retry`);
-- false for entries and for anything else. Never raises.
-- @param v any value
-- @treturn boolean
function M.is_error(v)
  return type(v) == "table" and error_mts[getmetatable(v)] == true
end

local function entry_of(v)
  if type(v) ~= "table" then return nil end
  if fields_of[v] then return v end
  if M.is_error(v) then
    local f = getmetatable(v).__index
    if f == unknown_fields or f == bad_reply_fields then return nil end
    return lookup(f.domain, f.code)
  end
  return nil
end

local function check_opts(opts, fname)
  if opts ~= nil and type(opts) ~= "table" then
    error(format("bad argument #2 to '%s' (table expected, got %s)", fname, type(opts)), 3)
  end
  local domain = opts and rawget(opts, "domain")
  if domain ~= nil and type(domain) ~= "string" then
    error(format("bad argument #2 to '%s' (opts.domain must be a string, got %s)", fname, type(domain)), 3)
  end
  local context = opts and rawget(opts, "context")
  if context ~= nil and type(context) ~= "table" then
    error(format("bad argument #2 to '%s' (opts.context must be a table, got %s)", fname, type(context)), 3)
  end
end

local function fill(o, opts)
  local detail = rawget(opts, "detail")
  if detail ~= nil then o.detail = text_of(detail) end
  o.cause = rawget(opts, "cause")
  o.context = rawget(opts, "context")
  return o
end

--- Make an error object. Never raises on the key: an unknown or garbage key gives an
-- object of class UNKNOWN (http 500) that keeps the raw key (as `code` if integral).
--
--     local err = authcodes.new(-204, { detail = "login of player 42" })
--     err.name, err.http, err:is("UNAUTHENTICATED")   --> "session_expired", 401, true
--     tostring(err)   --> "imsdk -204 session_expired (UNAUTHENTICATED): ...; detail: ..."
-- @param key anything `lookup` accepts, or an entry / error object
-- @tparam[opt] table opts `{ domain=, detail=, cause=, context= }`:
-- `domain` (string) looks the key up in that domain only; `detail` (any; kept as a
-- string) what this occurrence adds; `cause` (any, e.g. another error object) what led
-- to it; `context` (table) data for logs and JSON (see `authcodes.format`)
-- @return a new error object (see the topic *Entries and error objects*): fields of
-- the entry plus `detail`, `cause`, `context`; for an unknown key name `"unknown"`,
-- class `UNKNOWN`, and `code` (integral number) or `key` (anything else) as given
-- @raise `bad argument #2 to 'new'` when opts is not a table, or opts.domain is not
-- a string, or opts.context is not a table
function M.new(key, opts)
  if opts == nil then
    -- Not `return setmetatable(...)`: LuaJIT cannot record a fast function's return to
    -- a lower frame, so a function trace of `new` would never compile.
    local mt = mt_by_key[key]
    if mt ~= nil then
      local o = setmetatable({}, mt)
      return o
    end
    local e = lookup(key)
    if e == nil then e = entry_of(key) end
    if e ~= nil then
      mt = mt_for(e)
      if cached(key) == e and not (type(key) == "number" and key >= 0 and key <= 1024) then
        mt_by_key[key] = mt
      end
      local o = setmetatable({}, mt)
      return o
    end
    return M.unknown(key, nil)
  end
  check_opts(opts, "new")
  local domain = rawget(opts, "domain")
  local e, why
  if domain ~= nil then e, why = lookup(domain, key) else e, why = lookup(key) end
  if e == nil then e = entry_of(key) end
  local o
  if e ~= nil then
    o = setmetatable({}, mt_for(e))
  else
    o = M.unknown(key, type(domain) == "string" and domain or nil, why)
  end
  return fill(o, opts)
end

--- An UNKNOWN error object for a key that names nothing.
-- @local
function M.unknown(key, domain, why)
  local o = { domain = domain, reason = why }
  local t = type(key)
  if t == "number" and key == key and floor(key) == key and key > -2^53 and key < 2^53 then
    o.code = floor(key)
  elseif t == "string" then
    o.key = #key > 256 and key:sub(1, 256) or key
  elseif t == "number" then
    o.key = key   -- not integral, or too large to be exact: kept as it came
  elseif t ~= "nil" then
    o.key = "<" .. t .. ">"
  end
  return setmetatable(o, unknown_mt)
end

--- An error object for a reply that could not be read (class UNKNOWN, http 502).
-- @local
function M.bad_reply(domain, detail)
  return setmetatable({ domain = domain, detail = detail }, bad_reply_mt)
end

local MAX_REPLY = 1024 * 1024
local MAX_MESSAGE = 1024

-- Where each domain's replies carry the code. Wilddog REST errors say `errcode`, its
-- SDK-style bodies `code`; iMSDK says `code`. Unknown domains try both.
local CODE_FIELDS = { wilddog = { "errcode", "code" }, imsdk = { "code" } }
local ANY_FIELDS = { "errcode", "code" }

--- Read a vendor reply: a decoded table or a JSON string.
-- iMSDK `{code=, desc=}` (1 is success, 2..6 are next-step instructions), Wilddog
-- `{errcode=, message=}` or `{code=, ...}`. Returns the reply (the decoded table) and
-- its entry when the code is not a failure; otherwise nil and an error object (class
-- UNKNOWN for unreadable replies); never raises on the reply.
--
--     local reply, err = authcodes.check(body, "imsdk")
--     if not reply then return nil, err end      -- err: an error object
--     -- here err is the entry: err.ok is true, err.name "success" or a next step
--
-- A string reply is decoded with lua-cjson (`cjson.safe`); a code given as a decimal
-- string is accepted. When the vendor's message differs from the catalog's, it becomes
-- the error's `detail`; a code not in the catalog gives an UNKNOWN error (http 500)
-- whose `detail` quotes it. Replies that are not JSON, over 1 MiB, without a code or
-- with a non-integral code give a `bad_reply` error (class UNKNOWN, http 502).
-- Wilddog's successful REST bodies carry no `errcode`: give `check` the bodies of
-- Wilddog's error responses (HTTP status >= 400) only.
-- @tparam table|string reply the reply: a decoded table, or its JSON text
-- @tparam[opt] string domain `"imsdk"`, `"wilddog"` or a registered domain; without
-- it, the code field is looked for as `errcode` then `code`, in every domain
-- @treturn[1] table the reply (decoded, the code field made an integer)
-- @treturn[1] table the entry (`entry.ok` is true)
-- @return[2] nil
-- @return[2] an error object
-- @raise `bad argument #2 to 'check' (unknown domain ...)` when domain is given but
-- not a known domain name
function M.check(reply, domain)
  if domain ~= nil and not catalog.has_domain(domain) then
    error("bad argument #2 to 'check' (unknown domain " .. show(domain) .. ")", 2)
  end
  local t = reply
  if type(reply) == "string" then
    if #reply > MAX_REPLY then
      return nil, M.bad_reply(domain, format("reply is too large (%d bytes)", #reply))
    end
    local ok, cjson = pcall(require, "cjson.safe")
    if not ok then return nil, M.bad_reply(domain, "lua-cjson is not installed: cannot decode a JSON reply") end
    local v, why = cjson.decode(reply)
    if v == nil then return nil, M.bad_reply(domain, "reply is not JSON: " .. text_of(why)) end
    t = v
  end
  if type(t) ~= "table" then
    return nil, M.bad_reply(domain, "reply is a " .. type(t) .. ", not a JSON object")
  end
  local code, field
  for _, f in ipairs(CODE_FIELDS[domain] or ANY_FIELDS) do
    code = rawget(t, f)
    if code ~= nil then field = f; break end
  end
  if code == nil or type(code) == "userdata" then  -- userdata: cjson.null
    return nil, M.bad_reply(domain, "reply has no code")
  end
  if type(code) == "string" then
    code = catalog.parse_code(code) or code
  end
  if type(code) ~= "number" or code ~= code or code == huge or code == -huge or floor(code) ~= code then
    return nil, M.bad_reply(domain, format("reply %s is %s, not an integer code", field,
      type(code) == "number" and show(code) or "a " .. type(code)))
  end
  code = floor(code)  -- JSON numbers decode as floats; codes print as integers
  if t ~= reply then t[field] = code end  -- our own decoded copy: tidy it too
  local e
  if domain ~= nil then e = lookup(domain, code) else e = lookup(code) end
  if e ~= nil and e.ok then return t, e end
  local msg = rawget(t, "desc")
  if type(msg) ~= "string" then msg = rawget(t, "message") end
  if type(msg) == "string" and #msg > MAX_MESSAGE then msg = msg:sub(1, MAX_MESSAGE) .. "..." end
  if e == nil then
    local o = M.unknown(code, domain)
    o.detail = "reply " .. field .. " " .. show(code) .. " is not in the catalog"
      .. (type(msg) == "string" and (": " .. msg) or "")
    return nil, o
  end
  local o = setmetatable({}, mt_for(e))
  if type(msg) == "string" and msg ~= e.message then o.detail = msg end
  return nil, o
end

--- Error object methods (also available on entries).
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
    local e = cached_in(domain, x)
    if e == nil then e = cached(x) end
    if e ~= nil then return e.code == code and e.domain == domain end
    if domain ~= nil and catalog.has_domain(domain) then
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
    return (M.is_error(x) or fields_of[x] ~= nil) and c == code and d == domain
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
  for _, k in ipairs { "domain", "code", "name", "message", "description", "sdk_message",
                       "doc_message", "doc_description", "summary", "class", "retry",
                       "retryable", "retry_after", "http", "action", "ok", "source", "note" } do
    t[k] = self[k]
  end
  local al = {}
  for i, a in ipairs(self.aliases or {}) do al[i] = a end
  t.aliases = al
  if M.is_error(self) then
    t.detail, t.key = rawget(self, "detail"), rawget(self, "key")
  end
  return t
end

return M
