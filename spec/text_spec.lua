-- authcodes.text (issue #12), the private module every output goes through: each
-- destination's promise on every kind of text, checked with the specs' own strict
-- UTF-8 validator (spec.helpers), and the cut, the caps and the cost.

local text = require "authcodes.text"
local cjson = require "cjson.safe"
local helpers = require "spec.helpers"

local utf8_error, unsafe_char = helpers.utf8_error, helpers.unsafe_char

-- Texts of every shape: plain, escapable, well-formed non-ASCII, hidden characters,
-- ill-formed bytes of every kind, and each cut at every length.
local SAMPLES = {
  "", "plain", "a b=c", 'q"uo\\te/', "过期 token", "\240\159\152\128 emoji", "\194\160nbsp",
  "\0\1\27[31m\127", "\r\n\t\11\12", "\194\133nel\226\128\168ls\226\128\169ps",
  "\226\128\174rlo\226\129\166lri\226\129\169pdi\216\156alm\226\128\142lrm\226\128\143rlm\226\128\170",
  "\155csi", "\255\254", "\192\128", "\193\191", "\224\128\128", "\237\160\128", "\237\191\191",
  "\240\128\128\128", "\244\144\128\128", "\245\128\128\128", "\128", "a\191b", "\228\184", "\228\184x",
  "\240\159\152", "\226\128", ("过"):rep(50), ("\1"):rep(40), ('"'):rep(40), ("\255"):rep(40),
}

local function every_sample(fn)
  for _, s in ipairs(SAMPLES) do
    fn(s)
    for cut = 1, math.min(#s - 1, 12) do fn(s:sub(1, cut)); fn(s:sub(cut + 1)) end
  end
end

local function q(s) return ("%q"):format(s) end

describe("authcodes.text", function()
  for _, max in ipairs { 4, 5, 7, 16, 64, 2048 } do
    describe("with a cap of " .. max .. " bytes", function()
      it("utf8: well-formed, within the cap, and the same text when it was", function()
        every_sample(function(s)
          local r = text.utf8(s, max)
          assert.is_nil(utf8_error(r), q(s) .. " -> " .. q(r))
          assert.is_true(#r <= max, q(s))
          if utf8_error(s) == nil and #s <= max then assert.equal(s, r) end
        end)
      end)

      it("json: well-formed, and lua-cjson writes at most the cap", function()
        every_sample(function(s)
          local r = text.json(s, max)
          assert.is_nil(utf8_error(r), q(s) .. " -> " .. q(r))
          local encoded = cjson.encode(r)
          assert.is_string(encoded, q(r))
          assert.is_true(#encoded - 2 <= max, q(s) .. " -> " .. q(encoded))
          assert.equal(r, cjson.decode(encoded))
        end)
      end)

      for _, mode in ipairs { "log", "terminal" } do
        it(mode .. ": well-formed, nothing hidden or line-breaking, within the cap", function()
          every_sample(function(s)
            local r = text[mode](s, max)
            assert.is_nil(utf8_error(r), q(s) .. " -> " .. q(r))
            assert.is_nil(unsafe_char(r), q(s) .. " -> " .. q(r))
            assert.is_true(#r <= max, q(s) .. " -> " .. q(r))
            if mode == "log" then   -- every " and \ escaped: a quoted value cannot be closed
              assert.is_nil(r:gsub("\\.", ""):find('"', 1, true), q(r))
            end
          end)
        end)
      end
    end)
  end

  it("escapes as documented", function()
    assert.equal('a\\nb\\r\\tc\\"d\\\\e\\x1bf\\x7f', text.log('a\nb\r\tc"d\\e\27f\127', 100))
    assert.equal('a\\nb"c\\d\\x1b', text.terminal('a\nb"c\\d\27', 100))
    assert.equal("\\u{0085}\\u{2028}\\u{202e}\\u{2066}\\u{061c}\\u{200f}\\x9b\\xff",
      text.log("\194\133\226\128\168\226\128\174\226\129\166\216\156\226\128\143\155\255", 100))
    assert.equal("a\239\191\189b", text.json("a\255b", 100))
    assert.equal("a\239\191\189\239\191\189\239\191\189b", text.utf8("a\237\160\128b", 100))
  end)

  it("cuts on a character and marks the cut", function()
    assert.equal("过过过...", text.utf8(("过"):rep(10), 12))
    assert.equal("过过...", text.utf8(("过"):rep(10), 11))
    assert.equal("abcdefghi...", text.log(("abcdefghijklmnop"), 12))
    assert.equal("\\n\\n\\n...", text.log(("\n"):rep(10), 10))   -- never half an escape
    assert.equal("ok", text.terminal("ok", 4))
  end)

  it("cut: a safe text to its cap on a character", function()
    assert.equal("ab过过", text.cut("ab过过", 8))
    assert.equal("ab过...", text.cut("ab过过过", 10))
    assert.equal("ab...", text.cut("ab过过过", 7))
  end)

  it("json_printable: the same JSON value, nothing hidden left raw", function()
    every_sample(function(s)
      local encoded = cjson.encode(text.json(s, 2048))
      local r = text.json_printable(encoded)
      assert.is_nil(unsafe_char(r), q(s) .. " -> " .. q(r))
      assert.is_true(#r <= 3 * #encoded, q(r))
      assert.equal(cjson.decode(encoded), cjson.decode(r))
    end)
    assert.equal('"a\\u0085b\\u2028\\u202e\\u061c"',
      text.json_printable('"a\194\133b\226\128\168\226\128\174\216\156"'))
    assert.equal('"\194\160过"', text.json_printable('"\194\160过"'))   -- NBSP and the rest stay
  end)

  it("decode: each well-formed character whole, each other byte alone", function()
    every_sample(function(s)
      local shown, i = {}, 1
      while i <= #s do
        local cp, j = text.decode(s, i)
        assert.is_true(j > i and j <= #s + 1, q(s))
        if cp then   -- the bytes it took are that character, as utf8 keeps it
          assert.equal(s:sub(i, j - 1), text.utf8(s:sub(i, j - 1), 8), q(s))
          assert.is_nil(utf8_error(s:sub(i, j - 1)), q(s))
        else
          assert.equal(i + 1, j, q(s))
        end
        shown[#shown + 1] = cp and s:sub(i, j - 1) or "\239\191\189"
        i = j
      end
      assert.equal(text.utf8(s, 4 * #s + 4), table.concat(shown), q(s))
    end)
    assert.same({ 0x8fc7, 4 }, { text.decode("过", 1) })
    assert.same({ 0x1f600, 5 }, { text.decode("\240\159\152\128", 1) })
    assert.same({ nil, 2 }, { text.decode("\237\160\128", 1) })
    assert.equal("\\u{200b}", text.escaped(0x200b))
    assert.equal(text.log("\226\128\174", 16), text.escaped(0x202e))   -- the same syntax
  end)

  it("seconds and status: only what may be sent", function()
    for _, v in ipairs { 0 / 0, math.huge, -math.huge, -1, -0.5, "5", true, {} } do
      assert.is_nil(text.seconds(v), tostring(v))
    end
    assert.equal(0, text.seconds(0))
    assert.equal(3, text.seconds(2.5))
    assert.equal(86400, text.seconds(1e300))
    for _, v in ipairs { 0 / 0, math.huge, 99, 600, 502.5, "502", true } do
      assert.is_nil(text.status(v), tostring(v))
    end
    assert.equal(502, text.status(502))
    assert.equal(502, text.status(502.0))
  end)

  it("takes time linear in the input: 1 MiB of any kind goes through at once", function()
    -- Not a speed test: a complexity check. A linear walk of 1 MiB takes well under a
    -- second; a quadratic one, minutes. 2 s of CPU a call leaves a loaded machine room.
    local big = { ("过"):rep(350000), ("\1\27\155"):rep(350000), ("a"):rep(1048576), ("\255"):rep(1048576),
                  ("\226\128\174"):rep(350000), ('"\\/'):rep(350000) }
    local limit = require("spec.helpers").cpu_limit(2)
    local function timed(mode, s, max, what)
      local start = os.clock()
      local r = text[mode](s, max)
      local took = os.clock() - start
      assert.is_true(took < limit, ("%s, %s, cap %d: %.2f s"):format(mode, what, max, took))
      assert.is_true(#r <= max)
      return r
    end
    for i, s in ipairs(big) do
      for _, mode in ipairs { "utf8", "json", "log", "terminal" } do
        local r = timed(mode, s, 2048, "big text #" .. i)
        assert.is_nil(utf8_error(r))
        if mode == "log" or mode == "terminal" then assert.is_nil(unsafe_char(r)) end
      end
    end
    -- Uncapped (as the CLI may ask): the whole 1 MiB walked, byte by byte.
    timed("log", big[2], 1e9, "1 MiB of controls")
  end)
end)
