--- Error objects: a catalog entry plus what is specific to one occurrence.
-- (Entries and their methods: `authcodes.entry`; vendor replies: `authcodes.reply`.)
--
-- An error object is a plain table holding only `detail`, `cause` and `context` (and,
-- for unknown codes, the raw `key`); everything else (code, name, class, retry...) is
-- read through its metatable from the shared entry, which is never modified. One
-- metatable per entry, made on first use, so `new` is one small table and a
-- `setmetatable`, like a hand-written Kong-style constructor.
-- @module authcodes.errors

local catalog = require "authcodes.catalog"
local internal = require "authcodes.internal"
local text = require "authcodes.text"

local type, rawget, setmetatable, error, next =
  type, rawget, setmetatable, error, next
-- Our metatables are protected (`getmetatable` answers a string), so that nobody can
-- reach an entry's fields through an error object; we read them with the debug one.
local getmetatable = debug.getmetatable
local format = string.format
local floor = math.floor

local lookup, fields_of, show, methods = catalog.lookup, internal.fields_of, internal.show, internal.methods
local text_of, is_error = internal.text_of, internal.is_error

local M = {}

local MAX_CHAIN, MAX_VALUE, MAX_OUTPUT = text.MAX_CHAIN, text.MAX_VALUE, text.MAX_OUTPUT
local terminal, cut = text.terminal, text.cut

-- entry -> its error metatable, made on its first error. Not in the entry's fields
-- table: two more keys there would double it for every entry errors are made of
-- (docs/design-caches.md, "What an entry is"). The entry's tostring line is in its
-- error metatable, at index 1 (an array slot).
local mt_of = {}
-- The catalog's bare spelling cache, read directly: `new(key)` of a key looked up before
-- is two indexes (`mt_of[by_key[key]]`) and a `setmetatable`, like a hand-written
-- Kong-style constructor.
local by_key = internal.by_key
-- LuaJIT only: key -> error metatable (never a code 0..1024, never a registered entry's
-- key, which a later `register` can make ambiguous). In a trace one index by key costs
-- less than the dependent lookups (6.9 against 17 ns per `tostring(new(code))` here).
-- PUC Lua gains nothing from it (a hit there is dominated by the calls) and would pay
-- about 17 KB.
local JIT = rawget(_G, "jit") ~= nil
local mt_by_key = JIT and {} or nil

-- Free text inside `tostring(err)`: safe for a terminal (`authcodes.text`: no control,
-- line-breaking or bidi character, valid UTF-8) and at most MAX_VALUE bytes.
local function one_line(s)
  return terminal(s, MAX_VALUE)
end

-- The entry's part of the line. A registered domain's summary and the domain an
-- unknown error was asked for are anyone's text: the whole line goes through one_line.
local function line_of(f, key)
  local code = f.code
  if code == nil then code = key ~= nil and show(key) or "-" end
  local domain = f.domain == nil and "authcodes" or text_of(f.domain)
  -- text_of: on an unknown error these are the object's own fields, which a careless
  -- caller may have set to anything.
  return one_line(format("%s %s %s (%s): %s", domain, text_of(code), text_of(f.name) or "-",
    text_of(f.class) or "-", text_of(f.summary) or "-"))
end

-- `tostring(err)`: the entry's line, then detail, then the causes, appended to `out`
-- (out.n pieces, out.size bytes). A detail or cause that is itself an error object is
-- rendered here, one level deeper, not through its own `tostring`: so the chain ends
-- after MAX_CHAIN objects however it was built (`cause`, `detail = other_err`, both),
-- and the walk stops as soon as the text is past MAX_OUTPUT, so a wide or deep tree of
-- objects costs no more than the text that is shown.
local concat = table.concat

local function add(out, s)
  local n = out.n + 1
  out[n], out.n, out.size = s, n, out.size + #s
end

local render_into

local function add_tail(out, label, v, depth)
  if v == nil or out.size > MAX_OUTPUT then return end
  add(out, label)
  if not is_error(v) then
    add(out, one_line(text_of(v)))
  elseif depth >= MAX_CHAIN then
    add(out, "...")
  else
    render_into(out, v, depth + 1)
  end
end

