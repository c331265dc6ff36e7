/*
 * catalog.h: the compiled catalog of vendor error codes, read-only.
 *
 * The data itself (catalog_data.h) is generated from data/ by tools/gencatalog.lua.
 * Every string lives in one pool and is named by its offset, so the tables hold no
 * pointers: they sit in .rodata, need no relocations, and every process (every nginx
 * worker) maps the same pages.
 */
#ifndef AUTHCODES_CATALOG_H
#define AUTHCODES_CATALOG_H

#include <stddef.h>
#include <stdint.h>

/* Only luaopen_authcodes_core leaves the shared object; keeping the rest hidden lets
 * the compiler reach the tables PC-relative, without GOT entries or relocations. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

struct ac_domain {
  uint32_t name;          /* pool offset */
  uint16_t first, count;  /* entries[first .. first+count-1], ascending code */
};

struct ac_entry {
  int32_t code;
  uint32_t name, aliases, message, description, sdk_message,
           doc_message, doc_description, summary, action, note; /* pool offsets, 0 = none */
  uint16_t http, retry_after;                                   /* retry_after 0 = none */
  uint8_t domain, klass, retry, source, ok;
};

struct ac_code { int32_t code; uint16_t entry; };  /* sorted by code */
struct ac_key { uint32_t key; uint16_t entry; };   /* sorted by lower-cased key bytes */

size_t ac_domain_count(void);
size_t ac_entry_count(void);
const struct ac_domain *ac_domain_at(size_t i);
const struct ac_entry *ac_entry_at(size_t i);

/* The string at a pool offset; NULL for offset 0 (absent) or out of range. */
const char *ac_string(uint32_t off);

const char *ac_class_name(unsigned klass);
const char *ac_retry_name(unsigned retry);
const char *ac_source_name(unsigned source);

/* Index of the entry with this code, or -1. Any int64 is a valid question. */
long ac_find_code(int64_t code);

/* Entries whose name or alias equals key[0..len) ignoring ASCII case. Writes at most
 * `max` entry indices to out (ascending) and returns how many there are in all.
 * key need not be NUL-terminated and may contain any bytes. */
size_t ac_find_key(const char *key, size_t len, size_t *out, size_t max);

/* Length of the longest name or alias: a longer key names nothing. */
size_t ac_longest_key(void);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
