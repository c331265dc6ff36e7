--- Formatting: an error for people, for logs, as JSON, as an RFC 9457 problem.
--
-- Whatever an error carries (a vendor's text in any bytes, a context table with
-- functions in it, a cause chain that loops or nests), every output keeps its format
-- and its size. Every byte goes through one text-safety module (`authcodes.text`,
-- private), so:
--
-- * JSON and problem bodies are valid UTF-8 (an ill-formed byte becomes U+FFFD) and
--   always decode;
-- * a log line and `tostring(err)` are one line of valid UTF-8 with no control
--   character (C0, C1, DEL), no line or paragraph separator (U+2028, U+2029, U+0085)
--   and no bidi control (U+061C, U+200E/F, U+202A-202E, U+2066-2069): each is escaped
--   (`\n`, `\xNN`, `\u{XXXX}`), so nothing can end the line, forge a field or reorder
--   what a terminal shows;
-- * every output has a size cap, whatever it was given (below).
--
-- The caps:
--
-- * one free-text value (`detail`, `cause`, `title`, `summary`, `message`,
--   `description`, `instance`, a log value, a context string): 2 KiB;
-- * one name (`domain`, `name`, `class`, `key`, the `type` URI's parts, a JSON
--   context key): 256 bytes; a context key in a log line: 64 bytes;
-- * the context copied into JSON: depth 4, 64 keys a table, 64 tables, 4 KiB;
-- * a whole `tostring(err)`, log line, text, JSON or problem body: 16 KiB;
-- * error objects followed from one error, through `cause` and through a `detail`
--   that is itself an error object (however the chain was built): 8.
--
-- Caps count the bytes written (for JSON, as lua-cjson escapes them); a value past its
-- cap is cut on a character boundary and ends in `...`. Every output is made in time
-- linear in what it shows (at most the caps above), not in the size of its input.
-- @module authcodes.format

local internal = require "authcodes.internal"
local text = require "authcodes.text"

local type, tostring, ipairs, rawget, next = type, tostring, ipairs, rawget, next
local format, lower, find, sub, gsub = string.format, string.lower, string.find, string.sub, string.gsub
local concat, sort = table.concat, table.sort
local huge = math.huge

local M = {}

local text_of, is_error, as_error = internal.text_of, internal.is_error, internal.as_error

local MAX_VALUE, MAX_NAME, MAX_OUTPUT = text.MAX_VALUE, text.MAX_NAME, text.MAX_OUTPUT
local MAX_LOG_KEY = 64    -- bytes of a context key in a log line
local MAX_DEPTH = 4       -- nesting of context tables copied into JSON
local MAX_KEYS = 64       -- keys per context table copied
local MAX_TABLES = 64     -- tables copied from one context in all (a wide, self-referring
                          -- table would otherwise give MAX_KEYS ^ MAX_DEPTH of them)
local MAX_CONTEXT = 4096  -- bytes of JSON the context copy may take

local json_text, log_text = text.json, text.log

local getmetatable = debug.getmetatable  -- error metatables are protected

-- A member of a JSON body: a string made safe and cut; anything else absent.
local function jstr(v, max)
  if type(v) == "string" then return json_text(v, max) end
  return nil
end

-- Text of the entry behind an error (read through its metatable) as a JSON string
-- member. A built-in entry's text goes out as it is: tools/gencatalog.lua refuses
-- catalog text that `text.json` would change, so it is never made safe again and no VM
-- keeps a safe copy of each string; so do the fields of unknown, bad_reply and
-- circuit_open errors (ours, constant; spec/format_spec.lua checks both). A registered
-- entry's text is anyone's and is made safe, as is whatever an error object holds
-- itself (its detail, a field a caller set on it).
local function entry_json(err, v, max)
  if err.source == "registered" then return json_text(v, max) end
  return v
end

-- Field `k` of an error as a JSON string member (nil when it is not a string).
local function jfield(err, k, max)
  local v = rawget(err, k)
  if v == nil then
    v = err[k]
    if type(v) ~= "string" then return nil end
    return entry_json(err, v, max)
  end
  return jstr(v, max)
end

-- `err:text(lang)` as a JSON string member.
local function jtitle(err, lang)
  local v = err:text(lang)
  if type(v) ~= "string" then return nil end
  if rawget(err, "summary") == nil and rawget(err, "description") == nil then
    return entry_json(err, v, MAX_VALUE)
  end
  return json_text(v, MAX_VALUE)
