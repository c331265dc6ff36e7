--- Replays every file of the committed fuzz corpus (fuzz/corpus/<harness>/: seeds,
-- inputs the fuzzers found interesting, and the inputs of every crash found so far)
-- through the public API on whatever runtime runs the specs, so what the fuzzers
-- learned keeps being checked without clang or libFuzzer. `make fuzz` is what grows it.

local authcodes = require "authcodes"
local lfs = require "lfs"

local oracle = dofile("fuzz/gencatalog_oracle.lua")
local has_cjson = pcall(require, "cjson.safe")

local HARNESSES = { "fuzz_catalog", "fuzz_lua", "fuzz_gencatalog" }
local DOMAINS = { "imsdk", "wilddog" }

local function files_of(harness)
  local dir, list = "fuzz/corpus/" .. harness, {}
  for name in lfs.dir(dir) do
    if name:sub(1, 1) ~= "." then list[#list + 1] = dir .. "/" .. name end
  end
  table.sort(list)
  return list
end

local corpus = {}  -- { path = ..., data = ... } for every file of every harness
for _, h in ipairs(HARNESSES) do
  for _, path in ipairs(files_of(h)) do corpus[#corpus + 1] = { path = path, data = oracle.read(path) } end
end

-- The integers the fuzzers read from an input's first bytes (little-endian), on any runtime.
local function int_at(s, nbytes)
  local n = 0
  for i = nbytes, 1, -1 do n = n * 256 + (s:byte(i) or 0) end
  if n >= 2 ^ (8 * nbytes - 1) then n = n - 2 ^ (8 * nbytes) end
  return n
end

local function is_entry(e)
  return type(e) == "userdata" and getmetatable(e) == "authcodes.entry" and type(e.code) == "number"
    and type(e.name) == "string" and (e.domain == "imsdk" or e.domain == "wilddog")
end

local function pack(...) return { n = select("#", ...), ... } end

-- An entry, or nil and a reason; never an error.
local function assert_lookup(path, ...)
  local r = pack(pcall(authcodes.lookup, ...))
  assert(r[1], path .. ": lookup raised: " .. tostring(r[2]))
  if r[2] == nil then
    assert(r.n == 3 and type(r[3]) == "string", path .. ": lookup gave nil without a reason")
  else
    assert(is_entry(r[2]), path .. ": lookup gave something other than an entry")
    assert(authcodes.lookup(r[2].domain, r[2].code) == r[2], path .. ": the entry is not found by its own code")
  end
  return r[2]
end

-- An error object that prints; never an error.
local function assert_new(path, ...)
  local ok, e = pcall(authcodes.new, ...)
  assert(ok, path .. ": new raised: " .. tostring(e))
  assert(authcodes.is_error(e), path .. ": new gave something other than an error object")
  local s = tostring(e)
  assert(type(s) == "string" and #s > 0, path .. ": tostring of an error object")
  return e
end

-- (reply, ok entry) or (nil, error object that is not ok); never an error on the reply.
local function assert_check(path, reply, domain)
  local r = pack(pcall(authcodes.check, reply, domain))
  assert(r[1], path .. ": check raised: " .. tostring(r[2]))
  if r[2] == nil then
    assert(authcodes.is_error(r[3]) and not r[3].ok, path .. ": check failed without an error object")
    assert(type(tostring(r[3])) == "string", path .. ": tostring of check's error object")
  else
    assert(type(r[2]) == "table" and is_entry(r[3]) and r[3].ok, path .. ": check passed without an ok entry")
  end
end

describe("fuzz corpus", function()
  it("has seeds for every harness", function()
    for _, h in ipairs(HARNESSES) do
      assert.is_true(#files_of(h) > 0, "no corpus for " .. h)
    end
  end)

  it("lookup gives an entry or nil and a reason for every input", function()
    for _, f in ipairs(corpus) do
      local s = f.data
      local e = assert_lookup(f.path, s)
      if e then
        assert.are.equal(e, assert_lookup(f.path, s:lower()), f.path)
        assert.are.equal(e, assert_lookup(f.path, s:upper()), f.path)
      end
      for _, d in ipairs(DOMAINS) do
        local de = assert_lookup(f.path, d, s)
        assert(de == nil or de.domain == d, f.path .. ": lookup in " .. d .. " gave another domain")
      end
      assert_lookup(f.path, s, s)
      for _, n in ipairs { int_at(s, 2), int_at(s, 4), int_at(s, 6), #s } do
        local ne = assert_lookup(f.path, n)
        assert(ne == nil or ne.code == n, f.path .. ": lookup by number gave another code")
      end
    end
  end)

  it("new gives an error object for every input", function()
    for _, f in ipairs(corpus) do
      local s = f.data
      local e = assert_new(f.path, s)
      assert_new(f.path, s, { detail = s, domain = DOMAINS[#s % 2 + 1], context = {} })
      assert_new(f.path, s, { domain = s, cause = e })
      assert_new(f.path, int_at(s, 4))
      assert.is_boolean(e:is(s))
      assert.is_table(e:totable())
    end
  end)

  it("check gives the reply and an ok entry, or nil and an error object, for every input", function()
    for _, f in ipairs(corpus) do
      local s = f.data
      if has_cjson then
        assert_check(f.path, s)
        for _, d in ipairs(DOMAINS) do assert_check(f.path, s, d) end
        assert_check(f.path, '{"code":' .. s .. "}", "imsdk")
      end
      assert_check(f.path, { code = s, desc = s })
      assert_check(f.path, { errcode = int_at(s, 4), message = s }, "wilddog")
      assert_check(f.path, { code = int_at(s, 2) }, "imsdk")
    end
  end)

  it("the generator succeeds or reports file:line: reason on every fuzz_gencatalog input", function()
    local fixtures = "spec/fixtures/gen/good"
    local dir = os.tmpname()
    os.remove(dir)
    assert(lfs.mkdir(dir) and lfs.mkdir(dir .. "/vendor"), "cannot make " .. dir)
    local ok, err = pcall(function()
      oracle.copy_data(fixtures, dir)
      local gen = oracle.loader("tools/gencatalog.lua")
      assert.are.equal(0, (gen.run({ "--data", dir, "--check" })), "the fixtures must pass")
      for _, path in ipairs(files_of("fuzz_gencatalog")) do
        oracle.write_input(dir, oracle.read(path), fixtures)
        local rok, status = pcall(gen.run, { "--data", dir, "--check" })
        assert(rok, path .. ": " .. tostring(status))
        if status == 0 then
          local wok, why = pcall(gen.run, { "--data", dir, "--out", dir .. "/catalog_data.h" })
          assert(wok, path .. ": " .. tostring(why))
        end
      end
    end)
    for _, f in ipairs(oracle.FILES) do os.remove(dir .. "/" .. f) end
    os.remove(dir .. "/catalog_data.h")
    os.remove(dir .. "/vendor")
    os.remove(dir)
    assert(ok, err)
  end)
end)
