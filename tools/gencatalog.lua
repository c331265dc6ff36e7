#!/usr/bin/env lua
--- gencatalog: data/ -> src/catalog_data.h (the compiled catalog).
--
-- Usage: lua tools/gencatalog.lua [--data DIR] [--out FILE] [--check]
--
-- Reads the vendors' own files (data/vendor/) and our curated rows (data/*.tsv), joins
-- them by code, validates everything with the rules in lua/authcodes/schema.lua and
-- writes C: one string pool plus integer offsets, all `static const`. Any problem is
-- reported as `file:line: reason` and the exit status is 1; nothing is written then.
-- The output depends on nothing but the data, byte for byte (a golden test pins it).

local script_dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = script_dir .. "/../lua/?.lua;" .. package.path
local schema = require "authcodes.schema"
local safe = require "authcodes.text"

local concat, sort, format = table.concat, table.sort, string.format

-- The built-in domains and where their vendor text lives. `docs.map` renames the
-- vendor documentation file's columns to entry fields.
local DOMAINS = {
  { name = "imsdk", curated = "imsdk.tsv", seed = "vendor/imsdk-seed.md",
    docs = { file = "vendor/imsdk-additions.tsv",
             map = { message = "message", description_zh = "description" } } },
  { name = "wilddog", curated = "wilddog.tsv", seed = "vendor/wilddog-seed.md",
    docs = { file = "vendor/wilddog-sdk.tsv",
             map = { vendor_message_en = "sdk_message" } } },
  -- authcodes' own domain: failures around a vendor call (connection, timeout, DNS,
  -- TLS, HTTP status). No vendor wrote it, so there is no seed; its text file is ours
  -- and its rows' source is "authcodes". Last, so the vendors' entry indices stay put.
  { name = "transport", curated = "transport.tsv", source = "authcodes",
    docs = { file = "transport-text.tsv",
             map = { message = "message", description_zh = "description" } } },
}

