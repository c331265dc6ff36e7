-- luacheck: std +busted
-- The `authcodes` command and what it is given: hostile arguments, keys pasted from logs,
-- stdin, and what it prints from hostile catalog text (issues #12, #14).
--
--   make LUA=lua5.4 && LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" \
--     LUA_CPATH="./build/lua5.4/?.so;;" lua5.4 /usr/bin/busted spec/cli_input_spec.lua

local cjson = require "cjson"
local authcodes = require "authcodes"
local h = require "spec.cli_helpers"
local LUA, sh, shell_quote = h.LUA, h.sh, h.shell_quote
local run, run_with, with_library = h.run, h.run_with, h.with_library
local lines, record, display_width = h.lines, h.record, h.display_width

-- bin/authcodes run by a new interpreter with `arg` set in Lua (so any bytes reach it):
-- `args` is Lua source for the arguments, `prelude` runs first.
local function run_launcher(args, prelude)
  local code = (prelude and prelude .. " " or "") .. "arg = { [0] = 'bin/authcodes', " .. args
    .. " } dofile('bin/authcodes')"
  return sh(LUA .. " -e " .. shell_quote(code))
end

local function no_traceback(r)
  assert.is_nil(r.err:find("stack traceback", 1, true))
  assert.is_nil(r.out:find("stack traceback", 1, true))
  assert.is_nil(r.err:find("%.lua:%d+:"))
end

describe("authcodes command (" .. LUA .. ")", function()

  describe("hostile input", function()
    it("a 100 KB argument: a short message, exit 1, no traceback", function()
      local big = string.rep("x", 100000)
      for _, args in ipairs { { big }, { "-s", big } } do
        local r = run((table.unpack or unpack)(args))
        assert.equal(1, r.status)
        assert.truthy(#r.err < 400)
        no_traceback(r)
      end
      local r = run("--" .. big)
      assert.equal(2, r.status)
      assert.truthy(#r.err < 400)
    end)

    it("1 MB arguments and NUL bytes (through argv): no traceback", function()
      local cases = {
        { { ("y"):rep(2^20) }, 1 }, { { "-s", ("\255"):rep(2^20) }, 1 },
        { { "expired\0_token" }, 1 }, { { "--json", "a\0b" }, 1 }, { { "--class", "OK\0" }, 2 },
        { { "-l", "wilddog\0" }, 2 }, { { "--\0" }, 2 },
      }
      for _, c in ipairs(cases) do
        local r = run_with(c[1])
        local what = ("%q"):format(table.concat(c[1], " "):sub(1, 20))
        assert.equal(c[2], r.status, what)
        assert.truthy(#r.err > 0 and #r.err < 800, what)
        no_traceback(r)
        assert.is_nil(r.err:find("%z"))
      end
      -- the same through a real process and its `arg`
      local r = run_launcher("'expired\\0_token', ('y'):rep(2^20)")
      assert.equal(1, r.status)
      no_traceback(r)
      assert.is_nil(r.err:find("%z"))
    end)

    it("invalid UTF-8 and control characters are escaped in messages", function()
      local r = run("\255\254\1abc")
      assert.equal(1, r.status)
      assert.truthy(r.err:find('"\\xff\\xfe\\x01abc"', 1, true))   -- authcodes.text.log's escapes
      local j = run("--json", "\255\27[31m")
      assert.equal(1, j.status)
      local list = cjson.decode(j.out)      -- still valid JSON (and valid UTF-8)
      assert.equal("string", type(list[1].key))
      assert.is_nil(j.out:find("\27", 1, true))
      assert.equal(2, run("--lang", "\255").status)
    end)

    it("an internal error exits 2 with a message, not a traceback", function()
      local broken = { lookup = function() error("boom") end, domains = function() return {} end }
      with_library(broken, nil, function()
        local r = run("22002")
        assert.equal(2, r.status)
        assert.truthy(r.err:find("internal error", 1, true))
        assert.truthy(r.err:find("boom", 1, true))
        assert.is_nil(r.err:find("stack traceback", 1, true))
      end)
      -- and through the launcher, as a process
      local r = run_launcher("'22002'", "package.preload.authcodes = function() return { lookup = function() "
        .. "error('boom') end, domains = function() return {} end } end")
      assert.equal(2, r.status)
      assert.truthy(r.err:find("internal error", 1, true))
      assert.is_nil(r.err:find("stack traceback", 1, true))
    end)

    it("a module that does not load: exit 2, the whole search path, and how to build it", function()
      with_library(nil, function() error("no core\n\tno file '/x/authcodes/core.so'") end, function()
        local r = run_with({ "22002" })
        assert.equal(2, r.status)
        assert.equal("", r.out)
        assert.truthy(r.err:find("cannot load the authcodes module", 1, true))
        assert.truthy(r.err:find("no core", 1, true))
        assert.truthy(r.err:find("no file '/x/authcodes/core.so'", 1, true))   -- not cut off
        assert.truthy(r.err:find("make LUA=", 1, true) or r.err:find("luarocks", 1, true))
      end)
      -- from the checkout, through the launcher: the hint is to build for this runtime
      local r = run_launcher("'22002'", "package.preload.authcodes = function() error('no core') end")
      assert.equal(2, r.status)
      assert.truthy(r.err:find("cannot load the authcodes module", 1, true))
      assert.truthy(r.err:find("make LUA=" .. LUA, 1, true))
    end)
  end)

  describe("keys as an on-call engineer has them", function()
    local function code_of(r) return record(r.out).code end

    it("takes log fields and quoted codes", function()
      for key, code in pairs {
        ["code=-204"] = "-204", ['"-207"'] = "-207", ["'-207'"] = "-207", ['\'"-207"\''] = "-207",
        ["errcode:22002"] = "22002", ['"code":-207,'] = "-207", ["errcode: 22002;"] = "22002",
        ["code='-204'"] = "-204", ['"expired_token"'] = "22002", ["imsdk:-204"] = "-204",
        ["wilddog:expired_token"] = "22002", ["  code = -204  "] = "-204",
      } do
        local r = run(key)
        assert.equal(0, r.status, key .. ": " .. r.err)
        assert.equal(code, code_of(r), key)
      end
      -- DOMAIN:KEY keeps the domain: failure is in both, imsdk:failure is one of them
      assert.equal("imsdk", record(run("imsdk:failure").out).domain)
      assert.equal(1, run("nosuch:failure").status)       -- not a domain: the key is "failure"
    end)

    it("still reports a miss with what was typed", function()
      local r = run("code=99999")
      assert.equal(1, r.status)
      assert.truthy(r.err:find("unknown code 99999", 1, true))
      local j = cjson.decode(run("--json", "code=99999").out)
      assert.equal("code=99999", j[1].key)
    end)
  end)

  describe("- reads stdin", function()
    local LOG = table.concat({
      "2026-01-01T12:00:00Z ERROR login failed domain=imsdk code=-207 name=session_get_failed",
      '{"errcode":22002,"message":"The supplied auth token has expired"}',
      "12:00:01 WARN retry errCode: \"22239\", attempt=2 pid=31337 port=8080",
      "12:00:02 ERROR domain=imsdk code=-207 again",
      "wilddog.expired_token seen, and imsdk.-204 too",
      "", "   ", "22002", "-204, 22239 -207",
    }, "\n")

    it("describes every code found in log lines, once each, in order", function()
      local r = run_with({ "-" }, { stdin = LOG })
      assert.equal(0, r.status, r.err)
      assert.equal("", r.err)
      local heads = {}
      for _, l in ipairs(lines(r.out)) do
        local name = l:match("^(%S+) %(")
        if name then heads[#heads + 1] = name end
      end
      assert.same({ "imsdk.session_get_failed", "wilddog.expired_token", "wilddog.sms_api_check_error",
                    "imsdk.session_expired" }, heads)
    end)

    it("takes a JSON reply, and says which text each code came from in --json", function()
      local r = run_with({ "--json", "-" }, { stdin = '{"code":-207,"desc":"get user session is failure!"}\n' })
      assert.equal(0, r.status, r.err)
      local list = cjson.decode(r.out)
      assert.equal(1, #list)
      assert.equal(-207, list[1].code)
      assert.equal('"code":-207', list[1].key)
      local all = cjson.decode(run_with({ "--json", "-" }, { stdin = LOG }).out)
      assert.equal("code=-207", all[1].key)
      assert.equal('"errcode":22002', all[2].key)
      assert.equal('errCode: "22239"', all[3].key)
    end)

    it("uses a line's domain= field for a code several domains have", function()
      local one = authcodes.lookup("imsdk", 1)
      local r = run_with({ "--json", "-" }, { stdin = "domain=imsdk code=1\n" })
      assert.equal(0, r.status, r.err)
      assert.equal(one.name, cjson.decode(r.out)[1].name)
    end)

    it("mixes with keys given as arguments, in their place", function()
      local r = run_with({ "--json", "-204", "-", "22002" }, { stdin = "code=-207\n" })
      assert.equal(0, r.status)
      local codes = {}
      for i, e in ipairs(cjson.decode(r.out)) do codes[i] = e.code end
      assert.same({ -204, -207, 22002 }, codes)
    end)

    it("takes a pasted list of codes, one or more a line", function()
      local r = run_with({ "--json", "-" }, { stdin = "22002, -204 22239\n-2\n" })
      assert.equal(0, r.status, r.err)
      local codes = {}
      for i, e in ipairs(cjson.decode(r.out)) do codes[i] = e.code end
      assert.same({ 22002, -204, 22239, -2 }, codes)
    end)

    it("exits 1 when stdin holds no code, or an unknown one", function()
      local r = run_with({ "-" }, { stdin = "nothing to see here\nat all\n" })
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find("no code found on stdin", 1, true))
      local e = run_with({ "-" }, { stdin = "" })
      assert.equal(1, e.status)
      local u = run_with({ "-" }, { stdin = "code=99999 and code=-204\n" })
      assert.equal(1, u.status)
      assert.truthy(u.err:find("unknown code 99999", 1, true))
      assert.equal("-204", record(u.out).code)
    end)

    it("reads stdin through the launcher too", function()
      local r = sh("printf 'x code=-204\\n' | " .. LUA .. " bin/authcodes -")
      assert.equal(0, r.status, r.err)
      assert.equal("imsdk.session_expired (-204): The user's login session has expired.", lines(r.out)[1])
    end)
  end)

  describe("--json keys", function()
    it("a lookup gives the key as typed, -l and -s give DOMAIN.NAME", function()
      local list = cjson.decode(run("--json", "EXPIRED_TOKEN", "imsdk.-204").out)
      assert.equal("EXPIRED_TOKEN", list[1].key)
      assert.equal("imsdk.-204", list[2].key)
      for _, args in ipairs { { "--json", "-l" }, { "--json", "-s", "token" } } do
        for _, e in ipairs(cjson.decode(run((table.unpack or unpack)(args)).out)) do
          assert.equal(e.domain .. "." .. e.name, e.key)
          local again = cjson.decode(run("--json", e.key).out)[1]
          assert.equal(e.code, again.code)
        end
      end
    end)
  end)

  describe("what reaches a terminal", function()
    -- Every character issue #12 names: C0, DEL, C1 (0x85 NEL, 0x9B CSI), bidi controls,
    -- line and paragraph separators; plus invalid UTF-8.
    local NASTY = { "\27[2J", "\7", "\0", "\127", "\194\133", "\194\155", "\216\156", "\226\128\142",
                    "\226\128\143", "\226\128\168", "\226\128\169", "\226\128\170", "\226\128\174",
                    "\226\129\166", "\226\129\169", "\255", "\237\160\128", "\192\175" }
    local HOSTILE = "start " .. table.concat(NASTY, " x ") .. " end 过期"

    -- A library with one entry whose every text is hostile (as a registered domain's
    -- could be): the command must show it safely whatever the catalog holds.
    local function fake_library()
      local e = { domain = "evil", code = 7, name = "bad", aliases = { "also\27bad" }, class = "UNKNOWN",
                  http = 500, retry = "never", retryable = false, action = "fix", ok = false,
                  summary = HOSTILE, message = HOSTILE, description = HOSTILE, note = HOSTILE,
                  source = "registered" }
      function e.totable(self)
        local t = {}
        for k, v in pairs(self) do if k ~= "totable" then t[k] = v end end
        return t
      end
      local function lookup(a, b)
        local key = b == nil and a or b
        if b ~= nil and a ~= "evil" then return nil, "unknown domain" end
        if key == 7 or key == "7" or key == "bad" or key == "evil.bad" then return e end
        return nil, "no such key"
      end
      return {
        _VERSION = "test", lookup = lookup, domains = function() return { "evil" } end,
        each = function() local done = false return function() if not done then done = true return e end end end,
      }
    end

    -- Valid UTF-8, decoded here independently of the command.
    local function utf8_ok(s)
      local i, n = 1, #s
      while i <= n do
        local c = s:byte(i)
        local len = c < 0x80 and 1 or (c >= 0xC2 and c <= 0xDF) and 2 or (c >= 0xE0 and c <= 0xEF) and 3
          or (c >= 0xF0 and c <= 0xF4) and 4 or nil
        if not len then return false, i end
        local cp = len == 1 and c or c % (2 ^ (7 - len))
        for j = i + 1, i + len - 1 do
          local b = s:byte(j)
          if not b or b < 0x80 or b > 0xBF then return false, i end
          cp = cp * 64 + b % 64
        end
        if (len == 3 and (cp < 0x800 or (cp >= 0xD800 and cp <= 0xDFFF)))
          or (len == 4 and (cp < 0x10000 or cp > 0x10FFFF)) then
          return false, i
        end
        i = i + len
      end
      return true
    end

    local function assert_safe(s, what)
      local ok, at = utf8_ok(s)
      assert(ok, what .. ": invalid UTF-8 at byte " .. tostring(at))
      assert.is_nil(s:find("[%z\1-\9\11-\31\127]"), what .. ": a C0 control or DEL")
      assert.is_nil(s:find("\194[\128-\159]"), what .. ": a C1 control")
      assert.is_nil(s:find("\216\156"), what .. ": U+061C")
      assert.is_nil(s:find("\226\128[\142\143\168-\174]"), what .. ": a bidi control or separator")
      assert.is_nil(s:find("\226\129[\166-\169]"), what .. ": a bidi isolate")
    end

    it("escapes catalog text in records, tables and JSON, and keeps valid UTF-8", function()
      with_library(fake_library(), nil, function()
        for _, args in ipairs { { "7" }, { "--lang", "zh", "evil.bad" }, { "-l" }, { "-s", "start" },
                                { "--json", "7" }, { "--json", "-l" } } do
          local r = run_with(args, { tty = true, columns = 60, env = { NO_COLOR = "1" } })
          assert.equal(0, r.status, table.concat(args, " ") .. r.err)
          assert_safe(r.out, table.concat(args, " "))
          assert_safe(r.err, table.concat(args, " "))
        end
        local r = run("7")
        -- shown, not acted on, as authcodes.text.terminal escapes them
        assert.truthy(r.out:find("\\x1b[2J", 1, true))
        assert.truthy(r.out:find("\\u{202e}", 1, true))
        assert.truthy(r.out:find("\\u{2066}", 1, true))
        assert.truthy(r.out:find("\\xff", 1, true))                -- each invalid byte
        assert.truthy(r.out:find("\\xed\\xa0\\x80", 1, true))      -- a surrogate's bytes
        assert.truthy(r.out:find("过期", 1, true))
        -- JSON keeps the text, as escapes: decoding gives the characters back
        local j = cjson.decode(run("--json", "7").out)[1]
        assert.truthy(j.summary:find("\226\128\174", 1, true))
        assert.truthy(j.summary:find("\27[2J", 1, true))
        assert.truthy(j.summary:find("\239\191\189", 1, true))
        assert.truthy(utf8_ok(j.summary))
      end)
    end)

    it("escapes what the user typed in every message", function()
      for _, key in ipairs(NASTY) do
        for _, args in ipairs { { "x" .. key .. "y" }, { "-s", "x" .. key }, { "-l", key }, { "--class", key },
                                { "--" .. key }, { "--json", "q" .. key } } do
          local r = run_with(args)
          local what = ("%q"):format(table.concat(args, " "))
          assert.truthy(r.status == 1 or r.status == 2, what)
          assert_safe(r.out, what)
          assert_safe(r.err, what)
        end
      end
      local r = run("a\226\128\174b\226\129\166c")
      assert.truthy(r.err:find('"a\\u{202e}b\\u{2066}c"', 1, true))
      -- a zero-width character in a key is shown too, in the same syntax
      assert.truthy(run("a\226\128\139b").err:find('"a\\u{200b}b"', 1, true))
    end)
  end)

  describe("work bounded by the input", function()
    -- No timing assertions here: the inputs are those of issue #12 (8 s and 5.8 s
    -- before) or larger, so that a quadratic regression takes minutes and cannot pass
    -- unnoticed; on PUC Lua the work is also counted in VM instructions.
    local function instructions(fn)
      local jit = rawget(_G, "jit")
      if jit then jit.off() end
      local n = 0
      debug.sethook(function() n = n + 1 end, "", 1000)
      local ok, err = pcall(fn)
      debug.sethook()
      if jit then jit.on() end
      assert(ok, err)
      return n * 1000
    end

    it("a key of a, 40k spaces, b", function()
      local key = "a" .. (" "):rep(40000) .. "b"
      local r = run(key)
      assert.equal(1, r.status)
      assert.truthy(#r.err < 400)
      local padded = run((" "):rep(2^20) .. "-204" .. (" "):rep(2^20))
      assert.equal(0, padded.status)
      assert.equal("-204", record(padded.out).code)
    end)

    it("100 unknown 64-byte keys get their did-you-mean in bounded work", function()
      local keys = {}
      for i = 1, 100 do keys[i] = (string.char(97 + i % 26)):rep(30) .. ("_token"):rep(5) .. "xxxx" end
      local r
      local n = instructions(function() r = run_with(keys) end)
      assert.equal(1, r.status)
      assert.equal(100, select(2, r.err:gsub("unknown name", "")))
      -- the old full edit distance did ~64*64 cells for each of ~500 spellings per key
      assert.truthy(n < 100 * 500 * 64 * 64 / 10, "instructions: " .. n)
    end)

    it("near misses are still found", function()
      assert.truthy(run("expird_token").err:find("did you mean wilddog.expired_token", 1, true))
      assert.truthy(run("exired_tken").err:find("did you mean wilddog.expired_token", 1, true))
      assert.is_nil(run("exrd_tkn").err:find("did you mean", 1, true))      -- 3 edits: too far
      assert.truthy(run("imsdk.sesion_expired").err:find("imsdk.session_expired", 1, true))
      local text = require "authcodes.cli.text"
      local query = require "authcodes.cli.query"
      for _, c in ipairs { { "kitten", "sitting", 3 }, { "", "ab", 2 }, { "abc", "abc", 0 }, { "ab", "ba", 2 },
                           { "flaw", "lawn", 2 }, { "a", "b", 1 } } do
        local want = c[3] > 2 and 3 or c[3]
        assert.equal(want, query.distance(c[1], c[2], 2), c[1] .. "/" .. c[2])
      end
      assert.equal("a b", text.trim(" \t a b \n "))
      assert.equal("", text.trim("     "))
    end)

    it("wrapping, cutting and scanning megabytes", function()
      local text = require "authcodes.cli.text"
      local scan = require "authcodes.cli.scan"
      local big = ("过期abc "):rep(50000)
      local n = instructions(function()
        local lines_ = text.wrap(big, 40)
        for _, l in ipairs(lines_) do assert(display_width(l) <= 40) end
        assert.truthy(display_width(text.truncate(big, 50)) <= 50)
        local word = text.wrap(("x"):rep(100000), 30)
        assert.equal(math.ceil(100000 / 30), #word)
      end)
      assert.truthy(n < 200 * (#big + 100000), "instructions: " .. n)
      -- a megabyte of commas, spaces, digits and fields on stdin
      local log = (","):rep(2^20) .. "x\n" .. ("code"):rep(2^18) .. "\n" .. (" "):rep(2^20) .. "code=-204\n"
        .. ("1"):rep(2^20) .. "\n" .. ("code=-204 "):rep(50000)
      local found = scan.codes(log, function(d) return d == "imsdk" or d == "wilddog" end)
      assert.equal(3, #found)          -- a line of one word is a key: codecode..., 111...
      assert.equal(("code"):rep(2^18), found[1].lookup)
      assert.equal("-204", found[2].lookup)
      assert.equal(("1"):rep(2^20), found[3].lookup)
      assert.equal("-204", scan.key_of((","):rep(2^20) .. "code=-204" .. (","):rep(2^20)):sub(-4))
    end)
  end)

end)
