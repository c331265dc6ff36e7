--- The words the command shows to people, in English and Chinese: record labels, table
-- headers, retry advice, where a row came from, HTTP reason phrases and the colour of
-- each severity. Data only, so that a translation is one table to edit.
-- @module authcodes.cli.words

local M = {}

--- Reason phrases for the statuses the catalog uses (RFC 9110; 499 is nginx's).
M.http_reason = {
  [200] = "OK", [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [409] = "Conflict", [429] = "Too Many Requests",
  [499] = "Client Closed Request", [500] = "Internal Server Error",
  [501] = "Not Implemented", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}

--- Colour of a class on a terminal, by its log severity (the third column of
-- `authcodes.schema`'s classes, which `authcodes.ngx` logs at): red for our or the
-- vendor's failures, yellow for pressure (transient, rate limits), cyan for what the
-- caller or user must change, green for success.
M.severity_colour = { error = "red", warn = "yellow", info = "cyan", debug = "green" }

--- Per language: record labels, which text fields a record shows in which order (the
-- language's own first), the table header, retry advice, sources and the `ok` line.
M.lang = {
  en = {
    labels = {
      domain = "domain", code = "code", name = "name", aliases = "aliases", class = "class",
      http = "http", retry = "retry", action = "action", ok = "ok", summary = "summary",
      message = "message", sdk_message = "sdk message", doc_message = "doc message",
      description = "description", doc_description = "doc description", source = "source",
      note = "note",
    },
    texts = { "summary", "message", "sdk_message", "doc_message", "description", "doc_description" },
    header = { "DOMAIN", "CODE", "NAME", "CLASS", "SUMMARY" },
    retry = {
      never = "do not retry: the same call fails again",
      backoff = "transient: retry the same call with exponential backoff",
      after_delay = "rate limited: wait %s s, then retry",
      reauth = "sign in again or refresh the token, then retry",
      restart = "redo the whole flow, not just this call",
    },
    source = {
      seed = "the vendor's error-code table",
      vendor_doc = "vendor documentation only (not in the error-code table)",
      registered = "registered at run time",
    },
    ok = "yes: not a failure (success or a next-step instruction)",
  },
  zh = {
    labels = {
      domain = "域", code = "错误码", name = "名称", aliases = "别名", class = "类别",
      http = "HTTP 状态", retry = "重试", action = "处理", ok = "非错误", summary = "英文摘要",
      message = "厂商消息", sdk_message = "SDK 消息", doc_message = "文档消息",
      description = "说明", doc_description = "文档说明", source = "来源", note = "备注",
    },
    texts = { "description", "doc_description", "summary", "message", "sdk_message", "doc_message" },
    header = { "域", "错误码", "名称", "类别", "说明" },
    retry = {
      never = "不要重试：同样的调用仍会失败",
      backoff = "暂时性错误：按指数退避重试同一调用",
      after_delay = "频率限制：等待 %s 秒后重试",
      reauth = "重新登录或刷新 token 后重试",
      restart = "重新走完整个流程，而不只是重试这次调用",
    },
    source = {
      seed = "厂商错误码表",
      vendor_doc = "仅见于厂商文档（不在错误码表中）",
      registered = "运行时注册",
    },
    ok = "是：不是失败（成功或下一步指示）",
  },
}

return M
