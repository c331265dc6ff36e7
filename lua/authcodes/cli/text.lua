--- Text for a terminal: UTF-8 decoding, display width, padding, cutting, wrapping, and
-- escaping of everything that could corrupt or forge what a terminal shows.
--
-- Written by hand because Lua 5.1 and LuaJIT have no utf8 library. Every function here
-- runs in time linear in its input: the CLI sees hostile arguments and whole log files
-- on stdin, and Lua patterns such as `^%s*(.-)%s*$` are quadratic on long runs of
-- spaces (issue #12), so loops walk bytes and patterns are anchored or single-class.
-- @module authcodes.cli.text

local byte, char, sub, find, format, rep = string.byte, string.char, string.sub, string.find,
  string.format, string.rep
local concat, floor, tostring = table.concat, math.floor, tostring

local M = {}

--- Decode the character at byte `i`: its code point and the index after it, or nil and
-- `i + 1` when the byte does not start a valid, shortest-form sequence (so that a
-- caller replaces exactly one byte and moves on).
local function decode(s, i)
  local c = byte(s, i)
  if c < 0x80 then return c, i + 1 end
  local n, cp, min
  if c >= 0xC2 and c <= 0xDF then n, cp, min = 1, c - 0xC0, 0x80
  elseif c >= 0xE0 and c <= 0xEF then n, cp, min = 2, c - 0xE0, 0x800
  elseif c >= 0xF0 and c <= 0xF4 then n, cp, min = 3, c - 0xF0, 0x10000
  else return nil, i + 1 end
  for j = i + 1, i + n do
    local b = byte(s, j)
    if not b or b < 0x80 or b > 0xBF then return nil, i + 1 end
    cp = cp * 64 + (b - 0x80)
  end
  if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return nil, i + 1 end
  return cp, i + n + 1
end

-- East Asian Wide (W) and Fullwidth (F) ranges (Unicode EastAsianWidth.txt, condensed).
local WIDE = {
  { 0x1100, 0x115F }, { 0x231A, 0x231B }, { 0x2329, 0x232A }, { 0x23E9, 0x23EC },
  { 0x23F0, 0x23F0 }, { 0x23F3, 0x23F3 }, { 0x25FD, 0x25FE }, { 0x2614, 0x2615 },
  { 0x2648, 0x2653 }, { 0x267F, 0x267F }, { 0x2693, 0x2693 }, { 0x26A1, 0x26A1 },
  { 0x26AA, 0x26AB }, { 0x26BD, 0x26BE }, { 0x26C4, 0x26C5 }, { 0x26CE, 0x26CE },
  { 0x26D4, 0x26D4 }, { 0x26EA, 0x26EA }, { 0x26F2, 0x26F3 }, { 0x26F5, 0x26F5 },
  { 0x26FA, 0x26FA }, { 0x26FD, 0x26FD }, { 0x2705, 0x2705 }, { 0x270A, 0x270B },
  { 0x2728, 0x2728 }, { 0x274C, 0x274C }, { 0x274E, 0x274E }, { 0x2753, 0x2755 },
  { 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27B0, 0x27B0 }, { 0x27BF, 0x27BF },
  { 0x2B1B, 0x2B1C }, { 0x2B50, 0x2B50 }, { 0x2B55, 0x2B55 }, { 0x2E80, 0x303E },
  { 0x3041, 0x33FF }, { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF }, { 0xA000, 0xA4CF },
  { 0xA960, 0xA97F }, { 0xAC00, 0xD7A3 }, { 0xF900, 0xFAFF }, { 0xFE10, 0xFE19 },
  { 0xFE30, 0xFE6F }, { 0xFF00, 0xFF60 }, { 0xFFE0, 0xFFE6 }, { 0x16FE0, 0x16FE4 },
  { 0x17000, 0x18CFF }, { 0x1B000, 0x1B2FF }, { 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF },
  { 0x1F18E, 0x1F18E }, { 0x1F191, 0x1F19A }, { 0x1F200, 0x1F251 }, { 0x1F300, 0x1F64F },
  { 0x1F680, 0x1F6FF }, { 0x1F7E0, 0x1F7EB }, { 0x1F90C, 0x1F9FF }, { 0x1FA70, 0x1FAFF },
  { 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
}
-- Zero-width: combining marks, joiners, variation selectors.
local ZERO = {
  { 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x0610, 0x061A },
  { 0x064B, 0x065F }, { 0x1AB0, 0x1AFF }, { 0x1DC0, 0x1DFF }, { 0x200B, 0x200F },
  { 0x2028, 0x202E }, { 0x2060, 0x2064 }, { 0x20D0, 0x20FF }, { 0xFE00, 0xFE0F },
  { 0xFE20, 0xFE2F }, { 0xFEFF, 0xFEFF }, { 0xE0100, 0xE01EF },
}

local function in_ranges(t, cp)
  local lo, hi = 1, #t
  while lo <= hi do
    local mid = floor((lo + hi) / 2)
    local r = t[mid]
    if cp < r[1] then hi = mid - 1
    elseif cp > r[2] then lo = mid + 1
    else return true end
  end
  return false
end

--- Columns one code point takes: 0, 1 or 2.
local function char_width(cp)
  if cp < 0x300 then return (cp < 0x20 or (cp >= 0x7F and cp < 0xA0)) and 0 or 1 end
  if in_ranges(ZERO, cp) then return 0 end
  if in_ranges(WIDE, cp) then return 2 end
  return 1
end

-- Characters a terminal must never receive raw (issue #12): C0 and C1 controls and DEL
-- (escape sequences, cursor moves), line and paragraph separators (they break a line
-- where none is seen), and the bidi controls that reorder what follows them (U+061C,
-- U+200E/F, U+202A-202E, U+2066-2069: "Trojan Source" style forgery).
local UNSAFE = {
  { 0x00, 0x1F }, { 0x7F, 0x9F }, { 0x061C, 0x061C }, { 0x200E, 0x200F },
  { 0x2028, 0x202E }, { 0x2066, 0x2069 },
}
local function unsafe(cp) return in_ranges(UNSAFE, cp) end

--- Columns `s` takes on a terminal (an invalid byte counts as one, like its U+FFFD).
local function width(s)
  local w, i, n = 0, 1, #s
  while i <= n do
    local b = byte(s, i)
    if b >= 0x20 and b < 0x7F then
      w, i = w + 1, i + 1
    else
      local cp
      cp, i = decode(s, i)
      w = w + (cp and char_width(cp) or 1)
    end
  end
  return w
end
M.width = width

-- Bytes Lua's %s matches, for trimming by hand.
local SPACE = { [9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true }

--- `s` without leading and trailing ASCII white space, in linear time (the pattern
-- `^%s*(.-)%s*$` retries the tail from every position: 8 s for 40k spaces).
function M.trim(s)
  local i, j = 1, #s
  while i <= j and SPACE[byte(s, i)] do i = i + 1 end
  while j >= i and SPACE[byte(s, j)] do j = j - 1 end
  return sub(s, i, j)
end

local REPLACEMENT = "\239\191\189"   -- U+FFFD

--- An escape that shows code point `cp` in ASCII: \x1B, \u{202E}.
local function escape(cp)
  return cp < 0x100 and format("\\x%02X", cp) or format("\\u{%X}", cp)
end

--- Text for a terminal: invalid bytes become U+FFFD; tab, line breaks and separators
-- become a space (catalog text is one line per field); every other unsafe character is
-- shown escaped (\x1B, \u{202E}) so that it can be seen but does nothing.
function M.clean(s)
  s = tostring(s)
  if not find(s, "[^ -~]") then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local cp, j = decode(s, i)
    if not cp then
      out[#out + 1] = REPLACEMENT
    elseif (cp >= 9 and cp <= 13) or cp == 0x85 or cp == 0x2028 or cp == 0x2029 then
      out[#out + 1] = " "
    elseif unsafe(cp) then
      out[#out + 1] = escape(cp)
    else
      out[#out + 1] = sub(s, i, j - 1)
    end
    i = j
  end
  return concat(out)
end

--- `s` as valid UTF-8: each invalid byte replaced by U+FFFD, nothing else changed
-- (for JSON, whose encoder copies bytes as they are).
function M.valid(s)
  local out, i, n, from = {}, 1, #s, 1
  while i <= n do
    if byte(s, i) < 0x80 then
      i = i + 1
    else
      local cp, j = decode(s, i)
      if not cp then
        out[#out + 1] = sub(s, from, i - 1)
        out[#out + 1] = REPLACEMENT
        from = j
      end
      i = j
    end
  end
  if from == 1 then return s end
  out[#out + 1] = sub(s, from)
  return concat(out)
end

-- The raw UTF-8 of the unsafe characters above U+007F, as patterns, for JSON text.
local UNSAFE_UTF8 = { "\194[\128-\159]", "\216\156", "\226\128[\142\143\168-\174]", "\226\129[\166-\169]" }

local function json_escape(ch)
  return format("\\u%04x", (decode(ch, 1)))
end

--- JSON text (valid UTF-8, as lua-cjson wrote it) with every unsafe character that
-- lua-cjson leaves raw written as a \u escape: the same JSON value, but nothing in it
-- can act on a terminal. Safe because these bytes only occur inside JSON strings.
function M.json_safe(json)
  for _, p in ipairs(UNSAFE_UTF8) do json = json:gsub(p, json_escape) end
  return json
end

--- User input shown back in a message: quoted, every invalid byte, control, bidi or
-- zero-width character escaped, and cut after about `MAX_SHOWN` columns so that a
-- 1 MB argument gives a one-line message.
local MAX_SHOWN = 60
function M.quote(s)
  s = tostring(s)
  local out, w, i, n = { '"' }, 0, 1, #s
  while i <= n do
    if w >= MAX_SHOWN then
      out[#out + 1] = format('"... (%d bytes)', n)
      return concat(out)
    end
    local cp, j = decode(s, i)
    local piece
    if not cp then
      piece = format("\\x%02X", byte(s, i))
    elseif cp == 34 or cp == 92 then
      piece = "\\" .. char(cp)
    elseif unsafe(cp) or (cp >= 0x300 and char_width(cp) == 0) then
      piece = escape(cp)
    else
      piece = sub(s, i, j - 1)
    end
    out[#out + 1] = piece
    w = w + width(piece)
    i = j
  end
  out[#out + 1] = '"'
  return concat(out)
end

--- `s` padded with spaces to `w` display columns (on the left when `right`).
function M.pad(s, w, right)
  local gap = w - width(s)
  if gap <= 0 then return s end
  return right and (rep(" ", gap) .. s) or (s .. rep(" ", gap))
end

--- `s` cut to at most `w` columns, ending in "…" when cut.
function M.truncate(s, w)
  if width(s) <= w then return s end
  local out, used, i, n = {}, 0, 1, #s
  while i <= n do
    local cp, j = decode(s, i)
    local cw = cp and char_width(cp) or 1
    if used + cw > w - 1 then break end
    out[#out + 1] = sub(s, i, j - 1)
    used, i = used + cw, j
  end
  return concat(out) .. "\226\128\166"
end

-- The words of `s` for wrapping: a space, a single wide character (Chinese has no spaces
-- and may break between any two), or a run of narrow non-space characters; each with
-- its characters and their widths, so that layout never measures a string twice.
local function words_of(s)
  local words, i, n = {}, 1, #s
  local word
  while i <= n do
    local cp, j = decode(s, i)
    local cw = cp and char_width(cp) or 1
    local piece = sub(s, i, j - 1)
    if cp == 32 then
      words[#words + 1] = { space = true }
      word = nil
    elseif cw == 2 or not word then
      word = { chars = { piece }, widths = { cw }, w = cw }
      words[#words + 1] = word
      if cw == 2 then word = nil end
    else
      word.chars[#word.chars + 1], word.widths[#word.widths + 1] = piece, cw
      word.w = word.w + cw
    end
    i = j
  end
  return words
end

--- Split text into lines of at most `w` columns: break at spaces, or between two wide
-- characters; a word longer than a line is cut. Linear in the length of `s`.
function M.wrap(s, w)
  if w < 10 or width(s) <= w then return { s } end
  local lines, line, lw = {}, {}, 0
  local function flush()
    while line[#line] == " " do line[#line] = nil end
    lines[#lines + 1] = concat(line)
    line, lw = {}, 0
  end
  for _, word in ipairs(words_of(s)) do
    if word.space then
      if lw > 0 then line[#line + 1], lw = " ", lw + 1 end
    elseif word.w <= w then
      if lw + word.w > w and lw > 0 then flush() end
      line[#line + 1], lw = concat(word.chars), lw + word.w
    else
      if lw > 0 then flush() end
      for k, piece in ipairs(word.chars) do   -- a word wider than a whole line
        if lw + word.widths[k] > w then flush() end
        line[#line + 1], lw = piece, lw + word.widths[k]
      end
    end
  end
  if lw > 0 then flush() end
  return lines
end

return M
