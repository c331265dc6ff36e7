-- The rarely used part of `authcodes.format` (private): the text, log and JSON styles
-- and `negotiate`. `authcodes.format` loads it on the first call of one of them, so a
-- VM that only answers problem bodies (an nginx handler) or prints errors never holds
-- its code: about 13 KB of function prototypes per VM on Lua 5.4 (BENCHMARKS.md,
-- issue #13). The caps and escaping are those of `authcodes.format`'s header.
-- Called with the helpers it shares with `authcodes.format` (`h`: jfield, jtitle,
-- jnum, jbool, encode); answers `{ text =, log =, json = }` and `negotiate`.

local internal = require "authcodes.internal"
local text = require "authcodes.text"

local type, tonumber, ipairs, rawget, next = type, tonumber, ipairs, rawget, next
local lower, find, sub, gsub = string.lower, string.find, string.sub, string.gsub
local concat, sort = table.concat, table.sort
local huge = math.huge

local text_of, is_error = internal.text_of, internal.is_error
local json_text, log_text, status_of = text.json, text.log, text.status

local MAX_VALUE, MAX_NAME, MAX_OUTPUT = text.MAX_VALUE, text.MAX_NAME, text.MAX_OUTPUT
local MAX_LOG_KEY = 64    -- bytes of a context key in a log line
local MAX_DEPTH = 4       -- nesting of context tables copied into JSON
local MAX_KEYS = 64       -- keys per context table copied
local MAX_TABLES = 64     -- tables copied from one context in all (a wide, self-referring
                          -- table would otherwise give MAX_KEYS ^ MAX_DEPTH of them)
local MAX_CONTEXT = 4096  -- bytes of JSON the context copy may take

local function negotiate(accept_language)
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


-- A JSON-safe copy of any value: strings (safe, cut), finite numbers, booleans, and
-- tables of those (string keys, bounded depth, size and bytes). Everything else becomes
-- a string. `left` is { tables left, bytes left }: once the bytes run out, nothing
-- more is copied.
-- The first MAX_KEYS keys of a table (raw `next`: no metamethod runs), and how many.
local function first_keys(t)
  local keys, n = {}, 0
  local k = next(t)
  while k ~= nil and n < MAX_KEYS do
    n = n + 1
    keys[n] = k
    k = next(t, k)
  end
  return keys, n
end

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
    local keys, n = first_keys(v)
    local out = {}
    for pass = 1, 2 do
      for i = 1, n do
        local k = keys[i]
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

return function(h)
  local jfield, jtitle, jnum, jbool, encode = h.jfield, h.jtitle, h.jnum, h.jbool, h.encode

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
      local keys = first_keys(ctx)
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
  }
  return styles, negotiate
end
