--- Text on a terminal, what only the CLI needs: display width (East Asian wide and
-- zero-width characters), padding, cutting to a width, wrapping, trimming, and user
-- input quoted back in a message. Making text safe (invalid bytes, controls, bidi
-- characters, JSON) is `authcodes.text`'s job, the library's one place for it; this
-- module calls it and walks characters with its `decode`.
--
-- Every function here runs in time linear in its input: the CLI sees hostile arguments
-- and whole log files on stdin, and Lua patterns such as `^%s*(.-)%s*$` are quadratic
-- on long runs of spaces (issue #12), so loops walk bytes and patterns are anchored or
-- single-class.
-- @module authcodes.cli.text

local safe = require "authcodes.text"

local byte, sub, format, rep = string.byte, string.sub, string.format, string.rep
local concat, floor, tostring = table.concat, math.floor, tostring
local decode, terminal, log, escaped = safe.decode, safe.terminal, safe.log, safe.escaped

local M = {}

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

--- Columns `s` takes on a terminal (a byte that starts no character counts as one).
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

--- `s` (any value) as one safe value on a terminal, at most `authcodes.text`'s cap
-- for a free-text value (catalog text, a message from lower down).
function M.clean(s)
  return terminal(tostring(s), safe.MAX_VALUE)
end

--- User input shown back in a message: quoted, each character as `authcodes.text.log`
-- shows it (`"`, `\`, controls, bidi characters and invalid bytes escaped), zero-width
-- characters escaped too so that a key that looks right shows why it is not, and cut
-- after about `MAX_SHOWN` columns so that a 1 MB argument gives a one-line message.
-- Only the characters shown are walked.
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
    local ch = sub(s, i, j - 1)
    local piece = log(ch, 16)   -- one character: its escape takes at most 8 bytes
    if piece == ch and cp >= 0x300 and char_width(cp) == 0 then piece = escaped(cp) end
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