-- An error's line: its entry's, kept in the error metatable (`mt[1]`), or made now for
-- an error without an entry (unknown codes, bad replies).
local function line_for(err)
  return getmetatable(err)[1] or line_of(err, rawget(err, "key"))
end

render_into = function(out, err, depth)
  add(out, line_for(err))
  add_tail(out, "; detail: ", rawget(err, "detail"), depth)
  add_tail(out, "; caused by: ", rawget(err, "cause"), depth)
end

local function render(err)
  local detail, cause = rawget(err, "detail"), rawget(err, "cause")
  if cause == nil and type(detail) == "string" then
    -- The common case, a detail and nothing else: two safe pieces of at most
    -- MAX_VALUE bytes each, already within MAX_OUTPUT.
    return line_for(err) .. "; detail: " .. one_line(detail)
  end
  local out = { n = 0, size = 0 }
  render_into(out, err, 1)
  return cut(concat(out, "", 1, out.n), MAX_OUTPUT)
end

local function err_tostring(err) return render(err) end

-- `tostring` of an object with nothing of its own (`new(code)`: no detail, no cause)
-- is its entry's line, made once, without `render`. The cheapest each VM has: LuaJIT,
-- one function for every entry, two `rawget`s and the metatable's slot, which compile
-- (`next` would keep the new object from being sunk); PUC Lua, a closure per entry that
-- errors are made of, holding the line, and one `next` (`debug.getmetatable` would be a
-- second C call, and a C call costs more there than the rest of the call).
local plain_tostring, tostring_of
if JIT then
  plain_tostring = function(err)
    if rawget(err, "detail") == nil and rawget(err, "cause") == nil then return getmetatable(err)[1] end
    return render(err)
  end
  tostring_of = function() return plain_tostring end
else
  tostring_of = function(line)
    return function(err)
      if next(err) == nil then return line end
      return render(err)
    end
  end
end

local function err_concat(a, b)
  return (is_error(a) and render(a) or text_of(a)) .. (is_error(b) and render(b) or text_of(b))
end
internal.mark_errors(err_concat)   -- how `is_error` knows our metatables

