--- Formatting: an error for people, for logs, as JSON, as an RFC 9457 problem.
--
-- Whatever an error carries (a detail from the network, a context table with
-- functions in it, a cause chain that loops), the output keeps its format: JSON
-- always decodes, a log line is always one line.
-- @module authcodes.format

local internal = require "authcodes.internal"

local type, tostring, ipairs, rawget, next = type, tostring, ipairs, rawget, next
local format, byte, lower = string.format, string.byte, string.lower
local concat, sort = table.concat, table.sort
local huge = math.huge

local M = {}

local text_of, is_error, as_error = internal.text_of, internal.is_error, internal.as_error

local MAX_FIELD = 2048    -- bytes of any one free-text value in a log line
local MAX_DEPTH = 4       -- nesting of context tables copied into JSON
local MAX_KEYS = 64       -- keys per context table copied
local MAX_TABLES = 64     -- tables copied from one context in all (a wide, self-referring
                          -- table would otherwise give MAX_KEYS ^ MAX_DEPTH of them)

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

--- A JSON-safe copy of any value: strings, finite numbers, booleans, and tables of
-- those (string keys, bounded depth and size). Everything else becomes a string.
local function plain(v, depth, left)
  local t = type(v)
  if t == "string" or t == "boolean" then return v end
  if t == "number" then
    if v ~= v then return "nan" end
    if v == huge or v == -huge then return v > 0 and "inf" or "-inf" end
    return v
  end
  if t == "table" and not is_error(v) then
    if depth >= MAX_DEPTH or left[1] <= 0 then return "<table>" end
    left[1] = left[1] - 1
    local out, n = {}, 0
    local k = next(v)
    while k ~= nil and n < MAX_KEYS do
      n = n + 1
      local key = type(k) == "string" and k or text_of(k)
      out[key] = plain(rawget(v, k), depth + 1, left)
      k = next(v, k)
    end
    return out
  end
  return text_of(v)
end

local function cause_text(err)
  local c = rawget(err, "cause")
  if c == nil then return nil end
  return text_of(c)
end

