-- The catalog's data as users see it: every entry `require "authcodes"` holds, compared
-- with the vendor tables and the curated columns of data/ (the vendor seed rows, the
-- vendor documentation, the curated rows, uniqueness, every entry complete).
-- The lookup API is spec/catalog_lookup_spec.lua, register spec/catalog_register_spec.lua.
--
-- The expected vendor text is read here from the project's own copies of the vendor
-- tables (data/vendor/), with a parser of this spec's own, not the generator's: a
-- generator bug must not be able to agree with itself. The curated columns are read
-- from data/*.tsv the same way.

local authcodes = require "authcodes"
local schema = require "authcodes.schema"
local helpers = require "spec.helpers"

local is_integer, contains, entries_of = helpers.is_integer, helpers.contains, helpers.entries_of

---------------------------------------------------------------------------------------
-- Independent readers of data/
---------------------------------------------------------------------------------------

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function lines_of(path)
  local text = helpers.slurp(path)
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
        assert.is_userdata(e, why)
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
      assert.is_userdata(e, why)
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
    assert.is_userdata(e)
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
      assert.is_userdata(e, enum .. ": " .. tostring(why))
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
        assert.is_userdata(e, where)
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
      assert.are.equal(n, #entries_of(authcodes, d))
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
    for _, e in ipairs(entries_of(authcodes, d)) do
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
