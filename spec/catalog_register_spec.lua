-- `authcodes.register`: user domains, with the same validation and entry shape as the
-- built-in ones, that never shadow a built-in code. Lookup is
-- spec/catalog_lookup_spec.lua, the built-in data spec/catalog_data_spec.lua.

local authcodes = require "authcodes"
local helpers = require "spec.helpers"

local unpack = table.unpack or unpack
local is_integer, contains = helpers.is_integer, helpers.contains
local fresh_authcodes, snapshot = helpers.fresh_authcodes, helpers.snapshot

---------------------------------------------------------------------------------------

local row = helpers.row
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
    assert.is_userdata(first)
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
      local before = snapshot(authcodes)
      local ok, why = authcodes.register(name, { row { code = 424242, name = "replacement" } })
      assert.is_nil(ok)
      assert.are.equal("cannot replace built-in domain " .. name, why)
      assert.is_nil((authcodes.lookup(424242)))
      assert.is_nil((authcodes.lookup("replacement")))
      assert.are.same({ "imsdk", "wilddog" }, { authcodes.domains()[1], authcodes.domains()[#authcodes.domains()] })
      local after = snapshot(authcodes)
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
        assert.is_userdata(w, tostring(key))
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
    assert.is_userdata(authcodes.lookup("spec_64_aliases", "spec_alias_64"))
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
