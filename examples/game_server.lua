-- A game server's login step against iMSDK, with authcodes deciding what to do.
-- Run from a checkout:
--   make && LUA_PATH="./lua/?.lua;;" LUA_CPATH="./build/lua5.4/?.so;;" lua5.4 examples/game_server.lua
local authcodes = require "authcodes"

-- Stand-in for the HTTP call to the iMSDK server: a cache hiccup (-207, transient)
-- twice, then success. A real server would send the request here.
local replies = {
  '{"code":-207,"desc":"get user session is failure!"}',
  '{"code":-207,"desc":"get user session is failure!"}',
  '{"code":1,"desc":"success"}',
}
local function imsdk_login(attempt)
  return replies[attempt] or '{"code":-204,"desc":"user session is failure!"}'
end

local reply, entry_or_err, attempts = authcodes.retry(function(attempt)
  return authcodes.check(imsdk_login(attempt), "imsdk")
end, {
  attempts = 4,
  sleep = function() end,  -- don't wait in the example; the default really sleeps
  on_retry = function(e, attempt, delay)
    print(("retry #%d after %.3fs: %s"):format(attempt, delay, authcodes.format(e, "log")))
  end,
})
if reply then
  print("logged in: " .. reply.desc .. " (" .. entry_or_err.name .. ")")
else
  print("login failed after " .. attempts .. " attempts: " .. tostring(entry_or_err))
end

-- An expired session is not retried: the player must sign in again.
local _, expired = authcodes.check({ code = -204, desc = "user session is failure!" }, "imsdk")
print(tostring(expired))
print("retry?", authcodes.should_retry(expired, 1))
print("say to the player:", expired:text("zh"))
