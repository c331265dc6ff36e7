-- luacheck: std +busted
-- The `authcodes` command, run for real: each test starts bin/authcodes as a subprocess
-- with the interpreter named by AUTHCODES_LUA (default lua5.4), from the checkout, and
-- checks its stdout, stderr and exit status.
--
--   make LUA=lua5.4 && LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" \
--     LUA_CPATH="./build/lua5.4/?.so;;" lua5.4 /usr/bin/busted spec/cli_spec.lua

local cjson = require "cjson"
local authcodes = require "authcodes"
local schema = require "authcodes.schema"

local LUA = os.getenv("AUTHCODES_LUA") or "lua5.4"

local helpers = require "spec.helpers"
local shell_quote, slurp = helpers.shell_quote, helpers.slurp

local function capture(cmd)
  local p = assert(io.popen(cmd))
  local s = p:read("*a")
  p:close()
  return s
end

-- The checkout root, absolute: this file is <root>/spec/cli_spec.lua.
local ROOT = (function()
  local src = debug.getinfo(1, "S").source:sub(2)
  local dir = src:match("^(.*)/spec/[^/]*$") or "."
  return (capture("cd " .. shell_quote(dir) .. " && pwd"):gsub("\n$", ""))
end)()

local ABI = LUA == "luajit" and "5.1" or LUA:match("^lua(%d%.%d)$") or "5.4"

--- Run a shell command line in `dir` (the checkout by default) with a fixed locale and
-- no colour preference; returns { out, err, status }.
local function sh(cmdline, dir, env)
  local out, err, st = os.tmpname(), os.tmpname(), os.tmpname()
  local full = string.format("cd %s && (env LC_ALL=C NO_COLOR= %s %s) >%s 2>%s </dev/null; echo $? >%s",
    shell_quote(dir or ROOT), env or "", cmdline, out, err, st)
  os.execute(full)
  local r = { out = slurp(out), err = slurp(err), status = tonumber(slurp(st):match("%d+")) }
  os.remove(out) os.remove(err) os.remove(st)
  return r
end

