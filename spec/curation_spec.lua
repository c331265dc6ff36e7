-- The curation rules are checked, not only the data (issue #17).
--
-- * Every built-in code's class/retry/action combination is one README.md's model table
--   allows, and its HTTP status is its class's in the README's class/HTTP table, or its
--   note says why not with the marker `Outside the model table: <reason>`. A marker on a
--   row that is inside the model is stale and fails too.
-- * Every `retry_after` is either the vendor's (the note says `Vendor limit:` and the
--   vendor's own text carries the figure) or marked as ours: `retry_after N is our choice`
--   with N the row's value.
--
-- The rules are read from README.md, the one place a reader sees them (and
-- data/README.md points to); they are not copied here. The walk covers the catalog as
-- built from data/ (what ships), and counts the curated rows so it cannot pass empty.

local authcodes = require "authcodes"
local schema = require "authcodes.schema"
local helpers = require "spec.helpers"

local README = "README.md"
local OUTSIDE = "Outside the model table:"
local BUILT_IN = { "imsdk", "wilddog" }

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- Cells of a markdown table row, trimmed; nil for a line that is not a row.
local function cells(line)
  if not line:find("^|") then return nil end
  local list = {}
  for c in line:sub(2):gmatch("([^|]*)|") do list[#list + 1] = trim(c) end
  return list
end

-- The table whose header row starts with `first_cells` (exact cells), as a list of
-- data rows (cells), the header and separator left out.
local function table_after(text, first_cells)
  local rows, inside = {}, false
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do
    local c = cells(line)
    if not inside then
      if c then
        local match = true
        for i, want in ipairs(first_cells) do
          if c[i] ~= want then match = false end
        end
        inside = match
      end
    elseif not c then
      break
    elseif not (c[1] or ""):find("^:?%-+:?$") then
      rows[#rows + 1] = c
    end
  end
  return rows
end

-- README's retry table: retry kind -> { classes = set, actions = set }.
local function read_model(text)
  local model = {}
  for _, c in ipairs(table_after(text, { "retry", "meaning", "`authcodes.retry` does", "classes", "actions" })) do
    local kind = c[1]:match("^`([a-z_]+)`$")
    if kind then
      local classes, actions = {}, {}
      for cl in (c[4] or ""):gmatch("[A-Z_]+") do classes[cl] = true end
      for a in (c[5] or ""):gmatch("`([a-z_]+)`") do actions[a] = true end
      model[kind] = { classes = classes, actions = actions }
    end
  end
  return model
end

-- README's class/HTTP table (two pairs a row): class -> status. Cells that name no
-- class ("unreadable vendor reply") are skipped; "UNKNOWN (unknown code)" is UNKNOWN.
local function read_http(text)
  local http = {}
  for _, c in ipairs(table_after(text, { "class", "HTTP", "class", "HTTP" })) do
    for i = 1, #c - 1, 2 do
      local class = c[i]:match("^([A-Z][A-Z_]+)")
      if class then http[class] = tonumber(c[i + 1]) end
    end
  end
  return http
end

-- Curated rows in data/<domain>.tsv (not the header, comments or blank lines).
local function curated_count(domain)
  local n = 0
  for line in (helpers.slurp("data/" .. domain .. ".tsv") .. "\n"):gmatch("(.-)\r?\n") do
    if line ~= "" and not line:find("^#") and not line:find("^code\t") then n = n + 1 end
  end
  return n
end

-- Why an entry is outside the model, or nil when it is inside.
local function outside(e, model, http)
  local m = model[e.retry]
  if not m then return "retry " .. e.retry .. " is not in the model table" end
  if not m.classes[e.class] then return "class " .. e.class .. " with retry " .. e.retry end
  if not m.actions[e.action] then return "action " .. e.action .. " with retry " .. e.retry end
  if http[e.class] == nil then return "class " .. e.class .. " has no HTTP status in the README" end
  if e.http ~= http[e.class] then
    return "http " .. e.http .. " for " .. e.class .. " (README: " .. http[e.class] .. ")"
  end
  return nil
end

-- Problems of one entry with the model table, as a list of strings.
local function model_problems(e, model, http)
  local why = outside(e, model, http)
  local note = e.note or ""
  local marked = note:find(OUTSIDE, 1, true)
  if why and not marked then
    return { why .. ", and the note does not say why (" .. OUTSIDE .. " ...)" }
  elseif why and not note:find(OUTSIDE .. "%s*%S+%s+%S+%s+%S+") then
    return { why .. ": the note's " .. OUTSIDE .. " gives no reason" }
  elseif marked and not why then
    return { "note says " .. OUTSIDE .. " but the row is inside the model table (stale marker)" }
  end
  return {}
end

-- Problems of one entry with its retry_after, as a list of strings.
local function retry_after_problems(e)
  local note = e.note or ""
  local ours = note:match("retry_after (%d+) is our choice")
  if e.retry_after == nil then
    if ours then return { "note marks retry_after " .. ours .. " as ours, but the row has none" } end
    return {}
  end
  if ours then
    if tonumber(ours) ~= e.retry_after then
      return { "note marks retry_after " .. ours .. " as ours, but the row's is " .. e.retry_after }
    end
    return {}
  end
  local vendor_text = (e.message or "") .. " " .. (e.description or "") .. " " .. (e.sdk_message or "")
  if not note:find("Vendor limit:", 1, true) then
    return { "retry_after " .. e.retry_after .. " is not marked 'retry_after "
             .. e.retry_after .. " is our choice' nor 'Vendor limit:'" }
  elseif not vendor_text:find("%d") then
    return { "note says Vendor limit: but the vendor's text states no figure; mark retry_after "
             .. e.retry_after .. " as our choice" }
  end
  return {}
end

local text = helpers.slurp(README)
local model, http = read_model(text), read_http(text)

describe("README.md's model table", function()
  it("names every retry kind, each with classes and actions", function()
    for _, kind in ipairs(schema.retry_kinds) do
      assert.is_table(model[kind], "README model table has no row for retry " .. kind)
      assert.is_not_nil(next(model[kind].classes), "no classes for retry " .. kind)
      assert.is_not_nil(next(model[kind].actions), "no actions for retry " .. kind)
      for class in pairs(model[kind].classes) do
        assert.is_not_nil(schema.class_index[class], "README names unknown class " .. class)
      end
    end
  end)

  it("gives each class the HTTP status the catalog derives (schema.classes)", function()
    local n = 0
    for class, status in pairs(http) do
      n = n + 1
      assert.are.equal(schema.class_http[class], status, "README: " .. class)
    end
    assert.is_true(n >= 12, "README class/HTTP table: only " .. n .. " classes read")
  end)
end)

describe("curation rules", function()
  for _, domain in ipairs(BUILT_IN) do
    local entries = {}
    for e in authcodes.each(domain) do entries[#entries + 1] = e end

    it(domain .. ": walks every curated row", function()
      assert.are.equal(curated_count(domain), #entries)
    end)

    it(domain .. ": every class/retry/http/action is in the model table, or the note says why not", function()
      local bad = {}
      for _, e in ipairs(entries) do
        for _, p in ipairs(model_problems(e, model, http)) do
          bad[#bad + 1] = domain .. " " .. e.code .. " " .. e.name .. ": " .. p
        end
      end
      assert.are.same({}, bad)
    end)

    it(domain .. ": every retry_after the vendor never stated is marked as ours", function()
      local bad = {}
      for _, e in ipairs(entries) do
        for _, p in ipairs(retry_after_problems(e)) do
          bad[#bad + 1] = domain .. " " .. e.code .. " " .. e.name .. ": " .. p
        end
      end
      assert.are.same({}, bad)
    end)
  end
end)

describe("the curation checks themselves", function()
  -- Rows shaped like catalog entries; each must be caught.
  local function entry(t)
    local e = { code = 1, name = "x", class = "INVALID_ARGUMENT", retry = "never",
                http = 400, action = "fix_request", note = nil }
    for k, v in pairs(t) do e[k] = v end
    return e
  end

  local function problems(t) return model_problems(entry(t), model, http) end

  it("reject a combination outside the model without a reason", function()
    assert.are.equal(1, #problems { class = "INTERNAL", retry = "backoff", http = 500, action = "retry" })
    assert.are.equal(1, #problems { action = "retry" })
    assert.are.equal(1, #problems { http = 418 })
    assert.are.equal(1, #problems { http = 418, note = OUTSIDE })
    assert.are.equal(1, #problems { note = OUTSIDE .. " stale marker here." })
  end)

  it("accept an exception that says why", function()
    assert.are.same({}, problems { http = 418, note = OUTSIDE .. " the vendor answers a teapot." })
    assert.are.same({}, problems {})
  end)

  it("reject an unmarked or mismarked retry_after", function()
    local base = { class = "RESOURCE_EXHAUSTED", retry = "after_delay", retry_after = 5, action = "wait" }
    local function with(t) local e = entry(base); for k, v in pairs(t) do e[k] = v end; return e end
    assert.are.equal(1, #retry_after_problems(with { note = "The vendor states no rate." }))
    assert.are.equal(1, #retry_after_problems(with { note = "retry_after 6 is our choice." }))
    assert.are.equal(1, #retry_after_problems(with { note = "Vendor limit: none.", description = "too fast" }))
    assert.are.equal(1, #retry_after_problems(entry { note = "retry_after 5 is our choice." }))
    assert.are.same({}, retry_after_problems(with { note = "retry_after 5 is our choice." }))
    assert.are.same({}, retry_after_problems(with { note = "Vendor limit: 10 a second.",
                                                    description = "at most 10 a second" }))
  end)
end)
