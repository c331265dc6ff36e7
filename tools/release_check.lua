-- release_check.lua: do the places that state authcodes' version agree? (issue #14)
--
--   lua5.4 tools/release_check.lua [--root DIR] [--tagged] [--no-lint]
--
-- `make release-check` runs it; so does `make test` (suite "release-check").
-- Checks, each printed as `ok ...` or `FAIL ...`:
--   * `_VERSION` in lua/authcodes.lua is a semantic version V (x.y.z);
--   * rockspec/authcodes-V-N.rockspec exists: package authcodes, version V-N, source
--     tag vV, a source URL and a homepage that are not example.invalid, license MIT;
--     no rockspec of a later version; the scm rockspec is the same but for version and
--     source (so a change to one is made to both);
--   * CHANGELOG.md: its top version entry (an `## [Unreleased]` section may sit above)
--     is `## [V] - YYYY-MM-DD`, with a link reference `[V]: ...`;
--   * LICENSE exists, is the MIT license, and names every file of data/vendor/ (where
--     each vendor table comes from);
--   * man/authcodes.1, when it exists: its .TH line names V;
--   * the git tag vV, when it exists, is a commit whose _VERSION is V (with --tagged,
--     the tag must exist);
--   * `luarocks lint` accepts every rockspec.
-- Exit status 0 when every check passed. --no-lint skips `luarocks lint` (and says so):
-- spec/release_spec.lua uses it for the cases that are not about linting.

local root, tagged, lint = ".", false, true
do
  local i = 1
  while arg[i] do
    if arg[i] == "--root" then root = assert(arg[i + 1], "--root needs a directory"); i = i + 1
    elseif arg[i] == "--tagged" then tagged = true
    elseif arg[i] == "--no-lint" then lint = false
    else io.stderr:write("usage: release_check.lua [--root DIR] [--tagged] [--no-lint]\n"); os.exit(2) end
    i = i + 1
  end
end

local failed = 0
local function ok(msg) print("ok    " .. msg) end
local function fail(msg) failed = failed + 1; print("FAIL  " .. msg) end
local function check(cond, good, bad) if cond then ok(good) else fail(bad) end; return cond end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function path(p) return root .. "/" .. p end

local function read(p)
  local f = io.open(path(p), "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function sh(cmd)
  local p = assert(io.popen("cd " .. q(root) .. " && (" .. cmd .. ") 2>&1; echo \"EXIT:$?\""))
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("EXIT:(%d+)%s*$")), (out:gsub("EXIT:%d+%s*$", ""))
end

