--- Driver of fuzz_gencatalog (Lua 5.4, inside the fuzzer). The harness sets the
-- global FUZZ_TMPDIR to an empty directory (with vendor/ in it); this copies the
-- generator fixtures there once, then per input writes it over one data file (its
-- first byte picks which, see gencatalog_oracle.lua) and runs the generator with
-- --check. A generator that accepts the data is run again to write the C output.

local oracle = dofile("fuzz/gencatalog_oracle.lua")
local FIXTURES = "spec/fixtures/gen/good"
local dir = assert(rawget(_G, "FUZZ_TMPDIR"), "FUZZ_TMPDIR is not set")

oracle.copy_data(FIXTURES, dir)
local gen = oracle.loader("tools/gencatalog.lua")
-- The pristine fixtures must pass, or every input would look like a data error.
assert(gen.run({ "--data", dir, "--check" }) == 0, "the fixtures in " .. FIXTURES .. " do not pass --check")

local out = dir .. "/catalog_data.h"
return function(input)
  oracle.write_input(dir, input, FIXTURES)
  local status = gen.run({ "--data", dir, "--check" })
  if status == 0 then
    assert(gen.run({ "--data", dir, "--out", out }) == 0, "--check passed but writing the catalog failed")
    local text = oracle.read(out)
    assert(text:find("#define AC_NENTRIES %d+\n"), "the written catalog has no AC_NENTRIES")
  end
end