end

-- A number that JSON can carry (finite); anything else absent.
local function jnum(v)
  if type(v) == "number" and v == v and v ~= huge and v ~= -huge then return v end
  return nil
end

local function jbool(v)
  if type(v) == "boolean" then return v end
  return nil
end

--- The default `type` URI of a problem: `urn:authcodes:<domain>:<name>`, stable per
-- domain and name. Pass `opts.type_base` to `problem` to point at your own pages.
-- A base that does not start with `urn:` is joined with `/`:
-- `type_base = "https://errors.example.com/"` gives `https://errors.example.com/imsdk/session_expired`.
M.type_base = "urn:authcodes:"

-- lua-cjson, loaded once (`authcodes.internal`): `require` is a C call (and stops a
-- LuaJIT trace) that every json and problem body would otherwise pay.
local cjson_mod
local function cjson()
  if cjson_mod == nil then cjson_mod = internal.json(3) end
  return cjson_mod
end

--- Pick `"zh"` or `"en"` from an Accept-Language header value. Quality values are
-- honoured; anything unreadable gives `"en"`.
--
--     authcodes.negotiate("zh-CN,zh;q=0.9,en;q=0.8")   --> "zh"
--     authcodes.negotiate("fr, en;q=0.5")              --> "en"
-- @param accept_language the header's value (`string`); anything else (nil when the
-- header is absent) gives `"en"`
-- @treturn string `"zh"` or `"en"`; never raises
function M.negotiate(accept_language)
  if type(accept_language) ~= "string" then return "en" end
  local best, best_q = "en", -1
  local n = 0
  for part in accept_language:sub(1, 1024):gmatch("[^,]+") do
    n = n + 1
    if n > 32 then break end
    local tag, params = part:match("^%s*([%a%*][%w%-]*)%s*(.*)$")
    if tag then
      local q = 1
      local qv = params:match("^;%s*[qQ]%s*=%s*([%d%.]+)%s*$")
      if qv then q = tonumber(qv) or 0
      elseif params:find("%S") then q = -1 end       -- unreadable parameters: ignore
      if q > 1 then q = -1 end
      local primary = lower(tag:match("^[^%-]+"))
      local lang = (primary == "zh" and "zh") or ((primary == "en" or primary == "*") and "en") or nil
      if lang and q > 0 and q > best_q then best, best_q = lang, q end
    end
  end
  return best
end

--- A JSON-safe copy of any value: strings (safe, cut), finite numbers, booleans, and
-- tables of those (string keys, bounded depth, size and bytes). Everything else becomes
-- a string. `left` is { tables left, bytes left }: once the bytes run out, nothing
-- more is copied.
local function plain(v, depth, left)
  local t = type(v)
  if t == "boolean" then left[2] = left[2] - 6; return v end
  if t == "number" then
    left[2] = left[2] - 24
    if v ~= v then return "nan" end
    if v == huge or v == -huge then return v > 0 and "inf" or "-inf" end
    return v
  end
  if t == "table" and not is_error(v) then
    if depth >= MAX_DEPTH or left[1] <= 0 then left[2] = left[2] - 9; return "<table>" end
    left[1] = left[1] - 1
    left[2] = left[2] - 2
    -- The table's own values first, then the tables in it: what is near the top
    -- survives a budget that a deep or wide part would use up.
    local keys, n = {}, 0
    local k = next(v)
    while k ~= nil and n < MAX_KEYS do
      n = n + 1
      keys[n] = k
      k = next(v, k)
    end
    local out = {}
    for pass = 1, 2 do
      for i = 1, n do
        k = keys[i]
        local x = rawget(v, k)
        if (type(x) == "table" and not is_error(x)) == (pass == 2) and left[2] > 0 then
          local key = json_text(type(k) == "string" and k or text_of(k), MAX_NAME)
          left[2] = left[2] - #key - 4
          out[key] = plain(x, depth + 1, left)
        end
      end
    end
    return out
  end
  local s = json_text(text_of(v), left[2] > MAX_VALUE and MAX_VALUE or (left[2] > 8 and left[2] or 8))
  left[2] = left[2] - #s - 2
  return s
end

local function cause_text(err)
  local c = rawget(err, "cause")
  if c == nil then return nil end
  return text_of(c)
end

