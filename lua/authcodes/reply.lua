--- Vendor replies: what a vendor answered, read into an entry or an error object.
-- @module authcodes.reply

local catalog = require "authcodes.catalog"
local internal = require "authcodes.internal"

local type, rawget, setmetatable, error, ipairs, tonumber =
  type, rawget, setmetatable, error, ipairs, tonumber
local format, find = string.format, string.find
local floor, huge = math.floor, math.huge

local lookup, show, text_of, bad_argument = catalog.lookup, internal.show, internal.text_of, internal.bad_argument

-- `authcodes.transport`, loaded on first use: only a reply with an HTTP status or
-- headers needs it, and `require "authcodes"` stays small.
local transport
local function transport_mod()
  if transport == nil then transport = require "authcodes.transport" end
  return transport
end
local parse_code = require("authcodes.code").parse_code
local text = require "authcodes.text"
local utf8_text, http_status = text.utf8, text.status

local M = {}

--- Can lua-cjson be loaded? For a service's start-up check: `check` of a string
-- reply and the `json` and `problem` styles of `format` need it, and raise naming the
-- load error when it is missing (a deployment mistake is never a vendor's bad reply).
--
--     assert(authcodes.has_json())   -- at start-up: fails with the load error
-- @treturn[1] boolean true
-- @return[2] false
-- @treturn[2] string the error `require "cjson.safe"` raised
M.has_json = internal.has_json

local MAX_REPLY = 1024 * 1024
local MAX_MESSAGE = 1024

-- Where each domain's replies carry the code. Wilddog REST errors say `errcode`, its
-- SDK-style bodies `code`; iMSDK says `code`. Unknown domains try both.
local CODE_FIELDS = { wilddog = { "errcode", "code" }, imsdk = { "code" } }
local ANY_FIELDS = { "errcode", "code" }

-- An error object of a `transport` entry (e.g. "bad_gateway") with this detail.
local function transport_error(name, detail) return internal.transport_error(name, detail) end

-- Read the body: the reply and its entry (a success or next step), or nil, an error
-- object and whether the body was no reply at all (unreadable).
local function read_body(reply, domain)
  local bad_reply = internal.bad_reply
  local t = reply
  if type(reply) == "string" then
    if #reply > MAX_REPLY then
      return nil, transport_error("reply_too_large", format("reply is too large (%d bytes)", #reply)), true
    end
    -- Raw NUL is never JSON, and lua-cjson stops reading at one: '{"code":1}\0 junk'
    -- would be a success.
    if find(reply, "\0", 1, true) then
      return nil, bad_reply(domain, "reply is not JSON: it contains a NUL byte"), true
    end
    local v, why = internal.json(3).decode(reply)
    if v == nil then return nil, bad_reply(domain, "reply is not JSON: " .. text_of(why)), true end
    t = v
  end
  if type(t) ~= "table" then
    return nil, bad_reply(domain, "reply is a " .. type(t) .. ", not a JSON object"), true
  end
  local code, field
  for _, f in ipairs(CODE_FIELDS[domain] or ANY_FIELDS) do
    code = rawget(t, f)
    if code ~= nil then field = f; break end
  end
  if code == nil or type(code) == "userdata" then  -- userdata: cjson.null
    return nil, bad_reply(domain, "reply has no code"), true
  end
  if type(code) == "string" then
    code = parse_code(code) or code
  end
  if type(code) ~= "number" or code ~= code or code == huge or code == -huge or floor(code) ~= code then
    return nil, bad_reply(domain, format("reply %s is %s, not an integer code", field,
      type(code) == "number" and show(code) or "a " .. type(code))), true
  end
  code = floor(code)  -- JSON numbers decode as floats; codes print as integers
  if t ~= reply then t[field] = code end  -- our own decoded copy: tidy it too
  local e
  if domain ~= nil then e = lookup(domain, code) else e = lookup(code) end
  if e ~= nil and e.ok then return t, e end
  local msg = rawget(t, "desc")
  if type(msg) ~= "string" then msg = rawget(t, "message") end
  if type(msg) == "string" then msg = utf8_text(msg, MAX_MESSAGE) end  -- valid UTF-8, cut on a character
  if e == nil then
    local o = internal.unknown(code, domain)
    o.detail = "reply " .. field .. " " .. show(code) .. " is not in the catalog"
      .. (type(msg) == "string" and (": " .. msg) or "")
    return nil, o
  end
  local o = setmetatable({}, internal.mt_for(e))
  if type(msg) == "string" and msg ~= e.message then o.detail = msg end
  return nil, o
end

-- The HTTP status as a number from 100 to 599: a number, or a decimal string (lua-http
-- gives `":status"` as one). Anything else that came from the network reads as no
-- status; a table, function or boolean is the caller's mistake.
local function read_status(v)
  local t = type(v)
  if t == "nil" then return nil end
  if t == "string" then v = #v <= 3 and v:find("^%d%d%d$") and tonumber(v) or nil
  elseif t ~= "number" then
    error("bad argument #3 to 'check' (opts.status must be a number, got " .. t .. ")", 4)
  end
  return http_status(v)
end

--- Read a vendor reply: a decoded table or a JSON string, and when given, the HTTP
-- status and headers it came with.
-- iMSDK `{code=, desc=}` (1 is success, 2..6 are next-step instructions), Wilddog
-- `{errcode=, message=}` or `{code=, ...}`. Returns the reply (the decoded table) and
-- its entry when the code is not a failure; otherwise nil and an error object (class
-- UNKNOWN for unreadable replies); never raises on the reply, the status or the headers.
--
--     local res = ngx.location.capture("/_vendor/imsdk/login")
--     local reply, err = authcodes.check(res.body, "imsdk", { status = res.status, headers = res.header })
--     if not reply then return nil, err end      -- err: an error object
--     -- here err is the entry: err.ok is true, err.name "success" or a next step
--
-- A string reply is decoded with lua-cjson (`cjson.safe`); a code given as a decimal
-- string is accepted. When the vendor's message differs from the catalog's, it becomes
-- the error's `detail` (made valid UTF-8, cut to 1 KiB on a character); a code not in
-- the catalog gives an UNKNOWN error (http 500) whose `detail` quotes it. Replies that
-- are not JSON (a raw NUL byte is not), without a code or with a non-integral code give
-- a `bad_reply` error (class UNKNOWN, http 502); replies over
-- 1 MiB a `transport.reply_too_large` one.
--
-- The HTTP status (`opts.status`) matters when it is 400 or more and the body is no
-- failure reply (a success-looking body, an HTML error page, nothing): the call failed
-- all the same, with the `transport` error of the status (`authcodes.transport`):
-- 429 `too_many_requests`, 502 `bad_gateway`, 503 `service_unavailable`, 504 and 408
-- `gateway_timeout`, other 5xx `upstream_error`, other 4xx `http_error`. A failure code
-- in the body wins over the status (it says more). With `opts.headers`, a vendor's
-- `Retry-After` (seconds or an HTTP-date, at most a day) becomes the error's own
-- `retry_after` (a field of that one object; the catalog entry is unchanged), which
-- `retry` waits for and `authcodes.ngx.respond` passes on.
-- Wilddog's successful REST bodies carry no `errcode`: give `check` the bodies of
-- Wilddog's error responses (HTTP status >= 400) only.
-- @tparam table|string reply the reply: a decoded table, or its JSON text (nil or
-- anything else gives a `bad_reply` error)
-- @tparam[opt] string domain `"imsdk"`, `"wilddog"` or a registered domain; without
-- it, the code field is looked for as `errcode` then `code`, in every domain
-- @tparam[opt] table opts `status` (the HTTP status: a number, or a decimal string) and
-- `headers` (a table of response headers, names in any case, values strings or lists:
-- `res.header` of `ngx.location.capture`, `res.headers` of lua-resty-http; or a lua-http
-- headers object)
-- @treturn[1] table the reply (decoded, the code field made an integer)
-- @treturn[1] table the entry (`entry.ok` is true)
-- @return[2] nil
-- @return[2] an error object
-- @raise `bad argument #2 to 'check' (unknown domain ...)` when domain is given but
-- not a known domain name; `bad argument #3` when opts is not a table, `opts.status`
-- is neither a number nor a string, or `opts.headers` is not a table; an error naming
-- the cause when a string reply needs lua-cjson and it cannot be loaded (a deployment
-- mistake, not a bad reply)
function M.check(reply, domain, opts)
  if domain ~= nil and not internal.has_domain(domain) then
    bad_argument("check", 2, "unknown domain " .. show(domain))
  end
  local status, headers
  if opts ~= nil then
    if type(opts) ~= "table" then
      bad_argument("check", 3, "table expected, got " .. type(opts))
    end
    status, headers = read_status(rawget(opts, "status")), rawget(opts, "headers")
    if headers ~= nil and type(headers) ~= "table" then
      bad_argument("check", 3, "opts.headers must be a table, got " .. type(headers))
    end
  end
  local t, r, unreadable = read_body(reply, domain)
  if status ~= nil and (t ~= nil or unreadable) then
    local name = transport_mod().name_of_status(status)
    if name ~= nil then
      local why
      if t ~= nil then why = format("with a success reply (%s)", show(r.name))
      elseif reply == nil or reply == "" then why = "with no body"
      else why = text_of(rawget(r, "detail")) or "with no reply" end
      t, r = nil, transport_error(name, format("HTTP %d from the vendor, %s", status, why))
    end
  end
  if t == nil and headers ~= nil then
    local ra = transport_mod().retry_after(headers)
    if ra ~= nil then r.retry_after = ra end
  end
  return t, r
end

return M