--- Run bin/authcodes with these arguments (each one shell-quoted).
local function run(...)
  local args = { LUA, "bin/authcodes" }
  for i = 1, select("#", ...) do args[#args + 1] = shell_quote((select(i, ...))) end
  return sh(table.concat(args, " "))
end

--- Run bin/authcodes with an `arg` table built by Lua code (for what argv cannot carry:
-- NUL bytes, strings over the kernel's 128 KB argument limit) and an optional prelude.
local function run_lua(args_expr, prelude)
  local code = (prelude or "") .. " arg = { [0] = 'bin/authcodes', " .. args_expr .. " } "
    .. "dofile('bin/authcodes')"
  return sh(LUA .. " -e " .. shell_quote(code))
end

local function lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

-- A record's "  label  value" lines as a map (first occurrence), plus the headline.
local function record(s)
  local ls = lines(s)
  local fields = {}
  for _, l in ipairs(ls) do
    local label, value = l:match("^  (%S.-)  +(%S.*)$")
    if label and fields[label] == nil then fields[label] = value end
  end
  return fields, ls[1]
end

local function no_traceback(r)
  assert.is_nil(r.err:find("stack traceback", 1, true))
  assert.is_nil(r.out:find("stack traceback", 1, true))
  assert.is_nil(r.err:find("%.lua:%d+:"))
end

-- Display width, written independently of the command's: one column per character, two
-- for the CJK / fullwidth blocks the catalog uses.
local function display_width(s)
  local w = 0
  for ch in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    local cp
    local b = { ch:byte(1, -1) }
    if #b == 1 then cp = b[1]
    elseif #b == 2 then cp = (b[1] % 32) * 64 + b[2] % 64
    elseif #b == 3 then cp = ((b[1] % 16) * 64 + b[2] % 64) * 64 + b[3] % 64
    else cp = (((b[1] % 8) * 64 + b[2] % 64) * 64 + b[3] % 64) * 64 + b[4] % 64 end
    local wide = (cp >= 0x1100 and cp <= 0x115F) or (cp >= 0x2E80 and cp <= 0xA4CF)
      or (cp >= 0xAC00 and cp <= 0xD7A3) or (cp >= 0xF900 and cp <= 0xFAFF)
      or (cp >= 0xFE30 and cp <= 0xFE4F) or (cp >= 0xFF00 and cp <= 0xFF60)
      or (cp >= 0xFFE0 and cp <= 0xFFE6) or (cp >= 0x20000 and cp <= 0x3FFFD)
    w = w + (wide and 2 or 1)
  end
  return w
end

local function count(domain)
  local n = 0
  for _ in authcodes.each(domain) do n = n + 1 end
  return n
end

describe("authcodes command (" .. LUA .. ")", function()

  describe("one key, one record", function()
    local forms = { "22002", "expired_token", "EXPIRED_TOKEN", "wilddog.expired_token",
                    "WDGAuthErrorCodeExpiredToken", "wilddog.22002" }
    for _, key in ipairs(forms) do
      it("describes wilddog 22002 given " .. key, function()
        local r = run(key)
        assert.equal(0, r.status)
        assert.equal("", r.err)
        local f, head = record(r.out)
        assert.equal("wilddog.expired_token (22002): The supplied token has expired.", head)
        assert.equal("wilddog", f.domain)
        assert.equal("22002", f.code)
        assert.equal("expired_token", f.name)
        assert.equal("WDGAuthErrorCodeExpiredToken", f.aliases)
        assert.equal("UNAUTHENTICATED", f.class)
        assert.equal("401 Unauthorized", f.http)
        assert.truthy(f.retry:find("^reauth %- "))
        assert.equal("relogin", f.action)
        assert.equal("The supplied token has expired.", f.summary)
        assert.equal("expired_token", f.message)
        assert.equal("The supplied auth token has expired", f["sdk message"])
        assert.equal("该 token 已过期", f.description)
        assert.truthy(f.source:find("^seed"))
      end)
    end

    it("takes a negative code as a code, not an option", function()
      local r = run("-204")
      assert.equal(0, r.status)
      assert.equal("", r.err)
      local f, head = record(r.out)
      assert.equal("imsdk.session_expired (-204): The user's login session has expired.", head)
      assert.equal("-204", f.code)
      assert.equal("imsdk", f.domain)
      assert.equal("user session is failure!", f.message)
      assert.equal("用户登录态过期", f.description)
      assert.is_nil(f.aliases)          -- no aliases, no line
    end)

    it("shows the retry delay and the note", function()
      local f = record(run("-2").out)
      assert.equal("429 Too Many Requests", f.http)
      assert.truthy(f.retry:find("^after_delay .*wait 5 s"))
      assert.truthy(f.note:find("retry_after 5", 1, true))
      assert.truthy(f.source:find("^vendor_doc"))
    end)

    it("shows the vendor documentation's longer wording where there is one", function()
      local f = record(run("-1102").out)
      assert.equal("params platform is error!", f.message)
      assert.truthy(f["doc message"]:find("access limit", 1, true))
      assert.truthy(f["doc description"])
    end)

    it("prints one record per key, in order", function()
      local r = run("22002", "-204", "wilddog.failure")
      assert.equal(0, r.status)
      local heads = {}
      for _, l in ipairs(lines(r.out)) do
        local name = l:match("^(%S+) %(")
        if name then heads[#heads + 1] = name end
      end
      assert.same({ "wilddog.expired_token", "imsdk.session_expired", "wilddog.failure" }, heads)
    end)

    it("--lang zh leads with the Chinese description, labels in Chinese", function()
      local r = run("--lang", "zh", "22002")
      assert.equal(0, r.status)
      local f, head = record(r.out)
      assert.equal("wilddog.expired_token (22002): 该 token 已过期", head)
      assert.equal("该 token 已过期", f["说明"])
      assert.equal("The supplied token has expired.", f["英文摘要"])
      assert.equal("UNAUTHENTICATED", f["类别"])
      local zh, en = r.out:find("说明", 1, true), r.out:find("英文摘要", 1, true)
      assert.truthy(zh < en)
      -- labels of different display widths still line up: every value starts in one column
      local starts = {}
      for _, l in ipairs(lines(r.out)) do
        local label_and_gap = l:match("^(  %S.-  +)%S")
        if label_and_gap then starts[display_width(label_and_gap)] = true end
      end
      local n = 0
      for _ in pairs(starts) do n = n + 1 end
      assert.equal(1, n)
    end)

    it("--lang zh falls back to English where the vendor gave no Chinese", function()
      local e = authcodes.lookup(-602)
      assert.is_nil(e.description)
      local _, head = record(run("--lang", "zh", "-602").out)
      assert.equal("imsdk." .. e.name .. " (-602): " .. e.summary, head)
    end)

    it("picks the language from LC_ALL / LANG when --lang is not given", function()
      local r = sh(LUA .. " bin/authcodes 22002", nil, "LC_ALL=zh_CN.UTF-8")
      assert.equal("wilddog.expired_token (22002): 该 token 已过期", lines(r.out)[1])
    end)
  end)

  describe("misses", function()
    it("an unknown code exits 1 and says how to list the codes", function()
      local r = run("99999")
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find("unknown code 99999", 1, true))
      assert.truthy(r.err:find("authcodes -l", 1, true))
    end)

    it("an unknown name exits 1 and suggests the closest names", function()
      local r = run("expird_token")
      assert.equal(1, r.status)
      assert.truthy(r.err:find('unknown name "expird_token"', 1, true))
      assert.truthy(r.err:find("did you mean wilddog.expired_token", 1, true))
      assert.truthy(r.err:find("authcodes -s expird_token", 1, true))
    end)

    it("an ambiguous name exits 1 and shows the qualified names to type", function()
      local r = run("failure")
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find('ambiguous name "failure"', 1, true))
      assert.truthy(r.err:find("authcodes imsdk.failure", 1, true))
      assert.truthy(r.err:find("authcodes wilddog.failure", 1, true))
      -- and --help documents that choice
      assert.truthy(run("--help").out:find("1  nothing matched:.-ambiguous"))
    end)

    it("a name in the wrong domain says where it is", function()
      local r = run("imsdk.expired_token")
      assert.equal(1, r.status)
      assert.truthy(r.err:find("it is wilddog.expired_token (22002)", 1, true))
    end)

    it("an unknown domain in a key lists the domains", function()
      local r = run("nosuch.expired_token")
      assert.equal(1, r.status)
      assert.truthy(r.err:find("imsdk, transport, wilddog", 1, true))
    end)

    it("prints what it found and exits 1 when some keys miss", function()
      local r = run("22002", "99999")
      assert.equal(1, r.status)
      assert.equal("wilddog", record(r.out).domain)
      assert.truthy(r.err:find("unknown code 99999", 1, true))
    end)
  end)

  describe("--search", function()
    local function names_of(r)
      local t = {}
      for _, e in ipairs(cjson.decode(r.out)) do t[#t + 1] = e.domain .. "." .. e.name end
      return t
    end

    it("finds every code containing all the words, in any case", function()
      local r = run("--json", "-s", "token", "EXPIRED")
      assert.equal(0, r.status)
      local list = cjson.decode(r.out)
      assert.truthy(#list >= 2)
      for _, e in ipairs(list) do
        local hay = { table.concat(e.aliases, " ") }
        for _, k in ipairs { "name", "message", "sdk_message", "doc_message", "summary",
                             "description", "doc_description" } do
          if type(e[k]) == "string" then hay[#hay + 1] = e[k] end
        end
        hay = table.concat(hay, "\n"):lower()
        assert.truthy(hay:find("token", 1, true))
        assert.truthy(hay:find("expired", 1, true))
      end
      assert.same(names_of(r), names_of(run("--json", "--search", "TOKEN expired")))
      assert.same(names_of(r), names_of(run("--json", "-s", "token expired")))
    end)

    it("searches the Chinese description", function()
      local r = run("-s", "过期")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("expired_token", 1, true))
      assert.truthy(r.out:find("session_expired", 1, true))
      local only = names_of(run("--json", "-s", "过期", "zalo"))
      assert.same({ "imsdk.zalo_token_expired" }, only)
    end)

    it("prints an aligned table: domain, code, name, class, summary", function()
      local r = run("-s", "expired_token")
      local ls = lines(r.out)
      assert.equal(2, #ls)
      assert.truthy(ls[1]:find("^DOMAIN%s+CODE%s+NAME%s+CLASS%s+SUMMARY$"))
      assert.truthy(ls[2]:find(
        "^wilddog%s+22002%s+expired_token%s+UNAUTHENTICATED%s+The supplied token has expired%.$"))
    end)

    it("lines up a table with Chinese text by display width", function()
      local r = run("--lang", "zh", "-s", "过期")
      assert.equal(0, r.status)
      local list = cjson.decode(run("--json", "-s", "过期").out)
      local ls = lines(r.out)
      assert.equal(#list + 1, #ls)
      -- where each column starts (code: where it ends), in display columns
      local function columns(line, cells)
        local at, pos = {}, 1
        for i, cell in ipairs(cells) do
          local s, e = line:find(cell, pos, true)
          assert.truthy(s, "cell " .. cell .. " in " .. line)
          at[i] = i == 2 and display_width(line:sub(1, e)) or display_width(line:sub(1, s - 1))
          pos = e + 1
        end
        return at
      end
      local want = columns(ls[1], { "域", "错误码", "名称", "类别", "说明" })
      assert.equal(0, want[1])
      for i, e in ipairs(list) do
        local text = type(e.description) == "string" and e.description or e.summary
        local code = string.format("%d", e.code)   -- cjson decodes numbers as floats on 5.3+
        assert.same(want, columns(ls[i + 1], { e.domain, code, e.name, e.class, text }))
      end
    end)

    it("finds nothing: exit 1, nothing on stdout, a hint on stderr", function()
      local r = run("-s", "zzzz-no-such-word")
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find("no code matches", 1, true))
      local j = run("--json", "-s", "zzzz-no-such-word")
      assert.equal(1, j.status)
      assert.same({}, cjson.decode(j.out))
    end)

    it("without words is bad usage", function()
      local r = run("-s")
      assert.equal(2, r.status)
      assert.truthy(r.err:find("authcodes -s token expired", 1, true))
    end)

    it("takes --class and --retry filters", function()
      local list = cjson.decode(run("--json", "-s", "token", "--class", "unauthenticated",
                                    "--retry", "reauth").out)
      assert.truthy(#list > 0)
      for _, e in ipairs(list) do
        assert.equal("UNAUTHENTICATED", e.class)
        assert.equal("reauth", e.retry)
      end
    end)
  end)

  describe("--list", function()
    it("lists every code of every domain, in domain and code order", function()
      local r = run("-l")
      assert.equal(0, r.status)
      local total = 0
      for _, d in ipairs(authcodes.domains()) do total = total + count(d) end
      assert.equal(total + 1, #lines(r.out))
      local list = cjson.decode(run("--json", "--list").out)
      assert.equal(total, #list)
      for i = 2, #list do
        local a, b = list[i - 1], list[i]
        assert.truthy(a.domain < b.domain or (a.domain == b.domain and a.code < b.code))
      end
    end)

    it("lists one domain", function()
      local list = cjson.decode(run("--json", "-l", "wilddog").out)
      assert.equal(count("wilddog"), #list)
      for _, e in ipairs(list) do assert.equal("wilddog", e.domain) end
      assert.equal(count("imsdk"), #cjson.decode(run("--json", "--list=IMSDK").out))
    end)

    it("filters by class and retry kind", function()
      local want = 0
      for e in authcodes.each("imsdk") do
        if e.class == "UNAVAILABLE" and e.retry == "backoff" then want = want + 1 end
      end
      assert.truthy(want > 0)
      local list = cjson.decode(run("--json", "-l", "imsdk", "--class=UNAVAILABLE", "--retry", "backoff").out)
      assert.equal(want, #list)
      local delayed = cjson.decode(run("--json", "--retry", "after_delay").out)   -- a filter alone lists
      assert.truthy(#delayed > 0)
      for _, e in ipairs(delayed) do
        assert.equal("after_delay", e.retry)
        assert.truthy(e.retry_after > 0)
      end
    end)

    it("rejects an unknown class with the list of classes (exit 2)", function()
      local r = run("-l", "--class", "NOPE")
      assert.equal(2, r.status)
      assert.equal("", r.out)
      for _, c in ipairs(schema.classes) do assert.truthy(r.err:find(c[1], 1, true)) end
      assert.truthy(run("--class", "unauthenticatd").err:find("did you mean UNAUTHENTICATED", 1, true))
    end)

    it("rejects an unknown retry kind with the list of kinds (exit 2)", function()
      local r = run("-l", "--retry", "sometimes")
      assert.equal(2, r.status)
      assert.truthy(r.err:find(table.concat(schema.retry_kinds, " "), 1, true))
    end)

    it("rejects an unknown domain with the domains to type (exit 2)", function()
      local r = run("-l", "nosuchdomain")
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find('unknown domain "nosuchdomain"', 1, true))
      assert.truthy(r.err:find("imsdk, transport, wilddog", 1, true))
      assert.truthy(run("-l", "wildog").err:find("did you mean wilddog", 1, true))
    end)

    it("exits 1 when the filters leave nothing", function()
      local r = run("-l", "--class", "OK", "--retry", "reauth")
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find("no code", 1, true))
    end)
  end)

  describe("--json", function()
    it("gives an array with one object per key, with code and name", function()
      local r = run("--json", "22002", "-204")
      assert.equal(0, r.status)
      local list = cjson.decode(r.out)
      assert.equal(2, #list)
      assert.equal(22002, list[1].code)
      assert.equal("expired_token", list[1].name)
      assert.equal("wilddog", list[1].domain)
      assert.same({ "WDGAuthErrorCodeExpiredToken" }, list[1].aliases)
      assert.equal(401, list[1].http)
      assert.equal("该 token 已过期", list[1].description)
      assert.equal(-204, list[2].code)
      assert.equal("session_expired", list[2].name)
      assert.equal(0, #list[2].aliases)
      assert.is_true(r.out:find('"aliases":[]', 1, true) ~= nil)   -- an array, not {}
      assert.equal(cjson.null, list[2].note)
    end)

    it("puts a miss in place as {key, error} and exits 1", function()
      local r = run("--json", "nope", "22002")
      assert.equal(1, r.status)
      local list = cjson.decode(r.out)
      assert.equal("nope", list[1].key)
      assert.truthy(list[1].error:find("unknown name", 1, true))
      assert.equal(22002, list[2].code)
    end)
  end)

  describe("usage", function()
    it("--help explains the forms and exits 0", function()
      local r = run("--help")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("^Usage: authcodes"))
      for _, s in ipairs { "--search", "--list", "--class", "--retry", "--json", "--lang", "--color", "-204" } do
        assert.truthy(r.out:find(s, 1, true), s)
      end
      assert.equal(r.out, run("-h").out)
    end)

    it("--version gives authcodes._VERSION", function()
      local r = run("--version")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("authcodes " .. authcodes._VERSION, 1, true))
    end)

    it("an unknown option exits 2 and points to --help", function()
      local r = run("--bogus", "22002")
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find('unknown option "--bogus"', 1, true))
      assert.truthy(r.err:find("--help", 1, true))
      assert.truthy(run("--jsn", "1").err:find("did you mean --json", 1, true))
      assert.equal(2, run("-x").status)
      assert.equal(2, run("-ls").status)
    end)

    it("no arguments, an empty key, a missing value, a bad value: exit 2", function()
      assert.equal(2, run().status)
      assert.truthy(run().err:find("authcodes 22002", 1, true))
      assert.equal(2, run("").status)
      assert.equal(2, run("--class").status)
      assert.truthy(run("-l", "--class").err:find("--class needs a value", 1, true))
      assert.equal(2, run("--lang", "fr", "1").status)
      assert.equal(2, run("--color=blue", "1").status)
      assert.equal(2, run("--json=yes", "1").status)
      assert.equal(2, run("-s", "x", "-l").status)
      assert.equal(2, run("22002", "--class", "OK").status)
    end)

    it("-- ends the options", function()
      local r = run("--", "--json")
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find('unknown name "--json"', 1, true))
      assert.truthy(r.err:find("authcodes -s WORDS", 1, true))
      assert.equal(0, run("--", "-204").status)
    end)
  end)

  describe("colour", function()
    it("is off when stdout is not a terminal, on with --color=always", function()
      assert.is_nil(run("22002").out:find("\27", 1, true))
      assert.is_nil(run("-l").out:find("\27", 1, true))
      assert.is_nil(run("--color=never", "22002").out:find("\27", 1, true))
      assert.truthy(run("--color=always", "22002").out:find("\27[", 1, true))
      assert.truthy(run("--color", "-s", "token").out:find("\27[", 1, true))
      assert.is_nil(run("--color=always", "--no-color", "22002").out:find("\27", 1, true))
    end)

    it("NO_COLOR turns off the automatic colour", function()
      local r = sh(LUA .. " bin/authcodes 22002", nil, "NO_COLOR=1 TERM=xterm")
      assert.equal(0, r.status)
      assert.is_nil(r.out:find("\27", 1, true))
    end)
  end)

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

    it("1 MB arguments and NUL bytes (through arg): no traceback", function()
      local cases = {
        { "('y'):rep(2^20)", 1 }, { "'-s', ('\\255'):rep(2^20)", 1 },
        { "'expired\\0_token'", 1 }, { "'--json', 'a\\0b'", 1 }, { "'--class', 'OK\\0'", 2 },
        { "'-l', 'wilddog\\0'", 2 }, { "'--\\0'", 2 },
      }
      for _, c in ipairs(cases) do
        local r = run_lua(c[1])
        assert.equal(c[2], r.status, c[1])
        assert.truthy(#r.err > 0 and #r.err < 800, c[1])
        no_traceback(r)
        assert.is_nil(r.err:find("%z"))
      end
    end)

    it("invalid UTF-8 and control characters are escaped in messages", function()
      local r = run("\255\254\1abc")
      assert.equal(1, r.status)
      assert.truthy(r.err:find('"\\xFF\\xFE\\x01abc"', 1, true))
      local j = run("--json", "\255\27[31m")
      assert.equal(1, j.status)
      local list = cjson.decode(j.out)      -- still valid JSON (and valid UTF-8)
      assert.equal("string", type(list[1].key))
      assert.is_nil(j.out:find("\27", 1, true))
      assert.equal(2, run("--lang", "\255").status)
    end)

    it("an internal error exits 2 with a message, not a traceback", function()
      local r = run_lua("'22002'", "package.preload.authcodes = function() return { "
        .. "lookup = function() error('boom') end, domains = function() return {} end } end")
      assert.equal(2, r.status)
      assert.truthy(r.err:find("internal error", 1, true))
      assert.is_nil(r.err:find("stack traceback", 1, true))
    end)

    it("a module that does not load: exit 2 and how to build it", function()
      local r = run_lua("'22002'", "package.preload.authcodes = function() error('no core') end")
      assert.equal(2, r.status)
      assert.truthy(r.err:find("cannot load the authcodes module", 1, true))
      assert.truthy(r.err:find("make LUA=", 1, true))
    end)
  end)

  describe("make install", function()
    local prefix

    before_each(function()
      prefix = os.tmpname()
      os.remove(prefix)
      assert.equal(0, sh("mkdir -p " .. shell_quote(prefix)).status)
    end)

    after_each(function()
      if prefix and prefix:find("^/tmp/") then sh("rm -rf " .. shell_quote(prefix)) end
    end)

    it("installs bin/authcodes for the runtime, and it runs from the prefix", function()
      local r = sh("make --no-print-directory LUA=" .. LUA .. " PREFIX=" .. shell_quote(prefix) .. " install")
      assert.equal(0, r.status, r.err)
      local bin = prefix .. "/bin/authcodes"
      assert.equal("#!/usr/bin/env " .. LUA, lines(slurp(bin))[1])
      assert.equal(0, sh("test -x " .. shell_quote(bin)).status)
      -- run by its shebang, from outside the checkout, with only the prefix on the paths
      local env = string.format("LUA_PATH=%s LUA_CPATH=%s",
        shell_quote(prefix .. "/share/lua/" .. ABI .. "/?.lua;;"),
        shell_quote(prefix .. "/lib/lua/" .. ABI .. "/?.so;;"))
      local run_installed = sh(shell_quote(bin) .. " -204", prefix, env)
      assert.equal(0, run_installed.status, run_installed.err)
      assert.equal("imsdk.session_expired (-204): The user's login session has expired.",
        lines(run_installed.out)[1])
      local v = sh(shell_quote(bin) .. " --version", prefix, env)
      assert.truthy(v.out:find("authcodes " .. authcodes._VERSION, 1, true))
      -- and it does not reach back into the checkout: without the prefix's C module it
      -- cannot load (unless a system-wide authcodes is installed)
      local system = sh(LUA .. " -e " .. shell_quote("package.path = '' require 'authcodes.core'"), prefix)
      if system.status ~= 0 then
        local alone = sh(shell_quote(bin) .. " -204", prefix,
          string.format("LUA_PATH=%s LUA_CPATH=';;'", shell_quote(prefix .. "/share/lua/" .. ABI .. "/?.lua;;")))
        assert.equal(2, alone.status)
        assert.truthy(alone.err:find("cannot load the authcodes module", 1, true))
      end
    end)
  end)
end)
