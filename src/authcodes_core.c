/*
 * authcodes_core.c: the catalog as a Lua module, `require "authcodes.core"`.
 *
 * The Lua side (lua/authcodes.lua) calls these only on a cache miss: each entry is
 * materialised once per Lua state into a plain table, and every later lookup is a
 * table index that LuaJIT can compile. Nothing here keeps state between calls.
 */
#include <math.h>
#include <string.h>

#include "compat.h"
#include "catalog.h"
#include "clock.h"

/* Most entries a key can name: one per domain (a name shared by domains). */
#define MAX_KEY_MATCHES 16

static void set_string(lua_State *L, const char *field, uint32_t off) {
  const char *s = ac_string(off);
  if (s == NULL) return;
  lua_pushstring(L, s);
  lua_setfield(L, -2, field);
}

static void set_integer(lua_State *L, const char *field, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, field);
}

/* aliases "a,b,c" -> { "a", "b", "c" } */
static void push_aliases(lua_State *L, uint32_t off) {
  const char *s = ac_string(off);
  int n = 0;
  lua_newtable(L);
  while (s != NULL && *s != '\0') {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, ++n);
    s = comma ? comma + 1 : NULL;
  }
}

/* Entry index (1-based) -> its row, or NULL when out of range. */
static const struct ac_entry *entry_arg(lua_State *L, lua_Integer *index) {
  lua_Integer i = luaL_checkinteger(L, 1);
  *index = i;
  if (i < 1 || (size_t)i > ac_entry_count()) return NULL;
  return ac_entry_at((size_t)(i - 1));
}

/* The fields every entry keeps in Lua (the ones hot paths read), into the table on top
 * of the stack. The cold fields (below: the text and `action`) stay here and are read
 * on demand with core.text: a VM that never shows them never holds them (an error's
 * tostring line and problem bodies, made once per entry, are cached by the Lua side). */
static void set_hot_fields(lua_State *L, const struct ac_entry *e) {
  set_string(L, "domain", ac_domain_at(e->domain)->name);
  set_integer(L, "code", e->code);
  set_string(L, "name", e->name);
  lua_pushstring(L, ac_class_name(e->klass));
  lua_setfield(L, -2, "class");
  lua_pushstring(L, ac_retry_name(e->retry));
  lua_setfield(L, -2, "retry");
  set_integer(L, "http", e->http);
  if (e->retry_after > 0) set_integer(L, "retry_after", e->retry_after);
}

/* The cold fields, by name: read on demand (core.text), not kept in every VM: the text
 * fields and `action` (read only when an error is formatted), and `source` and `ok`
 * (below; `check` reads `ok` once per reply). */
static const char *const text_fields[] = {
  "summary", "message", "description", "sdk_message", "doc_message", "doc_description", "note",
  "action", NULL
};

static uint32_t text_offset(const struct ac_entry *e, int which) {
  switch (which) {
  case 0: return e->summary;
  case 1: return e->message;
  case 2: return e->description;
  case 3: return e->sdk_message;
  case 4: return e->doc_message;
  case 5: return e->doc_description;
  case 6: return e->note;
  default: return e->action;
  }
}

/* Entry index (1-based) -> the entry's fields as a new table (every field). */
static int core_entry(lua_State *L) {
  lua_Integer i;
  const struct ac_entry *e = entry_arg(L, &i);
  int j;
  if (e == NULL) return 0;
  lua_createtable(L, 0, 20);
  set_hot_fields(L, e);
  set_integer(L, "index", i);
  lua_pushstring(L, ac_source_name(e->source));
  lua_setfield(L, -2, "source");
  lua_pushboolean(L, e->ok);
  lua_setfield(L, -2, "ok");
  push_aliases(L, e->aliases);
  lua_setfield(L, -2, "aliases");
  for (j = 0; text_fields[j] != NULL; j++) set_string(L, text_fields[j], text_offset(e, j));
  return 1;
}

/* Entry index -> a new table of the hot fields only, sized for them plus `retryable`
 * and `is`, which the Lua side adds: 8 keys in 8 slots (16 for the few entries with a
 * retry_after); docs/design-caches.md, "What an entry is". */
static int core_fields(lua_State *L) {
  lua_Integer i;
  const struct ac_entry *e = entry_arg(L, &i);
  if (e == NULL) return 0;
  lua_createtable(L, 0, e->retry_after > 0 ? 16 : 8);
  set_hot_fields(L, e);
  return 1;
}

/* (entry index, cold field name) -> its value, or nothing when absent. */
static int core_text(lua_State *L) {
  lua_Integer i;
  const struct ac_entry *e = entry_arg(L, &i);
  const char *field = luaL_checkstring(L, 2), *s;
  int j;
  if (e == NULL) return 0;
  for (j = 0; text_fields[j] != NULL; j++) {
    if (strcmp(field, text_fields[j]) != 0) continue;
    s = ac_string(text_offset(e, j));
    if (s == NULL) return 0;
    lua_pushstring(L, s);
    return 1;
  }
  if (strcmp(field, "source") == 0) {
    lua_pushstring(L, ac_source_name(e->source));
    return 1;
  }
  if (strcmp(field, "ok") == 0) {
    lua_pushboolean(L, e->ok);
    return 1;
  }
  return 0;
}

/* Entry index -> its code, or nothing. */
static int core_code(lua_State *L) {
  lua_Integer i;
  const struct ac_entry *e = entry_arg(L, &i);
  if (e == NULL) return 0;
  lua_pushinteger(L, e->code);
  return 1;
}

