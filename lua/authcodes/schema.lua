--- The vocabulary of the catalog and the rules every row obeys.
-- Shared by the C generator (`tools/gencatalog.lua`) and by `authcodes.register`,
-- so a row that builds into the C catalog is exactly a row `register` accepts.
-- Pure Lua, no dependencies: it must run before anything is built.
-- @module authcodes.schema

local M = {}

local type, tostring, tonumber, floor = type, tostring, tonumber, math.floor
local concat, sort = table.concat, table.sort

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

-- Codes travel as JSON numbers and C int32_t; keep them where both are exact.
M.code_min, M.code_max = -2147483647, 2147483647

--- True when `v` is an integer-valued number inside the code range.
function M.is_code(v)
  return type(v) == "number" and v == v and v >= M.code_min and v <= M.code_max
     and floor(v) == v
end

--- Parse a decimal code string: optional sign, digits, nothing else (no spaces, hex or
-- exponents, which `tonumber` would accept). Returns the integer or nil.
function M.parse_code(s)
  if type(s) ~= "string" or #s > 12 or not s:find("^[+-]?%d+$") then return nil end
  local n = tonumber(s)
  if not M.is_code(n) then return nil end
  return floor(n)    -- an integer subtype on 5.3+, as a literal code would be
end

local function valid_name(s)
  return type(s) == "string" and #s <= 128 and s:find("^[A-Za-z][A-Za-z0-9_]*$") ~= nil
end

local function valid_action(s)
  return type(s) == "string" and #s <= 64 and s:find("^[a-z][a-z_]*$") ~= nil
end

--- Check one row (a table with the curated fields, already typed) and fill the derived
-- ones (`http` from the class, `retryable`). Returns the row, or nil and a reason.
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
  row.retryable = row.retry == "backoff" or row.retry == "after_delay"
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

--- Sort rows by code, ascending (the catalog's order).
function M.sort_by_code(rows)
  sort(rows, function(a, b) return a.code < b.code end)
  return rows
end

return M
