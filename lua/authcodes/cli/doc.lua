--- The command's documentation, generated from the option table of authcodes.cli.args
-- so that `--help`, the man page (man/authcodes.1) and the bash and zsh completions
-- (completions/) can never disagree about the options: `tools/gencli.lua` writes the
-- files, `authcodes --completion bash|zsh` prints a completion, and spec/cli_install_spec.lua
-- checks that the committed files are what this module makes now.
-- @module authcodes.cli.doc

local args = require "authcodes.cli.args"

local format, rep, gsub = string.format, string.rep, string.gsub
local concat = table.concat
local ipairs = ipairs

local M = {}

-- Prose shared by --help and the man page: paragraphs of the description, the exit
-- statuses and the examples.
local SYNOPSIS = {
  { "[OPTIONS] KEY...", "describe codes (errno for auth codes)" },
  { "-s|--search WORD...", "find codes by words" },
  { "-l|--list [DOMAIN...]", "list codes (all domains, or those given)" },
  { "[OPTIONS] -", "codes in log lines or a reply on stdin" },
}

local DESCRIPTION = {
  { "A KEY is a code (22002, -204), a name or alias in any case (expired_token,",
    "WDGAuthErrorCodeExpiredToken), or DOMAIN.NAME (wilddog.expired_token, imsdk.-204).",
    "Every key given prints one record: domain, code, name, class, HTTP status, retry",
    "advice, action, English summary, vendor message, Chinese description, source, notes.",
    "A negative code is a code, never an option: authcodes -204 works." },
  { "A key may be copied from a log or a reply as it is: code=-204, errcode:22002,",
    "'\"-207\"'. The key - reads stdin (a JSON reply, or log lines such as",
    "domain=imsdk code=-207) and describes every code found there, once each." },
}

local EXIT = {
  { "0", "every key was found; the search or list matched at least one code" },
  { "1", "nothing matched: an unknown key, an empty search or list, or an ambiguous",
         "name - one that several domains use, e.g. failure: the message names what to",
         "type instead (authcodes wilddog.failure or authcodes imsdk.failure)" },
  { "2", "bad usage: unknown option, bad --class/--retry/--lang value, unknown --list",
         "domain, empty key, no arguments; or an internal error" },
}

local EXAMPLES = {
  { "authcodes 22002", "authcodes -s token expired" },
  { "authcodes -204 wilddog.failure", "authcodes -s 过期 --lang zh" },
  { "authcodes -l imsdk --retry backoff", "authcodes --json expired_token" },
  { "grep code= app.log | authcodes -", "authcodes 'code=-204'" },
}

local ENVIRONMENT = {
  { "LC_ALL, LC_MESSAGES, LANG", "the first one set chooses --lang: zh when it starts with zh" },
  { "NO_COLOR", "when set and not empty, no automatic colour" },
  { "TERM", "unset or dumb: no automatic colour" },
  { "COLUMNS", "the terminal width to wrap and cut to (else asked of the terminal)" },
}

-- The option's names as --help shows them: "-s, --search", "    --class CLASS".
local function names(opt)
  local s = opt.long == "--" and "--" or ((opt.short and (opt.short .. ", ") or "    ") .. opt.long)
  if opt.value then s = s .. (opt.optional and ("[=" .. opt.value .. "]") or (" " .. opt.value)) end
  return s
end