/* Entry index -> a new list of its aliases (a caller may change it). */
static int core_aliases(lua_State *L) {
  lua_Integer i;
  const struct ac_entry *e = entry_arg(L, &i);
  if (e == NULL) return 0;
  push_aliases(L, e->aliases);
  return 1;
}

/* A new, empty full userdata: what an entry is, so that no caller can rawset on it. */
static int core_box(lua_State *L) {
  ac_newbox(L);
  return 1;
}

/* A new table whose array part has a slot for every entry index: where the Lua side
 * keeps the entries it has made (16 bytes per catalog entry on 5.4, 8 on LuaJIT, and
 * never a rehash; docs/design-caches.md, "Entries made"). */
static int core_slots(lua_State *L) {
  lua_createtable(L, (int)ac_entry_count(), 0);
  return 1;
}

/* number -> entry index, or nothing. Non-integers and non-numbers find nothing. */
static int core_find_code(lua_State *L) {
  lua_Number n;
  long idx;
  if (lua_type(L, 1) != LUA_TNUMBER) return 0;
  n = lua_tonumber(L, 1);
  /* NaN fails every comparison; the bounds keep the cast defined. */
  if (!(n >= -9.0e18 && n <= 9.0e18) || floor(n) != n) return 0;
  idx = ac_find_code((int64_t)n);
  if (idx < 0) return 0;
  lua_pushinteger(L, (lua_Integer)idx + 1);
  return 1;
}

/* string [, first, count] -> entry indices of every entry with that name or alias (any
 * case), only those in first .. first+count-1 when a range is given (one domain's). */
static int core_find_key(lua_State *L) {
  size_t len, out[MAX_KEY_MATCHES], n, i;
  int pushed = 0;
  lua_Integer first = 1, count = (lua_Integer)ac_entry_count();
  const char *s;
  if (lua_type(L, 1) != LUA_TSTRING) return 0;
  if (!lua_isnoneornil(L, 2)) {
    first = luaL_checkinteger(L, 2);
    count = luaL_checkinteger(L, 3);
  }
  s = lua_tolstring(L, 1, &len);
  n = ac_find_key(s, len, out, MAX_KEY_MATCHES);
  if (n > MAX_KEY_MATCHES) n = MAX_KEY_MATCHES;
  luaL_checkstack(L, (int)n, "authcodes.core.find_key");
  for (i = 0; i < n; i++) {
    lua_Integer idx = (lua_Integer)out[i] + 1;
    /* first <= idx < first + count, without computing first + count (any integers may
     * come in): idx - first is exact in unsigned arithmetic once idx >= first. */
    if (idx < first || count < 1) continue;
    if ((unsigned long long)idx - (unsigned long long)first >= (unsigned long long)count) continue;
    lua_pushinteger(L, idx);
    pushed++;
  }
  return pushed;
}

/* { name = { first = i, count = n }, ... } plus the names in order at 1..n */
static int core_domains(lua_State *L) {
  size_t i, n = ac_domain_count();
  lua_createtable(L, (int)n, (int)n);
  for (i = 0; i < n; i++) {
    const struct ac_domain *d = ac_domain_at(i);
    lua_pushstring(L, ac_string(d->name));
    lua_rawseti(L, -2, (int)i + 1);
    lua_createtable(L, 0, 2);
    set_integer(L, "first", (lua_Integer)d->first + 1);
    set_integer(L, "count", d->count);
    lua_setfield(L, -2, ac_string(d->name));
  }
  return 1;
}

static int core_now(lua_State *L) {
  lua_pushnumber(L, ac_now());
  return 1;
}

static int core_sleep(lua_State *L) {
  if (ac_sleep(luaL_checknumber(L, 1)) != 0) return luaL_error(L, "authcodes.core.sleep: clock failed");
  return 0;
}

/* A seed for a per-VM random generator (lua/authcodes/retry.lua): an integer from 1
 * to 2^31 - 2, the state space of the MINSTD generator the Lua side runs. The state
 * lives in that VM, not here: no mutable C globals, so every nginx worker and every
 * skynet service draws its own sequence. The VM's address salts it. */
static int core_seed(lua_State *L) {
  uint64_t s = ac_seed((const void *)L);
  lua_pushinteger(L, (lua_Integer)(1 + s % UINT64_C(2147483646)));
  return 1;
}

/* { name0, name1, ... } of a numbered vocabulary, in the catalog's numbering */
static void push_names(lua_State *L, const char *(*name_of)(unsigned)) {
  unsigned i;
  const char *s;
  lua_newtable(L);
  for (i = 0; (s = name_of(i)) != NULL; i++) {
    lua_pushstring(L, s);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

static const luaL_Reg core_funcs[] = {
  { "entry", core_entry },
  { "fields", core_fields },
  { "text", core_text },
  { "code", core_code },
  { "aliases", core_aliases },
  { "box", core_box },
  { "slots", core_slots },
  { "find_code", core_find_code },
  { "find_key", core_find_key },
  { "domains", core_domains },
  { "now", core_now },
  { "sleep", core_sleep },
  { "seed", core_seed },
  { NULL, NULL }
};

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int luaopen_authcodes_core(lua_State *L) {
  ac_newlib(L, core_funcs);
  lua_pushinteger(L, (lua_Integer)ac_entry_count());
  lua_setfield(L, -2, "count");
  lua_pushinteger(L, (lua_Integer)ac_longest_key());
  lua_setfield(L, -2, "longest_key");
  push_names(L, ac_class_name);
  lua_setfield(L, -2, "classes");
  push_names(L, ac_retry_name);
  lua_setfield(L, -2, "retry_kinds");
  return 1;
}
