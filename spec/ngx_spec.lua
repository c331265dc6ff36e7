-- OpenResty helpers (issue #3): authcodes.ngx.respond and authcodes.ngx.log, against
-- a fake global `ngx` (a real nginx is another suite's job).

local authcodes = require "authcodes"
local cjson = require "cjson.safe"

local use_fake_ngx = require("spec.helpers").use_fake_ngx

describe("authcodes.ngx", function()
  local saved, fake, acngx

  local function load(accept_language)
    acngx, fake = use_fake_ngx(accept_language)
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
      assert.is_nil(t.detail)   -- kept out of public responses by default
      assert.equal("/login/42", t.instance)
    end)

    it("keeps vendor and parser text out of the body unless asked, and the log still has it", function()
      local _, err = authcodes.check('{"code":-207,"desc":"<script>alert(1)</script>"}', "imsdk")
      assert.is_true(acngx.respond(err))
      assert.is_nil(body().detail)
      assert.is_nil(fake.printed[1]:find("script", 1, true))
      acngx.log(err)
      assert.matches("<script>", fake.logs[1].msg, 1, true)
      load(nil)
      _, err = authcodes.check("\"\\ud800\"", "imsdk")
      acngx.respond(err, { expose_detail = true })
      assert.matches("not JSON", body().detail, 1, true)
      load(nil)
      acngx.respond(err, { expose_detail = "yes" })   -- only true exposes it
      assert.is_nil(body().detail)
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

    it("lets opts.status override, and the body says the same status", function()
      acngx.respond(22002, { status = 403 })
      assert.equal(403, fake.status)
      assert.equal(403, body().status)
      load(nil)
      acngx.respond(authcodes.new(-207), { status = 502 })
      assert.equal(502, fake.status)
      assert.equal(502, body().status)
      load(nil)
      acngx.respond(authcodes.new(-207))   -- the cached body of the entry is unchanged
      assert.equal(503, fake.status)
      assert.equal(503, body().status)
    end)

    it("a status that is not a status is bad argument; a garbage err.http is 500", function()
      for _, st in ipairs { "502", 99, 600, 502.5, 0 / 0, {} } do
        local ok, msg = pcall(acngx.respond, 22002, { status = st })
        assert.is_false(ok)
        assert.matches("bad argument #2 to 'respond'", msg, 1, true)
      end
      local ok, msg = pcall(acngx.respond, 22002, { type_base = 1 })
      assert.is_false(ok)
      assert.matches("bad argument #2 to 'respond'", msg, 1, true)
      assert.same({}, fake.printed)
      local err = authcodes.new(22002)
      err.http = 0 / 0
      acngx.respond(err)
      assert.equal(500, fake.status)
      assert.equal(500, body().status)
    end)

    it("reads opts as plain fields: a raising __index does not run", function()
      local opts = setmetatable({ status = 418 }, { __index = function() error("hostile __index") end })
      assert.is_true(acngx.respond(22002, opts))
      assert.equal(418, fake.status)
      assert.equal(418, body().status)
    end)

    describe("Vary", function()
      it("is Accept-Language when the language came from the request", function()
        load("zh")
        acngx.respond(22002)
        assert.equal("Accept-Language", fake.header["Vary"])
      end)

      it("keeps what the handler set, once", function()
        load("zh")
        fake.header["Vary"] = "Accept-Encoding"
        acngx.respond(22002)
        assert.equal("Accept-Encoding, Accept-Language", fake.header["Vary"])
        load("zh")
        fake.header["Vary"] = "accept-language"
        acngx.respond(22002)
        assert.equal("accept-language", fake.header["Vary"])
        load("zh")
        fake.header["Vary"] = { "Origin", "Accept-Encoding" }
        acngx.respond(22002)
        assert.same({ "Origin", "Accept-Encoding", "Accept-Language" }, fake.header["Vary"])
      end)

      it("is not set when opts.lang chose the language", function()
        load("zh")
        acngx.respond(22002, { lang = "en" })
        assert.is_nil(fake.header["Vary"])
      end)
    end)

    it("Content-Language is the language the title is in", function()
      for _, case in ipairs {
        { authcodes.new(123456), "zh", "错误码不在目录中。" },
        { select(2, authcodes.check("<html>", "imsdk")), "zh", "无法读懂供应商的回复。" },
        { authcodes.new(22231), "en", "The SMS signature was denied." },   -- no Chinese from the vendor
        { authcodes.new(22002), "zh", "该 token 已过期" },
      } do
        load("zh-CN")
        acngx.respond(case[1])
        assert.equal(case[2], fake.header["Content-Language"])
        assert.equal(case[3], body().title)
      end
    end)

    it("passes on the Retry-After a vendor gave any error (check with headers)", function()
      load(nil)
      local _, err = authcodes.check("<html>busy</html>", "imsdk",
        { status = 503, headers = { ["retry-after"] = "12" } })
      assert.equal("service_unavailable", err.name)
      assert.is_true(acngx.respond(err))
      assert.equal(503, fake.status)
      assert.equal("12", fake.header["Retry-After"])
    end)

    it("sends a sane Retry-After or none", function()
      for _, case in ipairs {
        { 0 / 0, nil }, { math.huge, nil }, { -math.huge, nil }, { -1, nil }, { "5", nil }, { {}, nil },
        { 2.5, "3" }, { 0, "0" }, { 1e12, "86400" }, { 7, "7" },
      } do
        load(nil)
        local err = authcodes.new(-2)
        err.retry_after = case[1]
        assert.is_true(acngx.respond(err))
        assert.equal(case[2], fake.header["Retry-After"], tostring(case[1]))
        local t = body()
        assert.equal(429, t.status)
        assert.equal(case[2] and tonumber(case[2]) or nil, t.retry_after)
      end
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
