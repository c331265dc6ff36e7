-- luacheck configuration for `make lint` (tools/suites/lint.sh names the files)
std = "max"
max_line_length = 120
globals = { "ngx" }
files["spec"] = { std = "+busted" }
files["spec/integration"] = { std = "+busted" }
exclude_files = { "build/**" }
