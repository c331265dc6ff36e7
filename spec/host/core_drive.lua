--- core_drive: every function of authcodes.core, and the public API over it, with
-- normal and hostile arguments. Plain Lua with asserts, no busted, so that it runs the
-- same way under the sanitizer host (`make check-sanitize`) and valgrind
-- (`make check-valgrind`) whatever specs exist: those tools judge the C side, this
-- script only has to reach every branch of it.
--
--   lua5.4 spec/host/core_drive.lua        (LUA_PATH=./lua/?.lua, LUA_CPATH=./build/lua5.4/?.so)

local core = require "authcodes.core"
local authcodes = require "authcodes"

local checks = 0
local function check(cond, ...)
  checks = checks + 1
  if not cond then error(table.concat({ "core_drive: ", ... }), 2) end
end

local unpack = table.unpack or unpack -- luacheck: ignore 143
local function pack(...) return { n = select("#", ...), ... } end

-- Hostile values of every type; the numbers are the ones C casts get wrong.
local maxint = math.maxinteger or 2 ^ 53
local minint = math.mininteger or -2 ^ 53
local numbers = {
  0, -0.0, 1, -1, 0.5, -0.5, 1e-300, 2 ^ 31 - 1, 2 ^ 31, -2 ^ 31, -2 ^ 31 - 1, 2 ^ 32,
  2 ^ 53, 2 ^ 53 + 1, -2 ^ 53, 2 ^ 62, 2 ^ 63, -2 ^ 63, 2 ^ 64, 9.0e18, -9.0e18, 9.1e18,
  -9.1e18, 1e300, -1e300, math.huge, -math.huge, 0 / 0, -(0 / 0), maxint, minint,
  maxint - 1, minint + 1,
}
local others = { true, false, {}, print, coroutine.create(print), io.stdout, "", "x" }

-- count, domains ---------------------------------------------------------------
check(math.type == nil or math.type(core.count) == "integer", "count is an integer")
check(core.count > 0, "catalog is empty")
local doms = core.domains()
local total = 0
for i, name in ipairs(doms) do
  local d = doms[name]
  check(type(name) == "string" and type(d) == "table", "domain ", tostring(i))
  check(d.first == total + 1, "domains are contiguous: ", name)
  total = total + d.count
end
check(total == core.count, "domains cover every entry")
for _ = 1, 50 do core.domains() end

