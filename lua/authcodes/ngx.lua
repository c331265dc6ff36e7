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
local text = require "authcodes.text"

local type, tostring, rawget, ipairs = type, tostring, rawget, ipairs
local find, lower, format = string.find, string.lower, string.format

local M = {}

local as_error = internal.as_error
local check_problem_opts, status_for = internal.check_problem_opts, internal.status_for

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

-- Add Accept-Language to the response's Vary header, keeping what is there: the body's
-- language was chosen from that request header, so a cache must key on it.
local function vary_on_language()
  local h = ngx.header
  local v = h["Vary"]
  if v == nil then h["Vary"] = "Accept-Language"; return end
  local list = type(v) == "table" and v or { v }
  for _, x in ipairs(list) do
    if type(x) == "string" and (x == "*" or find(lower(x), "accept-language", 1, true)) then return end
  end
  if type(v) == "table" then
    local t = {}
    for i, x in ipairs(v) do t[i] = x end
    t[#t + 1] = "Accept-Language"
    h["Vary"] = t
  else
    h["Vary"] = tostring(v) .. ", Accept-Language"
  end
end

--- Answer the request with an RFC 9457 problem: sets the status,
-- `Content-Type: application/problem+json`, `Content-Language`, `Vary:
-- Accept-Language` when the language came from the request, `Retry-After` for
-- rate-limited codes and for errors that carry the vendor's own `Retry-After`, writes
-- the body and returns `true` (or `nil, reason` when the headers were already sent).
-- The handler then returns, or calls `ngx.exit(ngx.status)`.
--
-- The language is `opts.lang` when it is `"zh"` or `"en"`, else the request's
-- Accept-Language (`authcodes.negotiate`); `Content-Language` is the language the
-- title is really in (`"en"` for a code the vendor gave no Chinese text). The body's
-- `status` is the response's status. The error's `detail` (a vendor's or a parser's
-- own words, which a client should not see) is left out of the body unless
-- `opts.expose_detail` is `true`; `log(err)` still writes it. `Retry-After` is the
-- error's `retry_after` in whole seconds (at most a day), sent only when it is a
-- finite number >= 0. The body keeps the caps of `authcodes.format`.
-- @param err an error object (or anything `authcodes.new` accepts)
-- @tparam[opt] table opts `lang`, `instance`, `type_base`, `status` (an HTTP status
-- from 100 to 599, instead of `err.http`), `expose_detail` (default `false`); read
-- as plain fields (no metamethod runs)
-- @treturn[1] boolean true, the response is written
-- @return[2] nil
-- @treturn[2] string `"headers already sent"` (nothing is written)
-- @raise `bad argument #2 to 'respond'` when opts is not a table, opts.type_base is
-- not a string or opts.status is not an HTTP status
function M.respond(err, opts)
  check_problem_opts(opts, "#2 to 'respond'")   -- the same options as a problem's
  local lang, instance, type_base, status, expose
  if opts ~= nil then
    lang, instance, type_base = rawget(opts, "lang"), rawget(opts, "instance"), rawget(opts, "type_base")
    status, expose = text.status(rawget(opts, "status")), rawget(opts, "expose_detail")
  end
  err = as_error(err)
  if ngx.headers_sent then return nil, "headers already sent" end
  local negotiated = false
  if lang ~= "zh" and lang ~= "en" then
    lang = fmt.negotiate(ngx.var.http_accept_language)
    negotiated = true
  end
  -- No Chinese text for this code: the title is the English one, and says so.
  if lang == "zh" and err:text("zh") == err:text("en") then lang = "en" end
  ngx.status = status_for(err, status)
  ngx.header["Content-Type"] = "application/problem+json"
  ngx.header["Content-Language"] = lang
  if negotiated then vary_on_language() end
  local ra = text.seconds(err.retry_after)
  -- A rate-limited code, or any error the vendor gave a Retry-After of its own (`check`).
  if ra ~= nil and (err.retry == "after_delay" or rawget(err, "retry_after") ~= nil) then
    ngx.header["Retry-After"] = format("%d", ra)
  end
  ngx.print(fmt.format(err, "problem", { lang = lang, instance = instance, type_base = type_base,
    status = status, expose_detail = expose == true }))
  return true
end

--- Write the error's log line (style "log") through `ngx.log` at `M.level(err)`.
-- @param err an error object (or anything `authcodes.new` accepts)
function M.log(err)
  err = as_error(err)
  ngx.log(M.level(err), fmt.format(err, "log"))
end

return M
