-- OpenResty helpers (issue #3): authcodes.ngx.respond and authcodes.ngx.log, against
-- a fake global `ngx` (a real nginx is another suite's job).

local authcodes = require "authcodes"
local cjson = require "cjson.safe"

-- The part of the ngx API authcodes.ngx uses; levels as lua-nginx-module numbers them.
local function fake_ngx(accept_language)
  local n = {
    STDERR = 0, EMERG = 1, ALERT = 2, CRIT = 3, ERR = 4, WARN = 5, NOTICE = 6, INFO = 7, DEBUG = 8,
    status = 0, header = {}, headers_sent = false,
    var = { http_accept_language = accept_language },
    printed = {}, logs = {},
  }
  function n.print(...)
    n.printed[#n.printed + 1] = table.concat({ ... })
  end
  function n.log(level, ...)
    n.logs[#n.logs + 1] = { level = level, msg = table.concat({ ... }) }
  end
  return n
end

describe("authcodes.ngx", function()
  local saved, fake, acngx

  local function load(accept_language)
    fake = fake_ngx(accept_language)
    rawset(_G, "ngx", fake)
    package.loaded["authcodes.ngx"] = nil
    acngx = require "authcodes.ngx"
  end

  before_each(function()
    saved = rawget(_G, "ngx")
    load(nil)
  end)

  after_each(function()
    rawset(_G, "ngx", saved)
    package.loaded["authcodes.ngx"] = nil
  end)

  local function body()
    assert.equal(1, #fake.printed)
    local t, why = cjson.decode(fake.printed[1])
    assert.is_table(t, why)
    return t
  end

  it("refuses to load outside nginx", function()
    rawset(_G, "ngx", nil)
    package.loaded["authcodes.ngx"] = nil
    local ok, msg = pcall(require, "authcodes.ngx")
    assert.is_false(ok)
    assert.matches("needs OpenResty", msg, 1, true)
  end)

  describe("respond", function()
    it("answers with the problem", function()
      local err = authcodes.new(-204, { detail = "login of player 42" })
      assert.is_true(acngx.respond(err, { instance = "/login/42" }))
      assert.equal(401, fake.status)
      assert.equal("application/problem+json", fake.header["Content-Type"])
      assert.equal("en", fake.header["Content-Language"])
      assert.is_nil(fake.header["Retry-After"])
      local t = body()
      assert.equal(-204, t.code)
      assert.equal("session_expired", t.name)
      assert.equal(401, t.status)
      assert.equal("urn:authcodes:imsdk:session_expired", t.type)
      assert.equal("The user's login session has expired.", t.title)
      assert.equal("login of player 42", t.detail)
      assert.equal("/login/42", t.instance)
    end)

    describe("Content-Language", function()
      for _, case in ipairs {
        { "zh-CN,zh;q=0.9,en;q=0.8", nil, "zh" },
        { "en-US,zh;q=0.5", nil, "en" },
        { "fr, zh;q=0.1", nil, "zh" },
        { nil, nil, "en" },
        { "garbage", nil, "en" },
        { "zh", "en", "en" },      -- opts.lang wins
        { "en", "zh", "zh" },
        { "zh", "fr", "zh" },      -- a language we do not speak: the header decides
        { nil, 42, "en" },
      } do
        it(("Accept-Language %s, opts.lang %s"):format(tostring(case[1]), tostring(case[2])), function()
          load(case[1])
          assert.is_true(acngx.respond(authcodes.new(22002), { lang = case[2] }))
          assert.equal(case[3], fake.header["Content-Language"])
          assert.equal(authcodes.new(22002):text(case[3]), body().title)
        end)
      end
    end)

    it("sets Retry-After for rate limits only", function()
      for _, case in ipairs {
        { -2, "5" }, { 22239, "1" }, { 22235, "60" },
        { 22002, nil }, { -207, nil }, { 22010, nil }, { -721, nil }, { 123456, nil },
      } do
        load(nil)
        acngx.respond(authcodes.new(case[1]))
        assert.equal(case[2], fake.header["Retry-After"], tostring(case[1]))
        assert.equal(authcodes.new(case[1]).http, fake.status)
      end
    end)

    it("accepts codes and garbage, and bad replies", function()
      acngx.respond(22011)
      assert.equal(404, fake.status)
      assert.equal("invalid_user", body().name)
      load(nil)
      acngx.respond({ "not an error" })
      assert.equal(500, fake.status)
      assert.equal("UNKNOWN", body().class)
      load(nil)
      local _, err = authcodes.check("<html>", "imsdk")
      acngx.respond(err)
      assert.equal(502, fake.status)
      assert.equal("bad_reply", body().name)
    end)

    it("lets opts.status override", function()
      acngx.respond(22002, { status = 403 })
      assert.equal(403, fake.status)
    end)

    it("does nothing once the headers are sent", function()
      fake.headers_sent = true
      local ok, why = acngx.respond(22002)
      assert.is_nil(ok)
      assert.equal("headers already sent", why)
      assert.equal(0, fake.status)
      assert.same({}, fake.header)
      assert.same({}, fake.printed)
    end)

    it("writes valid JSON whatever the error carries", function()
      local ctx = { f = print, n = 0 / 0 }
      acngx.respond(authcodes.new(22002, { detail = "\0\n\255\"", cause = setmetatable({}, {
        __tostring = function() error("no") end }), context = ctx }))
      assert.equal(22002, body().code)
    end)

    it("raises bad argument on wrong opts", function()
      local ok, msg = pcall(acngx.respond, 22002, "zh")
      assert.is_false(ok)
      assert.matches("bad argument #2 to 'respond'", msg, 1, true)
    end)
  end)

  describe("log", function()
    for _, case in ipairs {
      { "UNKNOWN", 29999, "ERR" }, { "UNKNOWN (provider)", 22016, "ERR" }, { "an unknown code", 123456, "ERR" },
      { "INTERNAL", 22001, "ERR" }, { "INTERNAL (imsdk)", -101, "ERR" },
      { "UNAVAILABLE", -207, "WARN" }, { "UNAVAILABLE (wilddog)", 22227, "WARN" },
      { "RESOURCE_EXHAUSTED", -2, "WARN" }, { "RESOURCE_EXHAUSTED (wilddog)", 22235, "WARN" },
      { "UNAUTHENTICATED", 22002, "INFO" }, { "INVALID_ARGUMENT", 22009, "INFO" },
      { "NOT_FOUND", 22011, "INFO" }, { "PERMISSION_DENIED", -906, "INFO" },
      { "ALREADY_EXISTS", 22013, "INFO" }, { "FAILED_PRECONDITION", -711, "INFO" },
      { "ABORTED", -721, "INFO" }, { "UNIMPLEMENTED", -1107, "INFO" },
    } do
      it(case[1] .. " at " .. case[3], function()
        local err = authcodes.new(case[2], { detail = "d" })
        acngx.log(err)
        assert.equal(1, #fake.logs)
        assert.equal(fake[case[3]], fake.logs[1].level)
        assert.equal(authcodes.format(err, "log"), fake.logs[1].msg)
        assert.equal(fake[case[3]], acngx.level(err))
      end)
    end

    it("a bad reply is an error", function()
      local _, err = authcodes.check("{", "wilddog")
      acngx.log(err)
      assert.equal(fake.ERR, fake.logs[1].level)
    end)

    it("writes one line", function()
      local err = authcodes.new(-204, { detail = "line1\nline2\r\n", cause = authcodes.new(-207, { detail = "a\nb" }),
                                        context = { ["k\n"] = "v\r\n" } })
      acngx.log(err)
      assert.is_nil(fake.logs[1].msg:find("[\r\n]"))
      assert.matches("^domain=imsdk code=%-204 ", fake.logs[1].msg)
    end)

    it("accepts a code or garbage", function()
      acngx.log(-2)
      acngx.log(nil)
      assert.equal(fake.WARN, fake.logs[1].level)
      assert.equal(fake.ERR, fake.logs[2].level)
      assert.matches("name=rate_limited", fake.logs[1].msg, 1, true)
    end)
  end)
end)