local errors = {}
local function fail(file, line, reason)
  errors[#errors + 1] = format("%s:%d: %s", file, line, reason)
end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function read_lines(path, shown)
  local f, err = io.open(path, "rb")
  if not f then fail(shown, 0, "cannot read: " .. tostring(err)); return {} end
  local text = f:read("*a")
  f:close()
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    lines[#lines + 1] = (line:gsub("\r$", ""))
  end
  if lines[#lines] == "" then lines[#lines] = nil end
  return lines
end

local function split_tabs(line)
  local cells = {}
  for cell in (line .. "\t"):gmatch("([^\t]*)\t") do cells[#cells + 1] = cell end
  return cells
end

local function is_int_text(s) return s:find("^%-?%d+$") ~= nil end

-- A vendor markdown table: `| code | message | description |`. The description is
-- everything after the second bar, so a bar inside it survives.
local function parse_seed(path, shown)
  local rows, in_table = {}, false
  for ln, line in ipairs(read_lines(path, shown)) do
    local s = trim(line)
    if s:sub(1, 1) == "|" then
      s = s:sub(2)
      if s:sub(-1) == "|" then s = s:sub(1, -2) end
      local code, rest = s:match("^([^|]*)|(.*)$")
      local first = trim(code or s)
      if first:find("^:?%-+:?$") or (not in_table and not is_int_text(first)) then
        in_table = true  -- the header row and its separator
      elseif not is_int_text(first) then
        fail(shown, ln, "non-integer code '" .. first .. "'")
      elseif not rest then
        fail(shown, ln, "missing column: a row needs at least code and message")
      else
        local msg, desc = rest:match("^([^|]*)|(.*)$")
        local cells = 2
        if msg then
          cells = 3 + select(2, desc:gsub("|", ""))
        else
          msg = rest
        end
        local code_n = tonumber(first)
        if rows[code_n] then
          fail(shown, ln, "duplicate code " .. first .. " (first at line " .. rows[code_n].line .. ")")
        end
        desc = desc and trim(desc)
        rows[code_n] = { line = ln, cells = cells, message = trim(msg),
                         description = desc ~= "" and desc or nil }
      end
    end
  end
  return rows
end

-- A vendor TSV with a header line naming its columns.
local function parse_docs(path, shown, map)
  local rows, header = {}, nil
  for ln, line in ipairs(read_lines(path, shown)) do
    local cells = split_tabs(line)
    if not header then
      header = cells
    elseif line ~= "" then
      if #cells ~= #header then
        fail(shown, ln, format("expected %d columns, got %d", #header, #cells))
      elseif not is_int_text(cells[1]) then
        fail(shown, ln, "non-integer code '" .. cells[1] .. "'")
      else
        local row = { line = ln }
        for i, col in ipairs(header) do
          local field = map[col]
          if field and trim(cells[i]) ~= "" then row[field] = trim(cells[i]) end
        end
        local code = tonumber(cells[1])
        if rows[code] then fail(shown, ln, "duplicate code " .. cells[1]) end
        rows[code] = row
      end
    end
  end
  return rows
end

local function opt(s) if s == "-" then return nil end return s end

-- Our curated rows: see data/README.md for the columns.
-- Returns the valid rows and the codes of the rejected ones (`true`: all of them), so
-- that a rejected row is reported once, not again as "vendor code has no curated row".
local function parse_curated(path, shown)
  local rows, ncol, rejected = {}, #schema.columns, {}
  local lines = read_lines(path, shown)
  if #lines == 0 then return rows, rejected end
  if concat(split_tabs(lines[1] or ""), ",") ~= concat(schema.columns, ",") then
    fail(shown, 1, "header must be the columns " .. concat(schema.columns, " "))
    return rows, true
  end
  for ln = 2, #lines do
    local line = lines[ln]
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local c = split_tabs(line)
      local bad
      if #c ~= ncol then
        bad = format("expected %d columns, got %d", ncol, #c)
      elseif not is_int_text(c[1]) then
        bad = "non-integer code '" .. c[1] .. "'"
      end
      for i = 1, #c do
        if not bad and trim(c[i]) == "" and schema.columns[i] ~= "summary" then
          bad = "empty " .. (schema.columns[i] or "cell") .. " (write - for none)"
        end
        c[i] = trim(c[i])
      end
      local row
      if not bad then
        row = { line = ln, code = tonumber(c[1]), name = c[2], aliases = {},
                class = c[4], retry = c[5], action = c[8], seed_quirk = opt(c[10]),
                summary = opt(c[11]), note = opt(c[12]) }
        if c[3] ~= "-" then
          for a in (c[3] .. ","):gmatch("([^,]*),") do row.aliases[#row.aliases + 1] = trim(a) end
        end
        for _, f in ipairs { { "retry_after", 6 }, { "http", 7 } } do
          local v = opt(c[f[2]])
          if v and not is_int_text(v) then bad = f[1] .. " must be an integer or -" end
          row[f[1]] = v and tonumber(v)
        end
        if c[9] == "yes" then row.ok = true elseif c[9] == "no" then row.ok = false
        else bad = bad or "ok must be yes or no" end
        if row.seed_quirk and not schema.seed_quirks[row.seed_quirk] then
          bad = bad or "unknown seed_quirk " .. row.seed_quirk
        end
      end
      if not bad then
        local _, why = schema.check_row(row)
        bad = why
      end
      if bad then
        fail(shown, ln, bad)
        if is_int_text(c[1]) then rejected[tonumber(c[1])] = true end
      else
        rows[#rows + 1] = row
      end
    end
  end
  local ok, why = schema.check_unique(rows, function(i) return shown .. ":" .. rows[i].line end)
  if not ok then
    local file, line, reason = why:match("^(.-):(%d+): (.*)$")
    fail(file, tonumber(line), reason)
  end
  return rows, rejected
end

-- A built-in entry's text goes out as it is: `authcodes.format` writes it into JSON and
-- problem bodies without making it safe again, so no VM keeps a safe copy of each
-- string (issue #13). That holds because every text field is what `authcodes.text`
-- leaves unchanged as a JSON value: valid UTF-8, at most its cap as lua-cjson writes
-- it. (Names, aliases and actions are identifiers by the schema's rules.)
local TEXT_FIELDS = { "summary", "message", "description", "sdk_message", "doc_message",
                      "doc_description", "note" }
local function check_text(row, shown)
  for _, f in ipairs(TEXT_FIELDS) do
    local v = row[f]
    if v ~= nil and safe.json(v, safe.MAX_VALUE) ~= v then
      fail(shown, row.line, format("%s must be valid UTF-8 of at most %d bytes as JSON", f, safe.MAX_VALUE))
    end
  end
end

-- Join one domain's curated rows with its vendor text.
local function build_domain(dir, d)
  local function at(f) return dir .. "/" .. f end
  local shown_c, shown_s, shown_d = "data/" .. d.curated, d.seed and "data/" .. d.seed, "data/" .. d.docs.file
  local seed = d.seed and parse_seed(at(d.seed), shown_s) or {}
  local docs = parse_docs(at(d.docs.file), shown_d, d.docs.map)
  local rows, rejected = parse_curated(at(d.curated), shown_c)
  local curated = {}
  for _, row in ipairs(rows) do
    curated[row.code] = row
    local s, v = seed[row.code], docs[row.code]
    if not s and not v then
      fail(shown_c, row.line, "code " .. row.code .. " is in no "
        .. (d.seed and "vendor file" or "text file (" .. shown_d .. ")") .. " of " .. d.name)
    end
    if s then
      local quirk = (s.cells == 2 and "two_columns") or (s.cells > 3 and "pipe_in_description") or nil
      if quirk ~= row.seed_quirk then
        if quirk then
          fail(shown_s, s.line, format(
            "%s column: row has %d cells; if this is the vendor's, mark seed_quirk %s at %s:%d",
            s.cells == 2 and "missing" or "extra", s.cells, quirk, shown_c, row.line))
        else
          fail(shown_c, row.line, "seed_quirk " .. row.seed_quirk .. " but the seed row has 3 cells")
        end
      end
      row.message, row.description, row.source = s.message, s.description, "seed"
      if v then
        row.sdk_message = v.sdk_message
        if v.message and v.message ~= s.message then row.doc_message = v.message end
        if v.description and v.description ~= s.description then row.doc_description = v.description end
      end
    elseif v then
      if row.seed_quirk then fail(shown_c, row.line, "seed_quirk on a code that has no seed row") end
      row.message, row.description, row.sdk_message = v.message, v.description, v.sdk_message
      row.source = d.source or "vendor_doc"
    end
    row.domain = d.name
    check_text(row, shown_c)
  end
  local function orphans(map, shown)
    local codes = {}
    for code in pairs(map) do
      if not curated[code] and not (rejected == true or rejected[code]) then codes[#codes + 1] = code end
    end
    sort(codes, function(a, b) return map[a].line < map[b].line end)
    for _, code in ipairs(codes) do
      fail(shown, map[code].line, "code " .. code .. " has no curated row in " .. shown_c)
    end
  end
  if d.seed then orphans(seed, shown_s) end
  orphans(docs, shown_d)
  return schema.sort_by_code(rows)
end

-- Both sorts of `emit` run without a Lua comparison function: `table.sort` compares
-- the numbers or strings itself, so sorting stays a small, n log n part of a run at any
-- size (issue #13: a byte-by-byte Lua comparator took 57% of a run at 100x the data).

-- Codes ascending (they are unique: `main` checked that across domains).
local function sort_codes(codes)
  local list, entry_of = {}, {}
  for i, c in ipairs(codes) do list[i], entry_of[c.code] = c.code, c.entry end
  sort(list)
  for i, code in ipairs(list) do codes[i] = { code = code, entry = entry_of[code] } end
end

-- Keys in byte order (the C side binary-searches with memcmp), then by entry. Keys are
-- lower-cased names and aliases, ASCII letters, digits and `_` (the schema's name rule),
-- and Lua orders strings by strcoll: in the C locale that is byte order. Each key is
-- decorated with its entry, zero-padded after a NUL (which sorts before any key byte).
local function sort_keys(keys)
  local decorated, key_of = {}, {}
  for i, k in ipairs(keys) do
    local s = k.key .. "\0" .. format("%08d", k.entry)
    decorated[i], key_of[s] = s, k
  end
  local locale = os.setlocale(nil, "collate")
  os.setlocale("C", "collate")
  sort(decorated)
  os.setlocale(locale, "collate")
  for i, s in ipairs(decorated) do keys[i] = key_of[s] end
end

local function c_string(s)
  return (s:gsub('[%c"\\?\128-\255]', function(ch) return format("\\%03o", ch:byte()) end))
end

local ENTRY_FIELDS = { "name", "aliases", "message", "description", "sdk_message",
                       "doc_message", "doc_description", "summary", "action", "note" }

-- Write the C header for `domains` to the open file `f`, line by line: the text is never
-- held whole (at 100k rows it was the largest thing the generator kept).
local function emit(domains, f)
  local pool, offsets, size = {}, {}, 1
  local function intern(s)
    if s == nil then return 0 end
    if not offsets[s] then
      offsets[s] = size
      pool[#pool + 1] = s
      size = size + #s + 1
    end
    return offsets[s]
  end
  local entries, keys, codes, drows = {}, {}, {}, {}
  for di, d in ipairs(domains) do
    drows[di] = { name = intern(d.name), first = #entries, count = #d.rows, label = d.name }
    for _, row in ipairs(d.rows) do
      local idx = #entries
      local e = { row = row, off = {} }
      row.aliases_text = #row.aliases > 0 and concat(row.aliases, ",") or nil
      for _, field in ipairs(ENTRY_FIELDS) do
        local v = row[field]
        if field == "aliases" then v = row.aliases_text end
        e.off[#e.off + 1] = intern(v)
      end
      entries[#entries + 1] = e
      codes[#codes + 1] = { code = row.code, entry = idx }
      for _, k in ipairs(schema.keys_of(row)) do
        keys[#keys + 1] = { key = k, entry = idx }
      end
    end
  end
  for _, k in ipairs(keys) do k.off = intern(k.key) end
  sort_codes(codes)
  sort_keys(keys)

  local function w(s) f:write(s, "\n") end
  w("/* Generated by tools/gencatalog.lua from data/: DO NOT EDIT.")
  w(" * Edit the curated .tsv files in data/ (or drop in new vendor files) and run `make`. */")
  w("")
  w(format("#define AC_NDOMAINS %d", #drows))
  w(format("#define AC_NENTRIES %d", #entries))
  w(format("#define AC_NKEYS %d", #keys))
  w(format("#define AC_POOL_SIZE %d", size))
  w("")
  -- Names as fixed-width char arrays, not pointers: no relocations.
  for _, t in ipairs { { "AC_NCLASSES", "class", schema.classes, 1 },
                       { "AC_NRETRY", "retry", schema.retry_kinds },
                       { "AC_NSOURCES", "source", schema.sources } } do
    local names, width = {}, 0
    for i, v in ipairs(t[3]) do
      names[i] = t[4] and v[t[4]] or v
      width = math.max(width, #names[i] + 1)
    end
    local n = t[1]
    w(format("#define %s %d", n, #names))
    w(format('static const char ac_%s_names[%s][%d] = { "%s" };', t[2], n, width, concat(names, '", "')))
    w("")
  end
  w("static const char ac_pool[AC_POOL_SIZE] =")
  -- Each string is preceded by a NUL: offset 0 is the empty string (absent), and every
  -- string ends at the NUL that starts the next one (or at the literal's own).
  local at = 1
  for _, s in ipairs(pool) do
    w(format('  "\\000%s" /* %d */', c_string(s), at))
    at = at + #s + 1
  end
  w("  ;")
  w("")
  w("static const struct ac_domain ac_domains[AC_NDOMAINS] = {")
  for _, d in ipairs(drows) do
    w(format("  { %d, %d, %d }, /* %s */", d.name, d.first, d.count, d.label))
  end
  w("};")
  w("")
  w("/* code, " .. concat(ENTRY_FIELDS, ", ") .. ",")
  w("   http, retry_after, domain, class, retry, source, ok */")
  w("static const struct ac_entry ac_entries[AC_NENTRIES] = {")
  for i, e in ipairs(entries) do
    local r = e.row
    local di
    for j, d in ipairs(domains) do if d.name == r.domain then di = j - 1 end end
    w(format("  { %d, %s, %d, %d, %d, %d, %d, %d, %d }, /* %d %s.%s */",
      r.code, concat(e.off, ", "), r.http, r.retry_after or 0, di,
      schema.class_index[r.class], schema.retry_index[r.retry],
      schema.source_index[r.source], r.ok and 1 or 0, i - 1, r.domain, r.name))
  end
  w("};")
  w("")
  w("static const struct ac_code ac_codes[AC_NENTRIES] = {")
  for _, c in ipairs(codes) do w(format("  { %d, %d },", c.code, c.entry)) end
  w("};")
  w("")
  w("/* lower-cased names and aliases, in byte order */")
  w("static const struct ac_key ac_keys[AC_NKEYS] = {")
  for _, k in ipairs(keys) do w(format("  { %d, %d }, /* %s */", k.off, k.entry, k.key)) end
  w("};")
end

local function main(argv)
  local dir, out, check = "data", "src/catalog_data.h", false
  local i = 1
  while argv[i] do
    local a = argv[i]
    if a == "--data" then dir = argv[i + 1]; i = i + 1
    elseif a == "--out" then out = argv[i + 1]; i = i + 1
    elseif a == "--check" then check = true
    else io.stderr:write("usage: lua tools/gencatalog.lua [--data DIR] [--out FILE] [--check]\n"); return 2 end
    i = i + 1
  end
  if not dir or not out then io.stderr:write("gencatalog: --data and --out take a value\n"); return 2 end
  local domains, seen = {}, {}
  for _, d in ipairs(DOMAINS) do
    local rows = build_domain(dir, d)
    for _, r in ipairs(rows) do
      if seen[r.code] and seen[r.code] ~= d.name then
        fail("data/" .. d.curated, r.line,
          format("code %d is already in domain %s: codes must be unique across domains", r.code, seen[r.code]))
      end
      seen[r.code] = d.name
    end
    domains[#domains + 1] = { name = d.name, rows = rows }
  end
  if #errors > 0 then
    for _, e in ipairs(errors) do io.stderr:write(e, "\n") end
    return 1
  end
  local n = 0
  for _, d in ipairs(domains) do n = n + #d.rows end
  if check then print(format("gencatalog: ok, %d entries", n)); return 0 end
  -- Written beside the target and renamed over it: a run that stops half way leaves
  -- the old header, never half a new one.
  local tmp = out .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then io.stderr:write("gencatalog: ", tostring(err), "\n"); return 1 end
  emit(domains, f)
  local ok, werr = f:close()
  if ok then ok, werr = os.rename(tmp, out) end
  if not ok then os.remove(tmp); io.stderr:write("gencatalog: ", tostring(werr), "\n"); return 1 end
  return 0
end

os.exit(main(arg or {}))
