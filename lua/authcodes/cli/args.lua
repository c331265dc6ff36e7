--- The command's options, in one table that `--help`, the man page and the shell
-- completions are all generated from (authcodes.cli.doc), and the parsing of argv.
--
-- Usage errors are raised as tables `{ status = 2, msg = "..." }` (see `usage`) and
-- turned into a message and exit status 2 by `main`; anything else raised is a bug.
-- @module authcodes.cli.args

local text = require "authcodes.cli.text"
local query = require "authcodes.cli.query"

local format, find, lower, upper, sub = string.format, string.find, string.lower, string.upper, string.sub
local concat, sort = table.concat, table.sort
local error, ipairs, pcall, require, tostring, type = error, ipairs, pcall, require, tostring, type
local quote, is_code_like, closest = text.quote, query.is_code_like, query.closest

local PROG = query.PROG

local M = {}

--- Raise a usage error: `main` prints "authcodes: msg" and exits with `status` (2).
local function usage(msg, status) error({ status = status or 2, msg = msg }, 0) end
M.usage = usage

-- The classes and retry kinds, from the catalog's schema (pure Lua, always present
-- where the library is); empty lists when it cannot be loaded, so that --help works.
local function schema_list(field)
  local ok, schema = pcall(require, "authcodes.schema")
  local list = {}
  if ok and type(schema) == "table" and type(schema[field]) == "table" then
    for i, v in ipairs(schema[field]) do list[i] = type(v) == "table" and v[1] or v end
  end
  return list
end
function M.classes() return schema_list("classes") end
function M.retry_kinds() return schema_list("retry_kinds") end

--- Every option. Fields: `short`, `long` (the names), `alias` (another long spelling),
-- `key` (what it sets), `value` (metavariable when it takes a value), `optional` (the
-- value may only follow as --opt=VALUE), `values` (what completes the value: a list, or
-- the name of a function of this module), `args` (what completes the
-- arguments that follow it: "domains"), `brief` (one line, for the completions) and
-- `help` (the lines of --help; "{classes}" and "{kinds}" expand).
M.OPTIONS = {
  { short = "-s", long = "--search", key = "search", brief = "find codes by words",
    help = { "the arguments are words: show every code whose name, aliases,",
             "vendor/SDK messages, summary or Chinese description contain all",
             "of them, case-insensitive (authcodes -s token expired, -s 过期)" } },
  { short = "-l", long = "--list", key = "list", brief = "list the codes (of the DOMAINs given)",
    args = "domains",
    help = { "list the codes of every domain, or of the DOMAINs given" } },
  { long = "--class", key = "class", value = "CLASS", values = "classes",
    brief = "only codes of this class",
    help = { "only codes of this class (with -l or -s; alone it means -l):", "{classes}" } },
  { long = "--retry", key = "retry", value = "KIND", values = "retry_kinds",
    brief = "only codes with this retry advice",
    help = { "only codes with this retry advice:", "{kinds}" } },
  { long = "--json", key = "json", brief = "machine-readable output (a JSON array)",
    help = { "machine-readable output: one JSON array (a lookup gives one",
             "object per key, in order, with the key as given; a key not",
             "found is {key, error}; -l and -s give DOMAIN.NAME as key)" } },
  { long = "--lang", key = "lang", value = "zh|en", values = { "zh", "en" },
    brief = "which language leads",
    help = { "which text leads: zh shows the Chinese description first and",
             "labels in Chinese (English where there is no Chinese); default",
             "zh when LC_ALL / LC_MESSAGES / LANG starts with zh, else en" } },
  { long = "--color", alias = "--colour", key = "color", value = "WHEN", optional = true,
    values = { "always", "never", "auto" }, brief = "colour: always, never or auto",
    help = { "always, never or auto (the default: colour only when stdout is",
             "a terminal and NO_COLOR is unset); --no-color means never" } },
  { long = "--no-color", alias = "--no-colour", key = "no_color", brief = "no colour",
    help = nil },
  { long = "--completion", key = "completion", value = "SHELL", values = { "bash", "zsh" },
    brief = "print a completion script for bash or zsh",
    help = { "print the completion script for bash or zsh, e.g.",
             "authcodes --completion bash > /etc/bash_completion.d/authcodes" } },
  { long = "--", key = "end", brief = "end of options",
    help = { "end of options: every later argument is a key, word or domain" } },
  { short = "-h", long = "--help", key = "help", brief = "show the help", help = { "show this help" } },
  { short = "-V", long = "--version", key = "version", brief = "show the version",
    help = { "show the version" } },
}