-- entry -----------------------------------------------------------------------
local codes, keys = {}, {}
for i = 1, core.count do
  local e = core.entry(i)
  check(type(e) == "table" and e.index == i, "entry ", i)
  check(type(e.code) == "number" and type(e.name) == "string" and type(e.domain) == "string", "entry ", i, " fields")
  check(type(e.class) == "string" and type(e.retry) == "string" and type(e.source) == "string", "entry ", i, " enums")
  check(type(e.aliases) == "table" and type(e.ok) == "boolean" and type(e.http) == "number", "entry ", i, " shape")
  codes[#codes + 1] = e.code
  keys[#keys + 1] = e.name
  for _, a in ipairs(e.aliases) do keys[#keys + 1] = a end
  -- the same entry through the float, string and integer forms of its index
  check(core.entry(i + 0.0).code == e.code, "entry float index ", i)
  check(core.entry(tostring(i)).code == e.code, "entry string index ", i)
end
for _, i in ipairs { 0, -1, core.count + 1, core.count + 1000, maxint, minint, maxint - 1, minint + 1,
                     2 ^ 31, -2 ^ 31, 2 ^ 32 + 1 } do
  check(select("#", core.entry(i)) == 0, "entry out of range ", tostring(i))
end
for _, v in ipairs(numbers) do  -- non-integral or unrepresentable: an error or nothing, never a crash
  local r = pack(pcall(core.entry, v))
  check(not r[1] or r.n == 1 or type(r[2]) == "table", "entry(", tostring(v), ")")
end
for _, v in ipairs(others) do pcall(core.entry, v) end
check(not pcall(core.entry), "entry() raises")
check(not pcall(core.entry, nil), "entry(nil) raises")
check(not pcall(core.entry, "1x"), "entry('1x') raises")

-- find_code -------------------------------------------------------------------
for i, c in ipairs(codes) do
  local r = pack(core.find_code(c))
  check(r.n == 1 and core.entry(r[1]).code == c, "find_code ", c)
  check(core.find_code(c + 0.0) == r[1], "find_code float ", c)
  for _, d in ipairs { 1, -1, 0.5, -0.5 } do
    local j = core.find_code(c + d)
    check(j == nil or core.entry(j).code == c + d, "find_code near ", c)
  end
  check(select("#", core.find_code(tostring(c))) == 0, "find_code takes numbers only: ", i)
end
for _, v in ipairs(numbers) do
  local r = pack(core.find_code(v))
  check(r.n == 0 or (r.n == 1 and core.entry(r[1]).code == v), "find_code(", tostring(v), ")")
end
for _, v in ipairs(others) do check(select("#", core.find_code(v)) == 0, "find_code of a ", type(v)) end
check(select("#", core.find_code()) == 0, "find_code()")
for c = -70000, 70000, 7 do core.find_code(c) end
for c = 21990, 30010 do core.find_code(c) end

-- find_key --------------------------------------------------------------------
local function all_cases(s)
  local out = { s, s:lower(), s:upper() }
  out[#out + 1] = (s:gsub("%a", function(ch) return math.random() < 0.5 and ch:upper() or ch:lower() end))
  return out
end
math.randomseed(6)
for _, k in ipairs(keys) do
  for _, v in ipairs(all_cases(k)) do
    local r = pack(core.find_key(v))
    check(r.n >= 1, "find_key ", v)
    for j = 1, r.n do
      local e = core.entry(r[j])
      local hit = e.name:lower() == k:lower()
      for _, a in ipairs(e.aliases) do hit = hit or a:lower() == k:lower() end
      check(hit, "find_key ", v, " gave ", e.name)
      check(j == 1 or r[j] > r[j - 1], "find_key results ascend")
    end
  end
  -- every prefix and one-byte extension: not the key, so only other keys may match
  for n = 0, #k - 1 do
    local r = pack(core.find_key(k:sub(1, n)))
    for j = 1, r.n do check(core.entry(r[j]), "prefix result") end
  end
  for _, tail in ipairs { "\0", "_", "a", "z", "\255", " ", "\0\0\0" } do core.find_key(k .. tail) end
  core.find_key(k:sub(1, -2) .. "\0")
  core.find_key(("\0"):rep(#k))
end
for b = 0, 255 do
  local s = string.char(b)
  core.find_key(s); core.find_key(s:rep(2)); core.find_key(s:rep(300))
end
for _, n in ipairs { 1, 255, 256, 257, 4096, 65536, 1048576 } do
  core.find_key(("a"):rep(n)); core.find_key(("\255"):rep(n)); core.find_key(("Z"):rep(n))
  core.find_key(keys[1] .. ("\0"):rep(n))
end
for _ = 1, 5000 do  -- random bytes, random lengths
  local t = {}
  for j = 1, math.random(0, 40) do t[j] = string.char(math.random(0, 255)) end
  core.find_key(table.concat(t))
end
check(select("#", core.find_key("")) == 0, "find_key('')")
for _, v in ipairs(numbers) do check(select("#", core.find_key(v)) == 0, "find_key takes strings only") end
for _, v in ipairs(others) do
  if type(v) ~= "string" then check(select("#", core.find_key(v)) == 0, "find_key of a ", type(v)) end
end
check(select("#", core.find_key()) == 0, "find_key()")

-- now, sleep ------------------------------------------------------------------
local t0 = core.now()
check(type(t0) == "number" and t0 == t0, "now")
for _, v in ipairs { 0, -1, -math.huge, 0 / 0, 1e-9, 1e-6, 1e-300, -1e300, "0", "0.000001" } do
  local ok = pcall(core.sleep, v)
  check(ok, "sleep(", tostring(v), ")")
end
check(core.now() >= t0, "now is monotonic")
for _, v in ipairs { "x", {}, true } do check(not pcall(core.sleep, v), "sleep of a ", type(v)) end
check(not pcall(core.sleep), "sleep()")

-- the public API over the core ----------------------------------------------------
local hostile = { "", "\0", ("x"):rep(257), ("x"):rep(100000), "imsdk.", ".x", "imsdk.\0", "a.b.c",
                  "22002.5", "-0", "+1", "0x10", "1e3", " 1", "99999999999999999999", "-2147483648",
                  "wilddog.22002", "IMSDK.SUCCESS", "imsdk.wilddog.x", "%s%d", "\255\254" }
for _, k in ipairs(keys) do hostile[#hostile + 1] = k; hostile[#hostile + 1] = "wilddog." .. k end
for _, c in ipairs(codes) do hostile[#hostile + 1] = c; hostile[#hostile + 1] = tostring(c) end
for _, v in ipairs(numbers) do hostile[#hostile + 1] = v end
for _, v in ipairs(others) do hostile[#hostile + 1] = v end
local domains = { "imsdk", "wilddog", "IMSDK", "nope", "", 1, true }
for _, k in ipairs(hostile) do
  local r = pack(authcodes.lookup(k))
  check(r[1] ~= nil or type(r[2]) == "string", "lookup ", tostring(k))
  for _, d in ipairs(domains) do
    r = pack(authcodes.lookup(d, k))
    check(r[1] ~= nil or type(r[2]) == "string", "lookup in ", tostring(d))
  end
  local e = authcodes.new(k)
  check(authcodes.is_error(e) and type(tostring(e)) == "string", "new ", tostring(k))
  e = authcodes.new(k, { detail = k, domain = "wilddog", context = {} })
  check(authcodes.is_error(e) and type(tostring(e)) == "string", "new with opts")
  check(type(e:is(k)) == "boolean", "is")
  e:totable()
end
local replies = { "", "{}", "[]", "null", "1", '"x"', '{"code":1}', '{"code":-204,"desc":"x"}',
                  '{"errcode":22002}', '{"code":"22002"}', '{"code":1e400}', '{"code":NaN}',
                  '{"code":-1e400}', '{"code":2.5}', '{"code":null}', '{"code":{}}', '{"code":[1]}',
                  '{"errcode":99999999999999999999}', ("["):rep(5000), '{"code":1,"desc":"' .. ("d"):rep(5000) .. '"}',
                  "\0", "{\"code\":\0}", '{"code":-204,"message":"\\u0000"}' }
local has_cjson = pcall(require, "cjson.safe")
for _, s in ipairs(replies) do
  for _, d in ipairs { false, "imsdk", "wilddog" } do
    local t, e = authcodes.check(s, d or nil)
    if t == nil then
      check(authcodes.is_error(e) and type(tostring(e)) == "string", "check error object")
    else
      check(type(t) == "table" and e.ok, "check ok")
    end
  end
end
for _, d in ipairs(core.domains()) do
  local n = 0
  for e in authcodes.each(d) do n = n + 1; check(e.domain == d, "each") end
  check(n == core.domains()[d].count, "each count")
end

-- What the Lua side reads on demand (issue #13): the hot fields, one text field, the
-- code, the aliases, an entry box, find_key restricted to one domain's range.
-- The cold fields: every field of core.entry but the hot ones (and `index`, `aliases`).
local COLD = { "summary", "message", "description", "sdk_message", "doc_message", "doc_description", "note",
               "action", "source", "ok" }
local HOT = { "domain", "code", "name", "class", "retry", "http", "retry_after" }
local slots = core.slots()
check(type(slots) == "table" and next(slots) == nil, "slots")
for i = 1, core.count do
  local full, hot = core.entry(i), core.fields(i)
  check(full.index == i, "entry index ", i)
  local nhot = 0
  for k, v in pairs(hot) do
    nhot = nhot + 1
    check(full[k] == v, "fields ", i, " ", k)
  end
  local want = 0
  for _, k in ipairs(HOT) do if full[k] ~= nil then want = want + 1 end end
  check(nhot == want, "fields ", i, ": only the hot ones")
  for _, f in ipairs(COLD) do check(core.text(i, f) == full[f], "text ", i, " ", f) end
  slots[i] = i
  check(core.text(i, "name") == nil and core.text(i, "") == nil, "text of a hot field ", i)
  check(core.code(i) == full.code, "code ", i)
  local al = core.aliases(i)
  check(#al == #full.aliases, "aliases ", i)
  for _, k in ipairs { full.name, unpack(full.aliases) } do
    local d = core.domains()[full.domain]
    local found = false
    for _, j in ipairs(pack(core.find_key(k, d.first, d.count))) do found = found or j == i end
    check(found, "find_key in range ", k)
    check(#k <= core.longest_key, "longest_key ", k)
  end
end
for _, v in ipairs(numbers) do
  for _, fn in ipairs { core.fields, core.code, core.aliases } do
    local r = pack(pcall(fn, v))   -- an entry in range, nothing out of it, or bad argument
    check(not r[1] or r[2] == nil or (v >= 1 and v <= core.count), "out of range ", tostring(v))
  end
  pcall(core.text, v, "summary")
  pcall(core.find_key, "failure", v, v)
  pcall(core.find_key, "failure", 1, v)
end
for _, v in ipairs(others) do
  pcall(core.fields, v); pcall(core.text, 1, v); pcall(core.code, v); pcall(core.aliases, v)
  pcall(core.find_key, "failure", v, 1)
end
check(type(core.box()) == "userdata" and core.box() ~= core.box(), "box")

collectgarbage()
io.stderr:write(string.format("core_drive: %d checks passed (%d entries, %d keys, cjson %s)\n",
  checks, core.count, #keys, has_cjson and "loaded" or "absent"))
