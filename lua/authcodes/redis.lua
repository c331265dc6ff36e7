--- Redis for fleet-wide state: how the Redis-backed budget (`authcodes.budget{ redis = }`)
-- and circuit breaker (`authcodes.breaker`) talk to the caller's Redis, and what they do
-- when it does not answer.
--
-- **The client.** Connections are the caller's. `redis` (an option of `budget` and
-- `breaker`) is either
--
-- * a client object, used as it is for every operation (plain Lua, a game server, a
--   skynet service: one long-lived connection), or
-- * a function `redis(timeout_ms)` returning a connected client (or `nil, err`), called
--   for each operation (nginx: a cosocket from the pool; `M.nginx` makes one). The
--   option `release(client, ok)`, when given, is called after the operation: `ok`
--   false means the connection failed or timed out and must not be reused.
--
-- A client is any table or userdata with the method
-- `client:eval(script, numkeys, key1, ..., arg1, ...)`, and, if it has it,
-- `client:evalsha(sha1, numkeys, ...)`, returning the script's reply (a Lua array of
-- strings and numbers), or `nil`/`false` and an error message, or raising an error.
-- An error message containing `NOSCRIPT` answers an `evalsha` whose script Redis does
-- not hold; then `eval` is sent (which also loads the script). Debian's
-- `lua-nginx-redis` (`require "nginx.redis"`, lua-resty-redis), `lua-redis`
-- (`require "redis"`, redis-lua) and skynet's `skynet.db.redis` all fit as they are.
-- Before each operation the time left is set on the client when it is one of those
-- two: `client:set_timeout(ms)` (lua-resty-redis; 0.27 has no `set_timeouts`), or
-- `client.network.socket:settimeout(seconds)` (redis-lua). Any other client must
-- bound its own calls (skynet: `skynet.db.redis` calls yield the service's coroutine,
-- not the process, so a slow Redis holds that login only).
--
-- A skynet service plugs in its connection as it is:
--
--     local redis = require "skynet.db.redis"
--     local db = redis.connect { host = "10.0.0.5", port = 6379 }
--     local budget = authcodes.budget { redis = db, key = "authcodes:budget:imsdk" }
--
-- or, for a client of its own, any table with `eval` (and `evalsha`) that returns the
-- reply, or `nil, err`, or raises.
--
-- **Failing open.** An operation that fails (no client, a connection error, a timeout,
-- an error reply, an answer later than `timeout`, a raise) never reaches the caller:
-- the budget or breaker uses its local backend instead (a `lua_shared_dict` when one
-- is given, else this Lua VM's state), and Redis is not asked again for `recheck`
-- seconds, so that while Redis is down only one operation per VM and `recheck` pays
-- the timeout. One line is logged per `log_interval` (not per call) saying how many
-- operations fell back; one more when Redis answers again.
-- @module authcodes.redis

local type, tostring, pcall, require = type, tostring, pcall, require

local M = {}

--- Defaults of the options every Redis-backed object takes: `timeout` (seconds an
-- operation may take in all, connection included: 0.05), `recheck` (seconds Redis is
-- left alone after a failure: 1), `log_interval` (seconds between two log lines about
-- the same store: 10).
M.defaults = { timeout = 0.05, recheck = 1, log_interval = 10 }

--- A connector for nginx: a function giving a connected lua-resty-redis client from
-- the cosocket pool, and the matching `release`, to pass as `redis` and `release`.
--
--     local connect, release = require("authcodes.redis").nginx { host = "10.0.0.5" }
--     local budget = authcodes.budget { redis = connect, release = release,
--       dict = ngx.shared.authcodes, key = "authcodes:budget:imsdk" }
-- @tparam table opts `host` (default `"127.0.0.1"`), `port` (6379), `pool_size` (100),
-- `idle` (ms a pooled connection may stay idle: 60000), `password`, `db`, `module`
-- (the client module: `"nginx.redis"` as Debian ships it, else `"resty.redis"`)
-- @treturn function connect, `connect(timeout_ms)`
-- @treturn function release, `release(client, ok)`
function M.nginx(opts)
  if type(opts) ~= "table" then
    require("authcodes.internal").bad_argument("nginx", 1, "table expected, got " .. type(opts))
  end
  local host, port = opts.host or "127.0.0.1", opts.port or 6379
  local pool_size, idle = opts.pool_size or 100, opts.idle or 60000
  local password, db = opts.password, opts.db
  local mod = opts.module
  local redis
  local function connect(timeout_ms)
    if redis == nil then
      local ok, m
      if mod then ok, m = pcall(require, mod) else
        ok, m = pcall(require, "nginx.redis")
        if not ok then ok, m = pcall(require, "resty.redis") end
      end
      if not ok then return nil, "no Redis client module: " .. tostring(m) end
      redis = m
    end
    local red, err = redis:new()
    if not red then return nil, err end
    red:set_timeout(timeout_ms)
    local ok
    ok, err = red:connect(host, port, { pool_size = pool_size })
    if not ok then return nil, err end
    if (password or db) and red:get_reused_times() == 0 then
      if password then
        ok, err = red:auth(password)
        if not ok then red:close(); return nil, err end
      end
      if db then
        ok, err = red:select(db)
        if not ok then red:close(); return nil, err end
      end
    end
    return red
  end
  local function release(red, ok)
    if ok then red:set_keepalive(idle, pool_size) else red:close() end
  end
  return connect, release
end

return M
