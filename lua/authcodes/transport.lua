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

local type, lower, find, sub = type, string.lower, string.find, string.sub

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

return M
