-- Statistics the bench scripts share: `require "bench.stats"` from the repository root.
local M = {}

--- The median of a list of numbers (NaN for an empty list); the list is not changed.
function M.median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  if n == 0 then return 0 / 0 end
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end

return M
