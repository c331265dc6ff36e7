--- Driver of fuzz_lua (Lua 5.4, inside the fuzzer): one input, as a string and as
-- numbers read from its bytes, through authcodes.core and the public API. Returns the
-- function the harness calls per input; it raises when a result is not one the
-- documentation promises (the harness turns that into a crash).

local core = require "authcodes.core"
local authcodes = require "authcodes"
local has_cjson = pcall(require, "cjson.safe")

local type, tostring, select, pcall, getmetatable = type, tostring, select, pcall, getmetatable
local unpack_bytes, lower, upper, find = string.unpack, string.lower, string.upper, string.find
local utf8_len, utf8_codes = utf8.len, utf8.codes   -- 5.4's: strict (no surrogates, no overlongs)
local cjson = has_cjson and require "cjson.safe"

-- The caps authcodes.format documents (its module header).
local MAX_OUTPUT, MAX_VALUE = 16384, 2048

local DOMAINS = { "imsdk", "wilddog" }

local input  -- the current input, for messages
local function expect(cond, what)
  if not cond then
    error(string.format("fuzz_lua: %s, input %q", what, input:sub(1, 200)), 2)
  end
end

local function pack(...) return { n = select("#", ...), ... } end

-- What a client, a log and a terminal may receive (issue #12).
local function unsafe_cp(cp)   -- C0/C1 controls, DEL, line/paragraph separators, bidi controls
  return cp < 0x20 or (cp >= 0x7F and cp <= 0x9F) or cp == 0x061C or cp == 0x200E or cp == 0x200F
    or (cp >= 0x2028 and cp <= 0x202E) or (cp >= 0x2066 and cp <= 0x2069)
end

local function well_formed(s, what)
  expect(type(s) == "string", what .. " is not a string")
  expect(#s <= MAX_OUTPUT, what .. " is over its cap: " .. #s .. " bytes")
  expect(utf8_len(s) ~= nil, what .. " is not valid UTF-8")
end

-- A log line, tostring, text: one line, nothing that hides, moves or ends text.
local function safe_line(s, what)
  well_formed(s, what)
  if find(s, "[%z\1-\31\127\194\216\226]") then
    for _, cp in utf8_codes(s) do
      expect(not unsafe_cp(cp), what .. (" has U+%04X"):format(cp))
    end
  end
end

-- A JSON body: valid UTF-8, within its cap, and it decodes.
local function body(s, what)
  well_formed(s, what)
  local t = cjson.decode(s)
  expect(type(t) == "table", what .. " does not decode")
  return t
end

-- Everything an error object is turned into for the outside.
local function outputs(e, s)
  safe_line(tostring(e), "tostring")
  safe_line(authcodes.format(e, "log"), "log line")
  safe_line(authcodes.format(e, "text", { lang = "zh" }), "text")
  if has_cjson then
    body(authcodes.format(e, "json", { lang = "zh" }), "json")
    local p = body(authcodes.format(e, "problem", { lang = "zh", instance = s }), "problem")
    expect(p.detail == nil or #p.detail <= MAX_VALUE, "problem detail over its cap")
    p = body(authcodes.format(e, "problem", { status = 502, expose_detail = false }), "problem with status")
    expect(p.status == 502 and p.detail == nil, "problem status or detail not as asked")
  end
end

local function is_entry(e)
  return type(e) == "userdata" and getmetatable(e) == "authcodes.entry" and math.type(e.code) == "integer"
    and type(e.name) == "string" and type(e.domain) == "string"
end

-- lookup(...): an entry, or nil and a reason; never raises.
local function lookup(...)
  local r = pack(pcall(authcodes.lookup, ...))
  expect(r[1], "lookup raised: " .. tostring(r[2]))
  if r[2] == nil then
    expect(r.n == 3 and type(r[3]) == "string", "lookup gave nil without a reason")
  else
    expect(r.n == 2 and is_entry(r[2]), "lookup gave something other than an entry")
  end
  return r[2]
end

-- new(...): always an error object whose tostring is a string; never raises on the key.
local function new(...)
  local ok, e = pcall(authcodes.new, ...)
  expect(ok, "new raised: " .. tostring(e))
  expect(authcodes.is_error(e), "new gave something other than an error object")
  local s = tostring(e)
  expect(type(s) == "string" and #s > 0, "tostring of an error object")
  expect(type(e.name) == "string" and type(e.class) == "string" and math.type(e.http) == "integer", "error fields")
  return e
end

-- check(reply, domain): (reply table, ok entry) or (nil, error object); never raises on the reply.
local function check(reply, domain)
  local r = pack(pcall(authcodes.check, reply, domain))
  expect(r[1], "check raised: " .. tostring(r[2]))
  if r[2] == nil then
    expect(authcodes.is_error(r[3]) and type(tostring(r[3])) == "string", "check failed without an error object")
    expect(not r[3].ok, "check failed with an ok error")
  else
    expect(type(r[2]) == "table" and is_entry(r[3]) and r[3].ok, "check succeeded without an ok entry")
    if type(reply) == "table" then expect(r[2] == reply, "check returned another table") end
  end
  return r[2], r[3]
end

-- The binding: every index it returns names an entry that matches the question.
local function binding(s, numbers)
  local found = pack(core.find_key(s))
  for j = 1, found.n do
    local e = core.entry(found[j])
    expect(type(e) == "table", "find_key returned a bad index")
    local hit = lower(e.name) == lower(s)
    for _, a in ipairs(e.aliases) do hit = hit or lower(a) == lower(s) end
    expect(hit, "find_key returned an entry that does not have that name")
    expect(j == 1 or found[j] > found[j - 1], "find_key results are not ascending")
  end
  for _, n in ipairs(numbers) do
    local r = pack(core.find_code(n))
    expect(r.n == 0 or (r.n == 1 and core.entry(r[1]).code == n), "find_code returned a wrong index")
    if math.type(n) == "integer" then
      local e = pack(core.entry(n))
      expect(e.n == 0 or e[1].index == n, "entry returned a wrong entry")
    end
  end
end

-- Every input that names nothing must leave nothing behind: the caches hold at most
-- the catalog. A heap that keeps growing is a memory-exhaustion bug.
local MAX_HEAP_KB = 32 * 1024
local runs = 0

return function(s)
  input = s
  runs = runs + 1
  if runs % 4096 == 0 then
    collectgarbage()
    expect(collectgarbage("count") < MAX_HEAP_KB, "the Lua heap keeps growing: "
      .. math.floor(collectgarbage("count")) .. " KB after " .. runs .. " inputs")
  end
  local pad = s .. "\0\0\0\0\0\0\0\0"
  local i64, dbl, i32 = unpack_bytes("<i8", pad), unpack_bytes("<d", pad), unpack_bytes("<i4", pad)
  local i16 = unpack_bytes("<i2", pad)
  binding(s, { i64, dbl, i32, i16, i32 % (core.count + 2), -i16, dbl * 1e18 })

  -- lookup: bare, in each domain, in a domain named by the input, as a number
  local e = lookup(s)
  if e then
    expect(lookup(lower(s)) == e and lookup(upper(s)) == e, "lookup depends on case")
    local ok, is = pcall(e.is, e, s)
    expect(ok and is == true, "an entry found by a key is not :is() that key")
  end
  for _, d in ipairs(DOMAINS) do
    local de = lookup(d, s)
    expect(de == nil or de.domain == d, "lookup in a domain gave another domain's entry")
  end
  lookup(s, s)
  lookup(s, i32)
  for _, n in ipairs { i64, dbl, i32, i16 } do
    local ne = lookup(n)
    expect(ne == nil or ne.code == n, "lookup by number gave another code")
  end
  -- a "domain.key" split at the first NUL, newline or dot of the input
  local a, b = s:match("^([^%z\n%.]*)[%z\n%.](.*)$")
  if a then lookup(a, b); lookup(a .. "." .. b) end

  -- error objects
  local err = new(s)
  new(s, { detail = s, domain = DOMAINS[i16 % 2 + 1], context = { s = s } })
  new(s, { domain = s, cause = err })
  new(i32, { detail = i64 })
  new(dbl)
  -- What leaves the library (issue #12), on a few errors only: the line hook makes
  -- every Lua line costly, and these cover each path: the input as a key, as every
  -- free text an error carries, nested as the issue's repros were (detail and cause
  -- the same object; a chain built by assigning `detail`), with hostile numbers.
  outputs(err, s)
  local rich = new(-207, { detail = s, cause = s, domain = "imsdk", context = { [s] = s, t = { s } } })
  outputs(rich, s)
  local nested = new(-207, { detail = rich, cause = rich })
  nested = new(-207, { detail = nested, cause = nested })
  local chain = new(-1, { cause = nested })
  for _ = 1, 10 do
    local top = new(-204)
    top.detail = chain
    chain = top
  end
  chain.retry_after, chain.http = dbl, dbl
  outputs(chain, s)
  -- a reply with a NUL in it is never read
  if has_cjson and find(s, "\0", 1, true) then
    local ok, r = pcall(authcodes.check, s, "imsdk")
    expect(ok and r == nil, "check read a reply that has a NUL byte")
  end
  local ok, is = pcall(err.is, err, s)
  expect(ok and type(is) == "boolean", "err:is raised")
  ok = pcall(err.totable, err)
  expect(ok, "err:totable raised")
  expect(type(err:text("zh")) == "string" and type(err:text(s)) == "string", "err:text")
  for _, style in ipairs(has_cjson and { "text", "log", "json" } or { "text", "log" }) do
    local fok, out = pcall(authcodes.format, err, style, { lang = s })
    expect(fok and type(out) == "string", "format " .. style .. " raised: " .. tostring(out))
  end
  local lang = authcodes.negotiate(s)
  expect(lang == "en" or lang == "zh", "negotiate")

  -- vendor replies: the input as JSON, inside JSON, and as decoded fields
  if has_cjson then
    local _, refused = check(s)
    if refused and not refused.ok then outputs(refused, s) end
    check(s, DOMAINS[1])
    check(s, DOMAINS[2])
    check('{"code":' .. s .. ',"desc":"d"}', "imsdk")
    check('{"errcode":"' .. s .. '"}', "wilddog")
  end
  check({ code = s, desc = s })
  check({ errcode = dbl, message = s }, "wilddog")
  check({ code = i32 }, "imsdk")
  check({ code = i16, desc = s })
end
