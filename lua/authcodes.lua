--- authcodes: Wilddog Auth and iMSDK server error codes for Lua.
--
--     local authcodes = require "authcodes"
--     local e = authcodes.lookup(22002)          -- entry: name, class, retry, http...
--     local err = authcodes.new(-204, { detail = "login" })
--     if authcodes.should_retry(err, 1) then ... end
--
-- This module gathers the public functions; each lives in the submodule named after
-- its concern: `authcodes.catalog` (lookup), `authcodes.register` (domains of your
-- own), `authcodes.entry` (what an entry is and
-- its methods), `authcodes.errors` (error objects), `authcodes.reply` (vendor replies),
-- `authcodes.transport` (client error messages and HTTP statuses as transport errors),
-- `authcodes.retry` (retry policy), `authcodes.format` (text, log, JSON, RFC 9457) and,
-- inside nginx, `authcodes.ngx`. Only the catalog loads with `require "authcodes"`; the
-- register, error, reply, retry and format modules load on first use of their functions,
-- so a VM pays for what it uses (BENCHMARKS.md, "heap after require").
--
-- `authcodes.X` is the very function `authcodes.<submodule>.X`; its reference is there:
--
-- * `lookup(key)`, `lookup(domain, key)`: entry, or `nil, reason` (`authcodes.catalog.lookup`)
-- * `get(key)`: `lookup(key)` with one argument, for hot paths (`authcodes.catalog.get`)
-- * `domains()`: the domain names (`authcodes.catalog.domains`)
-- * `each(domain)`: iterate over a domain's entries (`authcodes.catalog.each`)
-- * `register(domain, rows)`: add a domain of your own (`authcodes.register.register`)
-- * `new(key [, opts])`: an error object (`authcodes.errors.new`)
-- * `is_error(v)`: is v an error object? (`authcodes.errors.is_error`)
-- * `check(reply [, domain [, opts]])`: read a vendor reply, with its HTTP status and
--   headers (`authcodes.reply.check`)
-- * `has_json()`: can lua-cjson be loaded? (`authcodes.reply.has_json`)
-- * `should_retry(err, attempt [, policy])` (`authcodes.retry.should_retry`)
-- * `retry(fn [, policy])`: call until success or the policy says stop (`authcodes.retry.retry`)
-- * `budget([opts])`: a retry budget (`authcodes.budget.budget`)
-- * `breaker(opts)`: a circuit breaker (`authcodes.breaker.breaker`)
-- * `format(err, style [, opts])`: text, log, JSON or problem (`authcodes.format.format`)
-- * `problem(err [, opts])`: RFC 9457 table (`authcodes.format.problem`)
-- * `negotiate(accept_language)`: `"zh"` or `"en"` (`authcodes.format.negotiate`)
-- * `_VERSION`: this library's version, a string such as `"0.1.0"`
--
-- Inside nginx, `require "authcodes.ngx"` adds `respond` and `log` (`authcodes.ngx`).
-- Entries and error objects, their fields and methods: see the topic
-- *Entries and error objects* (`docs/topics/entries.md`).
--
-- Errors: a wrong argument from the programmer (wrong type, unknown domain, unknown
-- style) raises `bad argument #n to 'fn' (...)`; anything that comes from the network
-- (an unknown code, garbage, an unreadable reply) never raises: `lookup` and `register`
-- answer `nil, reason`, `new` gives an UNKNOWN error object, `check` gives `nil, err`.
-- @module authcodes

local catalog = require "authcodes.catalog"

local M = {
  _VERSION = "0.2.0",
  lookup = catalog.lookup,
  get = catalog.get,
  domains = catalog.domains,
  each = catalog.each,
}

-- Functions that live in submodules loaded on first use.
local lazy = {
  register = "authcodes.register",
  new = "authcodes.errors", is_error = "authcodes.errors",
  check = "authcodes.reply", has_json = "authcodes.reply",
  should_retry = "authcodes.retry", retry = "authcodes.retry", budget = "authcodes.budget",
  breaker = "authcodes.breaker",
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
