--- Questions the command asks the catalog: one key resolved to its entry (or a message
-- saying what to type instead), a word search, a filtered list, and "did you mean".
--
-- Only the public API of `require "authcodes"` is used (`lookup`, `domains`, `each`).
-- `new(authcodes)` gives one query object per run: it walks the catalog at most once
-- for spellings and once for search text, however many keys are asked.
-- @module authcodes.cli.query

local text = require "authcodes.cli.text"

local byte, find, format, lower = string.byte, string.find, string.format, string.lower
local concat, sort = table.concat, table.sort
local ipairs, tostring, tonumber, setmetatable = ipairs, tostring, tonumber, setmetatable
local quote, trim = text.quote, text.trim

local PROG = "authcodes"

local M = {}

-- Suggestions are for typos: at most this many edits, on words at most this long (a
-- 64-byte key already has no near neighbour among the catalog's names).
local MAX_EDITS, MAX_SUGGEST_LEN = 2, 64

--- Edit distance between `a` and `b`, or `limit + 1` as soon as it is known to exceed
-- `limit`: only the diagonal band |i - j| <= limit is computed, and a row whose best
-- cell is over the limit stops the walk, so a comparison costs O(len * limit) instead
-- of O(len^2) (issue #12: 100 unknown 64-byte keys took 5.8 s).
local function distance(a, b, limit)
  local la, lb = #a, #b
  local over = limit + 1
  if la - lb > limit or lb - la > limit then return over end
  local prev, cur = {}, {}
  for j = 0, lb do prev[j] = j <= limit and j or over end
  for i = 1, la do
    local lo, hi = i - limit, i + limit
    if lo < 1 then lo = 1 end
    if hi > lb then hi = lb end
    cur[0] = i <= limit and i or over
    if lo > 1 then cur[lo - 1] = over end     -- left of the band: too far
    local best, ca = cur[0], byte(a, i)
    for j = lo, hi do
      local v = prev[j - 1] + (ca == byte(b, j) and 0 or 1)
      local up, left = prev[j] + 1, cur[j - 1] + 1
      if up < v then v = up end
      if left < v then v = left end
      cur[j] = v
      if v < best then best = v end
    end
    if hi < lb then cur[hi + 1] = over end     -- right of the band: too far
    if best > limit then return over end
    prev, cur = cur, prev
  end
  local d = prev[lb]
  return d > limit and over or d
end
M.distance = distance

--- The closest of `candidates` (strings) to `word`, within two edits and fewer edits
-- than `word` has characters; nil when there is none or `word` is too long to be a typo.
function M.closest(word, candidates)
  if #word > MAX_SUGGEST_LEN then return nil end
  local best, bd = nil, MAX_EDITS + 1
  local w = lower(word)
  for _, c in ipairs(candidates) do
    local d = distance(w, lower(c), MAX_EDITS)
    if d < bd then best, bd = c, d end
  end
  if best and bd < #word then return best end
  return nil
end

--- True when `s` is written as a decimal code (sign and digits only).
local function is_code_like(s) return find(s, "^[+-]?%d+$") ~= nil end
M.is_code_like = is_code_like

-- Codes are 32-bit integers (the catalog's C type); a longer digit string is none.
local function in_code_range(s)
  if #s > 12 then return false end
  local n = tonumber(s)
  return n ~= nil and n >= -2147483647 and n <= 2147483647
end

local function qualified(e) return e.domain .. "." .. e.name end
M.qualified = qualified

-- The fields a search looks in, besides the aliases.
local SEARCH_FIELDS = { "name", "message", "sdk_message", "doc_message", "summary",
                        "description", "doc_description" }

local Query = {}
Query.__index = Query

--- A query object over the library `authcodes` (the module table).
function M.new(authcodes)
  return setmetatable({ lib = authcodes, domain_list = authcodes.domains() }, Query)
end

--- The domain names, in the library's order.
function Query:domains() return self.domain_list end

--- True when `d` is a domain name.
function Query:is_domain(d)
  for _, x in ipairs(self.domain_list) do if x == d then return true end end
  return false
end

--- Every entry of the given domains, in domain then code order.
function Query:entries(domains)
  local list = {}
  for _, d in ipairs(domains or self.domain_list) do
    for e in self.lib.each(d) do list[#list + 1] = e end
  end
  return list
end

--- The entries of `list` that pass the --class and --retry filters of `o`.
function Query.filter(_, list, o)
  if not o.class and not o.retry then return list end
  local out = {}
  for _, e in ipairs(list) do
    if (not o.class or e.class == o.class) and (not o.retry or e.retry == o.retry) then
      out[#out + 1] = e
    end
  end
  return out
end

-- Lower-case search text of every entry, built on the first search.
local function haystacks(self)
  if self.hay then return self.hay end
  local hay = {}
  for _, e in ipairs(self:entries()) do
    local parts = {}
    for _, f in ipairs(SEARCH_FIELDS) do
      local v = e[f]
      if v ~= nil then parts[#parts + 1] = lower(tostring(v)) end
    end
    for _, a in ipairs(e.aliases or {}) do parts[#parts + 1] = lower(a) end
    hay[#hay + 1] = { e = e, text = concat(parts, "\n") }
  end
  self.hay = hay
  return hay
end

--- Entries whose text contains every one of `words` (lower case), filtered by `o`.
function Query:search(words, o)
  local out = {}
  for _, h in ipairs(haystacks(self)) do
    local all = true
    for _, w in ipairs(words) do
      if not find(h.text, w, 1, true) then all = false break end
    end
    if all then out[#out + 1] = h.e end
  end
  return self:filter(out, o)
end

-- Every spelling (name and aliases, lower case) of every entry, built once per run.
local function spellings(self)
  if self.spell then return self.spell end
  local list = {}
  for _, e in ipairs(self:entries()) do
    list[#list + 1] = { lower(e.name), e }
    for _, a in ipairs(e.aliases or {}) do list[#list + 1] = { lower(a), e } end
  end
  self.spell = list
  return list
end

--- Up to five entries whose spelling is within two edits of `key`, or (for keys of four
-- characters or more) contains it; only in `domain` when given.
function Query:similar(key, domain)
  if #key > MAX_SUGGEST_LEN or #key < 2 then return {} end
  local k, scored, seen = lower(key), {}, {}
  local contain = #k >= 4
  for _, p in ipairs(spellings(self)) do
    local s, e = p[1], p[2]
    if (domain == nil or e.domain == domain) and not seen[e] then
      -- cheap tests first: the length gap alone rules out most spellings
      local d = distance(k, s, MAX_EDITS)
      if d > 1 and contain and #s > #k and find(s, k, 1, true) then d = 1 end
      if d <= MAX_EDITS and d < #k then
        seen[e] = true
        scored[#scored + 1] = { d = d, e = e }
      end
    end
  end
  sort(scored, function(a, b)
    if a.d ~= b.d then return a.d < b.d end
    if a.e.domain ~= b.e.domain then return a.e.domain < b.e.domain end
    return a.e.code < b.e.code
  end)
  local out = {}
  for i = 1, #scored < 5 and #scored or 5 do out[i] = scored[i].e end
  return out
end

-- `s` when it can be typed as one shell word as it is.
local function shell_word(s)
  if find(s, "^[%w_][%w_%.%-]*$") then return s end
  return nil
end

local function did_you_mean(list)
  local names = {}
  for i, x in ipairs(list) do names[i] = qualified(x) end
  return concat(names, ", ")
end

-- Why `key`, of the form DOMAIN.REST, was not found, and what to type instead.
local function explain_qualified(self, key, d, rest)
  local ld = lower(d)
  local elsewhere = self.lib.lookup(rest)
  local domains = concat(self.domain_list, ", ")
  if not self:is_domain(ld) then
    local hint = M.closest(d, self.domain_list)
    return format("unknown domain %s in %s; %sthe domains are: %s (e.g. %s %s)",
      quote(d), quote(key), hint and ("did you mean " .. hint .. "? ") or "",
      domains, PROG, elsewhere and qualified(elsewhere) or "wilddog.expired_token")
  end
  if elsewhere and elsewhere.domain ~= ld then
    return format("%s is not in %s: it is %s (%s); type %s %s",
      quote(rest), ld, qualified(elsewhere), tostring(elsewhere.code), PROG, qualified(elsewhere))
  end
  local near = self:similar(rest, ld)
  return format("unknown %s %s in %s%s; see them with: %s -l %s",
    is_code_like(rest) and "code" or "name", quote(rest), ld,
    #near > 0 and ("; did you mean " .. did_you_mean(near) .. "?") or "", PROG, ld)
end

--- Resolve one key (a code, a name or alias, DOMAIN.NAME), in `domain` first when one
-- is given (a hint from a log line). Returns the entry, or nil and a message saying
-- what to type instead.
function Query:resolve(raw, domain)
  local lib = self.lib
  local key = trim(raw)
  if domain and self:is_domain(domain) then
    local e = lib.lookup(domain, key)
    if e then return e end
  end
  local e, why = lib.lookup(key)
  if e then return e end
  -- Several domains answer to it: say which to type.
  local hits = {}
  for _, d in ipairs(self.domain_list) do
    local x = lib.lookup(d, key)
    if x then hits[#hits + 1] = x end
  end
  if #hits == 1 then return hits[1] end
  if #hits > 1 then
    local names, cmds = {}, {}
    for i, x in ipairs(hits) do
      names[i] = format("%s (%s)", qualified(x), tostring(x.code))
      cmds[i] = PROG .. " " .. qualified(x)
    end
    return nil, format("ambiguous name %s: it is %s; type one of: %s",
      quote(key), concat(names, " and "), concat(cmds, ", "))
  end
  if is_code_like(key) then
    if not in_code_range(key) then
      return nil, format("code %s is out of range (codes are 32-bit integers); see the codes with: %s -l",
        quote(key), PROG)
    end
    return nil, format("unknown code %s; see the codes with: %s -l (or %s -l %s)",
      key, PROG, PROG, concat(self.domain_list, ", -l "))
  end
  if #key > 256 then
    return nil, format("key %s is too long to be a code or a name; type a code (22002) or a name (expired_token)",
      quote(key))
  end
  local d, rest = key:match("^([%a][%w_]*)%.(.+)$")
  if d then return nil, explain_qualified(self, key, d, rest) end
  local near = self:similar(key)
  local msg = format("unknown name %s", quote(key))
  if why and find(why, "^key is") then msg = format("%s (%s)", msg, text.clean(why)) end
  if #near > 0 then
    msg = msg .. "; did you mean " .. did_you_mean(near) .. "? Or search"
  else
    msg = msg .. "; search"
  end
  return nil, msg .. format(" for it with: %s -s %s", PROG, shell_word(key) or "WORDS")
end

M.PROG = PROG
return M
