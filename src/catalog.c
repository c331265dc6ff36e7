/*
 * catalog.c: searching the compiled catalog. Binary searches over the sorted
 * tables in catalog_data.h; no allocation, no state, safe from any thread.
 */
#include <string.h>

#include "catalog.h"
#include "catalog_data.h"

size_t ac_domain_count(void) { return AC_NDOMAINS; }
size_t ac_entry_count(void) { return AC_NENTRIES; }

const struct ac_domain *ac_domain_at(size_t i) {
  return i < AC_NDOMAINS ? &ac_domains[i] : NULL;
}

const struct ac_entry *ac_entry_at(size_t i) {
  return i < AC_NENTRIES ? &ac_entries[i] : NULL;
}

const char *ac_string(uint32_t off) {
  return (off == 0 || off >= AC_POOL_SIZE) ? NULL : ac_pool + off;
}

const char *ac_class_name(unsigned klass) {
  return klass < AC_NCLASSES ? ac_class_names[klass] : NULL;
}

const char *ac_retry_name(unsigned retry) {
  return retry < AC_NRETRY ? ac_retry_names[retry] : NULL;
}

const char *ac_source_name(unsigned source) {
  return source < AC_NSOURCES ? ac_source_names[source] : NULL;
}

long ac_find_code(int64_t code) {
  size_t lo = 0, hi = AC_NENTRIES;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t c = ac_codes[mid].code;
    if (c == code) return (long)ac_codes[mid].entry;
    if (c < code) lo = mid + 1; else hi = mid;
  }
  return -1;
}

/* Compare a query (any bytes, any case) with a pool key (lower-case, NUL-terminated),
 * in the byte order the generator sorted by. */
static int key_cmp(const char *q, size_t len, const char *key) {
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char a = (unsigned char)q[i], b = (unsigned char)key[i];
    if (a >= 'A' && a <= 'Z') a = (unsigned char)(a - 'A' + 'a');
    if (b == 0) return 1;  /* key is a proper prefix of the query */
    if (a != b) return a < b ? -1 : 1;
  }
  return key[len] == 0 ? 0 : -1;
}

size_t ac_find_key(const char *key, size_t len, size_t *out, size_t max) {
  size_t lo = 0, hi = AC_NKEYS, n = 0, i;
  while (lo < hi) {  /* first key >= query */
    size_t mid = lo + (hi - lo) / 2;
    if (key_cmp(key, len, ac_pool + ac_keys[mid].key) > 0) lo = mid + 1; else hi = mid;
  }
  for (i = lo; i < AC_NKEYS && key_cmp(key, len, ac_pool + ac_keys[i].key) == 0; i++, n++)
    if (n < max) out[n] = ac_keys[i].entry;
  return n;
}

size_t ac_longest_key(void) {
  size_t i, n = 0;
  for (i = 0; i < AC_NKEYS; i++) {
    size_t len = strlen(ac_pool + ac_keys[i].key);
    if (len > n) n = len;
  }
  return n;
}
