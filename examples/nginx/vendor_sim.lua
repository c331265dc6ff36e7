--- A simulated auth vendor for examples/nginx: answers like iMSDK (`{"code":..,"desc":..}`)
-- or Wilddog (`{"errcode":..,"message":..}`, and the user's record on success), driven
-- by the query string, so that every kind of answer can be asked for:
--
--   (nothing)               success: iMSDK {"code":1,"desc":"success"}, Wilddog {"uid":..,"idToken":..}
--   code=N                  the vendor's reply for code N (known to authcodes or not)
--   fail=K&id=ID[&code=N]   code N (default: a transient one, iMSDK -207, Wilddog 22005)
--                           for the first K calls with this ID, then success: a retry
--                           that works. The count is in lua_shared_dict vendor_sim.
--   garbage=KIND            html (a 502 error page), text, empty, truncated, array,
--                           nocode, nullcode, strcode, float; nul (a success with a
--                           NUL byte and junk after it); hostile (iMSDK -101 with a desc of
--                           ill-formed bytes, terminal escapes, bidi controls, line
--                           separators, markup and 400 Chinese characters)
--   status=S                the HTTP status of the reply (default 200)
--   html=S                  an HTML error page with HTTP status S (500, 502, 504...), as
--                           a proxy in front of a broken vendor answers
--   retry_after=V           a Retry-After header with value V (seconds or an HTTP-date)
--   sleep=T                 answer only after T seconds (at most 10): a slow vendor
-- Not part of authcodes: delete it, and its server block, to talk to a real vendor.

local cjson = require "cjson.safe"
local authcodes = require "authcodes"

local M = {}

local SUCCESS = {
  imsdk = { code = 1, desc = "success" },
  wilddog = { uid = "u-42", idToken = "token-for-u-42", expiresIn = 3600 },
}
local TRANSIENT = { imsdk = -207, wilddog = 22005 }

local GARBAGE = {
  html = { 502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>" },
  text = { 200, "text/plain", "service temporarily unavailable" },
  empty = { 200, "application/json", "" },
  truncated = { 200, "application/json", '{"code":-204,"desc":"user sess' },
  array = { 200, "application/json", "[1,2,3]" },
  nocode = { 200, "application/json", '{"desc":"what code?"}' },
  nullcode = { 200, "application/json", '{"code":null,"errcode":null}' },
  strcode = { 200, "application/json", '{"code":"oops","errcode":"oops"}' },
  float = { 200, "application/json", '{"code":1.5,"errcode":1.5}' },
  nul = { 200, "application/json", '{"code":1,"errcode":1}\0 anything' },
  hostile = { 500, "application/json", '{"code":-101,"errcode":22001,"desc":"\255\254\27[2J\27]0;x\7'
    .. '\226\128\174\226\128\168\194\133\155<script>alert(1)</script>' .. ("过"):rep(400) .. '"}' },
}

-- The vendor's own words for a code, when authcodes knows them.
local function reply_for(vendor, code)
  local e = authcodes.lookup(vendor, code)
  local msg = e and e.message or "simulated failure"
  if vendor == "imsdk" then return { code = code, desc = msg } end
  return { errcode = code, message = msg }
end

local function arg1(v)
  if type(v) == "table" then return v[1] end   -- ?a=1&a=2
  return v
end

--- Content handler of the simulated vendor: `require("vendor_sim").serve("imsdk")`.
function M.serve(vendor)
  local args = ngx.req.get_uri_args(20)
  local status = tonumber(arg1(args.status)) or 200
  local code = tonumber(arg1(args.code))
  local kind = arg1(args.garbage)
  local delay = tonumber(arg1(args.sleep))
  if delay and delay > 0 then ngx.sleep(math.min(delay, 10)) end
  local retry_after = arg1(args.retry_after)
  if retry_after then ngx.header["Retry-After"] = retry_after end
  local html = tonumber(arg1(args.html))
  if html then
    ngx.status = html
    ngx.header["Content-Type"] = "text/html"
    ngx.print(("<html><head><title>%d Error</title></head><body><center><h1>%d Error</h1></center>"
      .. "<hr><center>nginx</center></body></html>"):format(html, html))
    return
  end
  if kind ~= nil then
    local g = GARBAGE[kind] or GARBAGE.text
    ngx.status = g[1]
    ngx.header["Content-Type"] = g[2]
    ngx.print(g[3])
    return
  end
  local body
  local fail = tonumber(arg1(args.fail))
  if fail then
    local id = tostring(arg1(args.id) or "-")
    local calls = ngx.shared.vendor_sim:incr("calls:" .. id, 1, 0, 60)
    if calls <= fail then
      body = reply_for(vendor, code or TRANSIENT[vendor])
    else
      body = SUCCESS[vendor]
    end
  elseif code then
    body = reply_for(vendor, code)
  else
    body = SUCCESS[vendor]
  end
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.print(cjson.encode(body))
end

return M
