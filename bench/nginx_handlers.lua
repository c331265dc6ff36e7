-- bench/nginx_handlers.lua: the two handlers bench/nginx.sh compares (see nginx.conf.in).
-- Each answers one code per request, cycling through every code in the same fixed
-- random order, so both serve the same mix of statuses and bodies.

local authcodes = require "authcodes"
local acngx = require "authcodes.ngx"
local cjson = require "cjson"
local peer = require "acpeer"

local ngx, tostring = ngx, tostring
local codes = require "codes"          -- build/bench/codes.lua
local order = {}
for i, c in ipairs(codes) do order[i] = c end
math.randomseed(20240605)
for i = #order, 2, -1 do
  local j = math.random(i)
  order[i], order[j] = order[j], order[i]
end
local n = #order

local M = {}
local a, b = 0, 0

-- A: what the README tells a handler to do.
function M.authcodes()
  a = a % n + 1
  acngx.respond(authcodes.new(order[a]))
end

-- B: the same status, headers and body, written by hand.
local encode, lookup = cjson.encode, peer.lookup
function M.peer()
  b = b % n + 1
  local e = lookup(order[b])
  ngx.status = e.http
  ngx.header["Content-Type"] = "application/problem+json"
  ngx.header["Content-Language"] = "en"
  if e.retry == "after_delay" and e.retry_after then ngx.header["Retry-After"] = tostring(e.retry_after) end
  ngx.print(encode({
    type = "urn:authcodes:" .. e.domain .. ":" .. e.name, title = e.summary, status = e.http,
    code = e.code, domain = e.domain, name = e.name, class = e.class,
    retryable = e.retryable, retry_after = e.retry_after,
  }))
end

return M
