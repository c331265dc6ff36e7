---@meta authcodes
-- LuaLS (lua-language-server) definitions for `require "authcodes"`: types and
-- signatures only, for editors; the code is lua/authcodes.lua. Point LuaLS at this
-- folder with `"workspace.library": ["<path to authcodes>/library"]` (see README.md).
-- `authcodes.ngx` is in library/authcodes/ngx.lua.
--
-- spec/types_spec.lua keeps this file in step with the real module: every function
-- and value `authcodes` exports (the lazily loaded ones too: retry, budget, format,
-- problem, negotiate...) is declared here, and nothing else is; every parameter has a
-- `---@param`. The functions below have no bodies on purpose: this file is never run.
-- luacheck: ignore 212 241

---A domain name: `"imsdk"`, `"wilddog"`, or one added with `authcodes.register`.
---@alias authcodes.Domain "imsdk"|"wilddog"|string

---gRPC canonical code names (google/rpc/code.proto); each fixes a default HTTP status.
---@alias authcodes.Class
---| "OK"
---| "CANCELLED"
---| "UNKNOWN"
---| "INVALID_ARGUMENT"
---| "DEADLINE_EXCEEDED"
---| "NOT_FOUND"
---| "ALREADY_EXISTS"
---| "PERMISSION_DENIED"
---| "UNAUTHENTICATED"
---| "RESOURCE_EXHAUSTED"
---| "FAILED_PRECONDITION"
---| "ABORTED"
---| "OUT_OF_RANGE"
---| "UNIMPLEMENTED"
---| "INTERNAL"
---| "UNAVAILABLE"
---| "DATA_LOSS"

---What a caller should do about retrying.
---@alias authcodes.RetryKind
---| "never"       # the same call will fail again
---| "backoff"     # transient: retry after exponential backoff
---| "after_delay" # rate limited: wait `retry_after` seconds, then retry
---| "reauth"      # session or token expired: sign in again, then retry once
---| "restart"     # redo the whole flow, not the call

---Anything `lookup` accepts: a code (`22002`, `"-204"`), a name or alias in any case
---(`"expired_token"`, `"WDGAuthErrorCodeExpiredToken"`) or `"domain.name"`; `new`,
---`should_retry`, `format`... also take an entry or an error object.
---@alias authcodes.Key integer|number|string|authcodes.Entry|authcodes.Error

---Output styles of `authcodes.format`.
---@alias authcodes.Style
---| "text"    # for people: the message in opts.lang and where it comes from
---| "log"     # one key=value line
---| "json"    # a JSON object with the entry's fields, detail, cause, context
---| "problem" # an RFC 9457 problem+json body

---@alias authcodes.Lang "en"|"zh"

---The read-only catalog entry of one code (see docs/topics/entries.md): a full userdata.
---Assigning to a field raises; `entry:totable()` gives a writable copy.
---@class authcodes.Entry
---@field domain authcodes.Domain
---@field code integer the vendor's code, e.g. `-204`, `22002`
---@field name string stable symbolic name, `[A-Za-z][A-Za-z0-9_]*`
---@field aliases string[] other spellings `lookup` accepts (a fresh copy on each read)
---@field message? string the vendor's text, byte for byte
---@field description? string the vendor's Chinese explanation, byte for byte
---@field sdk_message? string Wilddog only: its Web SDK's English message
---@field doc_message? string a longer wording from the vendor's other documentation
---@field doc_description? string
---@field summary string one clear English sentence of what happened
---@field class authcodes.Class
---@field retry authcodes.RetryKind
---@field retryable boolean `retry` is `backoff` or `after_delay`
---@field retry_after? integer seconds to wait; present exactly for `after_delay`
---@field http integer the status an HTTP handler should answer with
---@field action string a short hint: `none`, `fix_request`, `relogin`, `wait`...
---@field ok boolean not a failure: success or a "next step" (iMSDK 1..6)
---@field source "seed"|"vendor_doc"|"registered"
---@field note? string what a reader should know about this code
---@field index integer internal position in the catalog; do not rely on it
local Entry = {}

---True when `x` names the same code: a code, a name or alias, `"domain.name"`, a class
---name (`"UNAUTHENTICATED"`), or another entry or error object of the same code.
---@param x authcodes.Key|authcodes.Class
---@return boolean
function Entry:is(x) end

---The message: `"zh"` gives the vendor's Chinese description (or the summary when there
---is none), anything else the English summary.
---@param lang? authcodes.Lang|string
---@return string
function Entry:text(lang) end

