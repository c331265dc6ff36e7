-- luacheck: std +busted
-- The `authcodes` command: lookups, misses, --search, --list, --json, usage and colour,
-- through `main` in-process (spec/cli_helpers.lua); a few cases as a process.
--
--   make LUA=lua5.4 && LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" \
--     LUA_CPATH="./build/lua5.4/?.so;;" lua5.4 /usr/bin/busted spec/cli_spec.lua

local cjson = require "cjson"
local authcodes = require "authcodes"
local schema = require "authcodes.schema"
local h = require "spec.cli_helpers"
local LUA, sh, run_with, run, lines, record, display_width, count =
  h.LUA, h.sh, h.run_with, h.run, h.lines, h.record, h.display_width, h.count

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
      local function head(env) return lines(run_with({ "22002" }, { env = env }).out)[1] end
      assert.equal("wilddog.expired_token (22002): 该 token 已过期",
        head({ LC_ALL = false, LANG = "zh_TW.UTF-8" }))
      assert.equal("wilddog.expired_token (22002): The supplied token has expired.",
        head({ LC_ALL = "en_US.UTF-8", LANG = "zh_CN.UTF-8" }))
      assert.equal("wilddog.expired_token (22002): 该 token 已过期",
        head({ LC_ALL = "", LC_MESSAGES = "zh_CN", LANG = "en_US" }))
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

    it("colours a class by its severity, the class table's third column", function()
      local severity = {}
      for _, c in ipairs(schema.classes) do severity[c[1]] = c[3] end
      local by_severity, seen = {}, 0
      for _, l in ipairs(lines(run("--color=always", "-l").out)) do
        local sgr, class = l:match("\27%[(%d+)m([A-Z_]+) *\27%[0m")
        if severity[class] then
          local sev = severity[class]
          by_severity[sev] = by_severity[sev] or sgr
          assert.equal(by_severity[sev], sgr, class .. " is coloured as the other " .. sev .. " classes")
          seen = seen + 1
        end
      end
      assert.truthy(seen > 100)
      assert.equal("31", by_severity.error)        -- red
      local distinct = {}
      for _, sgr in pairs(by_severity) do distinct[sgr] = true end
      local n, m = 0, 0
      for _ in pairs(distinct) do n = n + 1 end
      for _ in pairs(by_severity) do m = m + 1 end
      assert.equal(m, n, "one colour per severity")
      assert.equal("32", by_severity.debug)        -- green: OK
    end)

    it("NO_COLOR turns off the automatic colour", function()
      local r = sh(LUA .. " bin/authcodes 22002", nil, "NO_COLOR=1 TERM=xterm")
      assert.equal(0, r.status)
      assert.is_nil(r.out:find("\27", 1, true))
      -- on a terminal: colour unless NO_COLOR is set (and not empty)
      assert.truthy(run_with({ "22002" }, { tty = true }).out:find("\27[", 1, true))
      assert.truthy(run_with({ "22002" }, { tty = true, env = { NO_COLOR = "" } }).out:find("\27[", 1, true))
      assert.is_nil(run_with({ "22002" }, { tty = true, env = { NO_COLOR = "1" } }).out:find("\27", 1, true))
      assert.is_nil(run_with({ "--color=never", "22002" }, { tty = true }).out:find("\27", 1, true))
    end)

    it("wraps records and cuts tables to the terminal's width", function()
      for _, cols in ipairs { 40, 60, 100 } do
        local r = run_with({ "--lang", "zh", "-1102" }, { tty = true, columns = cols, env = { NO_COLOR = "1" } })
        assert.equal(0, r.status)
        for _, l in ipairs(lines(r.out)) do
          if l:sub(1, 2) == "  " then assert.truthy(display_width(l) <= cols, cols .. ": " .. l) end
        end
        local t = run_with({ "-l" }, { tty = true, columns = cols, env = { NO_COLOR = "1", COLUMNS = tostring(cols) } })
        for _, l in ipairs(lines(t.out)) do
          if display_width(l) > cols then
            assert.truthy(cols < 80, "only a table wider than its fixed columns may overflow")
          end
        end
      end
      -- COLUMNS wins over what the terminal says
      local wide = run_with({ "-l" }, { tty = true, columns = 30, env = { NO_COLOR = "1", COLUMNS = "400" } })
      local cut = run_with({ "-l" }, { tty = true, columns = 400, env = { NO_COLOR = "1", COLUMNS = "120" } })
      assert.truthy(#wide.out > #cut.out)
      assert.truthy(cut.out:find("\226\128\166", 1, true))   -- ... where cut
    end)
  end)

end)
