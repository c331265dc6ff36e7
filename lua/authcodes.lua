--- authcodes: Wilddog Auth and iMSDK server error codes for Lua.
--
--     local authcodes = require "authcodes"
--     local e = authcodes.lookup(22002)          -- entry: name, class, retry, http...
--     local err = authcodes.new(-204, { detail = "login" })
--     if authcodes.should_retry(err, 1) then ... end
--
-- This module gathers the public functions; each lives in the submodule named after
-- its concern: `authcodes.catalog` (lookup), `authcodes.errors` (error objects and
-- vendor replies), `authcodes.retry` (retry policy), `authcodes.format` (text, log,
-- JSON, RFC 9457) and, inside nginx, `authcodes.ngx`. The retry and format modules
-- load on first use, so `require "authcodes"` stays small.
-- @module authcodes

local catalog = require "authcodes.catalog"
local errors = require "authcodes.errors"

local M = {
  _VERSION = "0.1.0",
  lookup = catalog.lookup,
  domains = catalog.domains,
  each = catalog.each,
  register = catalog.register,
  new = errors.new,
  is_error = errors.is_error,
  check = errors.check,
}

-- Functions that live in submodules loaded on first use.
local lazy = {
  should_retry = "authcodes.retry", retry = "authcodes.retry", budget = "authcodes.retry",
  format = "authcodes.format", problem = "authcodes.format", negotiate = "authcodes.format",
}

return setmetatable(M, {
  __index = function(t, k)
    local mod = lazy[k]
    if mod == nil then return nil end
    local v = require(mod)[k]
    rawset(t, k, v)
    return v
  end,
})
