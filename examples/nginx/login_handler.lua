--- The handler of examples/nginx/nginx.conf: log a player in through an auth vendor
-- (iMSDK or Wilddog) and turn whatever the vendor answers into an HTTP answer.
--
-- * success, and iMSDK's "next step" codes 2..6: 200, application/json,
--   `{"ok":true,"vendor":..,"code":..,"name":..,"action":..,"reply":{vendor's reply}}`
-- * a failure code: the code's status (401, 403, 429...), application/problem+json
--   (RFC 9457), Content-Language from Accept-Language, Retry-After when rate limited
-- * a code authcodes does not know: 500 problem, name "unknown"
-- * a reply that is no reply (not JSON, no code...): 502 problem, name "bad_reply"
-- * the vendor (or a proxy in front of it) answering HTTP 5xx or 429 with an error page
--   or an empty body: a problem of the `transport` domain with the status's class
--   (502 bad_gateway, 503 service_unavailable, 504 gateway_timeout, 429
--   too_many_requests with the vendor's Retry-After)
-- Transient failures (retry "backoff": UNAVAILABLE codes) are tried again.
-- Every answer carries X-Auth-Attempts: how many times the vendor was called.

local authcodes = require "authcodes"
local acngx = require "authcodes.ngx"
local cjson = require "cjson.safe"

local M = {}

-- Internal locations that proxy to each vendor (nginx.conf).
local VENDOR_URI = { imsdk = "/_vendor/imsdk", wilddog = "/_vendor/wilddog" }

-- Retry policy. Transient codes are retried after a short full-jitter backoff, three
-- attempts in all. Nothing waits past the deadline: a rate-limited code (retry_after
-- of 1 s or more) goes straight back to the client with its Retry-After rather than
-- holding the connection. Codes that need the player to sign in again (retry
-- "reauth") are not retried here: the policy has no `reauth` function. Waiting is
-- ngx.sleep (authcodes.retry's default inside nginx), so it never blocks the worker.
-- The retry budget lives in `lua_shared_dict authcodes`: one for all workers, so an
-- outage of the vendor cannot turn into a retry storm.
local POLICY = {
  attempts = 3,
  base = 0.02,
  cap = 0.2,
  deadline = 0.5,
  budget = authcodes.budget { dict = ngx.shared.authcodes, key = "retry_budget" },
}

-- One call to the vendor. Returns what authcodes.check returns: the decoded reply
-- and its entry for success and "next step" codes, else nil and an error object.
local function call_vendor(vendor, method)
  local res = ngx.location.capture(VENDOR_URI[vendor], { method = method, args = ngx.var.args })
  -- Wilddog answers a successful sign-in with the user's record, which carries no
  -- error code at all: a success, not an unreadable reply.
  if vendor == "wilddog" and res.status == 200 then
    local t = cjson.decode(res.body)
    if type(t) == "table" and t.errcode == nil and t.code == nil and t.uid ~= nil then
      return t
    end
  end
  -- Anything else goes through check, with the HTTP status and headers: a vendor error
  -- code, an unknown code, something that is no reply at all, or an HTTP failure (a
  -- 502/504 page of the proxy when the vendor is down or slow, a 429 and its
  -- Retry-After).
  return authcodes.check(res.body, vendor, { status = res.status, headers = res.header })
end

--- Content handler: `content_by_lua_block { require("login_handler").login("imsdk") }`.
function M.login(vendor)
  local method = ngx.HTTP_GET
  if ngx.req.get_method() == "POST" then
    ngx.req.read_body()           -- forwarded to the vendor with the subrequest
    method = ngx.HTTP_POST
  end
  local attempts = 0
  local reply, entry_or_err = authcodes.retry(function(attempt)
    attempts = attempt
    return call_vendor(vendor, method)
  end, POLICY)
  ngx.header["X-Auth-Attempts"] = attempts

  if reply == nil then
    local err = entry_or_err
    acngx.log(err)                -- one key=value line, at a level that fits the class
    return acngx.respond(err, { instance = "urn:request:" .. ngx.var.request_id })
  end

  local entry = entry_or_err     -- nil for Wilddog's success reply
  local body = cjson.encode {
    ok = true,
    vendor = vendor,
    code = entry and entry.code,
    name = entry and entry.name or "success",
    action = entry and entry.action or "none",
    reply = reply,
  }
  ngx.status = ngx.HTTP_OK
  ngx.header["Content-Type"] = "application/json"
  ngx.print(body or '{"ok":true}')
end

return M
