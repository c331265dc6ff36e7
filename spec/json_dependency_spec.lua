-- lua-cjson is a declared dependency: without it, JSON-needing calls raise naming the
-- load error (a deployment mistake), never answer bad_reply (a vendor's fault), and
-- has_json() tells a service at start-up (issue #14).

-- A fresh copy of authcodes in which `require "cjson.safe"` fails with `why`.
local function without_cjson(why)
  local saved, saved_preload = {}, package.preload["cjson.safe"]
  for k, v in pairs(package.loaded) do
    if k == "authcodes" or k:find("^authcodes%.") and k ~= "authcodes.core" or k:find("^cjson") then
      saved[k] = v
      package.loaded[k] = nil
    end
  end
  package.preload["cjson.safe"] = function() error(why, 0) end
  local fresh = require "authcodes"
  local fmt = require "authcodes.format"
  fresh.has_json()  -- the load is tried once per VM and its outcome kept: try it now
  -- The facade loads its submodules on first use: bind them while this copy is loaded.
  for _, k in ipairs { "new", "is_error", "check" } do assert(fresh[k]) end
  for k in pairs(package.loaded) do
    if k == "authcodes" or k:find("^authcodes%.") and k ~= "authcodes.core" or k:find("^cjson") then
      package.loaded[k] = nil
    end
  end
  for k, v in pairs(saved) do package.loaded[k] = v end
  package.preload["cjson.safe"] = saved_preload
  return fresh, fmt
end

describe("without lua-cjson", function()
  local a, fmt = without_cjson("cjson.so: undefined symbol: lua_newuserdata")

  it("has_json() answers false and the load error", function()
    local ok, why = a.has_json()
    assert.is_false(ok)
    assert.truthy(why:find("undefined symbol: lua_newuserdata", 1, true))
  end)

  it("check of a JSON string raises naming the cause and the fix, never bad_reply", function()
    local ok, err = pcall(a.check, '{"code":1}', "imsdk")
    assert.is_false(ok)
    assert.truthy(err:find("lua-cjson is required", 1, true), err)
    assert.truthy(err:find("undefined symbol: lua_newuserdata", 1, true), err)
    assert.truthy(err:find("apt-get install lua-cjson", 1, true), err)
  end)

  it("check of a decoded table still works (no JSON needed)", function()
    local reply, e = a.check({ code = 1 }, "imsdk")
    assert.are.equal(1, reply.code)
    assert.is_true(e.ok)
  end)

  it("format's json and problem styles raise the same way; text and log work", function()
    for _, style in ipairs { "json", "problem" } do
      local ok, err = pcall(fmt.format, a.new(-204), style)
      assert.is_false(ok)
      assert.truthy(err:find("lua-cjson is required", 1, true), err)
    end
    assert.truthy(fmt.format(a.new(-204), "text"):find("imsdk -204", 1, true))
    assert.truthy(fmt.format(a.new(-204), "log"):find("session_expired", 1, true))
  end)
end)

describe("with lua-cjson", function()
  it("has_json() answers true", function()
    assert.is_true((require "authcodes").has_json())
  end)
end)