---A plain, writable copy of the fields (an error object's also has `detail` and `key`).
---@return table<string, any>
function Entry:totable() end

---One occurrence of a code: every entry field read through to its entry, plus what this
---occurrence adds. `tostring(err)` is one line; `err .. "text"` concatenates that line.
---Unknown keys give `name` `"unknown"` (class UNKNOWN, http 500); unreadable replies
---`name` `"bad_reply"` (class UNKNOWN, http 502).
---@class authcodes.Error: authcodes.Entry
---@field code? integer absent for an unknown key that was not an integer
---@field domain? authcodes.Domain
---@field detail? string what this occurrence adds (`opts.detail`, the vendor's message...)
---@field cause? any what led to it, e.g. another error object
---@field context? table data for logs (`ctx.<key>=`) and JSON (`context`)
---@field key? string|number an unknown key as given (when it is not an integral code)
---@field reason? string why the lookup of an unknown key failed
---@operator concat(string): string

---Options of `authcodes.new`.
---@class authcodes.NewOptions
---@field domain? authcodes.Domain look the key up in this domain only
---@field detail? any what this occurrence adds (kept as a string)
---@field cause? any what led to it
---@field context? table data for logs and JSON

---A retry policy: `should_retry` reads `attempts`, `base`, `cap`, `reauth`, `reauthed`,
---`budget` and `random`; `retry` all of them. Defaults: `authcodes.retry.defaults`
---(3 attempts, base 0.05 s, cap 20 s).
---@class authcodes.RetryPolicy
---@field attempts? integer attempts in all, >= 1
---@field base? number seconds >= 0: backoff is `rand(0,1) * min(cap, base * 2^attempt)`
---@field cap? number seconds >= 0
---@field deadline? number `retry` only: seconds in all; a retry that would end later is not made
---@field deadline_at? number `retry` only: an absolute deadline, a time of `require("authcodes.retry").now()`
---@field deadline_from? "start"|"request" `retry` only: count `deadline` from retry's start or, in nginx, from the request's start
---@field on_give_up? fun(err: authcodes.Error, attempts: integer, why: string, reason: string) `retry` only: called once when it stops on a failure
---@field retry_on? (string|integer)[] class names, codes, names or `domain.name`s to retry with backoff although the catalog says not
---@field no_retry_on? (string|integer)[] class names, codes or names never to retry (wins over `retry_on`)
---@field idempotent? boolean also retry INTERNAL and UNKNOWN errors with a 5xx status
---@field breaker? authcodes.Breaker|false told of every outcome; while open, `retry` answers `circuit_open` at once
---@field reauth? fun(err: authcodes.Error): any sign in again (true: retry once); none: no reauth retry
---@field reauthed? boolean true once the caller has signed in again: no second time
---@field budget? authcodes.Budget|false a retry budget; `retry` uses the process-wide one by default, `false` for none
---@field sleep? fun(seconds: number) `retry` only: default `ngx.sleep` in nginx (no wait where a phase cannot yield), `skynet.sleep` in skynet, `defaults.sleep` if set, else the C core's blocking sleep (plain scripts only)
---@field on_retry? fun(err: authcodes.Error, attempt: integer, delay: number) `retry` only: called before each wait
---@field now? fun(): number `retry` only: a clock in seconds, for `deadline`
---@field random? fun(): number a number in [0, 1), for tests

---A token-bucket retry budget: each retry takes `cost` tokens and is not made when too
---few are left; each success gives back `refund`.
---@class authcodes.Budget
---@field capacity number
---@field cost number
local Budget = {}

---Take the cost of one retry; false when too few tokens are left (nothing is taken).
---@param cost? number tokens to take (default: the budget's `cost`)
---@return boolean taken
function Budget:acquire(cost) end

---Give back tokens after a success (default: the budget's `refund`), up to the capacity.
---@param n? number tokens to give back
function Budget:refund(n) end

---Tokens left.
---@return number
function Budget:available() end

---Options of `authcodes.budget`.
---@class authcodes.BudgetOptions
---@field capacity? number tokens when full (500)
---@field cost? number tokens a retry takes (5)
---@field refund? number tokens a success gives back (1)
---@field dict? table|userdata a `lua_shared_dict` (`ngx.shared.x`): one budget for all workers
---@field key? string the key in `dict` (default `"authcodes:retry_budget"`); with `redis`, the Redis key
---@field redis? table|fun(timeout_ms: number): table a Redis client (any object with `eval`), or a function giving one per operation: one budget for a fleet
---@field release? fun(client: table, ok: boolean) given each client back after an operation (nginx: the keepalive pool)
---@field timeout? number seconds a Redis operation may take before the local budget stands in (0.05)
---@field recheck? number seconds Redis is left alone after a failure (1)
---@field log_interval? number seconds between two log lines about the fallback (10)
---@field log? fun(msg: string) where those lines go (default: `ngx.log` or stderr)

---A circuit breaker (closed, open, half-open) for one vendor.
---@class authcodes.Breaker
---@field name string the vendor (or vendor:call) it guards
local Breaker = {}

---May a call go now? `true`, or `false` and the seconds until a probe may go.
---@return boolean go
---@return number? wait
function Breaker:allow() end

---Record a call's outcome: nil for a success, else its error object.
---@param err? authcodes.Error
function Breaker:record(err) end

---Record a call that worked.
function Breaker:success() end

---Record a failure of the vendor.
function Breaker:failure() end

---`"closed"`, `"open"` (and seconds left) or `"half_open"`.
---@return "closed"|"open"|"half_open" state
---@return number? left
function Breaker:state() end

---The `circuit_open` error `retry` returns while the breaker is open.
---@param seconds number
---@param cause? authcodes.Error
---@return authcodes.Error
function Breaker:open_error(seconds, cause) end

---Options of `authcodes.breaker`.
---@class authcodes.BreakerOptions
---@field name string the vendor (required)
---@field failures? integer consecutive retryable failures that open it (5)
---@field rate? number failure rate over `window` that opens it (0.5)
---@field min_calls? integer calls in a window before `rate` counts (20)
---@field window? number seconds (10)
---@field cooldown? number seconds open before one probe (5)
---@field probe_timeout? number seconds a probe may take before another may go (5)
---@field counts? fun(err: authcodes.Error): boolean which errors are failures (default: retryable ones)
---@field now? fun(): number a clock, for the local backends
---@field dict? table|userdata a `lua_shared_dict`: the state shared by the workers
---@field redis? table|fun(timeout_ms: number): table a Redis client: the state shared by a fleet

---Options of `authcodes.format` and `authcodes.problem`.
---@class authcodes.FormatOptions
---@field lang? authcodes.Lang language of the message (`"en"` by default)
---@field instance? string `"problem"`: a URI for this occurrence
---@field type_base? string `"problem"`: base of the `type` URI (default `"urn:authcodes:"`)

---RFC 9457 problem details, with authcodes' extension members.
---@class authcodes.Problem
---@field type string `type_base` .. domain .. name
---@field title string `err:text(lang)`
---@field status integer `err.http`
---@field detail? string
---@field instance? string
---@field code? integer
---@field domain? authcodes.Domain
---@field name string
---@field class authcodes.Class
---@field retryable boolean
---@field retry_after? integer
---@field key? string an unknown key, as text

---A row of `authcodes.register`: the fields of an entry.
---@class authcodes.Row
---@field code integer unique in the domain
---@field name string `[A-Za-z][A-Za-z0-9_]*`, unique with the aliases (case ignored)
---@field class authcodes.Class
---@field summary string
---@field aliases? string[]
---@field retry? authcodes.RetryKind default `"never"`
---@field retry_after? integer required for, and only for, `"after_delay"`
---@field http? integer default: the class's
---@field action? string default `"none"`
---@field message? string
---@field description? string
---@field note? string
---@field ok? boolean default: class is `OK`

---Wilddog Auth and iMSDK server error codes as rich error objects.
---Wrong arguments from the programmer raise `bad argument #n to 'fn' (...)`; bad input
---from the network never raises.
---@class authcodes
---@field _VERSION string this library's version, e.g. `"0.2.0"`
local authcodes = {}

---Look a key up: an entry, or `nil, reason` (never raises). With two arguments, the key
---`b` in domain `a` only.
---
---```lua
---authcodes.lookup(-204).name                          --> "session_expired"
---authcodes.lookup("wilddog", "expired_token").code    --> 22002
---```
---@param a authcodes.Key|authcodes.Domain the key, or with `b` the domain
---@param b? integer|string the key, looked up in domain `a` only
---@return authcodes.Entry? entry
---@return string? reason e.g. `unknown code 12345`
function authcodes.lookup(a, b) end

---`lookup(key)` with one argument, for hot paths: the same answers, one test fewer.
---
---```lua
---authcodes.get(-204).name                             --> "session_expired"
---```
---@param key authcodes.Key
---@return authcodes.Entry? entry
---@return string? reason e.g. `unknown code 12345`
function authcodes.get(key) end

---The domain names, sorted (a new list on every call).
---@return authcodes.Domain[]
function authcodes.domains() end

---Iterate over a domain's entries in ascending code order: `for e in authcodes.each("imsdk")`.
---Raises `bad argument` for an unknown domain.
---@param domain authcodes.Domain
---@return fun(): authcodes.Entry?
function authcodes.each(domain) end

---Add a domain of your own at run time; it never shadows built-in codes or names.
---@param domain string `[a-z][a-z0-9_]*`, not a built-in or registered one
---@param rows authcodes.Row[]
---@return true? ok
---@return string? reason why nothing was added, e.g. `row 2: unknown class UNAVAILBLE`
function authcodes.register(domain, rows) end

---A new error object; an unknown key gives an UNKNOWN one (http 500) keeping the key.
---@param key authcodes.Key|any
---@param opts? authcodes.NewOptions
---@return authcodes.Error
function authcodes.new(key, opts) end

---Is `v` an error object (not an entry, not anything else)?
---@param v any
---@return boolean
function authcodes.is_error(v) end

---Read a vendor reply (a decoded table or its JSON text): `reply, entry` for success and
---next-step codes, else `nil, err` (`bad_reply`, http 502, when unreadable). Never raises
---on the reply.
---@param reply table|string
---@param domain? authcodes.Domain where the code field is (`errcode`/`code`); without it, every domain
---@param opts? { status?: integer, headers?: table } the HTTP response's status and headers: a 4xx/5xx status with an unreadable or success-looking body is a transport failure; `Retry-After` sets the error's `retry_after`
---@return table? reply the decoded reply, its code made an integer
---@return authcodes.Entry|authcodes.Error entry_or_err
function authcodes.check(reply, domain, opts) end

---Can lua-cjson be loaded? For a start-up check: `check` of a JSON string and the json
---and problem styles raise naming the load error when it cannot.
---@return boolean ok
---@return string? why the error `require "cjson.safe"` raised
function authcodes.has_json() end

---Should a failed call be tried again? `true, delay` (seconds) or `false, nil, reason`.
---@param err authcodes.Key|any an error object, entry, code or name
---@param attempt number attempts made so far (1 after the first failure)
---@param policy? authcodes.RetryPolicy
---@return boolean retry
---@return number? delay seconds to wait first
---@return string? reason why not, e.g. `no attempts left`
---@return string? why `attempts`, `not_retryable`, `reauth`, `deadline`, `budget`, `cannot_wait` or `breaker_open`
function authcodes.should_retry(err, attempt, policy) end

---Call `fn(attempt, left)` until it succeeds (a first result other than nil) or the policy
---says stop; `left` is the seconds to the deadline (nil without one). Never blocks nginx
---or skynet. Returns fn's results, or `nil, last_err, attempts_made, why, reason`.
---@param fn fun(attempt: integer, left: number?): ...
---@param policy? authcodes.RetryPolicy
---@return any ... fn's results, or nil, the last error object and the number of calls
function authcodes.retry(fn, policy) end

---A new retry budget (a token bucket), full.
---@param opts? authcodes.BudgetOptions
---@return authcodes.Budget
function authcodes.budget(opts) end

---A new circuit breaker (per VM, `lua_shared_dict` or Redis).
---@param opts authcodes.BreakerOptions
---@return authcodes.Breaker
function authcodes.breaker(opts) end

---Format an error: `"text"`, `"log"` (one line), `"json"` or `"problem"` (RFC 9457 body).
---`"json"` and `"problem"` need lua-cjson.
---@param err authcodes.Key|any an error object, or anything `new` accepts
---@param style authcodes.Style
---@param opts? authcodes.FormatOptions
---@return string
function authcodes.format(err, style, opts) end

---The RFC 9457 problem details of an error, as a table.
---@param err authcodes.Key|any an error object, or anything `new` accepts
---@param opts? authcodes.FormatOptions
---@return authcodes.Problem
function authcodes.problem(err, opts) end

---Pick `"zh"` or `"en"` from an Accept-Language header value (quality values honoured;
---anything unreadable, or nil, gives `"en"`). Never raises.
---@param accept_language? string
---@return authcodes.Lang
function authcodes.negotiate(accept_language) end

return authcodes
