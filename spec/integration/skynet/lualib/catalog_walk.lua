-- catalog_walk: every built-in entry through the public API, as text two runtimes can
-- compare byte for byte (issue #14 item 4: "every code looked up and identical to 5.4's
-- answer"; issue #11 item 7: many skynet services walking the catalog at once).
--
-- One line per question asked of authcodes: the entry's fields, every spelling's lookup,
-- `new`, `tostring`, every `format` style, `problem`, `check` of a JSON reply (through
-- lua-cjson) and `should_retry`. The text does not depend on the runtime: table keys are
-- sorted, numbers print as integers when integral (Lua 5.4 prints a float 503 as
-- "503.0", and lua-cjson builds differ in what they decode to a float), strings are
-- quoted by hand (%q differs between versions). JSON is compared decoded.
--
-- Besides the text, `walk` checks the invariants that hold on every runtime (an entry is
-- found by its own code and name in its domain; `new` and `check` give its code) and
-- returns how many failed: a runtime that answers wrongly but consistently is caught
-- there, one that differs from lua5.4 by the comparison.
local M = {}

local format, concat, sort = string.format, table.concat, table.sort

-- Control bytes, quotes and backslashes escaped (a line stays a line); UTF-8 as is.
local function escape(s)
  if not s:find('[%c"\\]') then return s end
  return (s:gsub('[%c"\\]', function(c) return format("\\%03d", c:byte()) end))
end

local function by_type_then_value(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  return a < b
end

local function canon(v, depth)
  local t = type(v)
  if t == "string" then return '"' .. escape(v) .. '"' end
  if t == "number" then
    if v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return format("%d", v) end
    return format("%.17g", v)
  end
  if t == "table" then
    depth = (depth or 0) + 1
    if depth > 8 then return "<deep>" end
    local keys, parts, strings = {}, {}, true
    for k in pairs(v) do
      keys[#keys + 1] = k
      if type(k) ~= "string" then strings = false end
    end
    if strings then sort(keys) else sort(keys, by_type_then_value) end
    for _, k in ipairs(keys) do parts[#parts + 1] = canon(k, depth) .. "=" .. canon(v[k], depth) end
    return "{" .. concat(parts, ",") .. "}"
  end
  if t == "nil" or t == "boolean" then return tostring(v) end
  return "<" .. t .. ">"   -- functions, userdata (cjson.null): their addresses differ
end
M.canon = canon

-- A lookup's answer, runtime-independent: "same" for the entry itself.
local function answer(e, found, why)
  if found == e then return "same" end
  if found == nil then return "nil:" .. tostring(why) end
  return "other:" .. tostring(found.domain) .. "." .. tostring(found.code)
end

-- Same fields as the entry's (`totable`), but for those an error object adds.
local function same_fields(t, plain)
  for k, v in pairs(plain) do
    if k ~= "aliases" and t[k] ~= v then return false end
  end
  for k in pairs(t) do
    if plain[k] == nil and k ~= "detail" and k ~= "key" then return false end
  end
  return #t.aliases == #plain.aliases
end

local function fixed_random() return 0.5 end

--- Walk the built-in domains (`authcodes.domains()` before anything is registered)
-- with `authcodes` and `cjson` (lua-cjson's `cjson.safe`). Every entry is asked every
-- question and the invariants checked; with `slice` (0 .. SLICES - 1) only every
-- SLICES-th entry's answers, from the slice-th on, become text (the text is what costs:
-- many services can share the comparison out).
-- Returns the lines, the number of entries walked and a list of broken invariants.
M.SLICES = 8
function M.walk(authcodes, cjson, slice)
  local domains = authcodes.domains()
  local out, problems, n = {}, {}, 0
  local writing = true
  local function emit(...) if writing then out[#out + 1] = concat({ ... }, " ") end end
  local function expect(ok, what) if not ok then problems[#problems + 1] = what end end
  emit("domains", canon(domains))
  for _, d in ipairs(domains) do
    for e in authcodes.each(d) do
      n = n + 1
      writing = slice == nil or (n - 1) % M.SLICES == slice
      local id = d .. "." .. tostring(e.code)
      if writing then
        local fields = {}
        for k, v in pairs(e) do fields[k] = v end
        fields.aliases = e.aliases
        emit(id, "fields", canon(fields))
      end
      local plain = e:totable()
      local spellings = { e.code, tostring(e.code), e.name, d .. "." .. e.name }
      for _, a in ipairs(e.aliases) do spellings[#spellings + 1] = a end
      for _, s in ipairs(spellings) do
        emit(id, "lookup", canon(s), answer(e, authcodes.lookup(s)), answer(e, authcodes.lookup(d, s)))
      end
      expect(authcodes.lookup(d, e.code) == e, id .. ": lookup(domain, code) is not the entry")
      expect(authcodes.lookup(d, e.name) == e, id .. ": lookup(domain, name) is not the entry")

      local err = authcodes.new(e, { detail = "walk \"detail\"\n" })
      expect(err.code == e.code and err.domain == d, id .. ": new(entry) has another code")
      expect(err:is(e.code) and err:is(d .. "." .. e.name), id .. ": err:is fails")
      expect(same_fields(err:totable(), plain), id .. ": new(entry) has fields of its own")
      emit(id, "new", canon(err.detail), canon(err.key))
      emit(id, "tostring", canon(tostring(err)))
      emit(id, "text", canon(authcodes.format(err, "text")), canon(authcodes.format(err, "text", { lang = "zh" })))
      emit(id, "log", canon(authcodes.format(err, "log")))
      local body = authcodes.format(err, "json")
      local decoded = cjson.decode(body)
      expect(type(decoded) == "table", id .. ": format json does not decode: " .. tostring(body))
      expect(type(decoded) ~= "table" or (decoded.code == e.code and decoded.name == e.name),
        id .. ": format json names another code")
      local problem = authcodes.problem(err)
      expect(problem.status == e.http, id .. ": problem status is not the entry's http")
      if writing then
        emit(id, "json", canon(decoded))
        emit(id, "problem", canon(problem))
      end

      local field = d == "wilddog" and "errcode" or "code"
      local reply = cjson.encode({ [field] = e.code, desc = "vendor says " .. e.name })
      local r, got = authcodes.check(reply, d)
      if r ~= nil then
        expect(e.ok and got == e, id .. ": check accepted a failure or gave another entry")
        emit(id, "check ok", canon(r), answer(e, got))
      else
        expect(not e.ok and got.code == e.code and same_fields(got:totable(), plain),
          id .. ": check refused a success or gave another error")
        emit(id, "check err", canon(tostring(got)))
      end
      emit(id, "should_retry", canon({ authcodes.should_retry(e.code, 1, { random = fixed_random }) }))
    end
  end
  writing = true
  emit("entries", tostring(n))
  return out, n, problems
end

return M
