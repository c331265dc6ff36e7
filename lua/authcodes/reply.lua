--- Vendor replies: what a vendor answered, read into an entry or an error object.
-- @module authcodes.reply

local catalog = require "authcodes.catalog"
local internal = require "authcodes.internal"

local transport = require "authcodes.transport"

local type, rawget, setmetatable, error, ipairs, next, pcall, tonumber, tostring =
  type, rawget, setmetatable, error, ipairs, next, pcall, tonumber, tostring
local format, lower = string.format, string.lower
local floor, huge, min, max = math.floor, math.huge, math.min, math.max

local lookup, show, text_of = catalog.lookup, internal.show, internal.text_of
local schema = internal.schema

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

-- The entry of a `transport` name, e.g. "bad_gateway"; built in, so always there.
local function transport_entry(name)
  return (lookup("transport", name))
end

-- An error object of a `transport` entry with this detail: a fresh object, which
-- `check` may give its own `retry_after`.
local function transport_error(name, detail)
  return setmetatable({ detail = detail }, internal.mt_for(transport_entry(name)))
end

-- Read the body: the reply and its entry (a success or next step), or nil, an error
-- object and whether the body was no reply at all (unreadable).
local function read_body(reply, domain)
  local bad_reply = internal.bad_reply
  local t = reply
  if type(reply) == "string" then
    if #reply > MAX_REPLY then
      return nil, transport_error("reply_too_large", format("reply is too large (%d bytes)", #reply)), true
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
    code = schema.parse_code(code) or code
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
  if type(msg) == "string" and #msg > MAX_MESSAGE then msg = msg:sub(1, MAX_MESSAGE) .. "..." end
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
  if v == nil or v ~= v or v < 100 or v > 599 or floor(v) ~= v then return nil end
  return floor(v)
end

local MAX_HEADERS = 200   -- header entries looked at: nginx allows 100 by default

-- The value of the Retry-After header in any table of headers: keys in any case
-- (ngx's `res.header`, lua-resty-http's `res.headers`), a value or a list of values
-- (a repeated header), or an object with a `get` method (lua-http). Raw reads first:
-- the caller's header table is network data and its metamethods are not ours.
local function retry_after_header(headers)
  local v = rawget(headers, "Retry-After")
  if v == nil then v = rawget(headers, "retry-after") end
  if v == nil then
    local k, n = next(headers), 0
    while k ~= nil and n < MAX_HEADERS do
      if type(k) == "string" and #k == 11 and lower(k) == "retry-after" then v = rawget(headers, k); break end
      k, n = next(headers, k), n + 1
    end
  end
  if v == nil then
    local ok, get = pcall(function() return headers.get end)
    if ok and type(get) == "function" then
      local ok2, got = pcall(get, headers, "retry-after")
      if ok2 then v = got end
    end
  end
  return v
end

local MONTHS = { jan = 1, feb = 2, mar = 3, apr = 4, may = 5, jun = 6,
                 jul = 7, aug = 8, sep = 9, oct = 10, nov = 11, dec = 12 }

-- Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm),
-- so an HTTP date becomes epoch seconds without os.time's local time zone.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime
-- forms) as epoch seconds, or nil.
local function http_date(s)
  local d, mon, y, h, mi, sec = s:match("^%a+, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if not d then
    d, mon, y, h, mi, sec = s:match("^%a+, (%d%d)%-(%a%a%a)%-(%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    if y then y = tonumber(y); y = tostring(y < 70 and 2000 + y or 1900 + y) end
  end
  if not d then
    mon, d, h, mi, sec, y = s:match("^%a+ (%a%a%a) +(%d%d?) (%d%d):(%d%d):(%d%d) (%d%d%d%d)$")
  end
  local m = mon and MONTHS[lower(mon)]
  if not m then return nil end
  d, y, h, mi, sec = tonumber(d), tonumber(y), tonumber(h), tonumber(mi), tonumber(sec)
  if d < 1 or d > 31 or h > 23 or mi > 59 or sec > 60 then return nil end
  return days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec
end

local MAX_RETRY_AFTER = 86400  -- a day, the catalog's own bound for retry_after

-- The wall clock, for an HTTP-date: nginx's cached time inside nginx, else os.time.
local function wall_now()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.time) == "function" then return ngx.time() end
  return os.time()
end

-- Seconds a Retry-After value asks for (delay-seconds or an HTTP-date), at most a day;
-- nil when it is neither. A list (a repeated header) gives its first valid value.
local function parse_retry_after(v, depth)
  if type(v) == "table" and (depth or 0) == 0 then
    for i = 1, 8 do
      local x = rawget(v, i)
      if x == nil then break end
      local s = parse_retry_after(x, 1)
      if s then return s end
    end
    return nil
  end
  if type(v) == "number" then
    if v ~= v or v < 0 then return nil end
    return min(floor(v), MAX_RETRY_AFTER)
  end
  if type(v) ~= "string" or #v > 64 then return nil end
  v = v:match("^%s*(.-)%s*$")
  if v:find("^%d+$") then return min(tonumber(v), MAX_RETRY_AFTER) end
  local at = http_date(v)
  if at == nil then return nil end
  return max(0, min(at - wall_now(), MAX_RETRY_AFTER))
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
-- the error's `detail`; a code not in the catalog gives an UNKNOWN error (http 500)
-- whose `detail` quotes it. Replies that are not JSON, without a code or with a
-- non-integral code give a `bad_reply` error (class UNKNOWN, http 502); replies over
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
    error("bad argument #2 to 'check' (unknown domain " .. show(domain) .. ")", 2)
  end
  local status, headers
  if opts ~= nil then
    if type(opts) ~= "table" then
      error("bad argument #3 to 'check' (table expected, got " .. type(opts) .. ")", 2)
    end
    status, headers = read_status(rawget(opts, "status")), rawget(opts, "headers")
    if headers ~= nil and type(headers) ~= "table" then
      error("bad argument #3 to 'check' (opts.headers must be a table, got " .. type(headers) .. ")", 2)
    end
  end
  local t, r, unreadable = read_body(reply, domain)
  if status ~= nil and (t ~= nil or unreadable) then
    local name = transport.name_of_status(status)
    if name ~= nil then
      local why
      if t ~= nil then why = format("with a success reply (%s)", show(r.name))
      elseif reply == nil or reply == "" then why = "with no body"
      else why = text_of(rawget(r, "detail")) or "with no reply" end
      t, r = nil, transport_error(name, format("HTTP %d from the vendor, %s", status, why))
    end
  end
  if t == nil and headers ~= nil then
    local ra = parse_retry_after(retry_after_header(headers))
    if ra ~= nil then r.retry_after = ra end
  end
  return t, r
end

return M