-- The status a problem says and a response is sent with: opts.status, else the
-- error's `http` when it is a status (a careless caller may have set anything), else 500.
local status_of = text.status
local function status_for(err, status)
  return status or status_of(err.http) or 500
end

-- The options of a problem, checked for `problem`, `format` and `authcodes.ngx.respond`
-- (`what`: "#2 to 'problem'", ...): raises at the caller of the caller.
local function check_problem_opts(opts, what)
  if opts == nil then return end
  if type(opts) ~= "table" then
    error("bad argument " .. what .. " (table expected, got " .. type(opts) .. ")", 3)
  end
  local base = rawget(opts, "type_base")
  if base ~= nil and type(base) ~= "string" then
    error("bad argument " .. what .. " (opts.type_base must be a string, got " .. type(base) .. ")", 3)
  end
  local status = rawget(opts, "status")
  if status ~= nil and status_of(status) == nil then
    error("bad argument " .. what .. " (opts.status must be an HTTP status from 100 to 599, got "
      .. (type(status) == "number" and tostring(status) or type(status)) .. ")", 3)
  end
end

-- The type base made safe, for the last base seen (it is the same on every call but
-- for a service that passes its own): one comparison instead of a walk.
local last_base, last_safe_base = nil, nil
local function safe_base(base)
  if base ~= last_base then
    last_base, last_safe_base = base, json_text(base, MAX_VALUE)
  end
  return last_safe_base
end

local function make_problem(err, opts)
  local lang = opts and rawget(opts, "lang") or "en"
  local base = opts and rawget(opts, "type_base") or M.type_base
  if type(base) ~= "string" then base = "urn:authcodes:" end   -- M.type_base set to garbage
  local detail = rawget(err, "detail")
  if opts and rawget(opts, "expose_detail") == false then detail = nil end
  local instance = opts and rawget(opts, "instance")
  local domain = jfield(err, "domain", MAX_NAME)
  local name = jfield(err, "name", MAX_NAME) or "unknown"
  local p = {
    type = safe_base(base) .. (domain or "authcodes") .. (sub(base, 1, 4) == "urn:" and ":" or "/") .. name,
    title = jtitle(err, lang),
    status = status_for(err, opts and status_of(rawget(opts, "status"))),
    detail = detail ~= nil and json_text(text_of(detail), MAX_VALUE) or nil,
    instance = instance ~= nil and json_text(text_of(instance), MAX_VALUE) or nil,
    code = jnum(err.code),
    domain = domain,
    name = name,
    class = jfield(err, "class", MAX_NAME),
    retryable = jbool(err.retryable),
    retry_after = text.seconds(err.retry_after),
  }
  if p.code == nil and rawget(err, "key") ~= nil then p.key = json_text(text_of(rawget(err, "key")), MAX_NAME) end
  return p
end

