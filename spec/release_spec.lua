-- tools/release_check.lua (`make release-check`) passes on the checkout and fails,
-- naming the cause, on a copy where one of the places that state the version, or the
-- license, disagrees (issue #14).

local helpers = require "spec.helpers"
local q = helpers.shell_quote

local sh = helpers.sh   -- exit status, output

local RT = require("spec.helpers").runtime()

local FILES = { "lua/authcodes.lua", "rockspec", "CHANGELOG.md", "LICENSE", "data/vendor" }

local function edit(root, path, fn)
  local p = root .. "/" .. path
  helpers.write(p, fn(helpers.slurp(p)))
end

-- A copy of what release_check reads, changed by `change(root)`; its exit status and output.
local function run(change, flags)
  local _, dir = sh("mktemp -d /tmp/authcodes-release-spec.XXXXXX")
  local root = dir:gsub("%s+$", "")
  local ok, err = pcall(function()
    for _, f in ipairs(FILES) do
      assert(sh("mkdir -p " .. q(root .. "/" .. f:match("^(.-)/?[^/]*$")) .. " && cp -R " .. q(f) .. " "
        .. q(root .. "/" .. f)) == 0)
    end
    if change then change(root) end
  end)
  local code, out = sh(RT .. " tools/release_check.lua --root " .. q(root) .. " " .. (flags or "--no-lint"))
  sh("rm -rf " .. q(root))
  assert(ok, err)
  return code, out
end

local function fails_with(text, change, flags)
  local code, out = run(change, flags)
  assert(code == 1, "release_check should fail (" .. text .. "), exit " .. tostring(code) .. ":\n" .. out)
  for line in out:gmatch("[^\n]+") do
    if line:match("^FAIL") and line:find(text, 1, true) then return end
  end
  error("no FAIL line says " .. text .. ":\n" .. out)
end

describe("make release-check (tools/release_check.lua) on " .. RT, function()
  it("passes on the checkout, luarocks lint included", function()
    local code, out = sh(RT .. " tools/release_check.lua")
    assert(code == 0, out)
    assert.truthy(out:find("ok    luarocks lint rockspec/authcodes-scm-1.rockspec", 1, true), out)
  end)

  it("passes on an unchanged copy (outside git: not tagged yet)", function()
    local code, out = run(nil)
    assert(code == 0, out)
    assert.truthy(out:find("not tagged yet", 1, true))
  end)

  it("fails when _VERSION moves without the rockspec and the changelog", function()
    local change = function(root)
      edit(root, "lua/authcodes.lua", function(s) return (s:gsub('_VERSION = "[^"]*"', '_VERSION = "9.9.9"')) end)
    end
    fails_with("no rockspec/authcodes-9.9.9-N.rockspec", change)
    fails_with("CHANGELOG.md: top entry", change)
  end)

  it("fails when the release rockspec's version, tag or URL disagree", function()
    local _, out = sh("ls rockspec")
    local release = out:match("(authcodes%-%d+%.%d+%.%d+%-%d+%.rockspec)")
    assert(release, out)
    fails_with("source.tag", function(root)
      edit(root, "rockspec/" .. release, function(s) return (s:gsub('tag = "v[^"]*"', 'tag = "v0.0.1"')) end)
    end)
    fails_with("does not match its file name", function(root)
      edit(root, "rockspec/" .. release, function(s)
        return (s:gsub('\nversion = "[^"]*"', '\nversion = "0.0.1-1"'))
      end)
    end)
    fails_with("source.url missing or example.invalid", function(root)
      edit(root, "rockspec/" .. release, function(s)
        return (s:gsub('url = "[^"]*"', 'url = "git+https://example.invalid/authcodes.git"', 1))
      end)
    end)
  end)

  it("fails when the scm rockspec drifts from the release one", function()
    fails_with("differ in dependencies", function(root)
      edit(root, "rockspec/authcodes-scm-1.rockspec", function(s) return (s:gsub('\n  "lua%-cjson",', "", 1)) end)
    end)
  end)

  it("fails when the changelog's top entry is another version or has no date", function()
    fails_with("CHANGELOG.md: top entry", function(root)
      edit(root, "CHANGELOG.md", function(s) return (s:gsub("\n## %[", "\n## [0.0.9] - 2026-01-01\n\n## [", 1)) end)
    end)
    fails_with("CHANGELOG.md: top entry", function(root)
      edit(root, "CHANGELOG.md", function(s) return (s:gsub("(\n## %[[^%]]+%]) %- [%d%-]+", "%1", 1)) end)
    end)
  end)

  it("fails without a LICENSE, and when it does not say where a vendor table comes from", function()
    fails_with("LICENSE is missing", function(root) os.remove(root .. "/LICENSE") end)
    fails_with("data/vendor/newvendor-seed.md", function(root)
      helpers.write(root .. "/data/vendor/newvendor-seed.md", "| 1 | x | y |\n")
    end)
  end)

  it("checks the man page's version when there is one", function()
    local code, out = run(function(root)
      assert(os.execute("mkdir -p " .. q(root .. "/man")))
      local v = helpers.slurp("lua/authcodes.lua"):match('_VERSION = "([^"]*)"')
      helpers.write(root .. "/man/authcodes.1", '.TH AUTHCODES 1 "2026-12-01" "authcodes ' .. v .. '"\n')
    end)
    assert(code == 0, out)
    fails_with("man/authcodes.1: its .TH line does not name", function(root)
      assert(os.execute("mkdir -p " .. q(root .. "/man")))
      helpers.write(root .. "/man/authcodes.1", '.TH AUTHCODES 1 "2026-12-01" "authcodes 0.0.1"\n')
    end)
  end)

  it("fails when luarocks lint rejects a rockspec", function()
    fails_with("luarocks lint rockspec/authcodes-scm-1.rockspec", function(root)
      edit(root, "rockspec/authcodes-scm-1.rockspec", function(s) return s .. "\nbogus_field = 1\n" end)
    end, "")
  end)
end)
