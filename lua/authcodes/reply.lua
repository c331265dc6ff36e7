--- Vendor replies: what a vendor answered, read into an entry or an error object.
-- @module authcodes.reply

local catalog = require "authcodes.catalog"
local internal = require "authcodes.internal"

local type, rawget, setmetatable, error, ipairs = type, rawget, setmetatable, error, ipairs
local format, find = string.format, string.find
local floor, huge = math.floor, math.huge

local lookup, show, text_of = catalog.lookup, internal.show, internal.text_of
local schema = internal.schema
local utf8_text = require("authcodes.text").utf8

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

--- Read a vendor reply: a decoded table or a JSON string.
-- iMSDK `{code=, desc=}` (1 is success, 2..6 are next-step instructions), Wilddog
-- `{errcode=, message=}` or `{code=, ...}`. Returns the reply (the decoded table) and
-- its entry when the code is not a failure; otherwise nil and an error object (class
-- UNKNOWN for unreadable replies); never raises on the reply.
--
--     local reply, err = authcodes.check(body, "imsdk")
--     if not reply then return nil, err end      -- err: an error object
--     -- here err is the entry: err.ok is true, err.name "success" or a next step
--
-- A string reply is decoded with lua-cjson (`cjson.safe`); a code given as a decimal
-- string is accepted. When the vendor's message differs from the catalog's, it becomes
-- the error's `detail` (made valid UTF-8, cut to 1 KiB on a character); a code not in
-- the catalog gives an UNKNOWN error (http 500) whose `detail` quotes it. Replies that
-- are not JSON (a raw NUL byte is not), over 1 MiB, without a code or with a
-- non-integral code give a `bad_reply` error (class UNKNOWN, http 502).
-- Wilddog's successful REST bodies carry no `errcode`: give `check` the bodies of
-- Wilddog's error responses (HTTP status >= 400) only.
-- @tparam table|string reply the reply: a decoded table, or its JSON text
-- @tparam[opt] string domain `"imsdk"`, `"wilddog"` or a registered domain; without
-- it, the code field is looked for as `errcode` then `code`, in every domain
-- @treturn[1] table the reply (decoded, the code field made an integer)
-- @treturn[1] table the entry (`entry.ok` is true)
-- @return[2] nil
-- @return[2] an error object
-- @raise `bad argument #2 to 'check' (unknown domain ...)` when domain is given but
-- not a known domain name; an error naming the cause when a string reply needs
-- lua-cjson and it cannot be loaded (a deployment mistake, not a bad reply)
function M.check(reply, domain)
  if domain ~= nil and not internal.has_domain(domain) then
    error("bad argument #2 to 'check' (unknown domain " .. show(domain) .. ")", 2)
  end
  local bad_reply = internal.bad_reply
  local t = reply
  if type(reply) == "string" then
    if #reply > MAX_REPLY then
      return nil, bad_reply(domain, format("reply is too large (%d bytes)", #reply))
    end
    -- Raw NUL is never JSON, and lua-cjson stops reading at one: '{"code":1}\0 junk'
    -- would be a success.
    if find(reply, "\0", 1, true) then
      return nil, bad_reply(domain, "reply is not JSON: it contains a NUL byte")
    end
    local v, why = internal.json(2).decode(reply)
    if v == nil then return nil, bad_reply(domain, "reply is not JSON: " .. text_of(why)) end
    t = v
  end
  if type(t) ~= "table" then
    return nil, bad_reply(domain, "reply is a " .. type(t) .. ", not a JSON object")
  end
  local code, field
  for _, f in ipairs(CODE_FIELDS[domain] or ANY_FIELDS) do
    code = rawget(t, f)
    if code ~= nil then field = f; break end
  end
  if code == nil or type(code) == "userdata" then  -- userdata: cjson.null
    return nil, bad_reply(domain, "reply has no code")
  end
  if type(code) == "string" then
    code = schema.parse_code(code) or code
  end
  if type(code) ~= "number" or code ~= code or code == huge or code == -huge or floor(code) ~= code then
    return nil, bad_reply(domain, format("reply %s is %s, not an integer code", field,
      type(code) == "number" and show(code) or "a " .. type(code)))
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

return M
