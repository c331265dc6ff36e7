-- Writes the command's man page and shell completions from its option table:
--   man/authcodes.1, completions/authcodes.bash, completions/_authcodes
-- Run by `make cli-docs` (mk/cli.mk) from the checkout, with the module built for the
-- runtime that runs it (the completions list the catalog's domains).
-- spec/cli_install_spec.lua fails when the committed files differ from what this writes.
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
local authcodes = require "authcodes"
local doc = require "authcodes.cli.doc"

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
  print("wrote " .. path)
end

write("man/authcodes.1", doc.man())
write("completions/authcodes.bash", assert(doc.completion("bash", authcodes.domains())))
write("completions/_authcodes", assert(doc.completion("zsh", authcodes.domains())))
