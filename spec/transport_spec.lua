-- Issue #11: the built-in transport domain, client error strings, and check with the
-- vendor's HTTP status and headers.
local authcodes = require "authcodes"
local transport = require "authcodes.transport"

describe("the transport domain", function()
  it("is built in, every entry in 990000..990999 with English and Chinese text", function()
    local n = 0
    for e in authcodes.each("transport") do
      n = n + 1
      assert.is_true(e.code >= 990000 and e.code <= 990999, e.name)
      assert.equal("authcodes", e.source)
      assert.is_string(e.message)
      assert.is_true(#e.summary > 0)
      assert.is_string(e.description)
      assert.is_truthy(e.description:find("[\228-\233]"), e.name .. " has no Chinese text")
      assert.equal(e.description, e:text("zh"))
      assert.is_false(e.ok)
      -- no vendor code shares the code or the name
      for _, d in ipairs { "imsdk", "wilddog" } do
        assert.is_nil((authcodes.lookup(d, e.code)))
        assert.is_nil((authcodes.lookup(d, e.name)))
      end
      assert.equal(e, authcodes.lookup(e.code))
      assert.equal(e, authcodes.lookup(e.name))
    end
    assert.is_true(n >= 15)
  end)

  it("answers a client's own words and class names", function()
    for key, name in pairs {
      timeout = "timeout", closed = "connection_closed", UNAVAILABLE = "service_unavailable",
      DEADLINE_EXCEEDED = "timeout", RESOURCE_EXHAUSTED = "too_many_requests",
      ECONNREFUSED = "connection_refused",
    } do
      assert.equal(name, authcodes.lookup(key).name, key)
    end
  end)

  it("retries what a retry can mend, with the statuses users expect", function()
    local want = {
      connection_refused = { 502, "backoff" }, timeout = { 504, "backoff" },
      bad_gateway = { 502, "backoff" }, service_unavailable = { 503, "backoff" },
      gateway_timeout = { 504, "backoff" }, too_many_requests = { 429, "after_delay" },
      no_resolver = { 500, "never" }, tls_certificate_rejected = { 502, "never" },
    }
    for name, w in pairs(want) do
      local e = authcodes.lookup("transport", name)
      assert.equal(w[1], e.http, name)
      assert.equal(w[2], e.retry, name)
    end
  end)
end)

describe("authcodes.transport.name_of", function()
  it("reads the words of cosockets, LuaSocket, lua-http and lua-resty-http", function()
    for msg, name in pairs {
      ["timeout"] = "timeout", ["closed"] = "connection_closed",
      ["connection refused"] = "connection_refused", ["connection reset by peer"] = "connection_reset",
      ['no resolver defined to resolve "api.example"'] = "no_resolver",
      ["api.example could not be resolved (3: Host not found)"] = "dns_failed",
      ["api.example could not be resolved (110: Operation timed out)"] = "dns_failed",
      ["handshake failed"] = "tls_handshake_failed", ["18: self signed certificate"] = "tls_certificate_rejected",
      ["certificate host mismatch"] = "tls_certificate_rejected", ["host not found"] = "dns_failed",
      ["Connection timed out"] = "connect_timeout", ["failed to receive status line: timeout"] = "read_timeout",
      ["failed to send request: timeout"] = "send_timeout", ["broken pipe"] = "connection_closed",
      ["network is unreachable"] = "host_unreachable", ["body too large"] = "reply_too_large",
    } do
      assert.equal(name, transport.name_of(msg), msg)
      assert.is_not_nil(authcodes.lookup("transport", name), name)
    end
  end)

  it("names nothing for anything else, without raising", function()
    for _, v in ipairs { "", "session expired", 42, true, {}, ("\0\255"):rep(1000) } do
      assert.is_nil(transport.name_of(v))
    end
    assert.is_nil(transport.name_of(nil))
  end)

  it("maps HTTP statuses", function()
    for status, name in pairs { [429] = "too_many_requests", [408] = "gateway_timeout", [504] = "gateway_timeout",
      [502] = "bad_gateway", [503] = "service_unavailable", [500] = "upstream_error", [599] = "upstream_error",
      [404] = "http_error", [400] = "http_error" } do
      assert.equal(name, transport.name_of_status(status))
    end
    for _, s in ipairs { 200, 204, 302, 399, 600, 0 / 0, "502" } do assert.is_nil(transport.name_of_status(s)) end
  end)
end)

describe("authcodes.check with the HTTP status and headers", function()
  local HTML = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"

  it("a 5xx, 429 or 4xx with an unreadable body is the status's transport error", function()
    for status, name in pairs { [500] = "upstream_error", [502] = "bad_gateway", [503] = "service_unavailable",
                                [504] = "gateway_timeout", [429] = "too_many_requests", [404] = "http_error" } do
      for _, body in ipairs { HTML, "", "[1]", '{"desc":"no code"}' } do
        local r, err = authcodes.check(body, "imsdk", { status = status })
        assert.is_nil(r)
        assert.equal("transport", err.domain)
        assert.equal(name, err.name)
        assert.matches("HTTP " .. status, err.detail, 1, true)
      end
      local r, err = authcodes.check(nil, "imsdk", { status = status })   -- no body at all
      assert.is_nil(r)
      assert.equal(name, err.name)
    end
  end)

  it("a 5xx with a success-looking body is a failure", function()
    for _, body in ipairs { '{"code":1}', { code = 1 }, '{"code":2,"desc":"next step"}' } do
      local r, err = authcodes.check(body, "imsdk", { status = 500 })
      assert.is_nil(r)
      assert.equal("upstream_error", err.name)
      assert.equal(502, err.http)
    end
    local r, err = authcodes.check('{"errcode":1}', nil, { status = "503" })   -- a status as lua-http gives it
    assert.is_nil(r)
    assert.equal("service_unavailable", err.name)
  end)

  it("a failure code in the body wins over the status", function()
    local r, err = authcodes.check('{"code":-207}', "imsdk", { status = 500 })
    assert.is_nil(r)
    assert.equal(-207, err.code)
  end)

  it("a 2xx status changes nothing", function()
    local r, e = authcodes.check('{"code":1}', "imsdk", { status = 200 })
    assert.equal("success", e.name)
    assert.is_table(r)
    local _, err = authcodes.check(HTML, "imsdk", { status = 200 })
    assert.equal("bad_reply", err.name)
  end)

  it("Retry-After sets that error's retry_after, not the entry's", function()
    local _, err = authcodes.check('{"code":-2}', "imsdk", { status = 429, headers = { ["Retry-After"] = "30" } })
    assert.equal(-2, err.code)
    assert.equal(30, err.retry_after)
    assert.equal(5, authcodes.lookup(-2).retry_after)
    assert.equal(5, authcodes.new(-2).retry_after)
    for headers, want in pairs {
      [{ ["retry-after"] = "7" }] = 7,
      [{ ["RETRY-AFTER"] = { "junk", " 9 " } }] = 9,       -- a repeated header: ngx gives a list
      [{ ["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 GMT" }] = 0,   -- in the past
      [{ ["Retry-After"] = "999999999" }] = 86400,
      [{ ["Retry-After"] = "soon" }] = "none",
      [{ ["Retry-After"] = "-5" }] = "none",
      [{ ["Retry-After"] = ("9"):rep(5000) }] = "none",
      [{}] = "none",
    } do
      local _, e = authcodes.check(HTML, "imsdk", { status = 503, headers = headers })
      if want == "none" then assert.is_nil(rawget(e, "retry_after")) else assert.equal(want, e.retry_after) end
    end
    local future = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 120)
    local _, e = authcodes.check("", "imsdk", { status = 429, headers = { ["Retry-After"] = future } })
    assert.is_true(e.retry_after >= 118 and e.retry_after <= 120, tostring(e.retry_after))
    -- the obsolete date forms
    local asctime = os.date("!%a %b %d %H:%M:%S %Y", os.time() + 60):gsub(" 0(%d) ", "  %1 ")
    _, e = authcodes.check("", "imsdk", { status = 429, headers = { ["Retry-After"] = asctime } })
    assert.is_true(e.retry_after >= 58 and e.retry_after <= 60, asctime)
  end)

  it("reads headers without running the table's metamethods, or through get", function()
    local hostile = setmetatable({}, { __index = function() error("touched") end,
                                        __pairs = function() error("touched") end })
    local _, e = authcodes.check(HTML, "imsdk", { status = 503, headers = hostile })
    assert.equal("service_unavailable", e.name)
    local lua_http = setmetatable({}, { __index = { get = function(_, k)
      if k == "retry-after" then return "12" end end } })
    _, e = authcodes.check(HTML, "imsdk", { status = 503, headers = lua_http })
    assert.equal(12, e.retry_after)
  end)

  it("raises bad argument #3 on the caller's mistakes only", function()
    for _, opts in ipairs { 5, "x", { status = {} }, { status = true }, { headers = "Retry-After: 5" } } do
      local ok, msg = pcall(authcodes.check, HTML, "imsdk", opts)
      assert.is_false(ok)
      assert.matches("bad argument #3 to 'check'", msg, 1, true)
    end
    for _, status in ipairs { 0, 99, 600, 0 / 0, math.huge, 502.5, "", "abc", "5022" } do
      local _, e = authcodes.check('{"code":1}', "imsdk", { status = status })
      assert.equal("success", e.name)   -- no usable status: the body decides
    end
  end)
end)

describe("authcodes.transport.name_of on words that only look like transport errors", function()
  it("keeps a message that merely contains a short word", function()
    for _, msg in ipairs { "account closed", "enclosed", "settlsomething", "the sslx field", "geof" } do
      assert.is_nil(transport.name_of(msg), msg)
    end
    for _, msg in ipairs { "closed", "failed to receive: closed", "connection closed by peer", "SSL routines",
                           "TLS alert", "unexpected EOF" } do
      assert.is_not_nil(transport.name_of(msg), msg)
    end
  end)

  it("reads only the first 512 bytes of a message", function()
    assert.equal("timeout", transport.name_of(("a"):rep(500) .. " timeout"))
    assert.is_nil(transport.name_of(("a"):rep(512) .. " timeout"))
    assert.is_nil(transport.name_of(("a"):rep(2 ^ 20) .. " timeout"))
  end)
end)
