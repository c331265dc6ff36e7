--- Transport failures: the error strings of socket and HTTP clients, read into entries
-- of the built-in `transport` domain.
--
-- A vendor call fails before any vendor code exists: the connection is refused, a read
-- times out, a host name does not resolve. The clients say so in words, not codes:
-- lua-nginx-module's cosockets (`"timeout"`, `"closed"`, `"connection refused"`,
-- `"connection reset by peer"`, `"no resolver defined to resolve \"host\""`,
-- `"host could not be resolved (3: Host not found)"`, `"handshake failed"`,
-- `"18: self signed certificate"`), LuaSocket (`"timeout"`, `"closed"`,
-- `"host not found"`), lua-http (`strerror` text such as `"Connection refused"`,
-- `"Connection timed out"`) and lua-resty-http (the cosocket words, sometimes after a
-- prefix such as `"failed to connect: "`). `authcodes.new` reads such a string into the
-- matching `transport` entry, keeping the raw message as the error's `detail`, so
-- `retry(fn)` retries a `fn` that returns `nil, "timeout"` with no mapping code of the
-- caller's.
-- @module authcodes.transport

local type, rawget, next, pcall, tonumber = type, rawget, next, pcall, tonumber
local lower, find, sub = string.lower, string.find, string.sub
local floor, min, max = math.floor, math.min, math.max

local M = {}

-- Only the start of a message is read: every client puts the cause there, and the
-- matching stays linear and bounded whatever the message's size.
local MAX_READ = 512

-- Lua patterns -> transport entry name, tried in order (the first rule with a matching
-- pattern wins), on the lower-cased message. Order matters where a message names two
-- things: a resolver timeout is a DNS failure, a handshake timeout a timeout, a
-- certificate error is not a generic TLS one. Short words only match as whole words
-- (`%f`), and "closed" only as a socket says it (`closed`, `receive: closed`,
-- `connection closed`), so that "account closed" stays a message, not a transport error.
-- The patterns have no nested repetition: matching is linear in the (bounded) message.
local RULES = {
  { "no_resolver", { "no resolver defined" } },
  { "dns_failed", { "could not be resolved", "host not found", "name or service not known",
    "temporary failure in name resolution", "nodename nor servname", "no address associated",
    "failed to start the resolver", "host or service not provided", "name resolution",
    "%f[%w]eai_noname%f[%W]", "%f[%w]eai_again%f[%W]" } },
  { "connection_refused", { "connection refused", "%f[%w]econnrefused%f[%W]" } },
  { "connection_reset", { "reset by peer", "connection reset", "%f[%w]econnreset%f[%W]" } },
  { "host_unreachable", { "no route to host", "unreachable", "host is down", "%f[%w]ehostunreach%f[%W]",
    "%f[%w]enetunreach%f[%W]" } },
  { "timeout", { "timeout", "timed out", "%f[%w]etimedout%f[%W]" } },
  { "tls_certificate_rejected", { "certificate", "self signed", "self%-signed",
    "unable to get local issuer", "host mismatch" } },
  { "tls_handshake_failed", { "handshake", "%f[%w]ssl%f[%W]", "%f[%w]tls%f[%W]" } },
  { "connection_closed", { "^closed$", ": closed$", "connection closed", "socket closed",
    "closed by peer", "closed prematurely", "broken pipe", "%f[%w]epipe%f[%W]", "connection aborted",
    "%f[%w]econnaborted%f[%W]", "unexpected eof", "%f[%w]eof%f[%W]" } },
  { "reply_too_large", { "too large", "too big", "body size" } },
}

-- Which timeout, when the message says.
local TIMEOUTS = {
  { "connect_timeout", { "connect" } },
  { "read_timeout", { "read", "receiv", "recv" } },
  { "send_timeout", { "send", "writ" } },
}

local function match(s, rules)
  for i = 1, #rules do
    local patterns = rules[i][2]
    for j = 1, #patterns do
      if find(s, patterns[j]) then return rules[i][1] end
    end
  end
  return nil
end

--- The `transport` entry name a client's error message stands for, or nil.
-- Case does not matter; only the first 512 bytes are read; anything but a string is
-- nil. Never raises.
--
--     authcodes.transport.name_of("connection refused")            --> "connection_refused"
--     authcodes.transport.name_of("failed to receive: timeout")    --> "read_timeout"
--     authcodes.transport.name_of("api.example.com could not be resolved (3: Host not found)")
--                                                                   --> "dns_failed"
-- @param msg the message (any value)
-- @treturn[1] string the name of an entry of the `transport` domain
-- @return[2] nil when msg names no transport failure
function M.name_of(msg)
  if type(msg) ~= "string" or msg == "" then return nil end
  local s = lower(#msg > MAX_READ and sub(msg, 1, MAX_READ) or msg)
  local name = match(s, RULES)
  if name == "timeout" then return match(s, TIMEOUTS) or name end
  return name
end

--- Entry names for an HTTP status whose body is no vendor reply (or a success one).
-- 429 is rate limiting, 408 and 504 timeouts, 502 and 503 themselves, any other 5xx a
-- server error and any other 4xx an HTTP error; below 400, nil.
-- @int status an HTTP status
-- @treturn[1] string the name of an entry of the `transport` domain
-- @return[2] nil for a status below 400 (or not an integer from 100 to 599)
function M.name_of_status(status)
  if type(status) ~= "number" or not (status >= 400 and status <= 599) then return nil end
  if status == 429 then return "too_many_requests" end
  if status == 408 or status == 504 then return "gateway_timeout" end
  if status == 502 then return "bad_gateway" end
  if status == 503 then return "service_unavailable" end
  if status >= 500 then return "upstream_error" end
  return "http_error"
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

--- The seconds a response's `Retry-After` header asks for, or nil.
-- Delay-seconds or an HTTP-date (IMF-fixdate, RFC 850, asctime: RFC 9110 §10.2.3),
-- at most a day (a date in the past is 0). The headers: a table with names in any case
-- (ngx's `res.header`, lua-resty-http's `res.headers`), a value or a list of values (a
-- repeated header: the first valid one), or an object with a `get` method (lua-http).
-- The table is read raw (its metamethods are the network's, not ours). Never raises.
-- @tparam table headers the response headers
-- @treturn[1] int seconds, 0 to 86400
-- @return[2] nil when there is no valid Retry-After
function M.retry_after(headers)
  if type(headers) ~= "table" then return nil end
  return parse_retry_after(retry_after_header(headers))
end

return M
