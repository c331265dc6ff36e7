-- What callers cannot change (issue #12: entries, synthetic objects, module tables) and
-- what the caches keep (issue #13: spellings filled on use, never by misses).
-- Lookup is spec/catalog_lookup_spec.lua, register spec/catalog_register_spec.lua.

local authcodes = require "authcodes"

local row = require("spec.helpers").row

describe("entries and shared objects callers cannot change", function()
  it("an entry is a userdata: rawset cannot shadow a field for the rest of the process", function()
    local e = authcodes.lookup("wilddog", 22002)
    assert.is_userdata(e)
    assert.is_false(pcall(rawset, e, "ok", true))
    assert.is_false(e.ok)
    local reply, err = authcodes.check({ errcode = 22002 }, "wilddog")
    assert.is_nil(reply)
    assert.are.equal(22002, err.code)
  end)

  it("no field of an entry or error object reaches its fields table or metatable", function()
    local e = authcodes.lookup("wilddog", 22002)
    local err = authcodes.new(e)
    for _, x in ipairs { e, err } do
      assert.are.equal(x == e and "authcodes.entry" or "authcodes.error", getmetatable(x))
      for _, k in ipairs { "__index", "__newindex", "__pairs", "__metatable", "__tostring", "__concat", 1, 2, 3 } do
        local v = x[k]
        assert.is_true(v == nil or type(v) == "function" or type(v) == "string", tostring(k))
      end
    end
    -- and every field an entry lists is a value, not a table it shares (aliases: a copy)
    for k, v in pairs(authcodes.lookup(-204):totable()) do
      if k ~= "aliases" then assert.are_not.equal("table", type(v), k) end
    end
  end)

  it("no public module table hands out internals", function()
    for _, m in ipairs { "authcodes", "authcodes.catalog", "authcodes.entry", "authcodes.errors" } do
      local t = require(m)
      for _, k in ipairs { "fields_of", "cached", "cached_in", "methods", "show", "by_key" } do
        assert.is_nil(rawget(t, k), m .. "." .. k)
      end
    end
  end)

  it("the aliases of unknown and bad_reply errors are a new list each time", function()
    local a = authcodes.new("zzz_no_such_key")
    table.insert(a.aliases, "x")
    rawset(a.aliases, 1, "y")
    assert.are.same({}, authcodes.new("another_unknown").aliases)
    local _, bad = authcodes.check("not json", "imsdk")
    assert.are.same({}, bad.aliases)
  end)

  it("a registered domain cannot be named authcodes (the library's own type URIs)", function()
    local ok, why = authcodes.register("authcodes", { row { code = 990001, name = "unknown" } })
    assert.is_nil(ok)
    assert.is_truthy(why:find("reserved", 1, true), why)
    assert.is_nil(authcodes.lookup("authcodes", 990001))
  end)

  it("pairs(entry) lists the data fields on Lua 5.2+ (no method, no private key)", function()
    if _VERSION == "Lua 5.1" then return end   -- 5.1 and LuaJIT ignore __pairs
    authcodes.new(22002)   -- the entry now has an error metatable and a line
    local e = authcodes.lookup(22002)
    local seen = {}
    for k, v in pairs(e) do
      assert.is_string(k)
      assert.are_not.equal("function", type(v))
      seen[k] = v
    end
    assert.are.equal(22002, seen.code)
    assert.are.equal(e.summary, seen.summary)
    assert.are.equal(e.index, seen.index)
    assert.is_nil(seen.aliases)
  end)
end)

describe("the spelling caches", function()
  local internal = require "authcodes.internal"
  local function count(t)
    local n = 0
    for _ in pairs(t) do n = n + 1 end
    return n
  end

  it("misses never grow them", function()
    local by_key = internal.by_key
    for _, k in ipairs { 999999, -999999, "no_such_name", "No_Such_Name", "x.y", "imsdk.nope", "+22002x" } do
      authcodes.lookup(k)
    end
    local before = count(by_key)
    for i = 1, 2000 do
      authcodes.lookup(500000 + i)
      authcodes.lookup("garbage_" .. i)
      authcodes.lookup("Garbage_" .. i)
      authcodes.lookup("imsdk", "garbage_" .. i)
    end
    assert.are.equal(before, count(by_key))
  end)

  it("cache only an entry's own spellings, not other spellings of it", function()
    local by_key = internal.by_key
    assert.are.equal(22002, authcodes.lookup("Expired_Token").code)
    assert.are.equal(22002, authcodes.lookup("022002").code)
    assert.are.equal(5, authcodes.lookup("+5").code)
    assert.is_nil(by_key["Expired_Token"])
    assert.is_nil(by_key["022002"])
    assert.is_nil(by_key["+5"])
    assert.are.equal(authcodes.lookup(22002), by_key["expired_token"])
  end)

  it("a bare registered key, cached, turns ambiguous when another domain registers it", function()
    assert.is_true(authcodes.register("spec_cache_a", { row { code = 778001, name = "cache_one" } }))
    assert.are.equal("cache_one", authcodes.lookup(778001).name)
    assert.are.equal("cache_one", authcodes.lookup("778001").name)
    assert.are.equal("cache_one", authcodes.lookup("cache_one").name)
    assert.are.equal("cache_one", authcodes.new(778001).name)
    assert.is_true(authcodes.register("spec_cache_b",
      { row { code = 778001, name = "cache_one" } }))
    for _, k in ipairs { 778001, "778001", "cache_one", "CACHE_ONE" } do
      local e, why = authcodes.lookup(k)
      assert.is_nil(e, tostring(k))
      assert.is_truthy(why:find("ambiguous", 1, true), why)
      assert.are.equal("unknown", authcodes.new(k).name)
    end
    assert.are.equal("spec_cache_b", authcodes.lookup("spec_cache_b", "cache_one").domain)
  end)
end)
