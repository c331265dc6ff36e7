-- vendor: a simulated iMSDK login endpoint, as a skynet service. `auth(uid, token)`
-- answers the JSON text an HTTP call would give (through lua-cjson), after 10 ms of
-- simulated network time (skynet.sleep: the service yields, never blocks). What it
-- answers per uid is scripted by the test: `script(uid, { -207, -207 })` makes the next
-- two calls fail with -207 (session_get_failed, retried with backoff); once the script
-- is used up, every call succeeds (code 1). `calls(uid)` counts the calls made. main
-- names it ".imsdk", for README.md's example, which calls `login`.
local skynet = require "skynet"
local cjson = require "cjson.safe"

local scripts, calls = {}, {}
local CMD = {}

function CMD.script(uid, codes)
  scripts[uid], calls[uid] = codes, 0
  return true
end

function CMD.auth(uid, token)
  calls[uid] = (calls[uid] or 0) + 1
  skynet.sleep(1)
  local list = scripts[uid]
  local code = list and table.remove(list, 1) or 1
  if code == 1 then
    return cjson.encode { code = 1, desc = "success", openid = "oid-" .. tostring(uid), token = token }
  end
  return cjson.encode { code = code, desc = "simulated failure " .. tostring(code) }
end

CMD.login = CMD.auth   -- the name README.md's skynet example calls it by

function CMD.calls(uid) return calls[uid] or 0 end

skynet.start(function()
  skynet.dispatch("lua", function(_, _, cmd, ...)
    skynet.retpack(assert(CMD[cmd], cmd)(...))
  end)
end)
