-- Error objects and vendor replies (issue #3): authcodes.new, err:is, err:text,
-- tostring(err), `..`, authcodes.is_error and authcodes.check, with every reply shape
-- of both vendors.

local authcodes = require "authcodes"
local cjson = require "cjson"

-- Every field an entry exposes (see methods.totable).
local FIELDS = { "domain", "code", "name", "message", "description", "sdk_message", "doc_message",
                 "doc_description", "summary", "class", "retry", "retryable", "retry_after", "http",
                 "action", "ok", "source", "note" }

local function all_entries() return require("spec.helpers").all_entries(authcodes) end

local function snapshot()
  local t = {}
  for _, e in ipairs(all_entries()) do t[e.domain .. "." .. e.code] = e:totable() end
  return t
end

local function assert_unknown(err, http)
  assert.is_true(authcodes.is_error(err))
  assert.equal("UNKNOWN", err.class)
  assert.equal(http or 500, err.http)
  assert.equal("never", err.retry)
  assert.is_false(err.retryable)
  assert.is_false(err.ok)
end

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

describe("authcodes.new", function()
  it("resolves every spelling of a code to the same entry", function()
    local e = authcodes.lookup(22002)
    for _, key in ipairs { 22002, 22002.0, "22002", "+22002", "expired_token", "EXPIRED_TOKEN",
                           "WDGAuthErrorCodeExpiredToken", "wilddog.expired_token", e } do
      local err = authcodes.new(key)
      assert.is_true(authcodes.is_error(err), tostring(key))
      assert.equal(22002, err.code)
      assert.equal("wilddog", err.domain)
      assert.equal("expired_token", err.name)
    end
  end)

  it("copies no entry field wrong: every entry of both domains", function()
    local n = 0
    for _, e in ipairs(all_entries()) do
      local err = authcodes.new(e.code, { domain = e.domain })
      for _, f in ipairs(FIELDS) do
        assert.equal(e[f], err[f], e.domain .. "." .. e.code .. " field " .. f)
      end
      assert.same(e:totable().aliases, err:totable().aliases)
      assert.is_nil(err.detail)
      assert.is_nil(err.cause)
      assert.is_nil(err.context)
      n = n + 1
    end
    assert.is_true(n > 200)
  end)

  it("builds from an error object or an entry", function()
    local first = authcodes.new(-204, { detail = "first" })
    local again = authcodes.new(first)
    assert.equal(-204, again.code)
    assert.equal("imsdk", again.domain)
    assert.is_nil(again.detail)   -- a new occurrence: its own detail
    local from_entry = authcodes.new(authcodes.lookup("imsdk", -2), { detail = "d" })
    assert.equal("rate_limited", from_entry.name)
    assert.equal("d", from_entry.detail)
  end)

  it("honours opts.domain", function()
    assert.equal(-2, authcodes.new(-2, { domain = "imsdk" }).code)
    assert.equal(22001, authcodes.new("failure", { domain = "wilddog" }).code)
    assert.equal(-1, authcodes.new("failure", { domain = "imsdk" }).code)
    local other = authcodes.new(-2, { domain = "wilddog" })   -- not a wilddog code
    assert_unknown(other)
    assert.equal(-2, other.code)
    assert.equal("wilddog", other.domain)
  end)

  it("keeps detail, cause and context of this occurrence", function()
    local cause = authcodes.new(-207)
    local ctx = { user = "u1", attempt = 2 }
    local err = authcodes.new(-204, { detail = "login", cause = cause, context = ctx })
    assert.equal("login", err.detail)
    assert.equal(cause, err.cause)
    assert.equal(ctx, err.context)
    assert.equal("42", authcodes.new(1, { detail = 42 }).detail)   -- detail is text
    assert.equal("socket closed", authcodes.new(1, { cause = "socket closed" }).cause)
  end)

  it("never modifies the shared entry", function()
    local before = snapshot()
    local e = authcodes.lookup(22002)
    local a = authcodes.new(22002, { detail = "a", cause = "x", context = { k = 1 } })
    local b = authcodes.new(22002)
    a.detail, a.extra = "changed", true   -- error objects are the caller's to change
    assert.is_nil(b.detail)
    assert.is_nil(b.extra)
    assert.is_nil(e.detail)
    assert.is_nil(rawget(b, "code"))      -- fields come from the entry, not copies
    assert.has_error(function() e.detail = "x" end)
    assert.has_error(function() e.code = 1 end)
    assert.same(before, snapshot())
  end)

  describe("unknown or garbage keys", function()
    it("gives UNKNOWN 500 with the integral code", function()
      for _, k in ipairs { 123456, 123456.0, -999999, 0, 2 ^ 40 } do
        local err = authcodes.new(k)
        assert_unknown(err)
        assert.equal("unknown", err.name)
        assert.equal(k, err.code)
      end
    end)

    it("keeps a raw string key", function()
      for _, k in ipairs { "no_such_name", "123456", " 22002", "0x55f2", "2.2002e4", "wilddog.nope" } do
        local err = authcodes.new(k)
        assert_unknown(err)
        assert.is_nil(err.code)
        assert.equal(k, err.key)
      end
      local long = authcodes.new(("x"):rep(10000))
      assert_unknown(long)
      assert.is_true(#long.key <= 256)
    end)

    it("keeps a non-integral number key", function()
      local err = authcodes.new(22002.5)
      assert_unknown(err)
      assert.is_nil(err.code)
      assert.equal(22002.5, err.key)
      assert.matches("22002.5", tostring(err), 1, true)
    end)

    it("never raises on the key", function()
      local keys = { true, false, {}, print, coroutine.create(function() end), io.stdout, cjson.null,
                     0 / 0, math.huge, -math.huge, "", "\0", "\255\254" }
      for i = 1, #keys do
        local ok, err = pcall(authcodes.new, keys[i])
        assert.is_true(ok, tostring(err))
        assert_unknown(err)
        ok, err = pcall(authcodes.new, keys[i], { detail = "d" })
        assert.is_true(ok, tostring(err))
        assert.equal("d", err.detail)
      end
      local ok, err = pcall(authcodes.new, nil)
      assert.is_true(ok)
      assert_unknown(err)
    end)

    it("a name two domains share is UNKNOWN unless qualified", function()
      assert_unknown(authcodes.new("failure"))
      assert.equal(22001, authcodes.new("wilddog.failure").code)
    end)
  end)

  describe("wrong-typed opts raise bad argument", function()
    for _, case in ipairs {
      { "a string", "x" }, { "a number", 42 }, { "true", true }, { "a function", print },
      { "context a string", { context = "x" } }, { "context a number", { context = 1 } },
      { "domain a number", { domain = 42 } }, { "domain a table", { domain = {} } },
    } do
      it(case[1], function()
        local ok, msg = pcall(authcodes.new, 22002, case[2])
        assert.is_false(ok)
        assert.matches("bad argument", msg, 1, true)
        assert.matches("'new'", msg, 1, true)
      end)
    end
  end)
end)

describe("err:is", function()
  local err = authcodes.new(22002, { detail = "d" })

  it("is true for each name of the same error", function()
    for _, x in ipairs { 22002, 22002.0, "22002", "expired_token", "EXPIRED_TOKEN",
                         "WDGAuthErrorCodeExpiredToken", "wilddog.expired_token", "UNAUTHENTICATED",
                         authcodes.lookup(22002), authcodes.new(22002), authcodes.new(22002, { detail = "other" }) } do
      assert.is_true(err:is(x), tostring(x))
    end
  end)

  it("is false for anything else", function()
    for _, x in ipairs { 22004, "22004", "invalid_token", "imsdk.expired_token", "wilddog.invalid_token",
                         "NOT_FOUND", "unauthenticated", "", authcodes.lookup(22004), authcodes.new(-204),
                         { code = 22002, domain = "wilddog" }, true, print, 22002.5, 0 / 0 } do
      assert.is_false(err:is(x), tostring(x))
    end
    assert.is_false(err:is(nil))
  end)

  it("tells apart a name two domains share", function()
    assert.is_true(authcodes.new(-1):is("failure"))
    assert.is_true(authcodes.new(-1):is("imsdk.failure"))
    assert.is_false(authcodes.new(-1):is("wilddog.failure"))
    assert.is_true(authcodes.new(22001):is("failure"))
    assert.is_false(authcodes.new(22001):is(-1))
  end)

  it("works on entries too", function()
    local e = authcodes.lookup(-204)
    assert.is_true(e:is(-204))
    assert.is_true(e:is(authcodes.new(-204)))
    assert.is_false(e:is(-205))
  end)

  it("works on unknown errors", function()
    local u = authcodes.new(123456)
    assert.is_true(u:is(123456))
    assert.is_true(u:is("UNKNOWN"))
    assert.is_false(u:is(22002))
    assert.is_true(authcodes.new("no_such_name"):is("no_such_name"))
  end)
end)

describe("err:text", function()
  it("gives the English summary or the vendor's Chinese description", function()
    local err = authcodes.new(22002)
    assert.equal("The supplied token has expired.", err:text("en"))
    assert.equal("The supplied token has expired.", err:text())
    assert.equal("该 token 已过期", err:text("zh"))
    assert.equal(authcodes.lookup(-204).description, authcodes.new(-204):text("zh"))
  end)

  it("falls back to English when the vendor wrote no Chinese", function()
    local err = authcodes.new(22231)   -- only in the SDK table
    assert.is_nil(err.description)
    assert.equal(err.summary, err:text("zh"))
  end)

  it("any other language is English", function()
    local err = authcodes.new(-2)
    for _, lang in ipairs { "fr", "ZH", "zh-CN", 42, true } do
      assert.equal(err.summary, err:text(lang))
    end
    assert.equal("The code is not in the catalog.", authcodes.new(123456):text("fr"))
  end)

  it("unknown codes and unreadable replies speak Chinese too", function()
    assert.equal("错误码不在目录中。", authcodes.new(123456):text("zh"))
    assert.equal("无法读懂供应商的回复。", select(2, authcodes.check("<html>", "imsdk")):text("zh"))
  end)
end)

describe("tostring(err)", function()
  it("is the documented line", function()
    assert.equal("wilddog 22002 expired_token (UNAUTHENTICATED): The supplied token has expired.",
      tostring(authcodes.new(22002)))
    assert.equal("imsdk -2 rate_limited (RESOURCE_EXHAUSTED): "
      .. "Requests are too frequent; the caller must wait before trying again.", tostring(authcodes.new(-2)))
  end)

  it("adds the detail and the cause", function()
    local s = tostring(authcodes.new(22002, { detail = "refresh failed", cause = "socket closed" }))
    assert.equal("wilddog 22002 expired_token (UNAUTHENTICATED): The supplied token has expired."
      .. "; detail: refresh failed; caused by: socket closed", s)
  end)

  it("follows a chain of error objects", function()
    local root = authcodes.new(-207, { detail = "memcache" })
    local mid = authcodes.new(-204, { cause = root })
    local top = authcodes.new(22002, { detail = "top", cause = mid })
    local s = tostring(top)
    assert.equal("wilddog 22002 expired_token (UNAUTHENTICATED): The supplied token has expired.; detail: top"
      .. "; caused by: " .. tostring(mid), s)
    assert.matches("; caused by: imsdk %-207 session_get_failed %(UNAVAILABLE%): .*; detail: memcache$", s)
    assert.equal(2, count(s, "caused by"))
    assert.is_nil(s:find("...", 1, true))
  end)

  it("ends a cycle in ...", function()
    local a = authcodes.new(22002)
    local b = authcodes.new(-204, { cause = a })
    a.cause = b
    local s = tostring(a)
    assert.matches("; caused by: %.%.%.$", s)
    assert.is_true(count(s, "caused by") <= 16)
    local self_cause = authcodes.new(1)
    self_cause.cause = self_cause
    assert.matches("; caused by: %.%.%.$", tostring(self_cause))
  end)

  it("ends a long chain in ...", function()
    local err = authcodes.new(-1)
    for _ = 1, 100 do err = authcodes.new(-207, { cause = err }) end
    local s = tostring(err)
    assert.matches("; caused by: %.%.%.$", s)
    assert.is_true(#s < 4000)
  end)

  it("survives a cause whose __tostring raises or lies", function()
    local bad = setmetatable({}, { __tostring = function() error("no") end })
    local s = tostring(authcodes.new(22002, { cause = bad, detail = bad }))
    assert.equal("string", type(s))
    local liar = setmetatable({}, { __tostring = function() return {} end })
    assert.equal("string", type(tostring(authcodes.new(22002, { cause = liar }))))
  end)

  it("is one line whatever the detail or cause says", function()
    local s = tostring(authcodes.new(22002, { detail = "a\nb\r\nc", cause = "x\ny" }))
    assert.is_nil(s:find("[\r\n]"))
    assert.matches("a\\nb\\r\\nc", s, 1, true)
  end)

  it("names unknown codes and keys", function()
    assert.equal("authcodes 123456 unknown (UNKNOWN): The code is not in the catalog.",
      tostring(authcodes.new(123456)))
    assert.equal('authcodes "zzz" unknown (UNKNOWN): The code is not in the catalog.',
      tostring(authcodes.new("zzz")))
    assert.equal("wilddog -2 unknown (UNKNOWN): The code is not in the catalog.",
      tostring(authcodes.new(-2, { domain = "wilddog" })))
  end)
end)

describe("concatenation", function()
  it("works on either side and between errors", function()
    local a, b = authcodes.new(22002), authcodes.new(-2, { detail = "d" })
    assert.equal("failed: " .. tostring(a), "failed: " .. a)
    assert.equal(tostring(a) .. "!", a .. "!")
    assert.equal(tostring(a) .. 1, a .. 1)
    assert.equal(tostring(a) .. tostring(b), a .. b)
    assert.equal("[" .. tostring(b) .. "]", "[" .. b .. "]")
  end)
end)

describe("authcodes.is_error", function()
  it("knows its own objects only", function()
    assert.is_true(authcodes.is_error(authcodes.new(22002)))
    assert.is_true(authcodes.is_error(authcodes.new("garbage")))
    assert.is_true(authcodes.is_error(select(2, authcodes.check("not json"))))
    for _, v in ipairs { authcodes.lookup(22002), {}, { code = 22002, name = "expired_token" }, "x", 1, true,
                         setmetatable({}, { __metatable = "authcodes.error" }), print, io.stdout } do
      assert.is_false(authcodes.is_error(v), tostring(v))
    end
    assert.is_false(authcodes.is_error(nil))
    assert.is_false(authcodes.is_error())
  end)
end)

describe("authcodes.check", function()
  describe("iMSDK", function()
    it("returns the reply and the entry on success and next steps", function()
      for code = 1, 6 do
        local reply = { code = code, desc = "whatever" }
        local r, e = authcodes.check(reply, "imsdk")
        assert.equal(reply, r)
        assert.equal(authcodes.lookup("imsdk", code), e)
        assert.is_true(e.ok)
      end
      local r, e = authcodes.check({ code = 1 })
      assert.equal("success", e.name)
      assert.same({ code = 1 }, r)
    end)

    it("decodes a JSON reply", function()
      local r, e = authcodes.check('{"code":1,"desc":"success","data":{"openid":"o1"}}', "imsdk")
      assert.equal("o1", r.data.openid)
      assert.equal(1, e.code)
      r, e = authcodes.check('{"code":2,"desc":"connect this sns channel!"}', "imsdk")
      assert.equal("connect_sns_channel", e.name)
      assert.equal(2, r.code)
    end)

    it("accepts a decimal string code", function()
      local r, e = authcodes.check({ code = "1" }, "imsdk")
      assert.is_table(r)
      assert.equal(1, e.code)
      local _, err = authcodes.check('{"code":"-204"}', "imsdk")
      assert.equal(-204, err.code)
    end)

    it("returns nil and an error object on failure", function()
      local r, err = authcodes.check({ code = -204, desc = "user session is failure!" }, "imsdk")
      assert.is_nil(r)
      assert.is_true(authcodes.is_error(err))
      assert.equal("session_expired", err.name)
      assert.equal("imsdk", err.domain)
      assert.is_nil(err.detail)   -- the vendor said what the catalog says
      r, err = authcodes.check('{"code":-204,"desc":"session gone at 12:00"}', "imsdk")
      assert.is_nil(r)
      assert.equal(-204, err.code)
      assert.equal("session gone at 12:00", err.detail)
      r, err = authcodes.check({ code = -2.0 })
      assert.is_nil(r)
      assert.equal("rate_limited", err.name)
      assert.equal(5, err.retry_after)
      assert.is_true(math.type == nil or math.type(err.code) == "integer")
    end)

    it("reads only code, not errcode", function()
      local r, err = authcodes.check({ errcode = -204 }, "imsdk")
      assert.is_nil(r)
      assert.equal("bad_reply", err.name)
    end)

    it("cuts a huge vendor message", function()
      local _, err = authcodes.check({ code = -204, desc = ("x"):rep(100000) }, "imsdk")
      assert.is_true(#err.detail <= 1100)
    end)
  end)

  describe("Wilddog", function()
    it("reads errcode and message", function()
      local r, err = authcodes.check({ errcode = 22002, message = "expired_token" }, "wilddog")
      assert.is_nil(r)
      assert.equal("expired_token", err.name)
      assert.is_nil(err.detail)
      r, err = authcodes.check('{"errcode":22239,"message":"too many calls this second"}', "wilddog")
      assert.is_nil(r)
      assert.equal(22239, err.code)
      assert.equal(1, err.retry_after)
      assert.equal("too many calls this second", err.detail)
    end)

    it("reads an SDK-style code", function()
      local _, err = authcodes.check({ code = 22010, message = "wrong" }, "wilddog")
      assert.equal("invalid_password", err.name)
      assert.equal("wrong", err.detail)
      _, err = authcodes.check('{"code":22004}')   -- no domain: codes are unique
      assert.equal("wilddog", err.domain)
      assert.equal("invalid_token", err.name)
    end)

    it("prefers errcode to code", function()
      local _, err = authcodes.check({ errcode = 22002, code = 22004 }, "wilddog")
      assert.equal(22002, err.code)
    end)

    it("a code of the other vendor is unknown here", function()
      local r, err = authcodes.check({ errcode = -204 }, "wilddog")
      assert.is_nil(r)
      assert_unknown(err)
      assert.equal(-204, err.code)
      assert.equal("wilddog", err.domain)
    end)
  end)

  it("an unknown code gives UNKNOWN 500 with the code and the vendor's words", function()
    local r, err = authcodes.check({ code = 424242, desc = "brand new failure" })
    assert.is_nil(r)
    assert_unknown(err, 500)
    assert.equal(424242, err.code)
    assert.matches("424242", err.detail, 1, true)
    assert.matches("brand new failure", err.detail, 1, true)
    r, err = authcodes.check('{"errcode":22999,"message":"m"}', "wilddog")
    assert.is_nil(r)
    assert.equal(22999, err.code)
  end)

  describe("unreadable replies give UNKNOWN 502 bad_reply", function()
    for _, case in ipairs {
      { "not JSON", "<html>502 Bad Gateway</html>", "not JSON" },
      { "empty string", "", "not JSON" },
      { "truncated JSON", '{"code":-20', "not JSON" },
      { "JSON null", "null", "" },
      { "JSON number", "42", "" },
      { "JSON string", '"x"', "" },
      { "JSON array", "[1,2]", "no code" },
      { "no code", '{"desc":"x"}', "no code" },
      { "null code", '{"code":null}', "no code" },
      { "string code", '{"code":"abc"}', "not an integer code" },
      { "padded string code", '{"code":" 1"}', "not an integer code" },
      { "boolean code", '{"code":true}', "not an integer code" },
      { "object code", '{"code":{}}', "not an integer code" },
      { "fractional code", '{"code":1.5}', "not an integer code" },
      { "infinite code", '{"code":1e999}', "not an integer code" },
      { "table without code", { desc = "x" }, "no code" },
      { "cjson.null code", { code = cjson.null }, "no code" },
      { "NaN code", { code = 0 / 0 }, "not an integer code" },
      { "infinite code (table)", { code = -math.huge }, "not an integer code" },
      { "function code", { code = print }, "not an integer code" },
      { "number reply", 42, "" },
      { "boolean reply", true, "" },
      { "nil reply", nil, "" },
      { "cjson.null reply", cjson.null, "" },
    } do
      it(case[1], function()
        for _, domain in ipairs { "imsdk", "wilddog", false } do
          local reply = case[2]
          if domain == "wilddog" and type(reply) == "table" and reply.code ~= nil then
            reply = { errcode = reply.code }
          end
          local ok, r, err = pcall(authcodes.check, reply, domain or nil)
          assert.is_true(ok, tostring(r))
          assert.is_nil(r)
          assert_unknown(err, 502)
          assert.equal("bad_reply", err.name)
          assert.is_string(err.detail)
          assert.is_true(#err.detail > 0)
          assert.matches(case[3], err.detail, 1, true)
          if domain then assert.equal(domain, err.domain) end
        end
      end)
    end

    it("a reply over 1 MB is not decoded", function()
      local r, err = authcodes.check('{"code":1,"pad":"' .. ("x"):rep(1024 * 1024) .. '"}', "imsdk")
      assert.is_nil(r)
      assert.equal("reply_too_large", err.name)
      assert.equal("transport", err.domain)
      assert.matches("too large", err.detail, 1, true)
    end)
  end)

  it("never reads the reply through metamethods", function()
    local reply = setmetatable({ code = -204 }, { __index = function() error("touched") end })
    local r, err = authcodes.check(reply, "imsdk")
    assert.is_nil(r)
    assert.equal(-204, err.code)
  end)

  it("an unknown domain is a programmer error", function()
    for _, d in ipairs { "nosuch", "WILDDOG", 42, true, {} } do
      local ok, msg = pcall(authcodes.check, { code = 1 }, d)
      assert.is_false(ok)
      assert.matches("bad argument", msg, 1, true)
      assert.matches("'check'", msg, 1, true)
    end
  end)
end)
