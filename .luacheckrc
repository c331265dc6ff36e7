-- luacheck configuration for `make lint` (tools/suites/lint.sh names the files)
std = "max"
max_line_length = 120
globals = { "ngx" }
files["spec"] = { std = "+busted" }
files["spec/integration"] = { std = "+busted" }
-- LuaLS definitions: an annotation and its description are one line by that format.
files["library"] = { max_line_length = false }
exclude_files = { "build/**" }
