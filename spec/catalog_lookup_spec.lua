-- Looking codes up, as users do: `require "authcodes"` domains, each, lookup by every
-- key form, hostile keys (never raise, never find, never change an entry), read-only
-- entries. The data behind the entries is spec/catalog_data_spec.lua; register is
-- spec/catalog_register_spec.lua.

local authcodes = require "authcodes"
local helpers = require "spec.helpers"

local unpack = table.unpack or unpack
local contains, entries_of = helpers.contains, helpers.entries_of
local fresh_authcodes, snapshot = helpers.fresh_authcodes, helpers.snapshot

-- Taken when this file starts. Specs that register domains (catalog_register_spec,
-- docs_spec, hostile_spec...) sort after this file, and busted runs files in name order;
-- registrations persist for the process.
local DOMAINS_AT_LOAD = authcodes.domains()

local FIELDS = { "domain", "code", "name", "aliases", "message", "description", "sdk_message",
                 "doc_message", "doc_description", "summary", "class", "retry", "retryable",
                 "retry_after", "http", "action", "ok", "source", "note" }

---------------------------------------------------------------------------------------

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
      local list, prev = entries_of(authcodes, d), nil
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
  { { "imsdk", "expired_token" }, "unknown name in imsdk" },
  { { "imsdk", "wilddog.expired_token" }, "in imsdk" },
  { { "wilddog.-204" }, "in wilddog" },
  { { "imsdk.expired_token" }, "in imsdk" },
  { { "nodomain.expired_token" }, "unknown domain" },
  { { "nodomain", "expired_token" }, "unknown domain" },
  { { 7 }, "unknown code 7" },
  { { "no_such_name" }, "unknown name" },
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
      assert.is_userdata(a, why)
      assert.are.equal(domain, a.domain)
      assert.are.equal(code, a.code)
      assert.are.equal(a, cold.lookup(unpack(args)))
      assert.are.equal(a, cold.lookup(domain, code))

      local w = authcodes.lookup(unpack(args))
      assert.is_userdata(w)
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
            keys[#keys + 1] = { d .. "." .. a:sub(1, -2) .. a:sub(-1):upper() }
            keys[#keys + 1] = { d, a:upper() }
          end
          for _, args in ipairs(keys) do
            -- exactly one result on a hit (fuzz_lua found a path that added a nil)
            local r = table.pack and table.pack(lib.lookup(unpack(args)))
              or { n = select("#", lib.lookup(unpack(args))), lib.lookup(unpack(args)) }
            local got, why = r[1], r[2]
            assert.are.equal(e, got, ("%s %d by %s: %s"):format(d, e.code, table.concat(args, ", "), tostring(why)))
            assert.are.equal(1, r.n, "lookup(" .. table.concat(args, ", ") .. ") gave more than the entry")
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
    { "get(v)", function() return lib.get(v) end },
    { 'lookup("wilddog", v)', function() return lib.lookup("wilddog", v) end },
    { 'lookup("imsdk", v)', function() return lib.lookup("imsdk", v) end },
    { "lookup(v, 22002)", function() return lib.lookup(v, 22002) end },
    { 'lookup(v, "expired_token")', function() return lib.lookup(v, "expired_token") end },
  }
end

describe("get(key), the one-argument hot path", function()
  -- Same answers as lookup(key), cold (a fresh library: get fills the caches) and warm,
  -- for every bare spelling of every entry, every key form and every miss above.
  local function same(lib, key)
    local got = { n = select("#", lib.get(key)), lib.get(key) }
    local want = { n = select("#", lib.lookup(key)), lib.lookup(key) }
    assert.are.same(want, got, tostring(key))
  end

  it("answers as lookup(key) for every entry's code, decimal string, qualified name and aliases", function()
    for _, warm in ipairs { false, true } do
      local lib = fresh_authcodes()
      for _, d in ipairs(lib.domains()) do
        for e in lib.each(d) do
          local keys = { e.code, tostring(e.code), d .. "." .. e.name, e.name, e.name:upper() }
          for _, a in ipairs(e.aliases) do keys[#keys + 1] = a end
          for _, k in ipairs(keys) do
            if warm then lib.lookup(k) end
            -- cold: get first, so it is get that resolves and caches
            local e1, why1 = lib.get(k)
            local e2, why2 = lib.lookup(k)
            assert.are.equal(e2, e1, tostring(k))
            assert.are.equal(why2, why1, tostring(k))
            same(lib, k)
          end
        end
      end
    end
  end)

  it("answers as lookup(key) for the key forms and misses above", function()
    for _, case in ipairs(KEY_FORMS) do
      if #case[1] == 1 then
        local lib = fresh_authcodes()
        assert.are.equal(lib.lookup(case[1][1]), lib.get(case[1][1]))
        same(lib, case[1][1])
      end
    end
    for _, case in ipairs(MISSES) do
      if #case[1] == 1 then same(fresh_authcodes(), case[1][1]); same(authcodes, case[1][1]) end
    end
    same(authcodes, "failure")   -- ambiguous: nil and both qualified names
  end)
end)

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
