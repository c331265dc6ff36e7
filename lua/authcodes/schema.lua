--- The vocabulary of the catalog and the rules every row obeys.
-- Shared by the C generator (`tools/gencatalog.lua`) and by `authcodes.register`,
-- so a row that builds into the C catalog is exactly a row `register` accepts.
-- Pure Lua, no dependencies but `authcodes.code` (the same): it must run before anything
-- is built.
-- @module authcodes.schema

local M = {}

local type, tostring, floor, rawget, next, ipairs = type, tostring, math.floor, rawget, next, ipairs
local concat, sort, format = table.concat, table.sort, string.format

-- A value in a message: never runs a metamethod (a row may hold anything).
local function shown(v)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
  return "a " .. t
end

--- gRPC canonical codes (google/rpc/code.proto), in their numeric order, with the
-- HTTP status that file maps each one to, and the severity a log gives them: our own or
-- the vendor's failures are errors, pressure is a warning, a caller's or user's
-- mistake is information (`authcodes.ngx`'s log level, the CLI's colours).
M.classes = {
  { "OK", 200, "debug" }, { "CANCELLED", 499, "info" }, { "UNKNOWN", 500, "error" },
  { "INVALID_ARGUMENT", 400, "info" }, { "DEADLINE_EXCEEDED", 504, "warn" },
  { "NOT_FOUND", 404, "info" }, { "ALREADY_EXISTS", 409, "info" },
  { "PERMISSION_DENIED", 403, "info" }, { "RESOURCE_EXHAUSTED", 429, "warn" },
  { "FAILED_PRECONDITION", 400, "info" }, { "ABORTED", 409, "info" },
  { "OUT_OF_RANGE", 400, "info" }, { "UNIMPLEMENTED", 501, "info" },
  { "INTERNAL", 500, "error" }, { "UNAVAILABLE", 503, "warn" },
  { "DATA_LOSS", 500, "error" }, { "UNAUTHENTICATED", 401, "info" },
}

--- What a caller should do about retrying, in the order the C catalog numbers them.
M.retry_kinds = { "never", "backoff", "after_delay", "reauth", "restart" }

--- Where a row came from, in the order the C catalog numbers them: a vendor's seed
-- table, a vendor's other documentation, `register`, or authcodes itself (the built-in
-- `transport` domain, whose text is ours).
M.sources = { "seed", "vendor_doc", "registered", "authcodes" }

--- Columns of a curated `data/*.tsv` file, in order.
M.columns = { "code", "name", "aliases", "class", "retry", "retry_after", "http",
              "action", "ok", "seed_quirk", "summary", "note" }

M.seed_quirks = { two_columns = true, pipe_in_description = true }

M.class_http, M.class_index, M.retry_index, M.source_index = {}, {}, {}, {}
for i, c in ipairs(M.classes) do
  M.class_http[c[1]] = c[2]
  M.class_index[c[1]] = i - 1
end
for i, r in ipairs(M.retry_kinds) do M.retry_index[r] = i - 1 end
for i, s in ipairs(M.sources) do M.source_index[s] = i - 1 end

-- What a code is (range, decimal spelling): `authcodes.code`, which the lookup path
-- uses without loading this module.
local code_rules = require "authcodes.code"
M.is_code = code_rules.is_code

local function valid_name(s)
  return type(s) == "string" and #s <= 128 and s:find("^[A-Za-z][A-Za-z0-9_]*$") ~= nil
end

local function valid_action(s)
  return type(s) == "string" and #s <= 64 and s:find("^[a-z][a-z_]*$") ~= nil
end

--- Check one row (a table with the curated fields, already typed) and fill the derived
-- ones (`http` from the class). Returns the row, or nil and a reason.
-- `row.aliases` is an array of strings.
function M.check_row(row)
  if not M.is_code(row.code) then return nil, "code must be an integer" end
  if not valid_name(row.name) then
    return nil, "name " .. shown(row.name) .. " must match [A-Za-z][A-Za-z0-9_]*"
  end
  if type(row.aliases) ~= "table" then return nil, "aliases must be a list" end
  for _, a in ipairs(row.aliases) do
    if not valid_name(a) then
      return nil, "alias " .. shown(a) .. " must match [A-Za-z][A-Za-z0-9_]*"
    end
  end
  if M.class_index[row.class] == nil then
    return nil, "unknown class " .. shown(row.class)
  end
  if M.retry_index[row.retry] == nil then
    return nil, "unknown retry " .. shown(row.retry) .. " (" .. concat(M.retry_kinds, ", ") .. ")"
  end
  local ra = row.retry_after
  if ra ~= nil and not (M.is_code(ra) and ra > 0 and ra <= 86400) then
    return nil, "retry_after must be whole seconds from 1 to 86400"
  end
  if row.retry == "after_delay" and ra == nil then
    return nil, "retry after_delay needs retry_after"
  end
  if row.retry ~= "after_delay" and ra ~= nil then
    return nil, "retry_after is only for retry after_delay"
  end
  if row.http == nil then
    row.http = M.class_http[row.class]
  elseif not (M.is_code(row.http) and row.http >= 100 and row.http <= 599) then
    return nil, "http must be a status from 100 to 599"
  end
  if not valid_action(row.action) then
    return nil, "action " .. shown(row.action) .. " must match [a-z][a-z_]*"
  end
  if type(row.ok) ~= "boolean" then return nil, "ok must be yes or no" end
  if type(row.summary) ~= "string" or not row.summary:find("%S") then
    return nil, "empty summary"
  end
  for _, f in ipairs { "message", "description", "note" } do
    if row[f] ~= nil and type(row[f]) ~= "string" then
      return nil, f .. " must be a string"
    end
  end
  -- Whole-number floats (10.0) become integers on Lua 5.3+, as literal codes are.
  row.code, row.http, row.retry_after = floor(row.code), floor(row.http), ra and floor(ra)
  return row
