--- OpenResty helpers: answer or log an error from inside an nginx handler.
--
--     local acngx = require "authcodes.ngx"
--     local reply, err = authcodes.check(res.body, "imsdk")
--     if not reply then return acngx.respond(err) end
--
-- Only this module touches `ngx`; the rest of authcodes runs anywhere.
-- Requiring it where there is no `ngx` API (plain Lua) raises
-- `authcodes.ngx needs OpenResty / lua-nginx-module (no ngx API here)`.
-- @module authcodes.ngx

local ngx = rawget(_G, "ngx")
if type(ngx) ~= "table" or type(ngx.print) ~= "function" then
  error("authcodes.ngx needs OpenResty / lua-nginx-module (no ngx API here)", 2)
end

local internal = require "authcodes.internal"
local fmt = require "authcodes.format"

local type, tostring = type, tostring

local M = {}

local as_error = internal.as_error

-- Log level per class: our own or the vendor's failures are errors, pressure is a
-- warning, a caller's or user's mistake is information.
-- The severity is a column of the class table (`authcodes.schema`).
local LEVEL = { error = ngx.ERR, warn = ngx.WARN, info = ngx.INFO, debug = ngx.DEBUG }

--- The log level `log` uses for an error.
-- `ngx.ERR` for `UNKNOWN`, `INTERNAL` and `DATA_LOSS` (our or the vendor's fault),
-- `ngx.WARN` for `UNAVAILABLE`, `DEADLINE_EXCEEDED` and `RESOURCE_EXHAUSTED` (pressure),
-- `ngx.DEBUG` for `OK`, `ngx.INFO` for the rest (a caller's or user's mistake).
-- @param err an error object (or anything `authcodes.new` accepts)
-- @treturn int an `ngx` log level constant
function M.level(err)
  return LEVEL[internal.severity(as_error(err).class)]
end

--- Answer the request with an RFC 9457 problem: sets the status,
-- `Content-Type: application/problem+json`, `Content-Language` (from `opts.lang`, else
-- the request's Accept-Language), `Retry-After` for rate-limited codes, writes the
-- body and returns `true` (or `nil, reason` when the headers were already sent).
-- The handler then returns, or calls `ngx.exit(ngx.status)`.
-- @param err an error object (or anything `authcodes.new` accepts)
-- @tparam[opt] table opts `lang`, `instance`, `type_base`, `status` (overrides err.http)
-- @treturn[1] boolean true, the response is written
-- @return[2] nil
-- @treturn[2] string `"headers already sent"` (nothing is written)
-- @raise `bad argument #2 to 'respond'` when opts is not a table
function M.respond(err, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'respond' (table expected, got " .. type(opts) .. ")", 2)
  end
  err = as_error(err)
  if ngx.headers_sent then return nil, "headers already sent" end
  local lang = opts and opts.lang
  if lang ~= "zh" and lang ~= "en" then
    lang = fmt.negotiate(ngx.var.http_accept_language)
  end
  local popts = { lang = lang, instance = opts and opts.instance, type_base = opts and opts.type_base }
  local status = opts and opts.status or err.http or 500
  ngx.status = status
  ngx.header["Content-Type"] = "application/problem+json"
  ngx.header["Content-Language"] = lang
  local ra = err.retry_after
  if type(ra) == "number" and err.retry == "after_delay" then
    ngx.header["Retry-After"] = tostring(ra)
  end
  ngx.print(fmt.format(err, "problem", popts))
  return true
end

--- Write the error's log line (style "log") through `ngx.log` at `M.level(err)`.
-- @param err an error object (or anything `authcodes.new` accepts)
function M.log(err)
  err = as_error(err)
  ngx.log(M.level(err), fmt.format(err, "log"))
end

return M