-- Words laid out in lines of at most `limit` columns after `indent`.
local function fill(words, indent, limit)
  local out, line = {}, {}
  for _, w in ipairs(words) do
    if #line > 0 and #indent + #concat(line, " ") + #w + 1 > limit then
      out[#out + 1] = indent .. concat(line, " ")
      line = {}
    end
    line[#line + 1] = w
  end
  out[#out + 1] = indent .. concat(line, " ")
  return concat(out, "\n")
end

-- The help lines of `opt` with {classes} and {kinds} expanded by `expand`.
local function help_lines(opt, expand)
  local out = {}
  for _, l in ipairs(opt.help or {}) do
    if l == "{classes}" then out[#out + 1] = expand(args.classes())
    elseif l == "{kinds}" then out[#out + 1] = expand(args.retry_kinds())
    else out[#out + 1] = l end
  end
  return out
end

--- The text of `authcodes --help`.
function M.help()
  local indent = rep(" ", 22)
  local out = {}
  for i, s in ipairs(SYNOPSIS) do
    local lead = i == 1 and "Usage: authcodes " or "       authcodes "
    out[#out + 1] = format("%-43s%s", lead .. s[1], s[2])
  end
  for _, p in ipairs(DESCRIPTION) do
    out[#out + 1] = ""
    for _, l in ipairs(p) do out[#out + 1] = l end
  end
  out[#out + 1] = ""
  out[#out + 1] = "Options:"
  for _, opt in ipairs(args.OPTIONS) do
    local lines = help_lines(opt, function(list) return fill(list, indent, 88) end)
    if #lines > 0 then
      local shown = names(opt)
      if #shown < 20 then
        out[#out + 1] = format("  %-20s%s", shown, lines[1])
      else                                  -- too long for the column: a line of its own
        out[#out + 1] = "  " .. shown
        out[#out + 1] = indent .. lines[1]
      end
      for k = 2, #lines do
        out[#out + 1] = lines[k]:sub(1, 1) == " " and lines[k] or (indent .. lines[k])
      end
    end
  end
  out[#out + 1] = ""
  out[#out + 1] = "Exit status:"
  for _, e in ipairs(EXIT) do
    out[#out + 1] = "  " .. e[1] .. "  " .. e[2]
    for k = 3, #e do out[#out + 1] = "     " .. e[k] end
  end
  out[#out + 1] = ""
  out[#out + 1] = "Examples:"
  for _, ex in ipairs(EXAMPLES) do out[#out + 1] = format("  %-37s%s", ex[1], ex[2]) end
  out[#out + 1] = ""
  return concat(out, "\n")
end

-- Text for roff: backslashes and hyphens escaped, no line starting with a control char.
local function roff(s)
  s = gsub(s, "\\", "\\e")
  s = gsub(s, "%-", "\\-")
  return (gsub(s, "^([.'])", "\\&%1"))
end

--- The man page, man/authcodes.1 (roff, man macros). Its title line names the version
-- (`make release-check` checks that it agrees with `_VERSION`; `make cli-docs` after a
-- version bump).
function M.man()
  local out = {
    '.\\" Generated by tools/gencli.lua from lua/authcodes/cli/{args,doc}.lua; do not edit.',
    '.TH AUTHCODES 1 "" "authcodes ' .. require("authcodes")._VERSION .. '" "User Commands"',
    ".SH NAME",
    "authcodes \\- describe Wilddog Auth and iMSDK error codes",
    ".SH SYNOPSIS",
  }
  for _, s in ipairs(SYNOPSIS) do
    out[#out + 1] = ".B authcodes"
    out[#out + 1] = roff(s[1])
    out[#out + 1] = ".br"
  end
  out[#out + 1] = ".SH DESCRIPTION"
  for i, p in ipairs(DESCRIPTION) do
    if i > 1 then out[#out + 1] = ".PP" end
    for _, l in ipairs(p) do out[#out + 1] = roff(l) end
  end
  out[#out + 1] = ".SH OPTIONS"
  for _, opt in ipairs(args.OPTIONS) do
    local shown = {}
    for _, n in ipairs(args.spellings(opt)) do shown[#shown + 1] = "\\fB" .. roff(n) .. "\\fR" end
    local value = opt.value and (opt.optional and ("[=\\fI" .. roff(opt.value) .. "\\fR]")
      or (" \\fI" .. roff(opt.value) .. "\\fR")) or ""
    out[#out + 1] = ".TP"
    out[#out + 1] = concat(shown, ", ") .. value
    local lines = help_lines(opt, function(list) return concat(list, " ") end)
    if #lines == 0 then lines = { opt.brief } end
    for _, l in ipairs(lines) do out[#out + 1] = roff(l) end
  end
  out[#out + 1] = ".SH EXIT STATUS"
  for _, e in ipairs(EXIT) do
    out[#out + 1] = ".TP"
    out[#out + 1] = ".B " .. e[1]
    for k = 2, #e do out[#out + 1] = roff(e[k]) end
  end
  out[#out + 1] = ".SH ENVIRONMENT"
  for _, e in ipairs(ENVIRONMENT) do
    out[#out + 1] = ".TP"
    out[#out + 1] = ".B " .. roff(e[1])
    out[#out + 1] = roff(e[2])
  end
  out[#out + 1] = ".SH EXAMPLES"
  for _, ex in ipairs(EXAMPLES) do
    for _, cmd in ipairs(ex) do
      out[#out + 1] = ".PP"
      out[#out + 1] = ".B " .. roff(cmd)
    end
  end
  out[#out + 1] = ".SH SEE ALSO"
  out[#out + 1] = "The library: README.md and docs/codes.md of the authcodes sources."
  return concat(out, "\n") .. "\n"
end

-- Every spelling of every option, in table order.
local function all_names()
  local list = {}
  for _, opt in ipairs(args.OPTIONS) do
    for _, n in ipairs(args.spellings(opt)) do list[#list + 1] = n end
  end
  return list
end

local function bash(domains)
  local cases, eq_cases, listing = {}, {}, {}
  for _, opt in ipairs(args.OPTIONS) do
    if opt.args == "domains" then listing[#listing + 1] = opt.short .. "|" .. opt.long end
    local values = args.values_of(opt)
    if values and opt.value then
      local pat = opt.long .. (opt.alias and ("|" .. opt.alias) or "")
      local line = format("    %s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return;;", pat, concat(values, " "))
      if opt.optional then eq_cases[#eq_cases + 1] = line else cases[#cases + 1] = line end
    end
  end
  return concat({
    "# bash completion for authcodes. Generated by `authcodes --completion bash`",
    "# from the option table of --help (lua/authcodes/cli/args.lua); do not edit.",
    "_authcodes() {",
    "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} eq=",
    "  # bash splits --opt=value at '=': look past it",
    "  if [ \"$cur\" = = ]; then cur=; eq=1",
    "  elif [ \"$prev\" = = ]; then prev=${COMP_WORDS[COMP_CWORD-2]}; eq=1; fi",
    "  case $prev in",
    concat(cases, "\n"),
    "  esac",
    "  if [ -n \"$eq\" ]; then",
    "    case $prev in",
    concat(eq_cases, "\n"),
    "    esac",
    "  fi",
    "  case $cur in",
    format("    -[!0-9]*|-) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return;;", concat(all_names(), " ")),
    "  esac",
    "  local w",
    "  for w in \"${COMP_WORDS[@]}\"; do",
    format("    case $w in %s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return;; esac",
      concat(listing, "|"), concat(domains or {}, " ")),
    "  done",
    "}",
    "complete -F _authcodes authcodes",
    "",
  }, "\n")
end

local function zsh()
  local lines = {
    "#compdef authcodes",
    "# zsh completion for authcodes. Generated by `authcodes --completion zsh`",
    "# from the option table of --help (lua/authcodes/cli/args.lua); do not edit.",
    "_arguments -s -S \\",
  }
  for _, opt in ipairs(args.OPTIONS) do
    if opt.long ~= "--" then
      local excl = ""
      if opt.key == "search" or opt.key == "list" then excl = "(-s --search -l --list)"
      elseif opt.key == "help" or opt.key == "version" or opt.key == "completion" then excl = "(- *)" end
      local values = args.values_of(opt)
      local action = ""
      if opt.value then
        action = (opt.optional and "::" or ":") .. opt.value .. ":"
          .. (values and ("(" .. concat(values, " ") .. ")") or "")
      end
      local suffix = opt.value and (opt.optional and "=-" or "=") or ""
      for _, n in ipairs(args.spellings(opt)) do
        lines[#lines + 1] = format("  '%s%s%s[%s]%s' \\", excl, n, suffix, opt.brief, action)
      end
    end
  end
  lines[#lines + 1] = "  '*:key, word or domain:'"
  return concat(lines, "\n") .. "\n"
end

--- The completion script for `shell` ("bash" or "zsh"); `domains` complete -l's
-- arguments. Nil for another shell.
function M.completion(shell, domains)
  if shell == "bash" then return bash(domains) end
  if shell == "zsh" then return zsh() end
  return nil
end

return M
