-- The catalog as users see it: `require "authcodes"` lookup, each, domains, register.
--
-- The expected vendor text is read here from the project's own copies of the vendor
-- tables (data/vendor/), with a parser of this spec's own, not the generator's: a
-- generator bug must not be able to agree with itself. The curated columns are read
-- from data/*.tsv the same way.

local authcodes = require "authcodes"
local schema = require "authcodes.schema"

local unpack = table.unpack or unpack
local floor = math.floor

local ROOT do
  local src = debug.getinfo(1, "S").source
  local dir = src:match("^@(.*)spec/[^/]+$")
  ROOT = (dir == nil or dir == "") and "." or dir:gsub("/$", "")
end

-- Taken before any test runs (registrations made below persist for the process).
local DOMAINS_AT_LOAD = authcodes.domains()

---------------------------------------------------------------------------------------
-- Independent readers of data/
---------------------------------------------------------------------------------------

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function lines_of(path)
  local f = assert(io.open(ROOT .. "/" .. path, "rb"))
  local text = f:read("*a")
  f:close()
  local lines = {}
  for line in text:gmatch("([^\n]*)\n?") do lines[#lines + 1] = (line:gsub("\r$", "")) end
  while lines[#lines] == "" do lines[#lines] = nil end
  return lines
end

local function split_tabs(line)
  local cells, start = {}, 1
  while true do
    local tab = line:find("\t", start, true)
    if not tab then cells[#cells + 1] = line:sub(start); return cells end
    cells[#cells + 1] = line:sub(start, tab - 1)
    start = tab + 1
  end
end

-- A vendor markdown table. A data row starts with `| <integer> |`; the row's closing
-- bar is not part of the text; the message is the second cell and the description
-- everything after the second bar (bars inside it kept), nil when there is none.
local function read_seed(path)
  local rows = {}
  for _, line in ipairs(lines_of(path)) do
    local code, rest = line:match("^%s*|%s*([+-]?%d+)%s*|(.*)$")
    if code then
      rest = rest:gsub("%s+$", "")
      if rest:sub(-1) == "|" then rest = rest:sub(1, -2) end
      local bar = rest:find("|", 1, true)
      local message, description = rest, nil
      if bar then message, description = rest:sub(1, bar - 1), trim(rest:sub(bar + 1)) end
      if description == "" then description = nil end
      rows[#rows + 1] = { code = tonumber(code), message = trim(message), description = description }
    end
  end
  return rows
end

-- A tab-separated file with a header line: a list of { column = cell }; `#` lines and
-- blank lines skipped.
local function read_tsv(path)
  local lines = lines_of(path)
  local header, rows = split_tabs(lines[1]), {}
  for i = 2, #lines do
    local line = lines[i]
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local cells, row = split_tabs(line), { line = i }
      assert(#cells == #header, path .. ":" .. i .. ": " .. #cells .. " cells")
      for j, col in ipairs(header) do row[col] = cells[j] end
      rows[#rows + 1] = row
    end
  end
  return rows
end

local SEED = {
  wilddog = read_seed("data/vendor/wilddog-seed.md"),
  imsdk = read_seed("data/vendor/imsdk-seed.md"),
}
local SDK = read_tsv("data/vendor/wilddog-sdk.tsv")
local ADDITIONS = read_tsv("data/vendor/imsdk-additions.tsv")
local CURATED = { wilddog = read_tsv("data/wilddog.tsv"), imsdk = read_tsv("data/imsdk.tsv") }

local function by_code(rows)
  local t = {}
  for _, r in ipairs(rows) do t[tonumber(r.code)] = r end
  return t
end
local SEED_BY_CODE = { wilddog = by_code(SEED.wilddog), imsdk = by_code(SEED.imsdk) }

---------------------------------------------------------------------------------------
-- Helpers
---------------------------------------------------------------------------------------

local function is_integer(v)
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge or floor(v) ~= v then
    return false
  end
  if math.type then return math.type(v) == "integer" end
  return true
end

local function entries_of(domain, lib)
  local list = {}
  for e in (lib or authcodes).each(domain) do list[#list + 1] = e end
  return list
end

local function contains(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end

-- A second, cold copy of the library: its own catalog state, nothing materialised or
-- cached yet, no registrations. The shared copy's modules are put back afterwards.
local function fresh_authcodes()
  local saved = {}
  for name, mod in pairs(package.loaded) do
    if name == "authcodes" or name:find("^authcodes%.") then saved[name] = mod end
  end
  for name in pairs(saved) do package.loaded[name] = nil end
  local lib = require "authcodes"
  for name in pairs(saved) do package.loaded[name] = nil end
  for name, mod in pairs(saved) do package.loaded[name] = mod end
  return lib
end

local function snapshot(lib)
  local all = {}
  for _, d in ipairs { "imsdk", "wilddog" } do
    for e in (lib or authcodes).each(d) do all[d .. " " .. e.code] = { e = e, t = e:totable() } end
  end
  return all
end

local FIELDS = { "domain", "code", "name", "aliases", "message", "description", "sdk_message",
                 "doc_message", "doc_description", "summary", "class", "retry", "retryable",
                 "retry_after", "http", "action", "ok", "source", "note" }

---------------------------------------------------------------------------------------

describe("vendor seed rows", function()
  it("the project's copies hold 57 Wilddog and 190 iMSDK rows, codes unique", function()
    assert.are.equal(57, #SEED.wilddog)
    assert.are.equal(190, #SEED.imsdk)
    for _, d in ipairs { "wilddog", "imsdk" } do
      local n = 0
      for _ in pairs(SEED_BY_CODE[d]) do n = n + 1 end
      assert.are.equal(#SEED[d], n)
    end
  end)

  it("this spec's parser reads the known defects as documented", function()
    -- the anchors the parser is trusted on, written out by hand
    local r = SEED_BY_CODE.imsdk
    assert.are.equal("平台迁移只能做一次哦；非当前登录态返回的，则可以走connect | restore属性", r[-716].description)
    assert.are.equal("logind innertoken or Openid params is error!,", r[-602].message)
    assert.is_nil(r[-602].description)
    assert.are.equal("RET_TICKET_WRONG,", r[-1101].message)
    assert.is_nil(r[-1101].description)
    assert.are.equal("该身份认证凭证无效", SEED_BY_CODE.wilddog[22014].description)
    assert.are.equal("Invalid_secret", SEED_BY_CODE.wilddog[22017].message)
  end)

  for _, d in ipairs { "wilddog", "imsdk" } do
    for _, row in ipairs(SEED[d]) do
      it(("%s %d is in the catalog with the vendor's text, verbatim"):format(d, row.code), function()
        local e, why = authcodes.lookup(d, row.code)
        assert.is_table(e, why)
        assert.are.equal(d, e.domain)
        assert.are.equal(row.code, e.code)
        assert.are.equal(row.message, e.message)
        assert.are.equal(row.description, e.description)
        assert.are.equal("seed", e.source)
      end)
    end
  end
end)

describe("vendor documentation", function()
  it("adds 13 iMSDK codes, verbatim, as vendor_doc; -1102 stays a seed row", function()
    local new = 0
    for _, row in ipairs(ADDITIONS) do
      local code = tonumber(row.code)
      local e, why = authcodes.lookup("imsdk", code)
      assert.is_table(e, why)
      if SEED_BY_CODE.imsdk[code] then
        assert.are.equal(-1102, code)
      else
        new = new + 1
        assert.are.equal("vendor_doc", e.source)
        assert.are.equal(row.message, e.message)
        assert.are.equal(row.description_zh, e.description)
        assert.is_nil(e.doc_message)
        assert.is_nil(e.doc_description)
      end
    end
    assert.are.equal(13, new)
    assert.are.equal(14, #ADDITIONS)
  end)

  it("-1102 keeps the seed text and carries the documentation's longer wording", function()
    local e = authcodes.lookup("imsdk", -1102)
    local seed, doc = SEED_BY_CODE.imsdk[-1102], by_code(ADDITIONS)[-1102]
    assert.are.equal("seed", e.source)
    assert.are.equal(seed.message, e.message)
    assert.are.equal(seed.description, e.description)
    assert.are.equal(doc.message, e.doc_message)
    assert.are.equal(doc.description_zh, e.doc_description)
    assert.are.equal("params platform is error! or login new account request access limit!", e.doc_message)
  end)

  it("adds Wilddog 22231 (iOS enum only) as vendor_doc", function()
    assert.is_nil(SEED_BY_CODE.wilddog[22231])
    local e = authcodes.lookup("wilddog", 22231)
    assert.is_table(e)
    assert.are.equal("vendor_doc", e.source)
    assert.is_true(contains(e.aliases, "WDGAuthErrorCodeSmsSignDenyError"))
  end)

  it("gives every Wilddog entry the Web SDK message (nil where the vendor has none)", function()
    local sdk = by_code(SDK)
    local n = 0
    for e in authcodes.each("wilddog") do
      n = n + 1
      local row = sdk[e.code]
      assert.is_table(row, "no SDK row for " .. e.code)
      local want = row.vendor_message_en ~= "" and row.vendor_message_en or nil
      assert.are.equal(want, e.sdk_message, "sdk_message of " .. e.code)
    end
    assert.are.equal(#SDK, n)
    assert.is_nil(authcodes.lookup(22017).sdk_message)
    assert.is_nil(authcodes.lookup(22103).sdk_message)
  end)

  it("resolves every iOS enum name to the entry whose aliases hold it", function()
    local codes_of = {}
    for _, row in ipairs(SDK) do
      codes_of[row.ios_enum] = codes_of[row.ios_enum] or {}
      table.insert(codes_of[row.ios_enum], tonumber(row.code))
    end
    for enum, codes in pairs(codes_of) do
      local e, why = authcodes.lookup(enum)
      assert.is_table(e, enum .. ": " .. tostring(why))
      assert.is_true(contains(e.aliases, enum), enum .. " not among the aliases of " .. e.code)
      assert.are.equal("wilddog", e.domain)
      if #codes == 1 then
        assert.are.equal(codes[1], e.code)
      else
        -- the one enum the iOS SDK gives two codes: it belongs to 22208
        assert.are.equal("WDGAuthErrorCodeProviderAlreadyLinked", enum)
        table.sort(codes)
        assert.are.same({ 22201, 22208 }, codes)
        assert.are.equal(22208, e.code)
        assert.is_false(contains(authcodes.lookup(22201).aliases, enum))
      end
    end
  end)
end)

describe("curated rows", function()
  for _, d in ipairs { "wilddog", "imsdk" } do
    it(d .. ": every entry carries its curated row, and only curated rows are entries", function()
      local n = 0
      for _, row in ipairs(CURATED[d]) do
        n = n + 1
        local code = tonumber(row.code)
        local e = authcodes.lookup(d, code)
        local where = "data/" .. d .. ".tsv:" .. row.line
        assert.is_table(e, where)
        assert.are.equal(row.name, e.name, where)
        local aliases = {}
        if row.aliases ~= "-" then
          for a in (row.aliases .. ","):gmatch("([^,]*),") do aliases[#aliases + 1] = a end
        end
        local got = {}
        for i, a in ipairs(e.aliases) do got[i] = a end
        assert.are.same(aliases, got, where)
        assert.are.equal(row.class, e.class, where)
        assert.are.equal(row.retry, e.retry, where)
        assert.are.equal(tonumber(row.retry_after), e.retry_after, where)
        local http = row.http == "-" and schema.class_http[row.class] or tonumber(row.http)
        assert.are.equal(http, e.http, where)
        assert.are.equal(row.action, e.action, where)
        assert.are.equal(row.ok == "yes", e.ok, where)
        assert.are.equal(row.summary, e.summary, where)
        assert.are.equal(row.note ~= "-" and row.note or nil, e.note, where)
      end
      assert.are.equal(n, #entries_of(d))
    end)
  end
end)

describe("uniqueness", function()
  it("codes are unique per domain and across domains", function()
    local seen = {}
    for _, d in ipairs { "imsdk", "wilddog" } do
      for e in authcodes.each(d) do
        assert.is_nil(seen[e.code], ("code %d in %s and %s"):format(e.code, tostring(seen[e.code]), d))
        seen[e.code] = d
      end
    end
  end)

  it("names and aliases are unique per domain, case-insensitively", function()
    for _, d in ipairs { "imsdk", "wilddog" } do
      local seen = {}
      for e in authcodes.each(d) do
        local keys = { e.name }
        for _, a in ipairs(e.aliases) do keys[#keys + 1] = a end
        for _, k in ipairs(keys) do
          local lk = k:lower()
          assert.is_nil(seen[lk], ("%s: %s of %d already names %s"):format(d, k, e.code, tostring(seen[lk])))
          seen[lk] = e.code
        end
      end
    end
  end)
end)

describe("every entry is complete", function()
  local class_ok, retry_ok = {}, {}
  for _, c in ipairs(schema.classes) do class_ok[c[1]] = true end
  for _, r in ipairs(schema.retry_kinds) do retry_ok[r] = true end
  local http_override = {}
  for d, rows in pairs(CURATED) do
    for _, row in ipairs(rows) do
      if row.http ~= "-" then http_override[d .. " " .. row.code] = tonumber(row.http) end
    end
  end

  for _, d in ipairs { "imsdk", "wilddog" } do
    for _, e in ipairs(entries_of(d)) do
      it(("%s %d %s"):format(d, e.code, e.name), function()
        assert.are.equal(d, e.domain)
        assert.is_true(is_integer(e.code), "code must be an integer")
        assert.is_string(e.name)
        assert.is_truthy(e.name:find("^[A-Za-z][A-Za-z0-9_]*$"))
        assert.is_table(e.aliases)
        local n = 0
        for _ in pairs(e.aliases) do n = n + 1 end
        assert.are.equal(#e.aliases, n, "aliases must be an array")
        for _, a in ipairs(e.aliases) do
          assert.is_string(a)
          assert.is_truthy(a:find("^[A-Za-z][A-Za-z0-9_]*$"), a)
        end
        assert.is_string(e.summary)
        assert.is_truthy(e.summary:find("%S"), "summary must not be empty")
        assert.are.equal(".", e.summary:sub(-1), "summary must end with a full stop")
        assert.is_true(class_ok[e.class] == true, "class " .. tostring(e.class))
        assert.is_true(retry_ok[e.retry] == true, "retry " .. tostring(e.retry))
        assert.are.equal(e.retry == "backoff" or e.retry == "after_delay", e.retryable)
        if e.retry == "after_delay" then
          assert.is_true(is_integer(e.retry_after) and e.retry_after > 0, "retry_after")
        else
          assert.is_nil(e.retry_after)
        end
        assert.is_true(is_integer(e.http), "http must be an integer")
        assert.are.equal(http_override[d .. " " .. e.code] or schema.class_http[e.class], e.http)
        assert.is_string(e.action)
        assert.is_truthy(e.action:find("^[a-z][a-z_]*$"), e.action)
        assert.is_boolean(e.ok)
        assert.are.equal(d == "imsdk" and e.code >= 1 and e.code <= 6, e.ok, "ok")
        assert.is_true(e.source == "seed" or e.source == "vendor_doc", "source " .. tostring(e.source))
        assert.is_true(e.note == nil or (type(e.note) == "string" and e.note ~= ""), "note")
        for _, f in ipairs { "message", "description", "sdk_message", "doc_message", "doc_description" } do
          assert.is_true(e[f] == nil or (type(e[f]) == "string" and e[f] ~= ""), f)
        end
      end)
    end
  end
end)

describe("domains and each", function()
  it("domains() is imsdk, transport and wilddog", function()
    assert.are.same({ "imsdk", "transport", "wilddog" }, DOMAINS_AT_LOAD)
  end)

  it("domains() hands out a fresh list each time", function()
    local list = authcodes.domains()
    list[1], list[#list + 1] = "mangled", "extra"
    local again = authcodes.domains()
    assert.are.equal("imsdk", again[1])
    assert.is_false(contains(again, "extra"))
  end)

  for d, n in pairs { imsdk = 203, wilddog = 58 } do
    it(("each(%q) yields %d entries in strictly ascending code order"):format(d, n), function()
      local list, prev = entries_of(d), nil
      assert.are.equal(n, #list)
      for _, e in ipairs(list) do
        assert.are.equal(d, e.domain)
        if prev then assert.is_true(e.code > prev, ("%d after %d"):format(e.code, prev)) end
        prev = e.code
      end
    end)
  end

  it("each() yields the very entries lookup returns", function()
    for _, d in ipairs { "imsdk", "wilddog" } do
      for e in authcodes.each(d) do assert.are.equal(e, authcodes.lookup(d, e.code)) end
    end
  end)
end)

---------------------------------------------------------------------------------------

-- { arguments, expected domain, expected code }
local KEY_FORMS = {
  { { 22002 }, "wilddog", 22002 },
  { { 22002.0 }, "wilddog", 22002 },
  { { -204 }, "imsdk", -204 },
  { { "22002" }, "wilddog", 22002 },
  { { "+22002" }, "wilddog", 22002 },
  { { "-204" }, "imsdk", -204 },
  { { "+5" }, "imsdk", 5 },          -- parse_code: an optional sign, then digits
  { { "-0204" }, "imsdk", -204 },    -- ... and only digits: leading zeros are digits
  { { "expired_token" }, "wilddog", 22002 },
  { { "EXPIRED_TOKEN" }, "wilddog", 22002 },
  { { "Expired_Token" }, "wilddog", 22002 },
  { { "invalid_secret" }, "wilddog", 22017 },        -- the vendor writes Invalid_secret
  { { "email_already_in_use" }, "wilddog", 22203 },  -- alias of email_already_in_user
  { { "Email_Already_In_Use" }, "wilddog", 22203 },
  { { "RET_TICKET_WRONG" }, "imsdk", -1101 },
  { { "success" }, "imsdk", 1 },
  { { "WDGAuthErrorCodeExpiredToken" }, "wilddog", 22002 },
  { { "wdgautherrorcodeexpiredtoken" }, "wilddog", 22002 },
  { { "wilddog.expired_token" }, "wilddog", 22002 },
  { { "WILDDOG.Expired_Token" }, "wilddog", 22002 },
  { { "wilddog.22002" }, "wilddog", 22002 },
  { { "wilddog.WDGAuthErrorCodeExpiredToken" }, "wilddog", 22002 },
  { { "imsdk.-204" }, "imsdk", -204 },
  { { "IMSDK.SESSION_EXPIRED" }, "imsdk", -204 },
  { { "imsdk.failure" }, "imsdk", -1 },
  { { "wilddog.failure" }, "wilddog", 22001 },
  { { "Wilddog.FAILURE" }, "wilddog", 22001 },
  { { "wilddog", "expired_token" }, "wilddog", 22002 },
  { { "wilddog", "EXPIRED_TOKEN" }, "wilddog", 22002 },
  { { "WILDDOG", 22002 }, "wilddog", 22002 },
  { { "wilddog", 22002.0 }, "wilddog", 22002 },
  { { "Wilddog", "22002" }, "wilddog", 22002 },
  { { "wilddog", "WDGAuthErrorCodeExpiredToken" }, "wilddog", 22002 },
  { { "imsdk", "-204" }, "imsdk", -204 },
  { { "imsdk", "+5" }, "imsdk", 5 },
  { { "imsdk", "failure" }, "imsdk", -1 },
  { { "wilddog", "Failure" }, "wilddog", 22001 },
}

-- { arguments, a substring of the reason }: well-formed keys that name nothing.
local MISSES = {
  { { "wilddog", -204 }, "unknown code -204 in wilddog" },
  { { "imsdk", 22002 }, "unknown code 22002 in imsdk" },
  { { "imsdk", "expired_token" }, 'unknown name "expired_token" in imsdk' },
  { { "imsdk", "wilddog.expired_token" }, "in imsdk" },
  { { "wilddog.-204" }, "in wilddog" },
  { { "imsdk.expired_token" }, "in imsdk" },
  { { "nodomain.expired_token" }, "unknown domain" },
  { { "nodomain", "expired_token" }, "unknown domain" },
  { { 7 }, "unknown code 7" },
  { { "no_such_name" }, 'unknown name "no_such_name"' },
  { { "params platform is error!" }, "unknown name" },  -- messages are not keys
}

describe("lookup by every key form", function()
  for _, case in ipairs(KEY_FORMS) do
    local args, domain, code = unpack(case)
    local label = {}
    for i, a in ipairs(args) do label[i] = type(a) == "string" and ("%q"):format(a) or tostring(a) end
    label = "lookup(" .. table.concat(label, ", ") .. ")"

    it(label .. " is " .. domain .. " " .. code .. ", cold and warm, the same object", function()
      local cold = fresh_authcodes()
      local a, why = cold.lookup(unpack(args))
      assert.is_table(a, why)
      assert.are.equal(domain, a.domain)
      assert.are.equal(code, a.code)
      assert.are.equal(a, cold.lookup(unpack(args)))
      assert.are.equal(a, cold.lookup(domain, code))

      local w = authcodes.lookup(unpack(args))
      assert.is_table(w)
      assert.are.equal(code, w.code)
      assert.are.equal(w, authcodes.lookup(unpack(args)))
      assert.are.equal(w, authcodes.lookup(domain, code))
      assert.are_not.equal(w, a)  -- two copies of the library do not share entries
    end)
  end

  for _, case in ipairs(MISSES) do
    local args, reason = unpack(case)
    it(("misses: %s"):format(table.concat(args, ", ")), function()
      for _, lib in ipairs { fresh_authcodes(), authcodes } do
        local n = select("#", lib.lookup(unpack(args)))
        local e, why = lib.lookup(unpack(args))
        assert.is_nil(e)
        assert.are.equal(2, n)
        assert.is_string(why)
        assert.is_truthy(why:find(reason, 1, true), why)
      end
    end)
  end

  it("a name two domains share is ambiguous: nil and both qualified names", function()
    for _, lib in ipairs { fresh_authcodes(), authcodes } do
      for _, key in ipairs { "failure", "FAILURE" } do
        local e, why = lib.lookup(key)
        assert.is_nil(e)
        assert.is_string(why)
        assert.is_truthy(why:find("imsdk.failure", 1, true), why)
        assert.is_truthy(why:find("wilddog.failure", 1, true), why)
      end
    end
  end)

  it("returns one object per entry, whatever the spelling", function()
    local e = authcodes.lookup(22002)
    for _, args in ipairs { { "expired_token" }, { "EXPIRED_TOKEN" }, { "22002" }, { 22002.0 },
                            { "wilddog.expired_token" }, { "wilddog", 22002 }, { "WDGAuthErrorCodeExpiredToken" } } do
      assert.are.equal(e, authcodes.lookup(unpack(args)))
    end
    local each_e
    for x in authcodes.each("wilddog") do if x.code == 22002 then each_e = x end end
    assert.are.equal(e, each_e)
  end)

  it("finds every entry by code, decimal string, qualified name and alias, any case", function()
    for _, lib in ipairs { fresh_authcodes(), authcodes } do
      local bare_names = {}
      for _, d in ipairs { "imsdk", "wilddog" } do
        for e in lib.each(d) do
          local n = e.name:lower()
          bare_names[n] = (bare_names[n] or 0) + 1
        end
      end
      for _, d in ipairs { "imsdk", "wilddog" } do
        for e in lib.each(d) do
          local keys = { { e.code }, { tostring(e.code) }, { d, e.code }, { d, e.name:upper() },
                         { d .. "." .. e.name }, { d:upper() .. "." .. e.name:lower() } }
          if bare_names[e.name:lower()] == 1 then
            keys[#keys + 1] = { e.name }
            keys[#keys + 1] = { e.name:upper() }
          end
          for _, a in ipairs(e.aliases) do
            keys[#keys + 1] = { a }
            keys[#keys + 1] = { a:lower() }
            keys[#keys + 1] = { d .. "." .. a }
            keys[#keys + 1] = { d, a:upper() }
          end
          for _, args in ipairs(keys) do
            local got, why = lib.lookup(unpack(args))
            assert.are.equal(e, got, ("%s %d by %s: %s"):format(d, e.code, table.concat(args, ", "), tostring(why)))
          end
        end
      end
    end
  end)
end)

---------------------------------------------------------------------------------------

-- Values that must never raise and never find anything. Tables with metamethods that
-- raise (and tell on themselves) prove no metamethod is ever called on a key.
local touched = {}
local function hostile_table(label)
  local function boom() touched[#touched + 1] = label; error("metamethod called on " .. label) end
  return setmetatable({}, {
    __index = boom, __newindex = boom, __eq = boom, __lt = boom, __le = boom,
    __tostring = boom, __len = boom, __concat = boom, __call = boom, __unm = boom,
    __add = boom, __pairs = boom, __ipairs = boom,
  })
end

local function hostile_keys()
  local ok_cjson, cjson = pcall(require, "cjson")
  local keys = {
    { "nil", nil }, { "true", true }, { "false", false },
    { "0", 0 }, { "-0.0", -0.0 }, { "NaN", 0 / 0 }, { "math.huge", math.huge }, { "-math.huge", -math.huge },
    { "2^53+1", 2 ^ 53 + 1 }, { "9007199254740993", 9007199254740993 },
    { "2^31", 2 ^ 31 }, { "-2^31", -2 ^ 31 },
    { "2^32+22002 (wraps to 22002 in int32)", 2 ^ 32 + 22002 },
    { "-2^32+22002 (wraps to 22002 in int32)", -2 ^ 32 + 22002 },
    { "2^64+22002", 2 ^ 64 + 22002 },
    { "22002.5", 22002.5 }, { "22002+2^-20", 22002 + 2 ^ -20 }, { "-204.5", -204.5 },
    { '" 22002"', " 22002" }, { '"22002 "', "22002 " }, { '"0x55f2"', "0x55f2" },
    { '"2.2002e4"', "2.2002e4" }, { '"22002.0"', "22002.0" }, { '"4294989298"', "4294989298" },
    { '"-2147483648"', "-2147483648" }, { '"99999999999999"', "99999999999999" },
    { '"+-5"', "+-5" }, { '"--204"', "--204" }, { '"5-"', "5-" }, { '"-"', "-" }, { '"+"', "+" },
    { '""', "" }, { "1e6 bytes", string.rep("a", 1e6) }, { "257 bytes", string.rep("a", 257) },
    { '"\\0"', "\0" }, { '"expired_token\\0"', "expired_token\0" }, { '"\\0expired_token"', "\0expired_token" },
    { '"expired_token "', "expired_token " }, { '"expired_tokens"', "expired_tokens" },
    { '"expired_toke"', "expired_toke" }, { '"\\255\\254"', "\255\254" },
    { '"expired_token\\255"', "expired_token\255" }, { '"wilddog."', "wilddog." },
    { '".expired_token"', ".expired_token" }, { '"wilddog..expired_token"', "wilddog..expired_token" },
    { '"wilddog.expired_token.x"', "wilddog.expired_token.x" },
    { "{}", {} }, { "{22002}", { 22002 } }, { "{code=22002}", { code = 22002, domain = "wilddog" } },
    { "an entry", "entry placeholder" },
    { "hostile table", hostile_table("hostile table") },
    { "function", print }, { "closure", function() return 22002 end },
    { "coroutine", coroutine.create(function() end) }, { "io.stdout", io.stdout },
  }
  if ok_cjson then keys[#keys + 1] = { "cjson.null", cjson.null } end
  return keys
end

-- Every way a hostile value can reach lookup: as the key, as the domain.
local function hostile_calls(lib, v)
  return {
    { "lookup(v)", function() return lib.lookup(v) end },
    { 'lookup("wilddog", v)', function() return lib.lookup("wilddog", v) end },
    { 'lookup("imsdk", v)', function() return lib.lookup("imsdk", v) end },
    { "lookup(v, 22002)", function() return lib.lookup(v, 22002) end },
    { 'lookup(v, "expired_token")', function() return lib.lookup(v, "expired_token") end },
  }
end

describe("hostile keys", function()
  local keys = hostile_keys()

  -- what lookup(v) says for some of them
  local REASON = {
    ["nil"] = "no key given", ["true"] = "got boolean", NaN = "NaN", ["math.huge"] = "infinite",
    ["-math.huge"] = "infinite", ["22002.5"] = "not an integer", ["2^31"] = "out of range",
    ["2^32+22002 (wraps to 22002 in int32)"] = "out of range", ['""'] = "empty key",
    ["1e6 bytes"] = "too long", ["{}"] = "got table", ["hostile table"] = "got table",
    ["function"] = "got function", ["coroutine"] = "got thread", ["io.stdout"] = "got userdata",
    ['" 22002"'] = "unknown name", ['"expired_token\\0"'] = "unknown name",
  }

  it("(every reason above belongs to a key)", function()
    local labels = {}
    for _, k in ipairs(keys) do labels[k[1]] = true end
    for label in pairs(REASON) do assert.is_true(labels[label], label) end
  end)

  for _, k in ipairs(keys) do
    local label, v = k[1], k[2]
    it(label .. " gives nil and a reason, never raises", function()
      for _, lib in ipairs { fresh_authcodes(), authcodes } do
        local key = v
        if label == "an entry" then key = lib.lookup(22002) end  -- an entry is not a key either
        touched = {}
        for _, call in ipairs(hostile_calls(lib, key)) do
          local res = { pcall(call[2]) }
          assert.is_true(res[1], call[1] .. " raised: " .. tostring(res[2]))
          assert.is_nil(res[2], call[1] .. " found something")
          assert.is_string(res[3], call[1] .. " gave no reason")
          assert.is_true(#res[3] > 0 and #res[3] < 300, call[1] .. " reason: " .. res[3])
        end
        if REASON[label] then
          local _, why = lib.lookup(key)
          assert.is_truthy(why:find(REASON[label], 1, true), why)
        end
        assert.are.same({}, touched)
      end
    end)
  end

  it("change no entry, not even through the cache", function()
    local lib = fresh_authcodes()
    -- materialise half the entries first, so both cached and uncached paths are hit
    local n = 0
    for e in lib.each("imsdk") do n = n + 1; if n % 2 == 0 then lib.lookup(e.name) end end
    for _, l in ipairs { lib, authcodes } do
      local before = snapshot(l)
      for _, k in ipairs(keys) do
        for _, call in ipairs(hostile_calls(l, k[2])) do pcall(call[2]) end
      end
      local after = snapshot(l)
      for id, b in pairs(before) do
        assert.are.equal(b.e, after[id].e, id .. " is another object")
        assert.are.same(b.t, after[id].t, id)
      end
      assert.are.equal(l.lookup(22002), l.lookup("expired_token"))
      assert.are.equal(22002, l.lookup("expired_token").code)
    end
  end)
end)

---------------------------------------------------------------------------------------

describe("entries are read-only", function()
  local e = authcodes.lookup(22005)   -- has two aliases
  local none = authcodes.lookup(22201) -- has none

  for _, f in ipairs { "domain", "code", "name", "aliases", "message", "description", "sdk_message",
                       "doc_message", "doc_description", "summary", "class", "retry", "retryable",
                       "retry_after", "http", "action", "ok", "source", "note", "index", "totable",
                       "brand_new_field", 1 } do
    it("assigning " .. tostring(f) .. " raises and changes nothing", function()
      local before = e[f]
      local ok, err = pcall(function() e[f] = "changed" end)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("read-only", 1, true), tostring(err))
      assert.are.same(before, e[f])    -- same: aliases reads are fresh copies
      assert.are.same(before, authcodes.lookup(22005)[f])
    end)
  end

  -- `aliases` reads hand out a fresh array each time (so # and ipairs work on 5.1 and
  -- LuaJIT): changing it changes the caller's copy, never the catalog.
  it("changing a copy of aliases (append, overwrite, table.insert) changes no entry", function()
    for _, x in ipairs { e, none } do
      local n = #x.aliases
      local copy = x.aliases
      copy[n + 1] = "extra_alias"
      copy[1] = "hijacked"
      table.insert(copy, "more")
      assert.are.equal(n, #x.aliases)
      assert.is_nil(x.aliases[n + 1])
      assert.is_nil(authcodes.lookup("extra_alias"))
      assert.is_nil(authcodes.lookup("hijacked"))
    end
    assert.are.equal("WDGAuthErrorCodeMaxRetries", authcodes.lookup(22005).aliases[1])
    assert.are_not.equal(e.aliases, e.aliases)
  end)

  it("getmetatable gives nothing to write through", function()
    assert.is_false(type(getmetatable(e)) == "table")
    assert.is_false(type(getmetatable(e.aliases)) == "table")
    assert.is_false(pcall(setmetatable, e, {}))
  end)

  it("totable() is a writable copy that leaves the entry alone", function()
    local t = e:totable()
    t.name, t.aliases[1] = "changed", "changed"
    assert.are.equal("maxretries", e.name)
    assert.are.equal("WDGAuthErrorCodeMaxRetries", e.aliases[1])
    for _, f in ipairs(FIELDS) do
      if f ~= "aliases" then assert.are.equal(e[f], e:totable()[f], f) end
    end
  end)

  for _, bad in ipairs { "nope", "IMSDK", "", 42, true } do
    it(("each(%s) raises bad argument"):format(tostring(bad)), function()
      local ok, err = pcall(authcodes.each, bad)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("bad argument", 1, true), tostring(err))
    end)
  end
  it("each() without a domain raises bad argument", function()
    local ok, err = pcall(authcodes.each)
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("bad argument", 1, true), tostring(err))
  end)
end)

---------------------------------------------------------------------------------------

local function row(t)
  local r = { code = 1, name = "a", summary = "A.", class = "INTERNAL" }
  for k, v in pairs(t or {}) do r[k] = v end
  return r
end
local function without(t, field)
  local r = row(t)
  r[field] = nil
  return r
end

-- { label, rows, exact reason }
local BAD_ROWS = {
  { "duplicate code", { row { code = 7, name = "a" }, row { code = 7, name = "b" } },
    "row 2: duplicate code 7 (first at row 1)" },
  { "duplicate name, other case", { row { code = 1, name = "Alpha" }, row { code = 2, name = "ALPHA" } },
    "row 2: duplicate name or alias alpha (first at row 1)" },
  { "alias clashing with another row's name",
    { row { code = 1, name = "alpha" }, row { code = 2, name = "beta", aliases = { "Alpha" } } },
    "row 2: duplicate name or alias alpha (first at row 1)" },
  { "duplicate alias",
    { row { code = 1, name = "a", aliases = { "x" } }, row { code = 2, name = "b", aliases = { "X" } } },
    "row 2: duplicate name or alias x (first at row 1)" },
  { "bad class", { row { class = "NOPE" } }, "row 1: unknown class NOPE" },
  { "lower-case class", { row { class = "internal" } }, "row 1: unknown class internal" },
  { "missing class", { without({}, "class") }, "row 1: unknown class nil" },
  { "bad retry", { row { retry = "sometimes" } },
    "row 1: unknown retry sometimes (never, backoff, after_delay, reauth, restart)" },
  { "empty summary", { row { summary = "" } }, "row 1: empty summary" },
  { "blank summary", { row { summary = " \t " } }, "row 1: empty summary" },
  { "missing summary", { without({}, "summary") }, "row 1: empty summary" },
  { "after_delay without retry_after", { row { retry = "after_delay" } },
    "row 1: retry after_delay needs retry_after" },
  { "retry_after without after_delay", { row { retry_after = 5 } },
    "row 1: retry_after is only for retry after_delay" },
  { "retry_after 0", { row { retry = "after_delay", retry_after = 0 } },
    "row 1: retry_after must be whole seconds from 1 to 86400" },
  { "retry_after 1.5", { row { retry = "after_delay", retry_after = 1.5 } },
    "row 1: retry_after must be whole seconds from 1 to 86400" },
  { "retry_after too long", { row { retry = "after_delay", retry_after = 86401 } },
    "row 1: retry_after must be whole seconds from 1 to 86400" },
  { "http 600", { row { http = 600 } }, "row 1: http must be a status from 100 to 599" },
  { "http as a string", { row { http = "404" } }, "row 1: http must be a status from 100 to 599" },
  { "code as a string", { row { code = "7" } }, "row 1: code must be an integer" },
  { "code 1.5", { row { code = 1.5 } }, "row 1: code must be an integer" },
  { "code NaN", { row { code = 0 / 0 } }, "row 1: code must be an integer" },
  { "code 2^31", { row { code = 2 ^ 31 } }, "row 1: code must be an integer" },
  { "missing code", { without({}, "code") }, "row 1: code must be an integer" },
  { "bad name", { row { name = "1abc" } }, "row 1: name 1abc must match [A-Za-z][A-Za-z0-9_]*" },
  { "missing name", { without({}, "name") }, "row 1: name nil must match [A-Za-z][A-Za-z0-9_]*" },
  { "bad alias", { row { aliases = { "a b" } } }, "row 1: alias a b must match [A-Za-z][A-Za-z0-9_]*" },
  { "aliases not a list", { row { aliases = "x" } }, "row 1: aliases must be a list" },
  { "bad action", { row { action = "Wait" } }, "row 1: action Wait must match [a-z][a-z_]*" },
  { "ok not a boolean", { row { ok = "yes" } }, "row 1: ok must be yes or no" },
  { "message not a string", { row { message = 5 } }, "row 1: message must be a string" },
  { "a row that is no table", { "x" }, "row 1: table expected, got string" },
  { "second row bad", { row { code = 1 }, row { code = 2, name = "b", class = "NOPE" } },
    "row 2: unknown class NOPE" },
  { "no rows", {}, "no rows" },
}

describe("register", function()
  it("adds a user domain: lookup by code, name, alias, qualified; each in code order", function()
    local rows = {
      { code = 30, name = "third", summary = "Third.", class = "UNAVAILABLE", retry = "backoff" },
      { code = 10, name = "First_One", aliases = { "one", "Uno" }, summary = "First.", class = "NOT_FOUND" },
      { code = 20, name = "second", summary = "Second.", class = "RESOURCE_EXHAUSTED", retry = "after_delay",
        retry_after = 7, http = 503, action = "wait", message = "vendor says so", note = "A note." },
      { code = -40, name = "fine", summary = "Fine.", class = "OK" },
    }
    local ok, why = authcodes.register("spec_valid", rows)
    assert.is_true(ok, why)

    local first = authcodes.lookup("spec_valid", 10)
    assert.is_table(first)
    for _, args in ipairs { { 10 }, { 10.0 }, { "10" }, { "+10" }, { "first_one" }, { "FIRST_ONE" },
                            { "uno" }, { "ONE" }, { "spec_valid.first_one" }, { "SPEC_VALID.Uno" },
                            { "spec_valid.10" }, { "spec_valid", "One" }, { "Spec_Valid", 10 },
                            { "spec_valid", "10" } } do
      assert.are.equal(first, authcodes.lookup(unpack(args)), table.concat(args, ", "))
    end

    assert.are.equal("spec_valid", first.domain)
    assert.are.equal("registered", first.source)
    assert.are.equal("First_One", first.name)
    assert.are.same({ "one", "Uno" }, { first.aliases[1], first.aliases[2], first.aliases[3] })
    assert.are.equal("never", first.retry)     -- defaults
    assert.are.equal("none", first.action)
    assert.is_false(first.ok)
    assert.is_false(first.retryable)
    assert.are.equal(404, first.http)
    assert.is_nil(first.retry_after)

    local second = authcodes.lookup("second")
    assert.are.equal(20, second.code)
    assert.are.equal(7, second.retry_after)
    assert.are.equal(503, second.http)
    assert.is_true(second.retryable)
    assert.are.equal("wait", second.action)
    assert.are.equal("vendor says so", second.message)
    assert.are.equal("A note.", second.note)
    assert.is_true(authcodes.lookup("third").retryable)
    assert.is_true(authcodes.lookup("spec_valid", -40).ok)

    local codes = {}
    for e in authcodes.each("spec_valid") do codes[#codes + 1] = e.code end
    assert.are.same({ -40, 10, 20, 30 }, codes)

    local domains = authcodes.domains()
    assert.is_true(contains(domains, "spec_valid"))
    local sorted = { unpack(domains) }
    table.sort(sorted)
    assert.are.same(sorted, domains)

    -- read-only like the built-ins, and not tied to the caller's tables
    assert.is_false(pcall(function() first.name = "x" end))
    local copy = first.aliases
    copy[3] = "x"
    assert.is_nil(first.aliases[3])
    rows[1].name, rows[2].aliases[1] = "changed", "changed"
    assert.are.equal("third", authcodes.lookup("spec_valid", 30).name)
    assert.are.equal("one", first.aliases[1])
    assert.is_nil(authcodes.lookup("changed"))

    -- misses inside the domain
    local e, reason = authcodes.lookup("spec_valid", 22002)
    assert.is_nil(e)
    assert.is_truthy(reason:find("in spec_valid", 1, true), reason)
    assert.is_nil((authcodes.lookup("spec_valid", "expired_token")))
  end)

  for i, case in ipairs(BAD_ROWS) do
    local label, rows, reason = unpack(case)
    it("rejects " .. label, function()
      local domain = "spec_bad_" .. i
      local res = { pcall(authcodes.register, domain, rows) }
      assert.is_true(res[1], tostring(res[2]))
      assert.is_nil(res[2])
      assert.are.equal(reason, res[3])
      -- nothing of it stays
      assert.is_false(contains(authcodes.domains(), domain))
      assert.is_false(pcall(authcodes.each, domain))
      local e, why = authcodes.lookup(domain, 1)
      assert.is_nil(e)
      assert.is_truthy(why:find("unknown domain", 1, true), why)
    end)
  end

  for _, name in ipairs { "imsdk", "wilddog" } do
    it("cannot replace built-in domain " .. name, function()
      local before = snapshot()
      local ok, why = authcodes.register(name, { row { code = 424242, name = "replacement" } })
      assert.is_nil(ok)
      assert.are.equal("cannot replace built-in domain " .. name, why)
      assert.is_nil((authcodes.lookup(424242)))
      assert.is_nil((authcodes.lookup("replacement")))
      assert.are.same({ "imsdk", "wilddog" }, { authcodes.domains()[1], authcodes.domains()[#authcodes.domains()] })
      local after = snapshot()
      for id, b in pairs(before) do assert.are.same(b.t, after[id].t, id) end
    end)
  end

  it("cannot register a domain twice", function()
    assert.is_true(authcodes.register("spec_twice", { row { code = 515151, name = "once" } }))
    local ok, why = authcodes.register("spec_twice", { row { code = 525252, name = "twice" } })
    assert.is_nil(ok)
    assert.are.equal("domain spec_twice is already registered", why)
    assert.are.equal("once", authcodes.lookup("spec_twice", 515151).name)
    assert.is_nil((authcodes.lookup("spec_twice", 525252)))
    assert.is_nil((authcodes.lookup("twice")))
  end)

  for _, name in ipairs { "Spec_upper", "1spec", "spec.dot", "spec-dash", "", string.rep("s", 65) } do
    it(("rejects the domain name %q"):format(name:sub(1, 20)), function()
      local ok, why = authcodes.register(name, { row { code = 535353, name = "named" } })
      assert.is_nil(ok)
      assert.is_truthy(why:find("must match", 1, true), why)
      assert.is_nil((authcodes.lookup("named")))
    end)
  end

  it("raises on arguments of the wrong type", function()
    local ok, err = pcall(authcodes.register, 42, {})
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("bad argument #1", 1, true), tostring(err))
    ok, err = pcall(authcodes.register, "spec_noargs", "rows")
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("bad argument #2", 1, true), tostring(err))
  end)

  -- Registered rows never shadow built-in codes or names, whether the built-ins were
  -- already looked up (cached) or not.
  for _, temp in ipairs { "cold", "warm" } do
    it("cannot shadow built-ins (" .. temp .. ")", function()
      local lib = temp == "cold" and fresh_authcodes() or authcodes
      local domain = "spec_shadow_" .. temp
      assert.is_true(lib.register(domain, {
        row { code = 1, name = "failure", aliases = { "expired_token", "WDGAuthErrorCodeExpiredToken" } },
        row { code = 22002, name = "session_expired", aliases = { "success" } },
      }))
      local mine = lib.lookup(domain, 1)
      assert.are.equal("registered", mine.source)

      local e = lib.lookup(1)
      assert.are.equal("imsdk", e.domain)
      assert.are.equal("success", e.name)
      assert.are.equal("imsdk", lib.lookup("success").domain)
      assert.are.equal("imsdk", lib.lookup("session_expired").domain)
      for _, key in ipairs { "expired_token", "EXPIRED_TOKEN", 22002, "22002", "WDGAuthErrorCodeExpiredToken" } do
        local w = lib.lookup(key)
        assert.is_table(w, tostring(key))
        assert.are.equal("wilddog", w.domain, tostring(key))
        assert.are.equal(22002, w.code, tostring(key))
      end
      local amb, why = lib.lookup("failure")
      assert.is_nil(amb)
      assert.is_truthy(why:find("imsdk.failure", 1, true), why)
      assert.is_truthy(why:find("wilddog.failure", 1, true), why)

      -- qualified, the registered rows are there
      assert.are.equal(mine, lib.lookup(domain .. ".failure"))
      assert.are.equal(mine, lib.lookup(domain .. ".expired_token"))
      assert.are.equal(mine, lib.lookup(domain, "EXPIRED_TOKEN"))
      assert.are.equal(22002, lib.lookup(domain, "success").code)
      assert.are.equal("registered", lib.lookup(domain, 22002).source)
      assert.are.equal("imsdk", lib.lookup("imsdk.failure").domain)
    end)
  end

  it("stores integral float numbers as integers (Lua 5.3+)", function()
    assert.is_true(authcodes.register("spec_floats", { row { code = 880001.0, name = "floaty",
      retry = "after_delay", retry_after = 5.0, http = 503.0 } }))
    local e = authcodes.lookup("spec_floats", 880001)
    for _, f in ipairs { "code", "retry_after", "http" } do
      assert.is_true(is_integer(e[f]), f)
    end
    assert.is_nil((authcodes.lookup("spec_floats", "880001.0")))
  end)

  it("keeps every alias or refuses the row (no silent cut at 64 aliases, no holes)", function()
    local aliases = {}
    for i = 1, 65 do aliases[i] = "spec_alias_" .. i end
    local ok, why = authcodes.register("spec_many_aliases", { row { code = 880002, aliases = aliases } })
    assert.is_nil(ok)
    assert.are.equal("row 1: at most 64 aliases", why)
    ok, why = authcodes.register("spec_holey_aliases", { row { code = 880003, aliases = { "x1", nil, "x3" } } })
    assert.is_nil(ok)
    assert.are.equal("row 1: aliases must be a list (no holes, no keys)", why)
    ok = authcodes.register("spec_64_aliases", { row { code = 880004, aliases = { unpack(aliases, 1, 64) } } })
    assert.is_true(ok)
    assert.are.equal(64, #authcodes.lookup("spec_64_aliases", 880004).aliases)
    assert.is_table(authcodes.lookup("spec_64_aliases", "spec_alias_64"))
  end)

  it("a code two registered domains share is ambiguous when bare", function()
    assert.is_true(authcodes.register("spec_amb_a", { row { code = 777001, name = "amb_one" } }))
    assert.is_true(authcodes.register("spec_amb_b", { row { code = 777001, name = "amb_two" } }))
    local e, why = authcodes.lookup(777001)
    assert.is_nil(e)
    assert.is_truthy(why:find("spec_amb_a.amb_one", 1, true), why)
    assert.is_truthy(why:find("spec_amb_b.amb_two", 1, true), why)
    assert.are.equal("amb_one", authcodes.lookup("spec_amb_a", 777001).name)
    assert.are.equal("amb_two", authcodes.lookup("spec_amb_b.777001").name)
    assert.are.equal("amb_two", authcodes.lookup("amb_two").name)
  end)
end)
