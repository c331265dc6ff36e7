-- The C module itself (authcodes.core): what lua/authcodes/catalog.lua builds on.
local core = require "authcodes.core"
local schema = require "authcodes.schema"

describe("authcodes.core", function()
  it("counts every entry and the three domains, vendors first", function()
    local d = core.domains()
    assert.are.same({ "imsdk", "wilddog", "transport" }, { d[1], d[2], d[3] })
    assert.are.equal(core.count, d.imsdk.count + d.wilddog.count + d.transport.count)
    assert.are.equal(1, d.imsdk.first)
    assert.are.equal(d.imsdk.count + 1, d.wilddog.first)
    assert.are.equal(d.wilddog.first + d.wilddog.count, d.transport.first)
  end)

  it("numbers classes and retry kinds as the schema does", function()
    local classes = {}
    for i, c in ipairs(schema.classes) do classes[i] = c[1] end
    assert.are.same(classes, core.classes)
    assert.are.same(schema.retry_kinds, core.retry_kinds)
  end)

  it("finds codes by binary search, and only integral numbers", function()
    local i = core.find_code(22002)
    assert.are.equal(22002, core.entry(i).code)
    assert.are.equal(i, core.find_code(22002.0))
    for _, bad in ipairs { 22002.5, 0 / 0, math.huge, -math.huge, 2 ^ 63, -2 ^ 63, 99999, "22002", true } do
      assert.is_nil(core.find_code(bad), tostring(bad))
    end
    local prev
    for j = 1, core.count do
      local e = core.entry(j)
      if j ~= core.domains().wilddog.first then
        assert.is_true(prev == nil or e.code > prev, "ascending within a domain")
      end
      prev = e.code
      assert.are.equal(j, core.find_code(e.code))
    end
  end)

  it("finds names and aliases in any ASCII case, every match", function()
    assert.are.equal("expired_token", core.entry(core.find_key("EXPIRED_TOKEN")).name)
    assert.are.equal("expired_token", core.entry(core.find_key("WDGAuthErrorCodeExpiredToken")).name)
    local a, b, c = core.find_key("failure")
    assert.are.same({ "imsdk", "wilddog" }, { core.entry(a).domain, core.entry(b).domain })
    assert.is_nil(c)
    for _, bad in ipairs { "", "expired_token\0", "\0", "expired_toke", "expired_tokenx", ("x"):rep(100000), 7, {} } do
      assert.is_nil(core.find_key(bad))
    end
  end)

  it("gives nothing for an index out of range, and a fresh table each time", function()
    assert.is_nil(core.entry(0))
    assert.is_nil(core.entry(core.count + 1))
    assert.are_not.equal(core.entry(1), core.entry(1))
    assert.has_error(function() core.entry("x") end)
  end)

  it("sleeps and tells monotonic time", function()
    local t0 = core.now()
    core.sleep(0.02)
    local t1 = core.now()
    assert.is_true(t1 - t0 >= 0.015, tostring(t1 - t0))
    core.sleep(0); core.sleep(-1); core.sleep(0 / 0)
    assert.is_true(core.now() >= t1)
  end)
end)
