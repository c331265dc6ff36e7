-- luacheck configuration: `luacheck lua spec bin tools bench examples`
std = "max"
max_line_length = 120
globals = { "ngx" }
files["spec"] = { std = "+busted" }
files["spec/integration"] = { std = "+busted" }
exclude_files = { "build/**" }
