-- luacheck: std +busted
-- The `authcodes` command as installed: --help, the man page and the completions from
-- one option table, the launcher, and `make install` (issues #14, #15).
--
--   make LUA=lua5.4 && LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" \
--     LUA_CPATH="./build/lua5.4/?.so;;" lua5.4 /usr/bin/busted spec/cli_install_spec.lua

local authcodes = require "authcodes"
local schema = require "authcodes.schema"
local h = require "spec.cli_helpers"
local LUA, have, ROOT, ABI, sh, run_process, run, lines, shell_quote, slurp =
  h.LUA, h.have, h.ROOT, h.ABI, h.sh, h.run_process, h.run, h.lines, h.shell_quote, h.slurp

describe("authcodes command (" .. LUA .. ")", function()

  describe("help, man page and completions", function()
    local args = require "authcodes.cli.args"
    local doc = require "authcodes.cli.doc"

    local function names()
      local t = {}
      for _, opt in ipairs(args.OPTIONS) do
        for _, n in ipairs(args.spellings(opt)) do t[#t + 1] = n end
      end
      return t
    end

    it("are generated from the option table, and the committed files are up to date", function()
      local domains = authcodes.domains()
      assert.equal(doc.man(), slurp("man/authcodes.1"),
        "man/authcodes.1 is out of date: run make cli-docs")
      assert.equal(doc.completion("bash", domains), slurp("completions/authcodes.bash"),
        "completions/authcodes.bash is out of date: run make cli-docs")
      assert.equal(doc.completion("zsh", domains), slurp("completions/_authcodes"),
        "completions/_authcodes is out of date: run make cli-docs")
      assert.equal(doc.completion("bash", domains), run("--completion", "bash").out)
      assert.equal(doc.completion("zsh", domains), run("--completion=zsh").out)
      assert.equal(2, run("--completion", "fish").status)
    end)

    it("every option is in --help, the man page and both completions", function()
      local help, man = run("--help").out, slurp("man/authcodes.1")
      local bash, zsh = slurp("completions/authcodes.bash"), slurp("completions/_authcodes")
      for _, n in ipairs(names()) do
        if n ~= "--no-colour" and n ~= "--colour" and n ~= "--no-color" then
          assert.truthy(help:find(n, 1, true), "--help lacks " .. n)
        end
        assert.truthy(man:find("\\fB" .. n:gsub("%-", "\\-") .. "\\fR", 1, true), "the man page lacks " .. n)
        assert.truthy(bash:find("[ ']" .. n:gsub("%-", "%%-") .. "[ ']"), "bash completion lacks " .. n)
        if n ~= "--" then assert.truthy(zsh:find("'[^']*" .. n:gsub("%-", "%%-") .. "[=%[]"), "zsh lacks " .. n) end
      end
      -- and the values: classes, retry kinds, languages, shells
      for _, c in ipairs(schema.classes) do
        assert.truthy(bash:find(c[1], 1, true)) assert.truthy(zsh:find(c[1], 1, true))
        assert.truthy(man:find(c[1], 1, true)) assert.truthy(help:find(c[1], 1, true))
      end
      for _, k in ipairs(schema.retry_kinds) do
        assert.truthy(bash:find(k, 1, true)) assert.truthy(zsh:find(k, 1, true))
      end
      for _, d in ipairs(authcodes.domains()) do assert.truthy(bash:find(d, 1, true)) end
      -- --help and the option parser agree: every option --help names is accepted
      for n in help:gmatch("%s(%-%-?[%a][%w%-]*)") do
        local r = run(n, "22002")
        assert.truthy(r.err:find("unknown option", 1, true) == nil, n)
      end
    end)

    it("the bash completion is valid bash and completes as the table says", function()
      if not have("bash") then
        pending("bash is not installed")
        return
      end
      assert.equal(0, sh("bash -n completions/authcodes.bash").status)
      local function complete(...)
        local words = { "authcodes", ... }
        local q = {}
        for i, w in ipairs(words) do q[i] = shell_quote(w) end
        local script = ". completions/authcodes.bash; COMP_WORDS=(" .. table.concat(q, " ") .. "); "
          .. "COMP_CWORD=" .. (#words - 1) .. "; _authcodes; printf '%s\\n' \"${COMPREPLY[@]}\""
        local r = sh("bash -c " .. shell_quote(script))
        assert.equal(0, r.status, r.err)
        local t = {}
        for _, l in ipairs(lines(r.out)) do if l ~= "" then t[#t + 1] = l end end
        return t
      end
      assert.same({ "--search" }, complete("--sea"))
      assert.same({ "UNAUTHENTICATED", "UNAVAILABLE", "UNIMPLEMENTED", "UNKNOWN" },
        (function() local t = complete("--class", "UN") table.sort(t) return t end)())
      assert.same({ "zh" }, complete("--lang", "z"))
      assert.same({ "wilddog" }, complete("-l", "w"))
      assert.same({ "always" }, complete("--color", "=", "al"))
      assert.same({}, complete("-20"))          -- a negative code is not an option
    end)

    it("the zsh completion is valid zsh", function()
      if not have("zsh") then
        pending("zsh is not installed: completions/_authcodes only checked against the option table")
        return
      end
      assert.equal(0, sh("zsh -n completions/_authcodes").status)
    end)

    it("the man page is valid roff", function()
      if not have("groff") then
        pending("groff is not installed: man/authcodes.1 only checked against the option table")
        return
      end
      local r = sh("groff -k -man -Tutf8 -ww -z man/authcodes.1")   -- -k: preconv, as man does
      assert.equal(0, r.status)
      assert.equal("", r.err)
    end)
  end)

  describe("the launcher", function()
    it("exits 0, 1 and 2 as --help says", function()
      assert.equal(0, run_process("22002").status)
      assert.equal(1, run_process("99999").status)
      assert.equal(2, run_process("--bogus").status)
      assert.equal(2, run_process().status)
    end)

    it("finds the checkout's modules from anywhere, without LUA_PATH", function()
      local r = sh(LUA .. " " .. shell_quote(ROOT .. "/bin/authcodes") .. " -204", "/",
        "LUA_PATH=';;' LUA_CPATH=';;'")
      assert.equal(0, r.status, r.err)
      assert.equal("imsdk.session_expired (-204): The user's login session has expired.", lines(r.out)[1])
    end)

    it("alone, without its modules: exit 2, the whole search path, how to install", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert.equal(0, sh("mkdir -p " .. shell_quote(dir .. "/bin") .. " && cp bin/authcodes "
        .. shell_quote(dir .. "/bin/")).status)
      local r = sh(LUA .. " " .. shell_quote(dir .. "/bin/authcodes") .. " 22002", "/",
        "LUA_PATH='/nowhere/?.lua' LUA_CPATH='/nowhere/?.so'")
      sh("rm -rf " .. shell_quote(dir))
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find("cannot load its modules", 1, true))
      assert.truthy(r.err:find("/nowhere/authcodes/cli.lua", 1, true), r.err)   -- the full path
      assert.truthy(r.err:find(dir .. "/share/lua/" .. ABI .. "/authcodes/cli/init.lua", 1, true), r.err)
      assert.truthy(r.err:find("make install LUA=" .. LUA .. " PREFIX=" .. dir, 1, true), r.err)
      assert.is_nil(r.err:find("stack traceback", 1, true))
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
      -- with no LUA_PATH / LUA_CPATH at all it finds the prefix's modules by itself
      local bare = sh(shell_quote(bin) .. " -204", "/", "LUA_PATH=';;' LUA_CPATH=';;'")
      assert.equal(0, bare.status, bare.err)
      assert.equal("imsdk.session_expired (-204): The user's login session has expired.", lines(bare.out)[1])
      -- and it does not reach back into the checkout: without the prefix's C module it
      -- cannot load (unless a system-wide authcodes is installed), and says where it looked
      os.remove(prefix .. "/lib/lua/" .. ABI .. "/authcodes/core.so")
      local system = sh(LUA .. " -e " .. shell_quote("package.path = '' require 'authcodes.core'"), prefix)
      if system.status ~= 0 then
        local alone = sh(shell_quote(bin) .. " -204", prefix, "LUA_CPATH=';;'")
        assert.equal(2, alone.status)
        assert.truthy(alone.err:find("cannot load the authcodes module", 1, true))
        assert.truthy(alone.err:find(prefix .. "/lib/lua/" .. ABI .. "/authcodes/core.so", 1, true), alone.err)
        assert.truthy(alone.err:find("make install LUA=" .. LUA .. " PREFIX=" .. prefix, 1, true), alone.err)
        assert.is_nil(alone.err:find(ROOT .. "/build", 1, true))
      end
    end)
  end)
end)
