--- Keys as an on-call engineer has them in hand: a log field (`code=-204`,
-- `errcode: 22002`), a quoted code (`'"-207"'`), a JSON reply, or whole log lines on
-- stdin (`authcodes -`), from which every code is picked out.
--
-- Linear in the input: words are found with single-class patterns (`[%w_]+`), which
-- never re-scan, and each word is looked at once; a log of megabytes is no problem.
-- @module authcodes.cli.scan

local text = require "authcodes.cli.text"

local byte, find, lower, match, sub = string.byte, string.find, string.lower, string.match, string.sub
local concat, ipairs = table.concat, ipairs
local trim = text.trim

local M = {}

--- Most input read from stdin (bytes); the rest is left unread, and said so.
M.MAX_INPUT = 16 * 1024 * 1024
--- Most distinct keys taken from stdin; more are counted, not described.
M.MAX_KEYS = 1000

-- Bytes that end a JSON or log field after its value: `,` `;` `}` `]`.
local TAIL = { [44] = true, [59] = true, [125] = true, [93] = true }

-- `s` without trailing field punctuation (unless nothing would be left); a byte loop,
-- as the pattern "^(.-)[,;}]+$" is quadratic on a long run of commas.
local function strip_tail(s)
  local j = #s
  while j > 1 and TAIL[byte(s, j)] do j = j - 1 end
  return sub(s, 1, j)
end

-- A field name says "a code follows": code, errcode, err_code, errorCode, retcode...
local function code_field(name)
  if #name > 32 then return false end
  local l = lower(name)
  return find(l, "code$") ~= nil or l == "errno" or l == "ret" or l == "err" or l == "error"
end

--- The key inside one typed token: surrounding quotes, a `field=` or `"field":` prefix
-- and a trailing `,`/`;`/`}` are taken off (`code=-204` -> `-204`, `'"-207"'` ->
-- `-207`, `"errcode":22002,` -> `22002`); `DOMAIN:KEY` gives `DOMAIN.KEY` when
-- `is_domain(DOMAIN)`. Anything else is returned trimmed, as it was.
function M.key_of(token, is_domain)
  local s = trim(token)
  for _ = 1, 4 do                -- a few layers at most: "'code=\"-207\"'"
    local before = s
    local q = sub(s, 1, 1)
    if (q == '"' or q == "'") and #s >= 2 and sub(s, -1) == q then
      s = trim(sub(s, 2, -2))
    else
      local field, rest = match(s, "^[\"']?([%a_][%w_]*)[\"']?%s*[=:]%s*(.+)$")
      if field and #rest > 0 then
        if is_domain and is_domain(lower(field)) then
          s = lower(field) .. "." .. rest
        else
          s = rest
        end
      end
      s = trim(strip_tail(s))
    end
    if s == before then break end
  end
  return s
end

-- One line's codes: { key = what was found, lookup = the code, domain = hint }.
local function scan_line(line, is_domain, found)
  local domain
  -- A `domain=imsdk` field (the library's log style) says where the line's codes live.
  local d = match(line, "[%s,{\"']domain[\"']?%s*[=:]%s*[\"']?([%a_][%w_]*)")
    or match(line, "^domain[\"']?%s*[=:]%s*[\"']?([%a_][%w_]*)")
  if d and is_domain(lower(d)) then domain = lower(d) end
  local pos = 1
  while true do
    local s, e = find(line, "[%w_]+", pos)
    if not s then break end
    local word = sub(line, s, e)
    pos = e + 1
    if code_field(word) then
      -- field, optional closing quote, = or :, optional quote, then a signed integer
      local value, value_end = match(line, "^[\"']?%s*[=:]%s*[\"']?([+-]?%d+)()", pos)
      if value and not find(sub(line, value_end, value_end), "^[%w_.]") then
        local from = s
        if s > 1 and find(sub(line, s - 1, s - 1), "[\"']") then from = s - 1 end  -- "code":-207
        local to = value_end - 1
        if find(sub(line, value_end, value_end), "[\"']") then to = value_end end     -- "22239"
        found[#found + 1] = { key = sub(line, from, to), lookup = value, domain = domain }
        pos = value_end
      end
    elseif is_domain(lower(word)) and sub(line, e + 1, e + 1) == "." then
      -- DOMAIN.NAME or DOMAIN.-204 written out
      local rest = match(line, "^([+-]?[%w_]+)", e + 2)
      if rest then
        found[#found + 1] = { key = sub(line, s, e + 1 + #rest), lookup = lower(word) .. "." .. rest }
        pos = e + 2 + #rest
      end
    end
  end
end

--- Every code in `input` (a JSON reply or log lines), in order of first appearance,
-- each once: a list of `{ key =, lookup =, domain = }`, and how many more distinct
-- keys there were beyond `MAX_KEYS`. A line that is a single key (22002, expired_token)
-- counts as that key, and a line of codes only (22002, -204 22239) as each of them.
function M.codes(input, is_domain)
  local found = {}
  for line in (input .. "\n"):gmatch("([^\n]*)\n") do
    local t = trim(line)
    if t ~= "" then
      if not find(t, "[%s=:,{}\"']") then
        found[#found + 1] = { key = t, lookup = t }
      elseif find(t, "^[%d%s,+-]+$") then             -- a pasted list: 22002, -204 22239
        for code in t:gmatch("[+-]?%d+") do found[#found + 1] = { key = code, lookup = code } end
      else
        scan_line(line, is_domain, found)
      end
    end
  end
  local list, seen, more = {}, {}, 0
  for _, f in ipairs(found) do
    local id = (f.domain or "") .. "\0" .. f.lookup
    if not seen[id] then
      seen[id] = true
      if #list < M.MAX_KEYS then list[#list + 1] = f else more = more + 1 end
    end
  end
  return list, more
end

--- Read `stream` to its end or `MAX_INPUT` bytes: the text, and true when cut.
function M.read(stream)
  local parts, size = {}, 0
  while size < M.MAX_INPUT do
    local chunk = stream:read(65536)
    if not chunk or chunk == "" then return concat(parts), false end
    parts[#parts + 1] = chunk
    size = size + #chunk
  end
  return concat(parts), true
end

return M
