-- bench/same_json.lua A.json B.json: exit 0 when both decode to the same flat object.
local cjson = require "cjson"
local function read(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("*a")
  f:close()
  return cjson.decode(s)
end
local a, b = read(arg[1]), read(arg[2])
for k, v in pairs(a) do if b[k] ~= v then os.exit(1) end end
for k, v in pairs(b) do if a[k] ~= v then os.exit(1) end end
os.exit(0)