-- Four keys: the table has four slots and no more (docs/design-caches.md, "Error
-- objects"). An entry's line is at index 1: an array slot of 16 bytes (8 on LuaJIT),
-- where a fifth key would double the hash part (four more 24-byte nodes per entry).
local function make_mt(fields, line)
  if line ~= nil then
    return { line, __index = fields, __tostring = tostring_of(line), __concat = err_concat,
             __metatable = "authcodes.error" }
  end
  return {
    __index = fields,
    __tostring = err_tostring,
    __concat = err_concat,
    __metatable = "authcodes.error",
  }
end

-- What the fields of unknown and bad_reply objects do not hold: the methods, and
-- `aliases` as a new empty list on every read (a shared list could be changed through
-- `rawset` or `table.insert` for every such object of the process).
local synthetic_mt = { __index = function(_, k)
  if k == "aliases" then return {} end
  return methods[k]
end }

-- Error objects of unknown codes share these fields; the raw key and the domain asked
-- for stay on the object itself.
local unknown_fields = setmetatable({
  name = "unknown", class = "UNKNOWN", retry = "never", retryable = false, http = 500,
  action = "none", ok = false, source = "unknown",
  summary = "The code is not in the catalog.", description = "错误码不在目录中。",
}, synthetic_mt)
local unknown_mt = make_mt(unknown_fields, nil)

-- A vendor reply that could not be read at all: the upstream is at fault (502).
local bad_reply_fields = setmetatable({
  name = "bad_reply", class = "UNKNOWN", retry = "never", retryable = false, http = 502,
  action = "contact_vendor", ok = false, source = "unknown",
  summary = "The vendor's reply could not be understood.", description = "无法读懂供应商的回复。",
}, synthetic_mt)
local bad_reply_mt = make_mt(bad_reply_fields, nil)

-- The vendor's circuit breaker is open (`authcodes.breaker`, issue #16): no call was
-- made; try again after `retry_after` seconds, when the breaker lets a probe through.
local circuit_open_fields = setmetatable({
  name = "circuit_open", class = "UNAVAILABLE", retry = "after_delay", retryable = true, http = 503,
  action = "wait", ok = false, source = "authcodes",
  summary = "Calls to the vendor are suspended after repeated failures (circuit breaker open).",
  description = "供应商接口多次失败，已暂停调用（熔断器打开），稍后重试。",
}, synthetic_mt)
local circuit_open_mt = make_mt(circuit_open_fields, nil)

-- The error metatable of an entry, made on its first error (`mt_of`).
local function mt_for(e)
  local mt = mt_of[e]
  if mt == nil then
    local f = fields_of(e)
    mt = make_mt(f, line_of(f))
    mt_of[e] = mt
  end
  return mt
end

--- True when `v` is an authcodes error object (made by `new`, `check` or `retry`);
-- false for entries and for anything else. Never raises.
-- @param v any value
-- @treturn boolean
M.is_error = is_error

local function entry_of(v)
  if fields_of(v) ~= nil then return v end
  if is_error(v) then
    local f = getmetatable(v).__index
    if f == unknown_fields or f == bad_reply_fields or f == circuit_open_fields then return nil end
    return lookup(f.domain, f.code)
  end
  return nil
end

local unknown  -- defined below `new`, which calls it

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
    local mt
    if JIT then
      mt = mt_by_key[key]
    else
      mt = mt_of[by_key[key]]
    end
    if mt ~= nil then
      local o = setmetatable({}, mt)
      return o
    end
    -- An entry or an error object is no key: lookup would only make its reason.
    local tk = type(key)
    local e
    if tk == "userdata" or tk == "table" then e = entry_of(key) else e = lookup(key) end
    if e ~= nil then
      mt = mt_for(e)
      -- (by_key never holds a code 0..1024: authcodes.catalog keeps those apart)
      if JIT and by_key[key] == e and internal.registered[mt.__index.domain] == nil then
        mt_by_key[key] = mt
      end
      local o = setmetatable({}, mt)
      return o
    end
    return unknown(key, nil)
  end
  check_opts(opts, "new")
  local domain = rawget(opts, "domain")
  local e, why = entry_of(key), nil
  if e == nil then
    if domain ~= nil then e, why = lookup(domain, key) else e, why = lookup(key) end
  end
  local o
  if e ~= nil then
    o = setmetatable({}, mt_for(e))
  else
    o = unknown(key, type(domain) == "string" and domain or nil, why)
  end
  return fill(o, opts)
end

-- A client's error message ("connection refused", "timeout"...) that is no key: the
-- `transport` entry it stands for (`authcodes.transport`), the message kept as the
-- detail, or nil. Loaded on first use: only unknown strings get here.
local name_of_transport
local MAX_TRANSPORT_DETAIL = 1024

-- A new error object of the built-in `transport` entry `name` with this detail (also
-- `check`'s, which may give it its own `retry_after`).
local function of_transport(name, detail)
  return setmetatable({ detail = detail }, mt_for((lookup("transport", name))))
end
internal.transport_error = of_transport

local function transport_error(key)
  if name_of_transport == nil then name_of_transport = require("authcodes.transport").name_of end
  local name = name_of_transport(key)
  if name == nil then return nil end
  local detail = #key > MAX_TRANSPORT_DETAIL and key:sub(1, MAX_TRANSPORT_DETAIL) .. "..." or key
  return of_transport(name, detail)
end

-- An UNKNOWN error object for a key that names nothing (or the transport error a
-- client's message stands for, when no domain was asked for).
unknown = function(key, domain, why)
  local t = type(key)
  if t == "string" and domain == nil then
    local o = transport_error(key)
    if o ~= nil then return o end
  end
  local o = { domain = domain, reason = why }
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

-- An error object for a reply that could not be read (class UNKNOWN, http 502).
local function bad_reply(domain, detail)
  return setmetatable({ domain = domain, detail = detail }, bad_reply_mt)
end

-- An error object for a call the open breaker of `domain` did not let through
-- (UNAVAILABLE, http 503, retry_after whole seconds); `cause`, the last vendor error.
local function circuit_open(domain, retry_after, cause)
  return setmetatable({ domain = domain, retry_after = retry_after, cause = cause }, circuit_open_mt)
end

internal.unknown, internal.bad_reply, internal.mt_for = unknown, bad_reply, mt_for
internal.circuit_open = circuit_open

return M
