-- library/ (the LuaLS definitions editors read) against the real modules (issue #14).
--
-- * every function and value `require "authcodes"` exports is declared in
--   library/authcodes.lua as a function or field of the class `authcodes`, and every one
--   declared there exists in the module: the lazily loaded ones too (retry, budget,
--   format, problem, negotiate...), which a plain `pairs` of the module does not show;
-- * the same for `require "authcodes.ngx"` (library/authcodes/ngx.lua, with a fake `ngx`),
--   the methods of entries (`authcodes.Entry`: is, text, totable) and of budgets
--   (`authcodes.Budget`: acquire, refund, available);
-- * every declared function has one `---@param` per parameter, in order, and no other;
--   where the runtime tells a function's parameter count (Lua 5.2+, LuaJIT), the real
--   function takes as many.
-- The checker itself is shown to fail on a module with an undeclared function, on a
-- declaration without a function and on a missing `---@param`.

local helpers = require "spec.helpers"

local LIBRARY = "library/authcodes.lua"
local LIBRARY_NGX = "library/authcodes/ngx.lua"

---------------------------------------------------------------------------------------
-- The definitions: classes, their fields and functions, read from the annotations.

-- parse(text, file) -> { [class] = { fields = { name = line }, funcs = { name = {
--   params = {...}, annotated = {...}, method = bool, line = n } } } }
-- A `---@class C` block followed by `local V = {}` binds V to C; `function V.f(a, b)`
-- and `function V:f(a)` declare functions of C with the `---@param`s of the block just
-- above them.
local function parse(text, file)
  local classes, var_class = {}, {}
  local function class(name)
    local c = classes[name]
    if not c then c = { fields = {}, funcs = {} }; classes[name] = c end
    return c
  end
  local block, n = {}, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if line:match("^%-%-%-") then
      block[#block + 1] = line
    else
      local var = line:match("^local%s+([%a_][%w_]*)%s*=%s*{%s*}")
      local owner, sep, fname, params = line:match("^function%s+([%a_][%w_]*)([%.:])([%a_][%w_]*)%s*%(([^)]*)%)")
      local cname
      for _, b in ipairs(block) do
        cname = cname or b:match("^%-%-%-@class%s+([%w_%.]+)")
      end
      if cname then
        local c = class(cname)
        for _, b in ipairs(block) do
          local f = b:match("^%-%-%-@field%s+([%a_][%w_]*)")
          if f then c.fields[f] = n end
        end
        if var then var_class[var] = cname end
      end
      if owner then
        local c = var_class[owner]
        assert(c, file .. ":" .. n .. ": function of " .. owner .. ", which no ---@class names")
        local p, a = {}, {}
        for name in params:gmatch("[%a_][%w_]*") do p[#p + 1] = name end
        for _, b in ipairs(block) do
          local name = b:match("^%-%-%-@param%s+([%a_][%w_]*)")
          if name then a[#a + 1] = name end
        end
        class(c).funcs[fname] = { params = p, annotated = a, method = sep == ":", line = n }
      end
      block = {}
    end
  end
  return classes
end

local function parse_file(path) return parse(helpers.slurp(path), path) end

---------------------------------------------------------------------------------------
-- The real modules' exports.

local function sorted_keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  table.sort(list)
  return list
end

-- The submodules of lua/authcodes/ (but ngx, which needs an nginx).
local function submodules()
  local p = assert(io.popen("ls lua/authcodes/*.lua"))
  local names = {}
  for f in p:read("*a"):gmatch("[^\n]+") do
    local m = f:match("([%w_]+)%.lua$")
    if m ~= "ngx" then names[#names + 1] = "authcodes." .. m end
  end
  p:close()
  return names
end

-- name -> type of everything `authcodes` exports. `pairs` shows what is loaded; what the
-- module's __index loads on first use is found two ways: the table of names its
-- __index function keeps (an upvalue mapping names to module names), and any function
-- of a submodule that `authcodes.<name>` answers with.
local function exports(authcodes)
  local found = {}
  for k, v in pairs(authcodes) do found[k] = type(v) end
  local mt = debug.getmetatable(authcodes)
  local index = mt and mt.__index
  if type(index) == "function" then
    for i = 1, 255 do
      local name, v = debug.getupvalue(index, i)
      if name == nil then break end
      if type(v) == "table" then
        for k, m in pairs(v) do
          if type(k) == "string" and type(m) == "string" and m:match("^authcodes%.") then
            found[k] = type(authcodes[k])
          end
        end
      end
    end
  elseif type(index) == "table" then
    for k, v in pairs(index) do found[k] = type(v) end
  end
  for _, name in ipairs(submodules()) do
    local ok, sub = pcall(require, name)
    if ok and type(sub) == "table" then
      for k, v in pairs(sub) do
        if type(k) == "string" and type(v) == "function" and authcodes[k] == v then found[k] = "function" end
      end
    end
  end
  return found
end

-- What is wrong between what a class declares and what a module has: a list of lines.
-- `actual`: name -> type.
local function compare(label, declared, actual)
  local problems = {}
  local function say(fmt, ...) problems[#problems + 1] = label .. ": " .. fmt:format(...) end
  for _, k in ipairs(sorted_keys(actual)) do
    local t = actual[k]
    if t == "function" and not declared.funcs[k] then
      say("%s is a function of the module but is not declared (add `function X.%s(...) end` with "
        .. "---@param/---@return to the definitions)", k, k)
    elseif t ~= "function" and t ~= "nil" and not declared.fields[k] and not declared.funcs[k] then
      say("%s (a %s) is exported by the module but is not declared (add `---@field %s`)", k, t, k)
    end
  end
  for _, k in ipairs(sorted_keys(declared.funcs)) do
    if actual[k] ~= "function" then
      say("%s is declared (line %d) but the module has no such function (it has %s)", k,
        declared.funcs[k].line, tostring(actual[k]))
    end
  end
  for _, k in ipairs(sorted_keys(declared.fields)) do
    if actual[k] == nil and not declared.funcs[k] then
      say("field %s is declared (line %d) but the module has none", k, declared.fields[k])
    end
  end
  return problems
end

-- Every declared function: one ---@param per parameter, in order; the real function
-- takes as many parameters where the runtime says (debug.getinfo "u" nparams).
local function check_params(label, declared, real)
  local problems = {}
  for _, k in ipairs(sorted_keys(declared.funcs)) do
    local f = declared.funcs[k]
    local want, got = table.concat(f.params, ", "), table.concat(f.annotated, ", ")
    if want ~= got then
      problems[#problems + 1] = ("%s.%s (line %d): parameters (%s) but ---@param for (%s)"):format(
        label, k, f.line, want, got)
    end
    local fn = real and real[k]
    if type(fn) == "function" then
      local info = debug.getinfo(fn, "u")
      local n = #f.params + (f.method and 1 or 0)
      if info.nparams ~= nil and info.what ~= "C" and info.nparams ~= n then
        problems[#problems + 1] = ("%s.%s: the real function takes %d parameters, the definition %d"):format(
          label, k, info.nparams, n)
      end
    end
  end
  return problems
end

local function functions_of(t)
  local found = {}
  for k, v in pairs(t) do if type(v) == "function" then found[k] = "function" end end
  return found
end

-- A fake ngx: what authcodes.ngx reads when it loads.
local function with_fake_ngx(fn)
  local saved, saved_mod = rawget(_G, "ngx"), package.loaded["authcodes.ngx"]
  local ok, err = pcall(fn, (helpers.use_fake_ngx()))
  package.loaded["authcodes.ngx"] = saved_mod
  rawset(_G, "ngx", saved)
  if not ok then error(err, 0) end
end

local function report(problems)
  assert(#problems == 0, "\n" .. table.concat(problems, "\n"))
end

---------------------------------------------------------------------------------------

describe("library/ (LuaLS definitions)", function()
  local authcodes = require "authcodes"
  local lib = parse_file(LIBRARY)
  local lib_ngx = parse_file(LIBRARY_NGX)

  it("are LuaLS meta files that return their module's class", function()
    for _, path in ipairs { LIBRARY, LIBRARY_NGX } do
      local text = helpers.slurp(path)
      assert.truthy(text:match("^%-%-%-@meta"), path .. " starts with ---@meta")
      assert.truthy(text:match("\nreturn [%a_][%w_]*%s*$"), path .. " returns its module table")
      -- Valid Lua on every runtime, and running it defines nothing global.
      local chunk = assert((loadstring or load)(text, "@" .. path))
      local before = {}
      for k in pairs(_G) do before[k] = true end
      assert.are.equal("table", type(chunk()))
      for k in pairs(_G) do assert(before[k], path .. " sets the global " .. tostring(k)) end
    end
    assert.truthy(lib.authcodes and lib["authcodes.ngx"] == nil and lib_ngx["authcodes.ngx"])
  end)

  it("declare the classes the README and the reference name", function()
    for _, c in ipairs { "authcodes", "authcodes.Entry", "authcodes.Error", "authcodes.RetryPolicy",
                         "authcodes.Budget", "authcodes.BudgetOptions", "authcodes.FormatOptions",
                         "authcodes.NewOptions", "authcodes.Problem", "authcodes.Row" } do
      assert(lib[c], LIBRARY .. " declares no ---@class " .. c)
    end
    -- Entry fields: every field of a real entry (totable() gives them all).
    local e = authcodes.lookup(22239)
    for k in pairs(e:totable()) do
      assert(lib["authcodes.Entry"].fields[k], "authcodes.Entry lacks ---@field " .. k)
    end
    -- Error fields beyond the entry's: what new() and an unknown key add.
    local err = authcodes.new("no_such_name", { detail = "d", cause = "c", context = {} })
    for _, k in ipairs { "detail", "cause", "context", "key", "reason" } do
      assert(rawget(err, k) ~= nil or k == "reason", "the real error object has " .. k)
      assert(lib["authcodes.Error"].fields[k], "authcodes.Error lacks ---@field " .. k)
    end
    -- Policy fields: each field the retry module reads from a policy.
    local src = helpers.slurp("lua/authcodes/retry.lua")
    for k in src:gmatch('rawget%(policy, "([%w_]+)"%)') do
      assert(lib["authcodes.RetryPolicy"].fields[k], "authcodes.RetryPolicy lacks ---@field " .. k)
    end
    for k in src:gmatch('opt%("([%w_]+)"') do
      assert(lib["authcodes.BudgetOptions"].fields[k], "authcodes.BudgetOptions lacks ---@field " .. k)
    end
  end)

  it("declare every export of require 'authcodes', lazily loaded ones included, and nothing else", function()
    local found = exports(authcodes)
    for _, k in ipairs { "retry", "budget", "format", "problem", "negotiate", "should_retry" } do
      assert.are.equal("function", found[k], k .. " is found")
    end
    report(compare(LIBRARY .. " class authcodes", lib.authcodes, found))
  end)

  it("declare every function of require 'authcodes.ngx' and nothing else", function()
    with_fake_ngx(function(acngx)
      report(compare(LIBRARY_NGX .. " class authcodes.ngx", lib_ngx["authcodes.ngx"], functions_of(acngx)))
      report(check_params("authcodes.ngx", lib_ngx["authcodes.ngx"], acngx))
    end)
  end)

  it("declare the methods of entries and error objects", function()
    local methods = require("authcodes.internal").methods   -- private: not on a public table
    report(compare("authcodes.Entry methods", { funcs = lib["authcodes.Entry"].funcs, fields = {} },
      functions_of(methods)))
    report(check_params("authcodes.Entry", lib["authcodes.Entry"], methods))
    local e, err = authcodes.lookup(-204), authcodes.new(-204)
    for k in pairs(lib["authcodes.Entry"].funcs) do
      assert.are.equal("function", type(e[k]), "entry:" .. k)
      assert.are.equal("function", type(err[k]), "err:" .. k)
    end
  end)

  it("declare the methods of budgets", function()
    local index = debug.getmetatable(authcodes.budget()).__index
    assert.are.equal("table", type(index))
    report(compare("authcodes.Budget methods", { funcs = lib["authcodes.Budget"].funcs, fields = {} },
      functions_of(index)))
    report(check_params("authcodes.Budget", lib["authcodes.Budget"], index))
  end)

  it("give every function a ---@param per parameter, as many as the real one takes", function()
    local real = {}
    for k in pairs(lib.authcodes.funcs) do real[k] = authcodes[k] end
    report(check_params("authcodes", lib.authcodes, real))
    for _, c in pairs(lib) do
      for name, f in pairs(c.funcs) do
        assert(#f.params == 0 or #f.annotated > 0, name .. " has no ---@param")
      end
    end
  end)

  describe("the checker", function()
    -- Each case changes one thing: exactly one more problem than the unchanged files give
    -- (none when they are in step), and it is the one expected.
    local function one_more(problems, baseline, text)
      assert.are.equal(#baseline + 1, #problems, table.concat(problems, "\n"))
      for _, p in ipairs(problems) do
        if p:find(text, 1, true) then return end
      end
      error("no problem says " .. text .. ":\n" .. table.concat(problems, "\n"))
    end

    it("finds a function added to the module without a definition", function()
      local baseline = compare("x", lib.authcodes, exports(authcodes))
      rawset(authcodes, "brand_new", function() end)
      local problems = compare("x", lib.authcodes, exports(authcodes))
      rawset(authcodes, "brand_new", nil)
      one_more(problems, baseline, "brand_new is a function of the module but is not declared")
    end)

    it("finds lazily loaded functions before anything loads them", function()
      local fresh = helpers.fresh_authcodes()   -- (the shared copy's modules stay loaded)
      assert.is_nil(rawget(fresh, "negotiate"), "negotiate is loaded on first use")
      assert.is_nil(rawget(fresh, "budget"), "budget is loaded on first use")
      local found = exports(fresh)
      assert.are.equal("function", found.negotiate)
      assert.are.equal("function", found.budget)
    end)

    it("finds a definition the module does not have", function()
      local text = helpers.slurp(LIBRARY):gsub("\nreturn authcodes",
        "\n---@param x any\nfunction authcodes.ghost(x) end\nreturn authcodes")
      local baseline = compare("x", lib.authcodes, exports(authcodes))
      local problems = compare("x", parse(text, "copy").authcodes, exports(authcodes))
      one_more(problems, baseline, "ghost is declared")
    end)

    it("finds a value exported without a ---@field", function()
      local decl = parse(helpers.slurp(LIBRARY):gsub("\n%-%-%-@field _VERSION[^\n]*", ""), "copy").authcodes
      local baseline = compare("x", lib.authcodes, exports(authcodes))
      local problems = compare("x", decl, exports(authcodes))
      one_more(problems, baseline, "_VERSION (a string) is exported")
    end)

    it("finds a parameter without its ---@param, and a parameter count that differs", function()
      local text = helpers.slurp(LIBRARY):gsub("\n%-%-%-@param policy%? authcodes.RetryPolicy\n", "\n", 1)
      local decl = parse(text, "copy").authcodes
      local problems = check_params("authcodes", decl, {})
      one_more(problems, check_params("authcodes", lib.authcodes, {}), "should_retry")
      decl.funcs.negotiate.params[2] = "extra"
      decl.funcs.negotiate.annotated[2] = "extra"
      problems = check_params("authcodes", { funcs = { negotiate = decl.funcs.negotiate } },
        { negotiate = authcodes.negotiate })
      if debug.getinfo(authcodes.negotiate, "u").nparams ~= nil then
        assert.are.equal(1, #problems)
        assert.truthy(problems[1]:find("takes 1 parameters, the definition 2", 1, true))
      else
        assert.are.equal(0, #problems)   -- Lua 5.1 does not tell parameter counts
      end
    end)
  end)
end)
