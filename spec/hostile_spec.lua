-- Hostile input (issue #6, the Lua half): every public function is fed every kind of
-- value the network or a careless caller can produce. Each call must either give its
-- documented result or raise an error whose message says "bad argument"; nothing
-- else. Afterwards the catalog is exactly as it was; whatever an error carries, its
-- JSON decodes and its log line is one line.

local authcodes = require "authcodes"
local cjson = require "cjson.safe"

local unpack = table.unpack or unpack  -- luacheck: ignore 143

local function pack(...) return { n = select("#", ...), ... } end

-- What the failing call was, for the failure message.
local current = "?"

local function show(v)
  if type(v) == "string" then return ("%q"):format(#v > 60 and v:sub(1, 60) .. "..." or v) end
  if type(v) == "number" then return tostring(v) end
  return type(v)
end

--- Call fn(...): on success return its results packed ({ n = ..., ... }); when it
-- raised, the message must contain "bad argument", and the answer is nil.
local function expect_documented(fn, ...)
  local r = pack(pcall(fn, ...))
  if r[1] then return pack(unpack(r, 2, r.n)) end
  local msg = r[2]
  if type(msg) ~= "string" or not msg:find("bad argument", 1, true) then
    error(("%s raised something other than bad argument: %s"):format(current, show(msg)), 2)
  end
  return nil
end

local function check_that(cond, what)
  if not cond then error(current .. ": " .. what, 2) end
end

local function one_line(s, what)
  check_that(type(s) == "string", (what or "output") .. " is not a string")
  check_that(not s:find("[\r\n]"), (what or "output") .. " is not one line: " .. show(s))
end

local function decodes(s, what)
  check_that(type(s) == "string", what .. " is not a string")
  local v = cjson.decode(s)
  check_that(v ~= nil, what .. " does not decode: " .. show(s))
  return v
end

---------------------------------------------------------------------------------------
-- The values.

local function raiser(name) return function() error("hostile " .. name, 0) end end

local hostile_mt = {
  __index = raiser("__index"), __newindex = raiser("__newindex"), __call = raiser("__call"),
  __tostring = raiser("__tostring"), __eq = raiser("__eq"), __lt = raiser("__lt"), __le = raiser("__le"),
  __len = raiser("__len"), __pairs = raiser("__pairs"), __ipairs = raiser("__ipairs"),
  __concat = raiser("__concat"), __unm = raiser("__unm"), __add = raiser("__add"),
  __name = "hostile",
}

local VALUES = {   -- { name, value }; nil is added by hand (it cannot live in a list)
  { "true", true }, { "false", false },
  { "0", 0 }, { "-0.0", -0.0 }, { "NaN", 0 / 0 }, { "inf", math.huge }, { "-inf", -math.huge },
  { "2^53+1", 2 ^ 53 + 1 }, { "-2^63", -2 ^ 63 }, { "1e308", 1e308 }, { "tiny", 1e-310 },
  { "22002.0", 22002.0 }, { "22002.5", 22002.5 }, { "-204", -204 }, { "1", 1 }, { "-2", -2 },
  { "2^31", 2 ^ 31 }, { "-2^31", -2 ^ 31 },
  { '"22002"', "22002" }, { '" 22002"', " 22002" }, { '"22002 "', "22002 " }, { '"+22002"', "+22002" },
  { '"-204"', "-204" }, { '"-0"', "-0" }, { '"0022002"', "0022002" }, { '"0x55F2"', "0x55F2" },
  { '"2.2002e4"', "2.2002e4" }, { '"22002e0"', "22002e0" }, { '"1e999"', "1e999" }, { '"nan"', "nan" },
  { '"inf"', "inf" }, { '"99999999999999999999"', "99999999999999999999" }, { '"- 1"', "- 1" },
  { '""', "" }, { "1 MB", ("x"):rep(1024 * 1024) }, { "1 MB of digits", ("9"):rep(1024 * 1024) },
  { "NUL", "\0" }, { "code NUL", "22002\0" }, { "name NUL", "expired_token\0x" },
  { "invalid UTF-8", "\255\254\253" }, { "overlong UTF-8", "\192\128" }, { "lone surrogate", "\237\160\128" },
  { "control chars", "\r\n\t\27[31m" }, { "format string", "%s%d%n%%" }, { "pattern", "[%a-" },
  { '"wilddog."', "wilddog." }, { '".expired_token"', ".expired_token" },
  { '"wilddog.expired_token"', "wilddog.expired_token" }, { '"IMSDK.SESSION_EXPIRED"', "IMSDK.SESSION_EXPIRED" },
  { '"imsdk.22002"', "imsdk.22002" }, { '"a.b.c"', "a.b.c" }, { "257 bytes", ("a"):rep(257) },
  { '"failure"', "failure" }, { '"UNAUTHENTICATED"', "UNAUTHENTICATED" }, { '"zh"', "zh" },
  { '"imsdk"', "imsdk" }, { '"text"', "text" }, { '"json"', "json" },
  { '"{\\"code\\":1}"', '{"code":1}' }, { "deep JSON", ("["):rep(100000) },
  { "{}", {} }, { "{22002}", { 22002 } }, { "{code=22002}", { code = 22002, domain = "wilddog" } },
  { "entry look-alike", { code = 22002, domain = "wilddog", name = "expired_token", class = "UNAUTHENTICATED" } },
  { "array with holes", { 1, nil, 3, [10] = 10 } },
  { "hostile table", setmetatable({}, hostile_mt) },
  { "hostile table with fields", setmetatable({ code = -204, desc = "x", errcode = 22002 }, hostile_mt) },
  { "liar table", setmetatable({}, { __index = function(_, k) return k == "code" and 22002 or "x" end,
                                      __tostring = function() return {} end, __len = function() return -1 end }) },
  { "fake error", setmetatable({}, { __metatable = "authcodes.error" }) },
  { "function", print }, { "raising function", raiser("call") },
  { "coroutine", coroutine.create(function() end) }, { "userdata", io.stdout }, { "cjson.null", cjson.null },
  { "error object", authcodes.new(-204, { detail = "d" }) }, { "entry", authcodes.lookup(22002) },
  { "unknown error", authcodes.new("zzz") },
}
if math.maxinteger then
  VALUES[#VALUES + 1] = { "maxinteger", math.maxinteger }
  VALUES[#VALUES + 1] = { "mininteger", math.mininteger }
end
do -- a table that contains itself, and one as wide as a context copy allows
  local loop = {}
  loop.self, loop[1] = loop, loop
  VALUES[#VALUES + 1] = { "self-referring table", loop }
  local wide = {}
  for i = 1, 80 do wide["k" .. i] = wide end
  VALUES[#VALUES + 1] = { "wide self-referring table", wide }
end

-- Every value, nil included: calls fn(name, value) for each.
local function each_value(fn)
  fn("nil", nil)
  for _, v in ipairs(VALUES) do fn(v[1], v[2]) end
end

---------------------------------------------------------------------------------------
-- What each documented result looks like.

local known_entries = {}   -- entry -> true, built-in and registered

local function all_entries() return require("spec.helpers").all_entries(authcodes) end

local function refresh_entries()
  for _, e in ipairs(all_entries()) do known_entries[e] = true end
end

local function is_entry(v) return known_entries[v] == true end

local function valid_lookup(r)
  if r[1] == nil then return check_that(type(r[2]) == "string", "lookup: nil without a reason") end
  check_that(is_entry(r[1]), "lookup: not an entry")
end

local function valid_error(err, what)
  check_that(authcodes.is_error(err), (what or "result") .. " is not an error object")
  check_that(type(err.name) == "string" and type(err.class) == "string" and type(err.http) == "number",
    (what or "result") .. " lacks name, class or http")
end

local function valid_check(r)
  check_that(r ~= nil, "check raised on the reply")
  if r[1] == nil then return valid_error(r[2], "check error") end
  check_that(type(r[1]) == "table", "check: reply is not a table")
  check_that(is_entry(r[2]) and r[2].ok == true, "check: second result is not an ok entry")
end

local function valid_should_retry(r)
  if r[1] == true then
    check_that(type(r[2]) == "number" and r[2] == r[2] and r[2] >= 0, "should_retry: bad delay")
  else
    check_that(r[1] == false and r[2] == nil and type(r[3]) == "string", "should_retry: bad no")
  end
end

-- Everything that can be said about one error object, all of which must hold.
local function exercise_error(err)
  valid_error(err)
  one_line(tostring(err), "tostring")
  for _, lang in ipairs { "en", "zh" } do
    check_that(type(err:text(lang)) == "string", "text is not a string")
    check_that(type(authcodes.format(err, "text", { lang = lang })) == "string", "text style")
  end
  decodes(authcodes.format(err, "json", { lang = "zh" }), "json")
  local p = decodes(authcodes.format(err, "problem", { lang = "zh", instance = "/x" }), "problem")
  check_that(p.status == err.http and p.name == err.name, "problem members")
  one_line(authcodes.format(err, "log"), "log")
  check_that(err:is(err) == true, "err:is(err)")
end

---------------------------------------------------------------------------------------

describe("hostile input", function()
  local before

  setup(function()
    refresh_entries()
    before = {}
    for _, e in ipairs(all_entries()) do before[e] = e:totable() end
  end)

  teardown(function()
    -- Whatever happened above, every entry is as it was.
    local now = {}
    for _, e in ipairs(all_entries()) do now[e] = e:totable() end
    for e, t in pairs(before) do
      assert.same(t, now[e], e.domain .. "." .. tostring(e.code) .. " changed")
    end
  end)

  it("expect_documented itself tells a documented raise from any other", function()
    assert.is_nil(expect_documented(error, "bad argument #1 to 'x'"))
    assert.same({ n = 2, 1, 2 }, expect_documented(function() return 1, 2 end))
    assert.has_error(function() expect_documented(error, "boom") end)
    assert.has_error(function() expect_documented(error, {}) end)
    assert.has_error(function() expect_documented(function() return nil + 1 end) end)
  end)

  it("lookup", function()
    each_value(function(name, v)
      current = "lookup(" .. name .. ")"
      valid_lookup(expect_documented(authcodes.lookup, v))
      for _, d in ipairs { "wilddog", "imsdk", "nosuch" } do
        current = ("lookup(%q, %s)"):format(d, name)
        valid_lookup(expect_documented(authcodes.lookup, d, v))
      end
      current = "lookup(" .. name .. ", 22002)"
      valid_lookup(expect_documented(authcodes.lookup, v, 22002))
      current = "lookup(" .. name .. ", " .. name .. ")"
      valid_lookup(expect_documented(authcodes.lookup, v, v))
    end)
  end)

  it("domains and each", function()
    each_value(function(name, v)
      current = "domains(" .. name .. ")"
      local r = expect_documented(authcodes.domains, v)
      check_that(r and type(r[1]) == "table", "domains: not a list")
      for _, d in ipairs(r[1]) do check_that(type(d) == "string", "domains: not a string") end
      current = "each(" .. name .. ")"
      r = expect_documented(authcodes.each, v)
      if r then
        check_that(type(r[1]) == "function", "each: not an iterator")
        for e in r[1] do check_that(is_entry(e), "each: not an entry") end
      end
    end)
  end)

  it("register", function()
    local n = 0
    local function fresh()
      n = n + 1
      return "hostile_" .. n
    end
    local function valid_register(r)
      if r == nil then return end
      if r[1] == true then return refresh_entries() end
      check_that(r[1] == nil and type(r[2]) == "string", "register: neither true nor nil, reason")
    end
    local function row(field, v)
      local t = { code = 7000001, name = "hostile_row", class = "INTERNAL", summary = "A hostile row." }
      if field then t[field] = v end
      return t
    end
    each_value(function(name, v)
      current = "register(" .. name .. ", rows)"
      valid_register(expect_documented(authcodes.register, v, { row() }))
      current = "register(domain, " .. name .. ")"
      valid_register(expect_documented(authcodes.register, fresh(), v))
      current = "register(domain, { " .. name .. " })"
      valid_register(expect_documented(authcodes.register, fresh(), { v }))
      current = "register(domain, { row, " .. name .. " })"
      valid_register(expect_documented(authcodes.register, fresh(), { row(), v }))
      for _, field in ipairs { "code", "name", "aliases", "class", "retry", "retry_after", "http", "action",
                               "summary", "message", "description", "note", "ok" } do
        current = ("register(domain, { { %s = %s } })"):format(field, name)
        valid_register(expect_documented(authcodes.register, fresh(), { row(field, v) }))
      end
      current = "register(domain, { { aliases = { " .. name .. " } } })"
      valid_register(expect_documented(authcodes.register, fresh(), { row("aliases", { v }) }))
    end)
  end)

  it("new", function()
    each_value(function(name, v)
      current = "new(" .. name .. ")"
      local r = expect_documented(authcodes.new, v)
      check_that(r ~= nil, "new raised on the key")
      exercise_error(r[1])
      for _, f in ipairs { "detail", "cause", "context", "domain" } do
        current = ("new(22002, { %s = %s })"):format(f, name)
        r = expect_documented(authcodes.new, 22002, { [f] = v })
        if r then exercise_error(r[1]) end
        current = ("new(%s, { %s = %s })"):format(name, f, name)
        r = expect_documented(authcodes.new, v, { [f] = v })
        if r then exercise_error(r[1]) end
      end
      current = "new(22002, " .. name .. ")"
      r = expect_documented(authcodes.new, 22002, v)
      if r then exercise_error(r[1]) end
    end)
  end)

  it("is_error", function()
    each_value(function(name, v)
      current = "is_error(" .. name .. ")"
      local r = expect_documented(authcodes.is_error, v)
      check_that(r and type(r[1]) == "boolean", "is_error: not a boolean")
    end)
    assert.is_false(authcodes.is_error(setmetatable({}, { __metatable = "authcodes.error" })))
  end)

  it("check", function()
    each_value(function(name, v)
      for _, d in ipairs { "imsdk", "wilddog", false } do
        local domain = d or nil
        local label = d and (", %q)"):format(d) or ")"
        current = "check(" .. name .. label
        valid_check(expect_documented(authcodes.check, v, domain))
        for _, field in ipairs { "code", "errcode" } do
          current = ("check({ %s = %s }%s"):format(field, name, label)
          valid_check(expect_documented(authcodes.check, { [field] = v, desc = "d" }, domain))
        end
        for _, field in ipairs { "desc", "message" } do
          current = ("check({ code = -204, %s = %s }%s"):format(field, name, label)
          valid_check(expect_documented(authcodes.check, { code = -204, errcode = 22002, [field] = v }, domain))
        end
        if type(v) == "string" then
          current = "check(JSON with code " .. name .. label
          valid_check(expect_documented(authcodes.check, cjson.encode { code = v, errcode = v, desc = v }, domain))
        end
      end
      current = "check({ code = 1 }, " .. name .. ")"
      local r = expect_documented(authcodes.check, { code = 1 }, v)   -- a wrong domain raises
      if r then valid_check(r) end
    end)
  end)

  it("should_retry", function()
    local function policy_with(field, v)
      return { attempts = 3, random = function() return 0.5 end, [field] = v }
    end
    each_value(function(name, v)
      current = "should_retry(" .. name .. ", 1)"
      valid_should_retry(expect_documented(authcodes.should_retry, v, 1))
      current = "should_retry(-207, " .. name .. ")"
      local r = expect_documented(authcodes.should_retry, -207, v)
      if r then valid_should_retry(r) end
      current = "should_retry(-207, 1, " .. name .. ")"
      r = expect_documented(authcodes.should_retry, -207, 1, v)
      if r then valid_should_retry(r) end
      for _, field in ipairs { "attempts", "base", "cap", "reauth", "reauthed", "budget", "random" } do
        if type(v) ~= "function" then   -- a caller's function is called: its errors are its own
          current = ("should_retry(22002, 1, { %s = %s })"):format(field, name)
          r = expect_documented(authcodes.should_retry, 22002, 1, policy_with(field, v))
          if r then valid_should_retry(r) end
          current = ("should_retry(-207, 1, { %s = %s })"):format(field, name)
          r = expect_documented(authcodes.should_retry, -207, 1, policy_with(field, v))
          if r then valid_should_retry(r) end
        end
      end
    end)
  end)

  it("retry", function()
    local function policy(field, v)
      local t = 0
      local p = { attempts = 4, deadline = 100, budget = false, random = function() return 1 end,
                  now = function() return t end, sleep = function(d) t = t + d end }
      if field then p[field] = v end
      return p
    end
    local function valid_retry(r)
      if r == nil then return end
      if r[1] ~= nil then return end   -- fn's own results
      valid_error(r[2], "retry's last error")
      check_that(type(r[3]) == "number" and r[3] >= 1, "retry: attempts made")
    end
    each_value(function(name, v)
      if type(v) ~= "function" then
        current = "retry(" .. name .. ")"
        check_that(expect_documented(authcodes.retry, v, policy()) == nil, "retry called a non-function")
      end
      current = "retry(fn giving nil, " .. name .. ")"
      valid_retry(expect_documented(authcodes.retry, function() return nil, v end, policy()))
      current = "retry(fn giving nil, backoff, " .. name .. ")"
      valid_retry(expect_documented(authcodes.retry, function() return nil, -207, v end, policy()))
      current = "retry(fn giving " .. name .. ")"
      valid_retry(expect_documented(authcodes.retry, function() return v end, policy()))
      current = "retry(fn, " .. name .. ")"   -- a code never retried: a policy read as empty would really sleep
      valid_retry(expect_documented(authcodes.retry, function() return nil, 22010 end, v))
      if type(v) ~= "function" then
        for _, field in ipairs { "attempts", "base", "cap", "deadline", "sleep", "now", "random", "reauth",
                                 "on_retry", "budget", "reauthed" } do
          if not (field == "sleep" and v == nil) then   -- that would really sleep
            current = ("retry(fn, { %s = %s })"):format(field, name)
            valid_retry(expect_documented(authcodes.retry, function() return nil, -207 end, policy(field, v)))
            valid_retry(expect_documented(authcodes.retry, function() return nil, 22002 end, policy(field, v)))
          end
        end
      end
    end)
  end)

  it("budget", function()
    each_value(function(name, v)
      current = "budget(" .. name .. ")"
      local r = expect_documented(authcodes.budget, v)
      if r then check_that(type(r[1]) == "table" and type(r[1].acquire) == "function", "budget: not a budget") end
      for _, field in ipairs { "capacity", "cost", "refund", "key" } do
        current = ("budget({ %s = %s })"):format(field, name)
        r = expect_documented(authcodes.budget, { [field] = v })
        if r then
          local b = r[1]
          check_that(type(b.acquire) == "function", "budget: not a budget")
          check_that(type(b:acquire()) == "boolean", "acquire")
          b:refund()
          check_that(type(b:available()) == "number", "available")
        end
      end
      current = "budget({ dict = " .. name .. " })"
      expect_documented(authcodes.budget, { dict = v })
    end)
  end)

  it("format and problem", function()
    local errs = { authcodes.new(22002), authcodes.new(-2, { detail = "d" }), authcodes.new("zzz"),
                   select(2, authcodes.check("garbage", "imsdk")) }
    each_value(function(name, v)
      for _, style in ipairs { "text", "log", "json", "problem" } do
        current = ("format(%s, %q)"):format(name, style)
        local r = expect_documented(authcodes.format, v, style)
        check_that(r ~= nil, "format raised on the error")
        if style == "log" then one_line(r[1]) end
        if style == "json" or style == "problem" then decodes(r[1], style) end
        for _, field in ipairs { "lang", "instance", "type_base" } do
          current = ("format(err, %q, { %s = %s })"):format(style, field, name)
          r = expect_documented(authcodes.format, errs[2], style, { [field] = v })
          if r and (style == "json" or style == "problem") then decodes(r[1], style) end
        end
        current = ("format(err, %q, %s)"):format(style, name)
        expect_documented(authcodes.format, errs[1], style, v)
      end
      current = "format(err, " .. name .. ")"
      local r = expect_documented(authcodes.format, errs[1], v)
      check_that(r == nil or type(r[1]) == "string", "format: not a string")
      current = "problem(" .. name .. ")"
      r = expect_documented(authcodes.problem, v)
      check_that(r and type(r[1]) == "table", "problem raised on the error")
      decodes(cjson.encode(r[1]), "problem table")
      for _, err in ipairs(errs) do
        current = "problem(err, " .. name .. ")"
        r = expect_documented(authcodes.problem, err, v)
        if r then decodes(cjson.encode(r[1]), "problem table") end
        for _, field in ipairs { "lang", "instance", "type_base" } do
          current = ("problem(err, { %s = %s })"):format(field, name)
          r = expect_documented(authcodes.problem, err, { [field] = v })
          if r then decodes(cjson.encode(r[1]), "problem table") end
        end
      end
    end)
  end)

  it("negotiate", function()
    each_value(function(name, v)
      current = "negotiate(" .. name .. ")"
      local r = expect_documented(authcodes.negotiate, v)
      check_that(r and (r[1] == "zh" or r[1] == "en"), "negotiate: neither zh nor en")
    end)
  end)

  it("err:is, err:text and tostring(err)", function()
    local subjects = { authcodes.new(22002), authcodes.new(-1), authcodes.new(123456), authcodes.new("zzz"),
                       authcodes.new(-2, { domain = "wilddog" }), select(2, authcodes.check("{", "wilddog")),
                       authcodes.lookup(22002), authcodes.lookup("imsdk", 1) }
    each_value(function(name, v)
      for i, s in ipairs(subjects) do
        current = ("subject %d :is(%s)"):format(i, name)
        local r = expect_documented(s.is, s, v)
        check_that(r and type(r[1]) == "boolean", "is: not a boolean")
        current = ("subject %d :text(%s)"):format(i, name)
        r = expect_documented(s.text, s, v)
        check_that(r and type(r[1]) == "string", "text: not a string")
      end
      current = "tostring(err with detail " .. name .. ")"
      for _, f in ipairs { "detail", "cause", "context", "key" } do
        local err = authcodes.new(f == "key" and "zzz" or 22002)
        err[f] = v   -- error objects are plain tables: a careless caller writes anything
        current = ("error object with .%s = %s"):format(f, name)
        local r = expect_documented(tostring, err)
        check_that(r ~= nil, "tostring raised")
        one_line(r[1], "tostring")
        exercise_error(err)
      end
    end)
  end)

  it("whatever the detail, context and cause, JSON decodes and a log is one line", function()
    each_value(function(name, v)
      local contexts = { { v = v }, { nested = { deeper = { v = v } } }, { list = { v, v, v } } }
      if v ~= nil and v == v then contexts[#contexts + 1] = { [v] = "as key" } end
      if type(v) == "table" then contexts[#contexts + 1] = v end
      for _, case in ipairs { { "detail", { detail = v } }, { "cause", { cause = v } },
                              { "a cause with it", { cause = authcodes.new(-207, { detail = v, cause = v }) } } } do
        current = "an error with " .. case[1] .. " = " .. name
        local r = expect_documented(authcodes.new, -204, case[2])
        check_that(r ~= nil, "new raised")
        exercise_error(r[1])
      end
      for i, ctx in ipairs(contexts) do
        current = ("an error with context #%d holding %s"):format(i, name)
        local err = authcodes.new(-204, { context = ctx })
        exercise_error(err)
        one_line(authcodes.format(authcodes.new(22002, { cause = err }), "log"), "log with a cause")
      end
    end)
    -- A cause chain that loops through every kind of value.
    local a, b = authcodes.new(22002), authcodes.new(-204, { detail = "\n" })
    a.cause, b.cause = b, a
    current = "a cyclic cause chain"
    exercise_error(a)
  end)

  describe("the catalog stays as it is", function()
    it("every write to an entry raises", function()
      local fields = { "domain", "code", "name", "aliases", "message", "description", "summary", "class", "retry",
                       "retryable", "retry_after", "http", "action", "ok", "source", "note", "is", "text",
                       "totable", "brand_new", 1 }
      for _, e in ipairs(all_entries()) do
        for _, k in ipairs(fields) do
          local where = e.domain .. "." .. e.code .. "." .. tostring(k)
          assert.is_false(pcall(function() e[k] = "hacked" end), where)
          assert.is_false(pcall(function() e[k] = nil end), where)
        end
        assert.is_false(pcall(setmetatable, e, nil))
        assert.equal("string", type(getmetatable(e)))
      end
    end)

    it("an alias list in hand cannot change the entry", function()
      local e = authcodes.lookup("wilddog", 22005)
      local as_was = e:totable()
      local list = e.aliases
      pcall(function() list[1] = "hacked" end)
      pcall(table.insert, list, "hacked")
      pcall(table.remove, list)
      pcall(table.sort, list, function(x, y) return x > y end)
      assert.same(as_was, e:totable())
      assert.equal(22005, authcodes.lookup("WDGAuthErrorCodeMaxRetries").code)
      assert.is_nil(authcodes.lookup("hacked"))
    end)

    it("error objects cannot change their entry", function()
      local err = authcodes.new(22002)
      err.code, err.name, err.is, err.summary = 1, "hacked", "hacked", "hacked"
      local fresh = authcodes.new(22002)
      assert.equal(22002, fresh.code)
      assert.equal("expired_token", fresh.name)
      assert.is_true(fresh:is("expired_token"))
      assert.equal("The supplied token has expired.", fresh.summary)
      assert.equal("string", type(getmetatable(err)))
      assert.is_false(pcall(setmetatable, err, nil))
    end)
  end)
end)

insulate("register cannot shadow or alter built-in codes", function()
  -- A fresh catalog, so that the registrations come before any built-in entry is cached.
  for k in pairs(package.loaded) do
    if k == "authcodes" or k:find("^authcodes%.") then package.loaded[k] = nil end
  end
  local ac = require "authcodes"

  it("built-in domains cannot be registered again, in any spelling", function()
    for _, d in ipairs { "wilddog", "imsdk", "WILDDOG", "Imsdk", " imsdk", "imsdk\0" } do
      local ok, why = ac.register(d, { { code = 1, name = "x", class = "OK", summary = "s" } })
      assert.is_nil(ok)
      assert.is_string(why)
    end
  end)

  it("a registered domain using built-in codes and names shadows nothing", function()
    assert.is_true(ac.register("shadow", {
      { code = 22002, name = "expired_token", aliases = { "session_expired", "success", "WDGAuthErrorCodeFailure" },
        class = "OK", summary = "Shadowed!" },
      { code = -204, name = "invalid_token", class = "OK", summary = "Shadowed too!" },
      { code = 1, name = "failure", class = "INTERNAL", summary = "Not a success." },
    }))
    for _, case in ipairs {
      { 22002, "wilddog", "expired_token" }, { "expired_token", "wilddog", "expired_token" },
      { "22002", "wilddog", "expired_token" }, { -204, "imsdk", "session_expired" },
      { "session_expired", "imsdk", "session_expired" }, { "invalid_token", "wilddog", "invalid_token" },
      { 1, "imsdk", "success" }, { "success", "imsdk", "success" },
      { "WDGAuthErrorCodeFailure", "wilddog", "failure" },
    } do
      local e = ac.lookup(case[1])
      assert.equal(case[2], e.domain, tostring(case[1]))
      assert.equal(case[3], e.name)
      local err = ac.new(case[1])
      assert.equal(case[2], err.domain)
      assert.is_false(err.class == "OK" and case[2] ~= "imsdk")
    end
    assert.is_nil((ac.lookup("failure")))   -- still ambiguous between the built-in domains
    local r, e = ac.check({ code = 1 })
    assert.equal("imsdk", e.domain)
    assert.is_table(r)
    local _, err = ac.check({ errcode = 22002 }, "wilddog")
    assert.equal("UNAUTHENTICATED", err.class)
    _, err = ac.check({ code = 22002 })
    assert.equal("wilddog", err.domain)
    -- Asked for by domain, the registered entries answer.
    assert.equal("Shadowed!", ac.lookup("shadow", 22002).summary)
    assert.equal("Shadowed!", ac.lookup("shadow.expired_token").summary)
    assert.equal("shadow", ac.new(22002, { domain = "shadow" }).domain)
  end)

  it("the built-in entries are unchanged", function()
    local e = ac.lookup(22002)
    assert.equal("UNAUTHENTICATED", e.class)
    assert.equal("reauth", e.retry)
    assert.equal("The supplied token has expired.", e.summary)
    assert.equal(401, e.http)
    assert.equal("success", ac.lookup("imsdk", 1).name)
    assert.is_true(ac.lookup("imsdk", 1).ok)
  end)

  it("a domain registered once cannot be replaced", function()
    local ok, why = ac.register("shadow", { { code = 5, name = "other", class = "OK", summary = "s" } })
    assert.is_nil(ok)
    assert.matches("already registered", why, 1, true)
    assert.equal("Shadowed!", ac.lookup("shadow", 22002).summary)
  end)
end)