--- Every spelling of an option: its short name, long name and alias, those it has.
function M.spellings(opt)
  local list = { opt.short, opt.long, opt.alias }
  local out = {}
  for i = 1, 3 do if list[i] then out[#out + 1] = list[i] end end
  return out
end

-- name -> option, and the sorted long names for "did you mean".
local BY_NAME, LONG_NAMES = {}, {}
for _, opt in ipairs(M.OPTIONS) do
  for _, name in ipairs(M.spellings(opt)) do
    if name ~= "--" then
      BY_NAME[name] = opt
      if sub(name, 1, 2) == "--" then LONG_NAMES[#LONG_NAMES + 1] = name end
    end
  end
end
sort(LONG_NAMES)

--- The values an option's value may take (for checks, help and completion).
function M.values_of(opt)
  local v = opt.values
  if type(v) == "table" then return v end
  if v then return M[v]() end
  return nil
end

local EXAMPLE = { class = "--class UNAUTHENTICATED", retry = "--retry backoff", lang = "--lang zh",
                  completion = "--completion bash" }

--- Parse argv into options: `{ positional = {...}, mode = "search"|"list"|nil,
-- color = "auto", class =, retry =, lang =, json =, help =, version =, completion = }`.
-- A negative code (-204) and "-" (stdin) are arguments, never options.
function M.parse(argv)
  local o = { positional = {}, color = "auto" }
  local ended = false
  local i, n = 1, #argv
  while i <= n do
    local a = argv[i]
    if type(a) ~= "string" then a = tostring(a) end
    if ended or a == "-" or sub(a, 1, 1) ~= "-" or is_code_like(a) then
      o.positional[#o.positional + 1] = a
    elseif a == "--" then
      ended = true
    else
      local name, value = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      local opt = BY_NAME[name]
      if not opt then
        local hint = closest(name, LONG_NAMES)
        if hint then
          usage(format("unknown option %s; did you mean %s? (see %s --help)", quote(name), hint, PROG))
        elseif sub(name, 1, 2) ~= "--" and #name > 2 and #name <= 8 then
          usage(format("unknown option %s: give one option per argument (-l -s, not -ls); see %s --help",
            quote(name), PROG))
        end
        usage(format("unknown option %s; see %s --help for the options", quote(name), PROG))
      end
      local kind = opt.key
      if opt.value and not opt.optional then
        if value == nil then
          local nxt = argv[i + 1]
          if nxt == nil or (BY_NAME[nxt] and not is_code_like(nxt)) then
            usage(format("%s needs a value, e.g. %s", name, EXAMPLE[kind] or (name .. " " .. opt.value)))
          end
          value, i = nxt, i + 1
        end
        o[kind] = value
      elseif kind == "search" or kind == "list" then
        if o.mode and o.mode ~= kind then
          usage(format("choose one of --search and --list, not both (see %s --help)", PROG))
        end
        o.mode = kind
        if value ~= nil then o.positional[#o.positional + 1] = value end
      elseif kind == "color" then
        o.color = value or "always"
      elseif kind == "no_color" then
        if value ~= nil then usage(name .. " takes no value") end
        o.color = "never"
      else
        if value ~= nil then
          usage(format("%s takes no value (got %s); type just %s", name, quote(value), name))
        end
        o[kind] = true
      end
    end
    i = i + 1
  end
  return o
end

--- The language the locale asks for: zh when LC_ALL, LC_MESSAGES or LANG (the first one
-- set) starts with zh, else en.
local function locale_lang(getenv)
  for _, v in ipairs { "LC_ALL", "LC_MESSAGES", "LANG" } do
    local s = getenv(v)
    if s and s ~= "" then return find(lower(s), "^zh") and "zh" or "en" end
  end
  return "en"
end

-- `value` (case-folded by `fold`) when it is one of `list`; else a usage error naming them.
local function one_of(value, list, fold, what, where, example)
  local want = fold(value)
  for _, c in ipairs(list) do if c == want then return want end end
  local hint = closest(want, list)
  usage(format("unknown %s %s %s; %stype one of: %s (e.g. %s)", what, quote(value), where,
    hint and ("did you mean " .. hint .. "? ") or "", concat(list, " "), example))
end

--- Check the option values, normalise class (upper case), retry and lang, and choose
-- the mode: "lookup", "search" or "list". `getenv` reads the locale.
function M.check(o, getenv)
  if o.class ~= nil then
    o.class = one_of(o.class, M.classes(), upper, "class", "for --class",
      PROG .. " -l --class UNAUTHENTICATED")
  end
  if o.retry ~= nil then
    o.retry = one_of(o.retry, M.retry_kinds(), lower, "retry kind", "for --retry",
      PROG .. " -l --retry backoff")
  end
  if o.lang ~= nil then
    local l = lower(o.lang)
    if l ~= "zh" and l ~= "en" then
      usage(format("unknown language %s for --lang; type --lang zh or --lang en", quote(o.lang)))
    end
    o.lang = l
  else
    o.lang = locale_lang(getenv)
  end
  if o.color ~= "always" and o.color ~= "never" and o.color ~= "auto" then
    usage(format("unknown colour mode %s; type --color=always, --color=never or --color=auto",
      quote(o.color)))
  end
  if not o.mode then
    if #o.positional == 0 then
      if o.class or o.retry then
        o.mode = "list"
      else
        usage(format("nothing to look up; type a code or a name (%s 22002, %s expired_token), "
          .. "%s -s WORDS to search, - to read log lines or a reply on stdin, or see %s --help",
          PROG, PROG, PROG, PROG))
      end
    elseif o.class or o.retry then
      usage(format("--class and --retry filter a list or a search; type %s -l --class CLASS "
        .. "or %s -s WORDS --class CLASS", PROG, PROG))
    else
      o.mode = "lookup"
    end
  end
  if o.mode == "lookup" then
    for idx, k in ipairs(o.positional) do
      if not find(k, "%S") then
        usage(format("argument %d is an empty key; type a code or a name, e.g. %s 22002", idx, PROG))
      end
    end
  end
  return o
end

return M