local function ls(dir)
  local _, out = sh("ls -1 " .. q(dir) .. " 2>/dev/null")
  local t = {}
  for name in out:gmatch("[^\n]+") do t[#t + 1] = name end
  return t
end

-- A rockspec's fields: run it in an empty environment (it is plain assignments).
local function load_rockspec(p)
  local src = read(p)
  if not src then return nil, "cannot read " .. p end
  local env = {}
  local chunk, err
  if setfenv then   -- Lua 5.1, LuaJIT
    chunk, err = loadstring(src, "@" .. p)
    if chunk then setfenv(chunk, env) end
  else
    chunk, err = load(src, "@" .. p, "t", env)
  end
  if not chunk then return nil, err end
  local fine, why = pcall(chunk)
  if not fine then return nil, why end
  return env
end

-- A canonical text of a value, to compare tables.
local function dump(v)
  if type(v) ~= "table" then return string.format("%q", tostring(v)) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = "[" .. dump(k) .. "]=" .. dump(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function semver(s)
  local a, b, c = s:match("^(%d+)%.(%d+)%.(%d+)$")
  return a and { tonumber(a), tonumber(b), tonumber(c) }
end
local function newer(a, b)
  for i = 1, 3 do if a[i] ~= b[i] then return a[i] > b[i] end end
  return false
end

-- _VERSION ------------------------------------------------------------------------------
local module_src = read("lua/authcodes.lua") or ""
local V = module_src:match("\n%s*_VERSION%s*=%s*\"([^\"]*)\"")
if not check(V and semver(V), "lua/authcodes.lua: _VERSION = \"" .. tostring(V) .. "\"",
    "lua/authcodes.lua: no _VERSION = \"x.y.z\" found (got " .. tostring(V) .. ")") then
  print("release-check: " .. failed .. " failed")
  os.exit(1)
end
local Vt = semver(V)

-- Rockspecs -----------------------------------------------------------------------------
local release_file, scm_file
for _, name in ipairs(ls("rockspec")) do
  local ver = name:match("^authcodes%-(.+)%.rockspec$")
  if ver == "scm-1" then scm_file = "rockspec/" .. name
  elseif ver then
    local v = ver:match("^(%d+%.%d+%.%d+)%-%d+$")
    if not v then fail("rockspec/" .. name .. ": version " .. ver .. " is not x.y.z-N")
    elseif v == V then
      if release_file then fail("two rockspecs for " .. V .. ": " .. release_file .. ", rockspec/" .. name) end
      release_file = "rockspec/" .. name
    elseif newer(semver(v), Vt) then
      fail("rockspec/" .. name .. " is newer than _VERSION " .. V)
    end
  end
end

local release
if check(release_file, "rockspec: " .. tostring(release_file),
    "rockspec: no rockspec/authcodes-" .. V .. "-N.rockspec") then
  local r, err = load_rockspec(release_file)
  if check(r, release_file .. " loads", release_file .. " does not load: " .. tostring(err)) then
    release = r
    local rev = release_file:match("%-(%d+)%.rockspec$")
    check(r.package == "authcodes", "package authcodes", release_file .. ": package is " .. tostring(r.package))
    check(r.version == V .. "-" .. rev, "version " .. tostring(r.version),
      release_file .. ": version " .. tostring(r.version) .. " does not match its file name / _VERSION " .. V)
    local s, d = r.source or {}, r.description or {}
    check(s.tag == "v" .. V, "source.tag v" .. V,
      release_file .. ": source.tag is " .. tostring(s.tag) .. ", want v" .. V)
    check(type(s.url) == "string" and s.url ~= "" and not s.url:find("example.invalid", 1, true),
      "source.url " .. tostring(s.url), release_file .. ": source.url missing or example.invalid")
    check(type(d.homepage) == "string" and d.homepage:find("^https?://")
        and not d.homepage:find("example.invalid", 1, true),
      "homepage " .. tostring(d.homepage), release_file .. ": description.homepage missing")
    check(d.license == "MIT", "license MIT", release_file .. ": description.license is " .. tostring(d.license))
  end
end

if check(scm_file, "rockspec: " .. tostring(scm_file), "rockspec: no rockspec/authcodes-scm-1.rockspec")
    and release then
  local s, err = load_rockspec(scm_file)
  if check(s, scm_file .. " loads", scm_file .. " does not load: " .. tostring(err)) then
    for k, v in pairs(release) do
      if k ~= "version" and k ~= "source" then
        check(dump(v) == dump(s[k]), scm_file .. ": " .. k .. " as in " .. release_file,
          scm_file .. " and " .. release_file .. " differ in " .. k .. " (change both)")
      end
    end
    for k in pairs(s) do
      if release[k] == nil then fail(scm_file .. " has " .. k .. ", " .. release_file .. " has not") end
    end
    check(s.source and s.source.url == release.source.url, "source.url the same in both",
      scm_file .. ": source.url differs from " .. release_file)
  end
end

-- CHANGELOG.md ----------------------------------------------------------------------------
local changelog = read("CHANGELOG.md")
if check(changelog, "CHANGELOG.md exists", "CHANGELOG.md is missing") then
  local top_line
  for line in changelog:gmatch("[^\n]+") do
    local h = line:match("^##%s+(.*)$")
    if h and not h:match("^%[?[Uu]nreleased%]?") then top_line = h; break end
  end
  local tv, date = (top_line or ""):match("^%[([^%]]+)%]%s+%-%s+(%d%d%d%d%-%d%d%-%d%d)%s*$")
  check(tv == V, "CHANGELOG.md: top entry " .. tostring(top_line),
    "CHANGELOG.md: top entry is \"" .. tostring(top_line) .. "\", want \"[" .. V .. "] - YYYY-MM-DD\"")
  if tv == V then
    local y, m, dd = date:match("(%d+)%-(%d+)%-(%d+)")
    check(tonumber(m) >= 1 and tonumber(m) <= 12 and tonumber(dd) >= 1 and tonumber(dd) <= 31 and tonumber(y) >= 2000,
      "CHANGELOG.md: date " .. date, "CHANGELOG.md: " .. date .. " is not a date")
  end
  check(changelog:find("\n%[" .. V:gsub("%.", "%%.") .. "%]:%s*%S"), "CHANGELOG.md: link [" .. V .. "]",
    "CHANGELOG.md: no link reference \"[" .. V .. "]: URL\"")
end

-- LICENSE ---------------------------------------------------------------------------------
local license = read("LICENSE")
if check(license, "LICENSE exists", "LICENSE is missing") then
  check(license:match("^MIT License") and license:find("Permission is hereby granted, free of charge", 1, true),
    "LICENSE: MIT", "LICENSE: not the MIT license text (the rockspec says MIT)")
  local vendor = ls("data/vendor")
  check(#vendor > 0, "data/vendor: " .. #vendor .. " files", "data/vendor: no files")
  for _, name in ipairs(vendor) do
    check(license:find("data/vendor/" .. name, 1, true), "LICENSE: names data/vendor/" .. name,
      "LICENSE: does not say where data/vendor/" .. name .. " comes from")
  end
end

-- man page --------------------------------------------------------------------------------
local man = read("man/authcodes.1")
if man then
  local th = man:match("\n?(%.TH[^\n]*)")
  check(th and th:find("%f[%w%.]" .. V:gsub("%.", "%%.") .. "%f[^%w%.]"), "man/authcodes.1: " .. tostring(th),
    "man/authcodes.1: its .TH line does not name " .. V .. ": " .. tostring(th))
else
  ok("man/authcodes.1: none (nothing to check)")
end

-- git tag ---------------------------------------------------------------------------------
local code = sh("git rev-parse -q --verify " .. q("refs/tags/v" .. V) .. " >/dev/null")
if code == 0 then
  local c2, src = sh("git show " .. q("v" .. V .. ":lua/authcodes.lua"))
  check(c2 == 0 and src:find("_VERSION%s*=%s*\"" .. V:gsub("%.", "%%.") .. "\""), "tag v" .. V .. " has _VERSION " .. V,
    "tag v" .. V .. " is a commit whose _VERSION is not " .. V)
elseif tagged then
  fail("tag v" .. V .. " does not exist (git tag -a v" .. V .. ")")
else
  ok("tag v" .. V .. ": not tagged yet (tag the release commit: git tag -a v" .. V .. ")")
end

-- luarocks lint ---------------------------------------------------------------------------
if not lint then
  print("skip  luarocks lint (--no-lint)")
elseif sh("command -v luarocks >/dev/null") ~= 0 then
  fail("luarocks is not installed (Debian: luarocks): cannot lint the rockspecs")
else
  for _, name in ipairs(ls("rockspec")) do
    if name:match("%.rockspec$") then
      local c, out = sh("luarocks lint " .. q("rockspec/" .. name))
      check(c == 0, "luarocks lint rockspec/" .. name, "luarocks lint rockspec/" .. name .. ":\n" .. out)
    end
  end
end

print(("release-check: %s %s, %d failed"):format(V, failed == 0 and "consistent" or "INCONSISTENT", failed))
os.exit(failed == 0 and 0 or 1)
