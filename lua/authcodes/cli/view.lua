--- How entries are shown: a record (one key), an aligned table (a list or a search),
-- or JSON. Every string from the catalog goes through `authcodes.text`: `terminal`
-- (by text.clean) or, in JSON, `json` then `json_printable`, so that what reaches a
-- terminal is valid UTF-8 with no control, line-breaking or bidi character (issue #12).
-- @module authcodes.cli.view

local safe = require "authcodes.text"
local internal = require "authcodes.internal"
local text = require "authcodes.cli.text"
local words = require "authcodes.cli.words"
local query = require "authcodes.cli.query"

local format, rep = string.format, string.rep
local concat = table.concat
local ipairs, pcall, require, tostring, type = ipairs, pcall, require, tostring, type
local clean, width, pad, truncate, wrap = text.clean, text.width, text.pad, text.truncate, text.wrap
local qualified = query.qualified
local severity = internal.severity

-- The colour of a class: its log severity (a column of `authcodes.schema`'s classes).
local function colour(class) return words.severity_colour[severity(class)] end

local M = {}

local SGR = { bold = "1", dim = "2", red = "31", green = "32", yellow = "33", magenta = "35", cyan = "36" }

local function plain(_, s) return s end

--- A function `paint(style, s)` that colours `s` when `on`, else returns it as it is.
function M.painter(on)
  if not on then return plain end
  return function(style, s)
    if not style or s == "" then return s end
    return "\27[" .. SGR[style] .. "m" .. s .. "\27[0m"
  end
end

-- The text a record or a row leads with: the language's own where there is one.
local function lead_text(e, lang)
  return lang == "zh" and (e.description or e.summary) or e.summary
end

--- The lines of one entry's record: a headline, then "  label  value" rows, values
-- wrapped to `cols` columns when given. `lang` is "en" or "zh".
function M.record(e, lang, paint, cols)
  local T = words.lang[lang]
  local L = T.labels
  local rows = {}
  local function add(field, value, style)
    if value == nil or value == "" then return end
    rows[#rows + 1] = { L[field], clean(value), style }
  end
  add("domain", e.domain)
  add("code", tostring(e.code), "bold")
  add("name", e.name, "bold")
  local al = e.aliases   -- (a new list on every read)
  if al and #al > 0 then add("aliases", concat(al, ", ")) end
  add("class", e.class, colour(e.class))
  local http = tostring(e.http)
  if words.http_reason[e.http] then http = http .. " " .. words.http_reason[e.http] end
  add("http", http)
  local advice = T.retry[e.retry]
  if advice then
    add("retry", e.retry .. " - " .. format(advice, tostring(e.retry_after or "?")))
  else
    add("retry", e.retry)
  end
  add("action", e.action)
  if e.ok then add("ok", T.ok, "green") end
  for _, f in ipairs(T.texts) do add(f, e[f]) end
  add("source", e.source and (e.source .. " - " .. (T.source[e.source] or e.source)))
  add("note", e.note, "dim")

  local out = { paint("bold", format("%s (%s): %s", clean(qualified(e)), tostring(e.code),
    clean(lead_text(e, lang)))) }
  local lw = 0
  for _, r in ipairs(rows) do
    local w = width(r[1])
    if w > lw then lw = w end
  end
  local indent = rep(" ", 2 + lw + 2)
  for _, r in ipairs(rows) do
    local lines = cols and wrap(r[2], cols - #indent) or { r[2] }
    for i, line in ipairs(lines) do
      if i == 1 then
        out[#out + 1] = "  " .. paint("dim", pad(r[1], lw)) .. "  " .. paint(r[3], line)
      else
        out[#out + 1] = indent .. paint(r[3], line)
      end
    end
  end
  return out
end

--- The lines of an aligned table: domain, code, name, class, and the summary (or the
-- Chinese description) cut to fit `cols` columns when given.
function M.table(list, lang, paint, cols)
  local T = words.lang[lang]
  local rows = { T.header }
  for _, e in ipairs(list) do
    rows[#rows + 1] = { clean(e.domain), tostring(e.code), clean(e.name), clean(e.class),
                        clean(lead_text(e, lang)) }
  end
  local widths = { 0, 0, 0, 0 }
  for _, r in ipairs(rows) do
    for c = 1, 4 do
      local w = width(r[c])
      if w > widths[c] then widths[c] = w end
    end
  end
  local lead = 0
  for c = 1, 4 do lead = lead + widths[c] + 2 end
  local out = {}
  for i, r in ipairs(rows) do
    local last = r[5]
    if cols and cols - lead >= 20 then last = truncate(last, cols - lead) end
    local cells = {
      pad(r[1], widths[1]), pad(r[2], widths[2], true), pad(r[3], widths[3]), pad(r[4], widths[4]),
    }
    if i == 1 then
      out[i] = paint("bold", concat(cells, "  ") .. "  " .. last)
    else
      out[i] = concat({ cells[1], paint("bold", cells[2]), cells[3],
                        paint(colour(r[4]), cells[4]) }, "  ") .. "  " .. last
    end
  end
  return out
end

---------------------------------------------------------------------------------------
-- JSON, written with lua-cjson one value at a time so that the fields keep one order.

-- Fields of an entry in JSON, in this order; null where absent, aliases always an array.
local JSON_FIELDS = { "domain", "code", "name", "aliases", "class", "http", "retry", "retryable",
                      "retry_after", "action", "ok", "summary", "message", "sdk_message",
                      "doc_message", "description", "doc_description", "source", "note" }

--- lua-cjson, or nil and a message saying how to install it.
function M.cjson()
  local ok, m = pcall(require, "cjson")
  if ok and type(m) == "table" then return m end
  return nil, "--json needs lua-cjson; install it (Debian: apt install lua-cjson; "
    .. "or luarocks install lua-cjson), or leave out --json"
end

-- One JSON value; a string valid UTF-8 within `max` bytes, then terminal-safe once
-- encoded (the same value, with what lua-cjson leaves raw written as \u escapes).
local function json_value(cjson, v, max)
  if v == nil then return "null" end
  if type(v) == "string" then
    return safe.json_printable(cjson.encode(safe.json(v, max or safe.MAX_VALUE)))
  end
  return cjson.encode(v)
end

-- User input inside JSON: any value, within the cap of an identifier-like value
-- (input can be megabytes).
local function json_text(cjson, s)
  return json_value(cjson, tostring(s), safe.MAX_NAME)
end

--- An entry as a JSON object, led by `key`: the key as given (or DOMAIN.NAME).
function M.json_entry(cjson, e, key)
  local t = e:totable()
  local parts = { '"key":' .. json_text(cjson, key) }
  for _, k in ipairs(JSON_FIELDS) do
    local v
    if k == "aliases" then
      local al = {}
      for i, a in ipairs(t.aliases or {}) do al[i] = json_value(cjson, a) end
      v = "[" .. concat(al, ",") .. "]"
    else
      v = json_value(cjson, t[k])
    end
    parts[#parts + 1] = '"' .. k .. '":' .. v
  end
  return "{" .. concat(parts, ",") .. "}"
end

--- A key that was not found, as `{"key": ..., "error": ...}`.
function M.json_miss(cjson, key, why)
  return format('{"key":%s,"error":%s}', json_text(cjson, key), json_value(cjson, why))
end

--- Items (JSON texts) as one array, an item a line.
function M.json_array(items)
  if #items == 0 then return "[]" end
  return "[\n  " .. concat(items, ",\n  ") .. "\n]"
end

return M