--- The RFC 9457 problem details of an error, as a table.
-- Every string member is valid UTF-8 and within its cap (see the module's header).
-- @param err an error object (or anything `new` accepts)
-- @tparam[opt] table opts `lang` ("en"/"zh"), `instance` (a URI for this occurrence),
--   `type_base`, `status` (the HTTP status the problem is sent with, when it is not
--   `err.http`: the body must say the status the response has, RFC 9457 §3.1.3),
--   `expose_detail` (`false` leaves the error's `detail`, which may quote a vendor or
--   a parser, out; default `true`)
-- @treturn table `type` (`type_base` .. domain .. name), `title` (`err:text(lang)`),
-- `status` (`opts.status`, else `err.http`), `detail`, `instance`, and the extension
-- members `code`, `domain`, `name`, `class`, `retryable`, `retry_after` (whole seconds)
-- (and `key` for an unknown key); absent values are absent
-- @raise `bad argument #2 to 'problem'` when opts is not a table, opts.type_base is
-- not a string or opts.status is not an HTTP status (an integer from 100 to 599)
function M.problem(err, opts)
  check_problem_opts(opts, "#2 to 'problem'")
  return make_problem(as_error(err), opts)
end

local function json_table(err, opts)
  local detail = rawget(err, "detail")
  local ctx = rawget(err, "context")
  local t = {
    domain = jfield(err, "domain", MAX_NAME), code = jnum(err.code), name = jfield(err, "name", MAX_NAME),
    class = jfield(err, "class", MAX_NAME), http = status_of(err.http), retry = jfield(err, "retry", MAX_NAME),
    retryable = jbool(err.retryable), retry_after = text.seconds(err.retry_after),
    action = jfield(err, "action", MAX_NAME), summary = jfield(err, "summary", MAX_VALUE),
    message = jfield(err, "message", MAX_VALUE), description = jfield(err, "description", MAX_VALUE),
    ok = jbool(err.ok),
    detail = detail ~= nil and json_text(text_of(detail), MAX_VALUE) or nil,
    cause = rawget(err, "cause") ~= nil and json_text(cause_text(err), MAX_VALUE) or nil,
    context = ctx ~= nil and plain(ctx, 0, { MAX_TABLES, MAX_CONTEXT }) or nil,
  }
  if t.code == nil and rawget(err, "key") ~= nil then t.key = json_text(text_of(rawget(err, "key")), MAX_NAME) end
  if opts and rawget(opts, "lang") == "zh" then t.title = jtitle(err, "zh") end
  return t
end

-- Encode a body; one that would pass MAX_OUTPUT anyway (the caps above keep it under,
-- this is the guarantee) loses its largest optional members, then all of them.
local DROP = { "context", "cause", "detail", "instance", "description", "message" }
local function encode(t)
  local j = cjson()
  local s = j.encode(t)
  if s ~= nil and #s <= MAX_OUTPUT then return s end
  for _, k in ipairs(DROP) do
    if t[k] ~= nil then
      t[k] = nil
      s = j.encode(t)
      if s ~= nil and #s <= MAX_OUTPUT then return s end
    end
  end
  return j.encode({ type = "about:blank", title = "Error", name = "unformattable", class = "UNKNOWN",
    status = text.status(t.status) or 500 })
end

-- One log value: bare when it is a plain word, else quoted, with every control,
-- line-breaking and bidi character escaped (`authcodes.text`), so nothing in it can
-- end the line or forge another field.
local function log_value(v)
  local s = log_text(text_of(v), MAX_VALUE)
  if s ~= "" and not find(s, '[%s"\\=]') then return s end
  return '"' .. s .. '"'
end
-- An entry's log values, made once: the quoted, escaped form of a few hundred
-- permanent strings, keyed by the string (only a VM that writes log lines fills it).
local log_entry_value
do
  local cache = {}
  log_entry_value = function(v)
    local r = cache[v]
    if r == nil then
      r = log_value(v)
      cache[v] = r
    end
    return r
  end
end

-- Field `k` of an error as a log value: an entry's made once (`log_entry_value`).
local function log_field(err, k)
  local v = rawget(err, k)
  if v == nil then
    v = err[k]
    if type(v) == "string" then return log_entry_value(v) end
  end
  if v == nil then return nil end
  return log_value(v)
end

local function log_key(k)
  local s = text_of(k)
  if #s > MAX_LOG_KEY then s = sub(s, 1, MAX_LOG_KEY) end
  return (gsub(s, "[^%w_%.%-]", "_"))
end

local function log_line(err)
  local parts, size = {}, 0
  local full = false
  local function add(k, v)   -- v: a log value (made by log_value or log_field)
    if v == nil or full then return end
    local part = k .. "=" .. v
    -- room for " truncated=true" whatever comes next
    if size + #part + 1 > MAX_OUTPUT - 16 then full = true; return end
    parts[#parts + 1] = part
    size = size + #part + 1
  end
  add("domain", log_field(err, "domain"))
  add("code", log_field(err, "code"))
  if err.code == nil then add("key", log_field(err, "key")) end
  add("name", log_field(err, "name"))
  add("class", log_field(err, "class"))
  add("http", log_field(err, "http"))
  add("retry", log_field(err, "retry"))
  add("retry_after", log_field(err, "retry_after"))
  add("summary", log_field(err, "summary"))
  add("detail", log_field(err, "detail"))
  local cause = cause_text(err)
  add("cause", cause and log_value(cause))
  local ctx = rawget(err, "context")
  if type(ctx) == "table" then
    local keys, n = {}, 0
    local k = next(ctx)
    while k ~= nil and n < MAX_KEYS do
      n = n + 1
      keys[n] = k
      k = next(ctx, k)
    end
    local names = {}
    for i, key in ipairs(keys) do names[i] = { log_key(key), key } end
    sort(names, function(a, b) return a[1] < b[1] end)
    for _, kv in ipairs(names) do
      local v = rawget(ctx, kv[2])
      if type(v) == "table" then v = "<table>" end
      add("ctx." .. kv[1], v ~= nil and log_value(v) or nil)
    end
  end
  if full then parts[#parts + 1] = "truncated=true" end
  return concat(parts, " ")
end

-- Problem bodies of errors with nothing of their own: language -> error metatable (one
-- per entry) -> body, for the type base `bodies_base` (a call with another base starts
-- afresh). Plain maps, no table per entry (docs/design-caches.md, "Problem bodies").
local bodies, bodies_base = { en = {}, zh = {} }, nil

local styles = {
  text = function(err, opts)
    local lang = opts and rawget(opts, "lang") or "en"
    local code = err.code
    if code == nil then code = err.name end
    local where = (text_of(err.domain) or "authcodes") .. " " .. (text_of(code) or "-")
    return text.terminal((text_of(err:text(lang)) or "-") .. " (" .. where .. ")", MAX_OUTPUT)
  end,
  log = function(err) return log_line(err) end,
  json = function(err, opts) return encode(json_table(err, opts)) end,
  problem = function(err, opts)
    -- An error with nothing of its own (no detail, cause or context, and no instance
    -- or status asked for: most failures a handler answers) has a body that depends
    -- only on its entry, the language and the type base: encode it once. Objects of
    -- unknown codes keep their key on themselves and are never cached.
    local cache, mt
    if next(err) == nil and (opts == nil or (rawget(opts, "instance") == nil and rawget(opts, "status") == nil)) then
      local lang = opts and rawget(opts, "lang") or "en"
      local base = opts and rawget(opts, "type_base") or M.type_base
      mt = getmetatable(err)
      if (lang == "en" or lang == "zh") and mt ~= nil then
        if base ~= bodies_base then bodies, bodies_base = { en = {}, zh = {} }, base end
        cache = bodies[lang]
        local body = cache[mt]
        if body ~= nil then return body end
      end
    end
    local s = encode(make_problem(err, opts))
    if cache then cache[mt] = s end
    return s
  end,
}

--- Format an error: `style` is `"text"` (for people; `opts.lang`), `"log"` (one
-- key=value line), `"json"` or `"problem"` (RFC 9457 body); raises `bad argument` for
-- another style.
--
--     authcodes.format(-204, "text")   --> "The user's login session has expired. (imsdk -204)"
--     authcodes.format(-204, "log")    --> "domain=imsdk code=-204 name=session_expired class=..."
--
-- `"text"`: the message in `opts.lang` and where it comes from, one line. `"log"`:
-- `key=value` pairs (domain, code, name, class, http, retry, retry_after, summary,
-- detail, cause, then `ctx.<key>` for the context), values quoted and escaped when
-- needed, always one line; a line that would pass its cap ends in `truncated=true`.
-- `"json"`: an object with the entry's fields, `detail`, `cause` (as text) and
-- `context` (copied: strings, finite numbers, booleans, nested tables to depth 4).
-- `"problem"`: the JSON of `problem(err, opts)`. Every style keeps the caps and the
-- escaping of the module's header: whatever the error carries, the result is valid
-- UTF-8 of at most 16 KiB.
-- @param err an error object (or anything `new` accepts: a code, a name, an entry)
-- @string style `"text"`, `"log"`, `"json"` or `"problem"`
-- @tparam[opt] table opts `lang` (`"en"` or `"zh"`); for `"problem"` also `instance`,
-- `type_base`, `status` and `expose_detail` (see `problem`)
-- @treturn string
-- @raise `bad argument #2 to 'format'` for another style, `bad argument #3` when opts
-- is not a table, or for `"problem"` when opts.type_base is not a string or
-- opts.status not an HTTP status;
-- `authcodes: lua-cjson is required for JSON but cannot be loaded (...)` for `"json"`
-- and `"problem"` when lua-cjson cannot be loaded
function M.format(err, style, opts)
  local f = styles[style]
  if f == nil then
    error("bad argument #2 to 'format' (style must be text, log, json or problem, got "
      .. (type(style) == "string" and format("%q", style:sub(1, 40)) or type(style)) .. ")", 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #3 to 'format' (table expected, got " .. type(opts) .. ")", 2)
  end
  if opts ~= nil and style == "problem" then check_problem_opts(opts, "#3 to 'format'") end
  return f(as_error(err), opts)
end

return M
