-- The documentation is up to date and complete (issue #8).
--
-- * docs/codes.md is what tools/gendocs_codes.lua makes from the catalog now (regenerated
--   here, on every runtime: the page must not depend on the runtime either), and its
--   tables hold every code, one row each, with a working anchor and lossless cells.
-- * the reference (config.ld, the LDoc comments, docs/topics/entries.md) covers every
--   public function and every entry field. That docs/api/ is what LDoc makes of them is
--   checked by `make docs-check` (the docs suite, tools/suites/docs.sh).

local authcodes = require "authcodes"

local read = require("spec.helpers").slurp

local gendocs_codes = dofile("tools/gendocs_codes.lua")

-- The first line where two texts differ, for a readable failure.
local function first_difference(a, b)
  local la, lb = {}, {}
  for l in (a .. "\n"):gmatch("(.-)\n") do la[#la + 1] = l end
  for l in (b .. "\n"):gmatch("(.-)\n") do lb[#lb + 1] = l end
  for i = 1, math.max(#la, #lb) do
    if la[i] ~= lb[i] then
      return string.format("line %d:\n  committed: %s\n  generated: %s", i, tostring(la[i]), tostring(lb[i]))
    end
  end
end

-- Split a markdown table row on the `|`s that are not escaped.
local function cells(row)
  local out, cur, i = {}, {}, 2   -- skip the leading "|"
  while i <= #row do
    local c = row:sub(i, i)
    if c == "\\" then
      cur[#cur + 1] = row:sub(i, i + 1)
      i = i + 2
    elseif c == "|" then
      out[#out + 1] = (table.concat(cur):gsub("^ ", ""):gsub(" $", ""))
      cur = {}
      i = i + 1
    else
      cur[#cur + 1] = c
      i = i + 1
    end
  end
  return out
end

-- Every built-in entry, in catalog order (whatever another spec registered).
local function builtin_entries()
  local list = {}
  for _, d in ipairs(authcodes.domains()) do
    for e in authcodes.each(d) do
      if e.source ~= "registered" then list[#list + 1] = e end
    end
  end
  return list
end

-- Undo gendocs_codes.cell: what a markdown renderer shows.
local function unescape(s)
  s = s:gsub("<br>", "\n"):gsub("\\(.)", "%1")
  return (s:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&amp;", "&"))
end

describe("docs/codes.md", function()
  local committed = read("docs/codes.md")
  local generated = gendocs_codes.render(authcodes)

  it("is up to date with the catalog (run `make docs` and commit docs/ if not)", function()
    if committed ~= generated then
      error("docs/codes.md is out of date: run `make docs` and commit docs/codes.md\n"
        .. first_difference(committed, generated), 0)
    end
  end)

  -- Rows of the generated page, by anchor.
  local rows, order = {}, {}
  for line in generated:gmatch("[^\n]+") do
    local id = line:match('^| <a id="([^"]+)"></a>')
    if id then
      assert(rows[id] == nil, "anchor " .. id .. " twice")
      rows[id] = cells(line)
      order[#order + 1] = id
    end
  end

  it("has one row per code of every domain, in catalog order, anchored domain.code", function()
    local want = {}
    for _, e in ipairs(builtin_entries()) do want[#want + 1] = e.domain .. "." .. string.format("%d", e.code) end
    assert.are.same(want, order)
    assert.is_true(#order >= 261)
    for _, id in ipairs(order) do
      local d, c = id:match("^(%w+)%.(%-?%d+)$")
      assert.are.equal(id, gendocs_codes.anchor(d, tonumber(c)))
      assert.is_truthy(authcodes.lookup(id), "the anchor is a key lookup accepts: " .. id)
    end
  end)

  it("has ten cells in every row, and every cell reads back as the catalog's text", function()
    for _, e in ipairs(builtin_entries()) do
      local id = gendocs_codes.anchor(e.domain, e.code)
      local r = rows[id]
      assert.are.equal(10, #r, id)
      assert.are.equal("`" .. e.name .. "`", r[2]:match("^[^<]+"), id)
      assert.are.equal(e.class, r[3], id)
      assert.are.equal(tostring(e.http), r[4], id)
      assert.are.equal(e.retry, r[5]:match("^%S+"), id)
      if e.retry_after then assert.are.equal(e.retry .. " (" .. e.retry_after .. " s)", r[5]) end
      assert.are.equal(e.summary, unescape(r[6]), id)
      assert.are.equal(e.message or "", unescape(r[7]):match("^[^\n]*"):gsub("^Web SDK: .*", ""), id)
      assert.are.equal(e.description or "", unescape(r[8]):match("^[^\n]*"), id)
      assert.are.equal(e.source, r[9], id)
      assert.are.equal(e.note or "", unescape(r[10]), id)
    end
  end)

  it("keeps the | of -716's description inside its cell", function()
    local e = authcodes.lookup("imsdk", -716)
    assert.is_truthy(e.description:find("|", 1, true))
    assert.is_truthy(rows["imsdk.-716"][8]:find("\\|", 1, true))
    assert.are.equal(e.description, unescape(rows["imsdk.-716"][8]))
  end)

  it("escapes what markdown or HTML would read in a cell", function()
    local cell = gendocs_codes.cell
    assert.are.equal("a \\| b", cell("a | b"))
    assert.are.equal("one<br>two<br>three", cell("one\ntwo\r\nthree"))
    assert.are.equal("&lt;script&gt; &amp;amp;", cell("<script> &amp;"))
    assert.are.equal("\\*x\\* \\`y\\` \\[z\\](u) \\~\\~s\\~\\~ a\\\\b", cell("*x* `y` [z](u) ~~s~~ a\\b"))
    assert.are.equal("in_user provide\\_ (sic) \\_x\\_", cell("in_user provide_ (sic) _x_"))
    assert.are.equal("trimmed", cell("  trimmed \t"))
    assert.are.equal("", cell(nil))
    assert.are.equal("tab here", cell("tab\there"))
  end)

  it("lists the built-in domains only, whatever the process registered", function()
    assert(authcodes.register("docs_spec_extra", {
      { code = 1, name = "extra", class = "INTERNAL", summary = "Registered by docs_spec." },
    }))
    assert.are.equal(generated, gendocs_codes.render(authcodes))
  end)

  it("runs as a script: --check passes on the committed file", function()
    local rt = require("spec.helpers").runtime()
    local cmd = "LUA_PATH='" .. package.path .. "' LUA_CPATH='" .. package.cpath .. "' "
      .. rt .. " tools/gendocs_codes.lua --check docs/codes.md 2>&1; echo EXIT:$?"
    local p = assert(io.popen(cmd))
    local out = p:read("*a")
    p:close()
    assert.are.equal("0", out:match("EXIT:(%d+)"), out)
  end)
end)

describe("the reference", function()
  local function page(name) return read("docs/api/modules/" .. name .. ".html") end

  it("documents every function `require \"authcodes\"` gives, where authcodes.lua says", function()
    local facade = read("lua/authcodes.lua")
    local names = {}
    for k, v in pairs(authcodes) do if type(v) == "function" then names[#names + 1] = k end end
    for _, k in ipairs { "new", "is_error", "check", "has_json",
                         "should_retry", "retry", "budget", "format", "problem", "negotiate" } do
      assert.are.equal("function", type(authcodes[k]), k)
      names[#names + 1] = k
    end
    table.sort(names)
    for i = #names, 2, -1 do if names[i] == names[i - 1] then table.remove(names, i) end end
    for _, k in ipairs(names) do
      local mod = facade:match("%-%- %* `" .. k .. "%(.-%(`(authcodes%.%w+)%." .. k .. "`%)")
      assert(mod, "lua/authcodes.lua's header does not map " .. k .. " to its submodule")
      assert(require(mod)[k] == authcodes[k], k .. " is not " .. mod .. "." .. k)
      assert(page(mod):find('<a name = "' .. k .. '"></a>', 1, true), "docs/api has no entry for " .. mod .. "." .. k)
    end
  end)

  it("documents authcodes.ngx respond, log and level", function()
    local p = page("authcodes.ngx")
    for _, k in ipairs { "respond", "log", "level" } do
      assert(p:find('<a name = "' .. k .. '"></a>', 1, true), "docs/api has no entry for authcodes.ngx." .. k)
    end
  end)

  it("describes every field of an entry in docs/topics/entries.md", function()
    local topic = read("docs/topics/entries.md")
    local fields = {}
    local core = require "authcodes.core"
    for i = 1, core.count do
      for k in pairs(core.entry(i)) do fields[k] = true end
    end
    for k in pairs(authcodes.lookup(-204):totable()) do fields[k] = true end
    fields.retryable = true
    for k in pairs(fields) do
      assert(topic:find("\n%- `" .. k .. "`") or topic:find(", `" .. k .. "` %("),
        "docs/topics/entries.md does not describe the entry field " .. k)
    end
  end)

  it("describes every method of entries and error objects", function()
    local topic = read("docs/topics/entries.md")
    require "authcodes"
    local methods = require("authcodes.internal").methods
    for k in pairs(methods) do
      assert(topic:find("`x:" .. k .. "(", 1, true), "docs/topics/entries.md does not describe :" .. k .. "()")
    end
  end)
end)
