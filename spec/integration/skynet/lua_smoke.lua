-- lua_smoke.lua: authcodes on a plain interpreter (skynet's 3rd/lua/lua, or lua5.4 for
-- the reference): the catalog walk (catalog_walk.lua) on stdout, what was loaded from
-- where on stderr. Exit status 1 when an invariant fails or the runtime is not the one
-- asked for (AUTHCODES_EXPECT_VERSION, e.g. "Lua 5.5"). With AUTHCODES_WALK_SLICE_DIR,
-- also the walk's slices (catalog_walk.SLICES of them) as files slice-<k>.txt there.
--   LUA_PATH=... LUA_CPATH=... lua spec/integration/skynet/lua_smoke.lua
local want = os.getenv("AUTHCODES_EXPECT_VERSION")
if want and want ~= "" and _VERSION ~= want then
  io.stderr:write("lua_smoke: running on ", _VERSION, ", expected ", want, "\n")
  os.exit(1)
end
local authcodes = require "authcodes"
local cjson = require "cjson.safe"
local walk = require "catalog_walk"
io.stderr:write("lua_smoke: ", _VERSION, "; authcodes.core from ",
  tostring(package.searchpath("authcodes.core", package.cpath)), "; cjson from ",
  tostring(package.searchpath("cjson", package.cpath)), "\n")
local lines, n, problems = walk.walk(authcodes, cjson)
io.stdout:write(table.concat(lines, "\n"), "\n")
-- The slices the skynet crowd services compare (catalog_walk's `slice`), one file each.
local slice_dir = os.getenv("AUTHCODES_WALK_SLICE_DIR")
if slice_dir and slice_dir ~= "" then
  for k = 0, walk.SLICES - 1 do
    local f = assert(io.open(slice_dir .. "/slice-" .. k .. ".txt", "wb"))
    f:write(table.concat((walk.walk(authcodes, cjson, k)), "\n"), "\n")
    f:close()
  end
end
for _, p in ipairs(problems) do io.stderr:write("lua_smoke: FAIL ", p, "\n") end
if n == 0 or n ~= require("authcodes.core").count then
  io.stderr:write("lua_smoke: FAIL walked ", n, " entries, the core has ", require("authcodes.core").count, "\n")
  os.exit(1)
end
io.stderr:write("lua_smoke: ", n, " entries, ", #problems, " broken invariants\n")
os.exit(#problems == 0 and 0 or 1)
