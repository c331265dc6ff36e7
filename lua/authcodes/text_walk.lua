-- The slow half of `authcodes.text` (private): the byte walk for text that cannot go
-- out as it is, the escapes it makes, and what the CLI reads characters with (`decode`,
-- `escaped`, `json_printable`). `authcodes.text` loads it the first time a text needs
-- more than its fast path (all in C), so a VM that only ever writes safe text, as every
-- catalog error's is, never holds this code. The rules are those of `authcodes.text`'s
-- header. Called with what it shares with `authcodes.text` (`h`: valid_utf8,
-- has_hidden, HIDDEN, ASCII_UNSAFE, MARK).

local byte, sub, find, gsub, char, format =
  string.byte, string.sub, string.find, string.gsub, string.char, string.format
local concat, setmetatable = table.concat, setmetatable

return function(h)
  local valid_utf8, has_hidden, HIDDEN, ASCII_UNSAFE, MARK = h.valid_utf8, h.has_hidden, h.HIDDEN,
    h.ASCII_UNSAFE, h.MARK

  -- The bytes each destination must look at; every other byte is copied as it is.
  local UNSAFE = {
    utf8 = "[\128-\255]",
    json = '[%z\1-\31"/\\\127-\255]',
    log = '[%z\1-\31"\\\127-\255]',
    terminal = "[%z\1-\31\127-\255]",
  }

  -- What a byte the classes above catch becomes. Tables of every escape (by byte, by
  -- character, per style) made at load cost a VM about 20 KB, for text that is almost
  -- never unsafe (catalog text never is: tools/gencatalog.lua refuses any that this
  -- module would change). So each escape is made the first time a byte needs it and
  -- kept: a VM holds the few it meets (a line break, a quote), at most 128 per style.
  local NAMED = { [9] = "\\t", [10] = "\\n", [13] = "\\r" }

  -- `\xNN` for byte `b`, or its short name; `"` and `\` are escaped in a log only.
  local function byte_escape(b, mode)
    local e = NAMED[b]
    if e ~= nil then return e end
    if mode == "log" and (b == 34 or b == 92) then return "\\" .. char(b) end
    return format("\\x%02x", b)
  end

  -- A table whose value for `k` is `make(k)`, made on the first read and kept.
  local function made_on_use(make)
    return setmetatable({}, { __index = function(t, k)
      local v = make(k)
      t[k] = v
      return v
    end })
  end

  local ESC = {   -- by byte: the ASCII bytes each escaping style changes
    log = made_on_use(function(b) return byte_escape(b, "log") end),
    terminal = made_on_use(function(b) return byte_escape(b, "terminal") end),
  }
  local BAD_BYTE = made_on_use(function(b) return format("\\x%02x", b) end)   -- ill-formed, both styles

  -- The ASCII bytes lua-cjson writes as a 2-byte escape (`\b \t \n \f \r \" \/ \\`);
  -- any other control takes 6 (`\u00NN`).
  local JSON_SHORT = { [8] = true, [9] = true, [10] = true, [12] = true, [13] = true, [34] = true,
                       [47] = true, [92] = true }
  local REPLACEMENT = "\239\191\189"   -- U+FFFD

  -- The length and code point of the well-formed UTF-8 sequence that starts with byte
  -- `b` at `i` (Unicode table 3-7: no overlongs, no surrogates, nothing past U+10FFFF);
  -- nil when there is none.
  local function sequence_at(s, i, b)
    if b < 0xC2 or b > 0xF4 then return nil end
    local b2 = byte(s, i + 1)
    if b2 == nil then return nil end
    if b < 0xE0 then
      if b2 < 0x80 or b2 > 0xBF then return nil end
      return 2, (b - 0xC0) * 64 + (b2 - 0x80)
    end
    local lo, hi = 0x80, 0xBF
    if b == 0xE0 then lo = 0xA0 elseif b == 0xED then hi = 0x9F
    elseif b == 0xF0 then lo = 0x90 elseif b == 0xF4 then hi = 0x8F end
    if b2 < lo or b2 > hi then return nil end
    local b3 = byte(s, i + 2)
    if b3 == nil or b3 < 0x80 or b3 > 0xBF then return nil end
    if b < 0xF0 then return 3, ((b - 0xE0) * 64 + (b2 - 0x80)) * 64 + (b3 - 0x80) end
    local b4 = byte(s, i + 3)
    if b4 == nil or b4 < 0x80 or b4 > 0xBF then return nil end
    return 4, (((b - 0xF0) * 64 + (b2 - 0x80)) * 64 + (b3 - 0x80)) * 64 + (b4 - 0x80)
  end

  -- Code points above U+007F that end a line or reorder text where they are shown.
  local function hidden(cp)
    return cp <= 0x9F                                   -- C1 controls (U+0085 NEL among them)
      or cp == 0x061C                                   -- ARABIC LETTER MARK
      or cp == 0x200E or cp == 0x200F                   -- LRM, RLM
      or (cp >= 0x2028 and cp <= 0x202E)                -- LS, PS, LRE..RLO
      or (cp >= 0x2066 and cp <= 0x2069)                -- LRI..PDI
  end

  -- How `log` and `terminal` show a code point they must not print.
  local function escaped(cp) return format("\\u{%04x}", cp) end

  -- The same escapes, by character, for gsub (which reads a table through `__index`).
  local ESC_BY_CHAR = {
    log = made_on_use(function(c) return ESC.log[byte(c)] end),
    terminal = made_on_use(function(c) return ESC.terminal[byte(c)] end),
  }

  -- The walk. `parts` holds the output pieces; `sizes[i]` is what piece i costs, negated
  -- for a run of safe ASCII bytes (which may be cut anywhere), positive for an atomic
  -- piece (a character or an escape, never split). `s` (n bytes) is not as it can go out.
  local function clean(s, n, max, mode)
    local escaping = mode == "log" or mode == "terminal"
    -- Well-formed, nothing hidden, only ASCII to escape (a quote, a line break): one gsub.
    if escaping and n <= max and (not find(s, "[\128-\255]") or (valid_utf8(s) and not has_hidden(s))) then
      local r = gsub(s, ASCII_UNSAFE[mode], ESC_BY_CHAR[mode])
      if #r <= max then return r end
    end
    local unsafe = UNSAFE[mode]
    local cut = n > max
    if cut then s = sub(s, 1, max); n = max end
    local esc = ESC[mode]
    local parts, sizes, np, used = {}, {}, 0, 0
    local i = 1
    while i <= n do
      local j = find(s, unsafe, i) or n + 1
      if j > i then
        np = np + 1
        parts[np], sizes[np] = sub(s, i, j - 1), i - j
        used = used + (j - i)
      end
      if j > n then break end
      local b = byte(s, j)
      local piece, size
      local len = 1
      if b < 0x80 then
        if escaping then piece = esc[b] else piece, size = char(b), JSON_SHORT[b] and 2 or 6 end
      else
        local l, cp = sequence_at(s, j, b)
        if l == nil then
          piece = escaping and BAD_BYTE[b] or REPLACEMENT
        else
          len = l
          if escaping and hidden(cp) then piece = escaped(cp)
          else piece = sub(s, j, j + l - 1) end
        end
      end
      size = size or #piece
      np = np + 1
      parts[np], sizes[np] = piece, size
      used = used + size
      i = j + len
      if used > max then break end
    end
    if not cut and used <= max then return concat(parts, "", 1, np) end
    -- Too long: drop pieces from the end until the marker fits.
    local limit = max - #MARK
    while used > limit and np > 0 do
      local size = sizes[np]
      if size < 0 and used + size < limit then   -- a safe run: keep its head
        parts[np] = sub(parts[np], 1, limit - (used + size))
        used = limit
      else
        used = used - (size < 0 and -size or size)
        np = np - 1
      end
    end
    parts[np + 1] = MARK
    return concat(parts, "", 1, np + 1)
  end

  -- The character at byte `i` of `s`: its code point and the index after it; nil and
  -- `i + 1` when the byte does not start a well-formed sequence, so that a caller walking
  -- a text (the CLI measuring display width) treats one bad byte and moves on.
  local function decode(s, i)
    local b = byte(s, i)
    if b < 0x80 then return b, i + 1 end
    local l, cp = sequence_at(s, i, b)
    if l == nil then return nil, i + 1 end
    return cp, i + l
  end

  local function json_escape(ch)
    local _, cp = sequence_at(ch, 1, byte(ch))
    return format("\\u%04x", cp)
  end

  -- A JSON text lua-cjson wrote (from `json` strings), with every character `terminal`
  -- hides that lua-cjson leaves raw (C1 controls, U+2028/2029, bidi controls) written as
  -- a `\uXXXX` escape: the same JSON value, safe to print on a terminal (the CLI's
  -- `--json`). At most 3 times as long; the bytes matched only occur inside strings.
  local function json_printable(json)
    for k = 1, #HIDDEN do json = gsub(json, HIDDEN[k], json_escape) end
    return json
  end

  return { clean = clean, decode = decode, escaped = escaped, json_printable = json_printable }
end