--- The RFC 9457 problem details of an error, as a table.
-- @param err an error object (or anything `new` accepts)
-- @tparam[opt] table opts `lang` ("en"/"zh"), `instance` (a URI for this occurrence),
--   `type_base`
-- @treturn table `type` (`type_base` .. domain .. name), `title` (`err:text(lang)`),
-- `status` (`err.http`), `detail`, `instance`, and the extension members `code`,
-- `domain`, `name`, `class`, `retryable`, `retry_after` (and `key` for an unknown key);
-- absent values are absent
-- @raise `bad argument #2 to 'problem'` when opts is not a table or opts.type_base is
-- not a string
function M.problem(err, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'problem' (table expected, got " .. type(opts) .. ")", 2)
  end
  local lang = opts and rawget(opts, "lang") or "en"
  local base = opts and rawget(opts, "type_base") or M.type_base
  if type(base) ~= "string" then
    error("bad argument #2 to 'problem' (opts.type_base must be a string, got " .. type(base) .. ")", 2)
  end
  err = as_error(err)
  local detail = rawget(err, "detail")
  local instance = opts and rawget(opts, "instance")
  local p = {
    type = base .. (err.domain or "authcodes") .. (base:sub(1, 4) == "urn:" and ":" or "/") .. err.name,
    title = err:text(lang),
    status = err.http,
    detail = detail ~= nil and text_of(detail) or nil,
    instance = instance ~= nil and text_of(instance) or nil,
    code = err.code,
    domain = err.domain,
    name = err.name,
    class = err.class,
    retryable = err.retryable,
    retry_after = err.retry_after,
  }
  if p.code == nil and rawget(err, "key") ~= nil then p.key = text_of(rawget(err, "key")) end
  return p
end

local function json_table(err, opts)
  local t = {
    domain = err.domain, code = err.code, name = err.name, class = err.class,
    http = err.http, retry = err.retry, retryable = err.retryable, retry_after = err.retry_after,
    action = err.action, summary = err.summary, message = err.message,
    description = err.description, ok = err.ok,
    detail = rawget(err, "detail") ~= nil and text_of(rawget(err, "detail")) or nil,
    cause = cause_text(err),
    context = rawget(err, "context") ~= nil and plain(rawget(err, "context"), 0, { MAX_TABLES }) or nil,
  }
  if t.code == nil and rawget(err, "key") ~= nil then t.key = text_of(rawget(err, "key")) end
  if opts and rawget(opts, "lang") == "zh" then t.title = err:text("zh") end
  return t
end

-- One log value: bare when it is a plain word, else quoted with every control
-- character escaped, so nothing in it can end the line or forge another field.
local function log_value(v)
  local s = text_of(v)
  if #s > MAX_FIELD then s = s:sub(1, MAX_FIELD) .. "..." end
  if s ~= "" and not s:find('[%c%s"\\=\127]') then return s end
  return '"' .. s:gsub('[%c"\\\127]', function(c)
    if c == "\n" then return "\\n" elseif c == "\r" then return "\\r"
    elseif c == "\t" then return "\\t" elseif c == '"' then return '\\"'
    elseif c == "\\" then return "\\\\" end
    return format("\\x%02x", byte(c))
  end) .. '"'
end

local function log_key(k)
  local s = text_of(k)
  s = s:gsub("[^%w_%.%-]", "_")
  if #s > 64 then s = s:sub(1, 64) end
  return s
end

local function log_line(err)
  local parts = {}
  local function add(k, v) if v ~= nil then parts[#parts + 1] = k .. "=" .. log_value(v) end end
  add("domain", err.domain)
  add("code", err.code)
  if err.code == nil then add("key", rawget(err, "key")) end
  add("name", err.name)
  add("class", err.class)
  add("http", err.http)
  add("retry", err.retry)
  add("retry_after", err.retry_after)
  add("summary", err.summary)
  add("detail", rawget(err, "detail"))
  add("cause", cause_text(err))
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
      add("ctx." .. kv[1], v)
    end
  end
  return concat(parts, " ")
end

local bodies = {}   -- error metatable (one per entry) -> { base =, en =, zh = } problem bodies
local getmetatable = debug.getmetatable  -- error metatables are protected

local styles = {
  text = function(err, opts)
    local lang = opts and rawget(opts, "lang") or "en"
    local where = (err.domain or "authcodes") .. " " .. tostring(err.code or err.name)
    return err:text(lang) .. " (" .. where .. ")"
  end,
  log = function(err) return log_line(err) end,
  json = function(err, opts)
    local j = cjson()
    local s = j.encode(json_table(err, opts))
    return s or j.encode({ name = "unformattable", class = "UNKNOWN" })
  end,
  problem = function(err, opts)
    -- An error with nothing of its own (no detail, cause or context, and no instance
    -- asked for: most failures a handler answers) has a body that depends only on its
    -- entry, the language and the type base: encode it once. Objects of unknown codes
    -- keep their key on themselves and are never cached.
    local cache, lang
    if next(err) == nil and (opts == nil or rawget(opts, "instance") == nil) then
      lang = opts and rawget(opts, "lang") or "en"
      local base = opts and rawget(opts, "type_base") or M.type_base
      local mt = getmetatable(err)
      if (lang == "en" or lang == "zh") and mt ~= nil then
        cache = bodies[mt]
        if cache == nil or cache.base ~= base then
          cache = { base = base }
          bodies[mt] = cache
        end
        local body = cache[lang]
        if body ~= nil then return body end
      end
    end
    local j = cjson()
    local s = j.encode(M.problem(err, opts))
    if s == nil then return j.encode({ type = "about:blank", title = "Error", status = 500 }) end
    if cache then cache[lang] = s end
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
-- `"text"`: the message in `opts.lang` and where it comes from. `"log"`: `key=value`
-- pairs (domain, code, name, class, http, retry, retry_after, summary, detail, cause,
-- then `ctx.<key>` for the context), values quoted and escaped when needed, always one
-- line. `"json"`: an object with the entry's fields, `detail`, `cause` (as text) and
-- `context` (copied: strings, finite numbers, booleans, nested tables to depth 4).
-- `"problem"`: the JSON of `problem(err, opts)`.
-- @param err an error object (or anything `new` accepts: a code, a name, an entry)
-- @string style `"text"`, `"log"`, `"json"` or `"problem"`
-- @tparam[opt] table opts `lang` (`"en"` or `"zh"`); for `"problem"` also `instance`
-- and `type_base`
-- @treturn string
-- @raise `bad argument #2 to 'format'` for another style, `bad argument #3` when opts
-- is not a table; for `"problem"`, what `problem` raises;
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
  return f(as_error(err), opts)
end

return M
