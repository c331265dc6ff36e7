--- What a code is: the range and the decimal spelling every part of authcodes accepts.
-- Private (not part of the API). A module of its own, with no dependencies, so that
-- both the generator's rules (`authcodes.schema`) and a lookup's slow path use it
-- without the lookup loading the whole schema.
-- @module authcodes.code
-- @local

local type, tonumber, floor = type, tonumber, math.floor
local find = string.find

local M = {}

-- Codes travel as JSON numbers and C int32_t; keep them where both are exact.
local MIN, MAX = -2147483647, 2147483647
M.min, M.max = MIN, MAX

--- True when `v` is an integer-valued number inside the code range.
local function is_code(v)
  return type(v) == "number" and v == v and v >= MIN and v <= MAX and floor(v) == v
end
M.is_code = is_code

--- Parse a decimal code string: optional sign, digits, nothing else (no spaces, hex or
-- exponents, which `tonumber` would accept). Returns the integer or nil. Makes no
-- string (a lookup miss allocates nothing).
function M.parse_code(s)
  if type(s) ~= "string" or #s > 12 or not find(s, "^[+-]?%d+$") then return nil end
  local n = tonumber(s)
  if not is_code(n) then return nil end
  return floor(n)    -- an integer subtype on 5.3+, as a literal code would be
end

return M
