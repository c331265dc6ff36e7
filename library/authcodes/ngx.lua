---@meta authcodes.ngx
-- LuaLS definitions for `require "authcodes.ngx"` (the code: lua/authcodes/ngx.lua);
-- the types it names are in library/authcodes.lua. Kept in step with the real module by
-- spec/types_spec.lua. Never run: the functions have no bodies on purpose.
-- luacheck: ignore 212

---OpenResty helpers: answer or log an error from inside an nginx handler. Requiring it
---where there is no `ngx` API (plain Lua) raises.
---@class authcodes.ngx
local M = {}

---Options of `respond`.
---@class authcodes.RespondOptions: authcodes.FormatOptions
---@field status? integer answer with this status instead of `err.http`

---The `ngx` log level `log` uses: `ngx.ERR` for UNKNOWN, INTERNAL and DATA_LOSS,
---`ngx.WARN` for UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED, `ngx.DEBUG`
---for OK, `ngx.INFO` for the rest.
---@param err authcodes.Key|any an error object, or anything `authcodes.new` accepts
---@return integer level
function M.level(err) end

---Answer the request with an RFC 9457 problem: status, `Content-Type:
---application/problem+json`, `Content-Language` (opts.lang, else the request's
---Accept-Language), `Retry-After` for rate-limited codes, and the body.
---@param err authcodes.Key|any an error object, or anything `authcodes.new` accepts
---@param opts? authcodes.RespondOptions
---@return true? written
---@return string? reason `"headers already sent"` (nothing is written)
function M.respond(err, opts) end

---Write the error's log line (style `"log"`) through `ngx.log` at `level(err)`.
---@param err authcodes.Key|any an error object, or anything `authcodes.new` accepts
function M.log(err) end

return M
