--- Text safety: the library's one place that makes any text safe for where it goes.
--
-- Private: not part of the API (not in the reference, no stability promise). Users get
-- safe output from `authcodes.format`, `authcodes.ngx` and `tostring(err)`, which all
-- go through here; the escape syntax and the cut marker are policy that may change, so
-- they are not offered as functions of their own. The CLI (`authcodes.cli`) calls it
-- for every text it prints, and walks characters with `decode` to measure display width.
--
-- Four destinations, one walk over the bytes:
--
-- * `utf8(s, max)`: valid UTF-8 (what `check` keeps of a vendor's text): every byte
--   that does not start a well-formed sequence becomes U+FFFD;
-- * `json(s, max)`: the same, and `max` counts the bytes lua-cjson will write for the
--   string (a control character takes 6, `"` `\` `/` take 2);
-- * `log(s, max)`: one log value: every C0 and C1 control, DEL, U+2028/U+2029, the
--   bidi controls (U+061C, U+200E/F, U+202A-202E, U+2066-2069), `"` and `\` escaped
--   (`\n \r \t \" \\`, other bytes `\xNN`, code points `\u{XXXX}`), and every byte that
--   is not well-formed UTF-8 as `\xNN` (so a raw 0x9B, a C1 CSI, never reaches a log);
-- * `terminal(s, max)`: what `tostring` and the CLI print: the same escapes as `log`
--   except `"` and `\`, which are harmless on a terminal and keep the text readable.
--
-- Every result is valid UTF-8 and at most `max` bytes (`max` >= 4); a longer text is
-- cut on a character (or escape) boundary and ends in `...`. The work is linear: the
-- input is first cut to `max` bytes (no input byte gives less than one output byte, so
-- nothing past that could be shown), then walked once, jumping over safe runs with a
-- single-class `find`; no pattern backtracks.
-- @module authcodes.text
-- @local

local byte, sub, find, gsub = string.byte, string.sub, string.find, string.gsub
local type, floor, rawget = type, math.floor, rawget

local M = {}

--- The caps every output style keeps (documented in `authcodes.format`'s header).
M.MAX_VALUE = 2048     -- one free-text value: detail, cause, title, instance, a log value
M.MAX_NAME = 256       -- one identifier-like value: domain, name, class, key, a context key
M.MAX_OUTPUT = 16384   -- a whole tostring, log line, JSON or problem body
M.MAX_CHAIN = 8        -- error objects followed through `cause` and `detail`

local MARK = "..."

-- Is `s` well-formed UTF-8? The check of the fast path below, in C: Lua 5.3+'s
-- utf8.len (5.4's is strict; 5.3's lets surrogates through, hence the find), else one
-- gsub per well-formed shape, each replacing the sequences it matches by an ASCII
-- byte: a match is always a real sequence (a lead byte is never a continuation byte)
-- and a replaced one cannot join its neighbours, so what is left above 0x7F is
-- ill-formed. Every pattern has a fixed length: linear, no backtracking.
local valid_utf8
local utf8_lib = rawget(_G, "utf8")
if type(utf8_lib) == "table" and type(utf8_lib.len) == "function" then
  local len = utf8_lib.len
  valid_utf8 = function(s) return len(s) ~= nil and not find(s, "\237[\160-\191]") end
else
  local SHAPES = {
    "[\194-\223][\128-\191]",
    "\224[\160-\191][\128-\191]", "[\225-\236\238\239][\128-\191][\128-\191]", "\237[\128-\159][\128-\191]",
    "\240[\144-\191][\128-\191][\128-\191]", "[\241-\243][\128-\191][\128-\191][\128-\191]",
    "\244[\128-\143][\128-\191][\128-\191]",
  }
  valid_utf8 = function(s)
    for i = 1, #SHAPES do
      s = gsub(s, SHAPES[i], "a")
      if not find(s, "[\128-\255]") then return true end
    end
    return false
  end
end

-- The UTF-8 of the characters `hidden` names, one fixed-length pattern per lead byte.
-- In well-formed text a match is always a whole character: no lead byte is ever a
-- continuation byte.
local HIDDEN = { "\194[\128-\159]", "\216\156", "\226\128[\142\143\168-\174]", "\226\129[\166-\169]" }

-- A character `hidden` names, anywhere in well-formed `s`.
local function has_hidden(s)
  if not find(s, "[\194\216\226]") then return false end
  for k = 1, #HIDDEN do
    if find(s, HIDDEN[k]) then return true end
  end
  return false
end

-- The ASCII bytes each escaping destination changes.
local ASCII_UNSAFE = { log = '[%z\1-\31"\\\127]', terminal = "[%z\1-\31\127]" }

-- Can `s` (n bytes) go out as it is? All in C: for text that needs nothing (most
-- does, and a vendor's Chinese text too) no Lua loop runs.
local function as_is(s, n, max, mode)
  if n > max then return false end
  if mode == "json" then
    if n * 6 > max then   -- it may not fit once lua-cjson escapes it: count
      local _, quoted = gsub(s, '["/\\]', "")
      local _, controls = gsub(s, "[%z\1-\31\127]", "")
      if n + quoted + 5 * controls > max then return false end
    end
  elseif mode ~= "utf8" and find(s, ASCII_UNSAFE[mode]) then
    return false
  end
  if find(s, "[\128-\255]") then
    if not valid_utf8(s) then return false end
    if mode ~= "utf8" and mode ~= "json" and has_hidden(s) then return false end
  end
  return true
end

-- Text that cannot go out as it is (rare: never catalog text), the CLI's helpers: in
-- authcodes.text_walk, loaded the first time one is needed. A VM whose output is all
-- safe text (tostring and problem bodies of catalog errors) never holds that code:
-- about 8 KB of prototypes and tables on Lua 5.4 (BENCHMARKS.md, issue #13).
local walk
local function slow()
  if walk == nil then
    walk = require("authcodes.text_walk") {
      valid_utf8 = valid_utf8, has_hidden = has_hidden, HIDDEN = HIDDEN, ASCII_UNSAFE = ASCII_UNSAFE,
      MARK = MARK,
    }
  end
  return walk
end

-- Made safe: as it is when it can go out so (all in C), else walked.
local function clean(s, max, mode)
  local n = #s
  if as_is(s, n, max, mode) then return s end
  return slow().clean(s, n, max, mode)
end

--- Valid UTF-8, at most `max` bytes (ill-formed bytes become U+FFFD).
function M.utf8(s, max) return clean(s, max, "utf8") end

--- Valid UTF-8 whose JSON string body (as lua-cjson writes it) is at most `max` bytes.
function M.json(s, max) return clean(s, max, "json") end

--- One log value: no control, line-breaking or bidi character, `"` and `\` escaped.
function M.log(s, max) return clean(s, max, "log") end

--- Text for a terminal (`tostring`, the CLI): no control, line-breaking or bidi character.
function M.terminal(s, max) return clean(s, max, "terminal") end

--- The character at byte `i` of `s`: its code point and the index after it; nil and
-- `i + 1` when the byte does not start a well-formed sequence, so that a caller walking
-- a text (the CLI measuring display width) treats one bad byte and moves on.
function M.decode(s, i) return slow().decode(s, i) end

--- Code point `cp` written as `log` and `terminal` write the characters they hide
-- (`\u{200b}`): for a caller that hides more (the CLI shows zero-width characters of a
-- key it echoes), in the same syntax.
function M.escaped(cp) return slow().escaped(cp) end

--- A JSON text lua-cjson wrote (from `json` strings), with every character `terminal`
-- hides that lua-cjson leaves raw (C1 controls, U+2028/2029, bidi controls) written as
-- a `\uXXXX` escape: the same JSON value, safe to print on a terminal (the CLI's
-- `--json`). At most 3 times as long; the bytes matched only occur inside strings.
function M.json_printable(json)
  if not has_hidden(json) then return json end
  return slow().json_printable(json)
end

--- Cut a text that is already safe (valid UTF-8) to at most `max` bytes, on a character
-- boundary, ending in `...`: for a whole output made of safe pieces.
function M.cut(s, max)
  if #s <= max then return s end
  local i = max - #MARK
  -- back to the start of the character at i + 1 (at most 3 continuation bytes)
  while i > 0 do
    local b = byte(s, i + 1)
    if b < 0x80 or b >= 0xC0 then break end
    i = i - 1
  end
  return sub(s, 1, i) .. MARK
end

--- A delay in whole seconds that is safe to send (`Retry-After`, the `retry_after`
-- member): a finite number >= 0, rounded up, at most a day; nil for anything else.
function M.seconds(v)
  if type(v) ~= "number" or v ~= v or v < 0 or v == 1 / 0 then return nil end
  if v > 86400 then return 86400 end
  local c = floor(v)
  if c < v then c = c + 1 end
  return c
end

--- An HTTP status that is safe to send: an integer from 100 to 599, else nil.
function M.status(v)
  if type(v) == "number" and v >= 100 and v <= 599 and floor(v) == v then return floor(v) end
  return nil
end

return M
