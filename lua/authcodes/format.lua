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
local format, sub = string.format, string.sub
local huge = math.huge

local M = {}

local text_of, as_error = internal.text_of, internal.as_error

local MAX_VALUE, MAX_NAME, MAX_OUTPUT = text.MAX_VALUE, text.MAX_NAME, text.MAX_OUTPUT

local json_text = text.json

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
-- A registered domain's entries are exactly those whose `source` is "registered" (a
-- built-in entry's `source` is a cold field: docs/design-caches.md).
require "authcodes.catalog"              -- (which sets internal.registered)
local registered = internal.registered   -- registered domain name -> its entries
local function entry_json(err, v, max)
  if registered[err.domain] ~= nil then return json_text(v, max) end
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

local more   -- the rest of the styles, loaded on first use (below)

--- Pick `"zh"` or `"en"` from an Accept-Language header value. Quality values are
-- honoured; anything unreadable gives `"en"`.
--
--     authcodes.negotiate("zh-CN,zh;q=0.9,en;q=0.8")   --> "zh"
--     authcodes.negotiate("fr, en;q=0.5")              --> "en"
-- @param accept_language the header's value (`string`); anything else (nil when the
-- header is absent) gives `"en"`
-- @treturn string `"zh"` or `"en"`; never raises
function M.negotiate(accept_language)
  return more().negotiate(accept_language)
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
internal.check_problem_opts, internal.status_for = check_problem_opts, status_for   -- for authcodes.ngx

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

-- Problem bodies of errors with nothing of their own. For the default type base (the
-- constant string, whatever `M.type_base` says), in the array part of the error
-- metatable (one per entry): `mt[BODY.en]`, `mt[BODY.zh]`, a slot of 16 bytes (8 on
-- LuaJIT), where a map keyed by metatable cost a 512-node hash (12 KB for every code).
-- The entry's line is at `mt[1]` (authcodes.errors), hence 2 and 3.
-- For another base: language -> error metatable -> body, for `bodies_base` only (a call
-- with another base starts afresh). docs/design-caches.md, "Problem bodies".
local DEFAULT_BASE = M.type_base
local BODY = { en = 2, zh = 3 }
local bodies, bodies_base = { en = {}, zh = {} }, nil

-- The text, log and JSON styles and `negotiate` (authcodes.format_styles), loaded on
-- first use: a VM that only makes problem bodies never holds their code.
local loaded
more = function()
  if loaded == nil then
    local styles, negotiate = require("authcodes.format_styles") {
      jfield = jfield, jtitle = jtitle, jnum = jnum, jbool = jbool, encode = encode,
    }
    loaded = { text = styles.text, log = styles.log, json = styles.json, negotiate = negotiate }
  end
  return loaded
end

local function problem_body(err, opts)
  -- An error with nothing of its own (no detail, cause or context, and no instance
  -- or status asked for: most failures a handler answers) has a body that depends
  -- only on its entry, the language and the type base: encode it once. Objects of
  -- unknown codes keep their key on themselves and are never cached.
  local cache, slot, mt
  if next(err) == nil and (opts == nil or (rawget(opts, "instance") == nil and rawget(opts, "status") == nil)) then
    local lang = opts and rawget(opts, "lang") or "en"
    local base = opts and rawget(opts, "type_base") or M.type_base
    mt = getmetatable(err)
    if mt ~= nil then
      if base == DEFAULT_BASE then
        slot = BODY[lang]
        if slot ~= nil then
          local body = mt[slot]
          if body ~= nil then return body end
        end
      elseif lang == "en" or lang == "zh" then
        if base ~= bodies_base then bodies, bodies_base = { en = {}, zh = {} }, base end
        cache = bodies[lang]
        local body = cache[mt]
        if body ~= nil then return body end
      end
    end
  end
  local s = encode(make_problem(err, opts))
  if slot then mt[slot] = s elseif cache then cache[mt] = s end
  return s
end

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
  local f
  if style == "problem" then f = problem_body
  elseif style == "text" or style == "log" or style == "json" then f = more()[style] end
  if f == nil then
    internal.bad_argument("format", 2, "style must be text, log, json or problem, got "
      .. (type(style) == "string" and format("%q", style:sub(1, 40)) or type(style)))
  end
  if opts ~= nil and type(opts) ~= "table" then
    internal.bad_argument("format", 3, "table expected, got " .. type(opts))
  end
  if opts ~= nil and style == "problem" then check_problem_opts(opts, "#3 to 'format'") end
  return f(as_error(err), opts)
end

return M