end

--- Every spelling a row answers to, lower-cased (name first, then aliases).
function M.keys_of(row)
  local keys = { row.name:lower() }
  for _, a in ipairs(row.aliases) do keys[#keys + 1] = a:lower() end
  return keys
end

--- Check a set of rows of one domain against each other: unique codes and unique
-- names/aliases (case-insensitive). `where(i)` names row i in messages.
-- Returns true, or nil and the first reason.
function M.check_unique(rows, where)
  local codes, keys = {}, {}
  for i, row in ipairs(rows) do
    if codes[row.code] then
      return nil, where(i) .. ": duplicate code " .. row.code .. " (first at " .. where(codes[row.code]) .. ")"
    end
    codes[row.code] = i
    for _, k in ipairs(M.keys_of(row)) do
      if keys[k] then
        return nil, where(i) .. ": duplicate name or alias " .. k .. " (first at " .. where(keys[k]) .. ")"
      end
      keys[k] = i
    end
  end
  return true
end

--- Sort rows by code, ascending (the catalog's order), in place. Codes are unique
-- (`check_unique` ran first): the codes alone are sorted, by `table.sort`'s own
-- comparison (no Lua function called per comparison), and the rows follow.
function M.sort_by_code(rows)
  local codes, row_of = {}, {}
  for i, row in ipairs(rows) do
    if row_of[row.code] ~= nil then  -- not unique after all: sort the rows themselves
      sort(rows, function(a, b) return a.code < b.code end)
      return rows
    end
    codes[i] = row.code
    row_of[row.code] = row
  end
  sort(codes)
  for i, code in ipairs(codes) do rows[i] = row_of[code] end
  return rows
end

--- The rows given to `authcodes.register`, read and checked: raw reads only (no
-- `__index` or `__ipairs` of the caller's tables runs), defaults filled in (`retry`
-- never, `action` none, `ok` from the class), every row checked, then all of them
-- against each other; in code order. Returns the list of new row tables, or nil and
-- the first reason (`row 2: unknown class UNAVAILBLE`).
local ROW_FIELDS = { "code", "name", "class", "retry", "retry_after", "http", "action",
                     "summary", "message", "description", "note", "ok" }
function M.read_rows(rows)
  local checked = {}
  for i = 1, 2 ^ 31 do   -- raw reads: no __index/__ipairs of the caller's table runs here
    local raw = rawget(rows, i)
    if raw == nil then break end
    if type(raw) ~= "table" then return nil, format("row %d: table expected, got %s", i, type(raw)) end
    local row = {}
    for j = 1, #ROW_FIELDS do
      local k = ROW_FIELDS[j]
      row[k] = rawget(raw, k)
    end
    row.aliases = {}
    local al = rawget(raw, "aliases")
    if al ~= nil and type(al) ~= "table" then return nil, format("row %d: aliases must be a list", i) end
    local n, k = 0, al and next(al)
    while k ~= nil do
      n = n + 1
      if n > 64 then return nil, format("row %d: at most 64 aliases", i) end
      k = next(al, k)
    end
    for j = 1, n do
      local a = rawget(al, j)
      if a == nil then return nil, format("row %d: aliases must be a list (no holes, no keys)", i) end
      row.aliases[j] = a
    end
    if row.retry == nil then row.retry = "never" end
    if row.action == nil then row.action = "none" end
    if row.ok == nil then row.ok = row.class == "OK" end
    local ok, why = M.check_row(row)
    if not ok then return nil, format("row %d: %s", i, why) end
    checked[i] = row
  end
  if checked[1] == nil then return nil, "no rows" end
  local ok, why = M.check_unique(checked, function(i) return "row " .. i end)
  if not ok then return nil, why end
  -- Rows usually come in code order: check that in one pass (linear), sort only if not.
  for i = 2, #checked do
    if checked[i].code < checked[i - 1].code then M.sort_by_code(checked); break end
  end
  return checked
end

return M
