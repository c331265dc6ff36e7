--- Register: domains of the caller's own, added at run time.
--
-- `require "authcodes"` does not load this module: `authcodes.register` does, on its
-- first use, so a process that never registers a domain holds none of this code nor
-- the validation rules (`authcodes.schema`) it needs.
--
-- The registered domains live in `authcodes.catalog`'s tables, which lookup reads; this
-- module reaches them through `authcodes.internal` (the private hub), never through a
-- public table: it checks and builds the entries, adds their bare keys, and hands the
-- domain to the catalog, which then forgets any cached answer the new keys make
-- ambiguous.
-- @module authcodes.register

require "authcodes.catalog"   -- sets what it shares on `internal` (below) when it loads
local internal = require "authcodes.internal"
local entry = require "authcodes.entry"

local type, tostring, ipairs = type, tostring, ipairs

local schema, show, bad_argument = internal.schema, internal.show, internal.bad_argument
local builtin, registered, reg_any = internal.builtin, internal.registered, internal.reg_any
local add_registered = internal.add_registered

local M = {}

-- Domain names an application cannot register: `authcodes` is the library's own (the
-- `type` of unknown and bad_reply problems is `urn:authcodes:authcodes:...`).
local RESERVED = { authcodes = true }

-- Add entry e under bare key k (a code, or a name or alias in lower case) of the table
-- of every registered domain's bare keys: the entry itself, or the list of entries
-- when several registered domains have that key (lookup answers "ambiguous").
local function reg_add(k, e)
  local v = reg_any[k]
  if v == nil then
    reg_any[k] = e
  elseif type(v) == "table" then
    v[#v + 1] = e
  else
    reg_any[k] = { v, e }
  end
end

--- Add a domain of the caller's own at run time (see `authcodes.register`).
-- Its entries get the same checks and shape as built-in ones (`source` is
-- `"registered"`); look them up with `lookup(domain, key)`, or bare when no built-in
-- entry answers to the key: a registered domain never shadows a built-in code or name.
-- A domain can be registered once; all rows are checked before any is added.
-- @string domain the new domain's name, `[a-z][a-z0-9_]*`, at most 64 bytes, not a
-- built-in or already registered one, and not `authcodes` (the library's own: the
-- `type` of unknown and bad_reply problems)
-- @tparam {table,...} rows one table per code, with the fields of an entry:
-- `code` (integer, required, unique), `name` (`[A-Za-z][A-Za-z0-9_]*`, required, unique
-- with the aliases, case ignored), `class` (a gRPC class name, required), `summary`
-- (required), and optionally `aliases` (list of names), `retry` (default `"never"`),
-- `retry_after` (seconds, required for and only for `"after_delay"`), `http` (default
-- from the class), `action` (default `"none"`), `message`, `description`, `note`,
-- `ok` (default: class is `OK`). Other fields are ignored.
-- @treturn[1] boolean true
-- @return[2] nil when the domain name or a row is invalid (nothing is added)
-- @treturn[2] string the reason, e.g. `row 2: unknown class UNAVAILBLE`
-- @raise `bad argument #1 to 'register'` when domain is not a string,
-- `bad argument #2` when rows is not a table
function M.register(domain, rows)
  if type(domain) ~= "string" then
    bad_argument("register", 1, "string expected, got " .. type(domain))
  end
  if type(rows) ~= "table" then
    bad_argument("register", 2, "table expected, got " .. type(rows))
  end
  if not domain:find("^[a-z][a-z0-9_]*$") or #domain > 64 then
    return nil, "domain name " .. show(domain) .. " must match [a-z][a-z0-9_]*"
  end
  if builtin[domain] then return nil, "cannot replace built-in domain " .. domain end
  if RESERVED[domain] then return nil, "domain name " .. domain .. " is reserved for the library" end
  if registered[domain] then return nil, "domain " .. domain .. " is already registered" end
  local checked, why = schema.read_rows(rows)
  if checked == nil then return nil, why end
  -- keys: the bare keys added (codes, names and aliases in lower case); spellings: every
  -- bare spelling of the new entries that the catalog may have cached for an older
  -- registered domain's entry (those keys and the codes' decimal strings).
  local r, keys, spellings = { list = {}, by_code = {}, by_key = {} }, {}, {}
  for i, row in ipairs(checked) do
    row.domain, row.source, row.index = domain, "registered", i
    local names = schema.keys_of(row)   -- name, then aliases, in lower case
    local e = entry.new(row, row.aliases)
    for _, k in ipairs(names) do
      r.by_key[k] = e
      reg_add(k, e)
      keys[#keys + 1] = k
      spellings[#spellings + 1] = k
    end
    r.list[i] = e
    r.by_code[row.code] = e
    reg_add(row.code, e)
    spellings[#spellings + 1] = row.code
    spellings[#spellings + 1] = tostring(row.code)
  end
  add_registered(domain, r, keys, spellings)
  return true
end

return M
