/*
 * fuzz_catalog: the C entry points that take untrusted input, with an oracle.
 *
 *   ac_find_code(int64)      the first 8 input bytes as a little-endian int64 (zero
 *                            padded), and a few values derived from them
 *   ac_find_key(bytes, len)  the whole input, any bytes, any length, into an output
 *                            array of exactly `max` slots (max from the last byte)
 *
 * Both answers are compared with a linear scan of the entries (the binary searches
 * must agree with it), and the other accessors (ac_entry_at, ac_domain_at, ac_string,
 * ac_*_name) get arbitrary indices. The input is copied to a buffer of its exact size,
 * so ASan sees any read past the key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT 20

static void fail(const char *what) {
  fprintf(stderr, "fuzz_catalog: %s\n", what);
  abort();
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

/* key[0..len) equals s[0..n) ignoring ASCII case */
static int same_key(const char *key, size_t len, const char *s, size_t n) {
  size_t i;
  if (n != len) return 0;
  for (i = 0; i < n; i++)
    if (lower((unsigned char)key[i]) != lower((unsigned char)s[i])) return 0;
  return 1;
}

static int entry_has_key(const struct ac_entry *e, const char *key, size_t len) {
  const char *name = ac_string(e->name), *al = ac_string(e->aliases);
  if (name == NULL) fail("entry without a name");
  if (same_key(key, len, name, strlen(name))) return 1;
  while (al != NULL && *al != '\0') {
    const char *comma = strchr(al, ',');
    size_t n = comma ? (size_t)(comma - al) : strlen(al);
    if (same_key(key, len, al, n)) return 1;
    al = comma ? comma + 1 : NULL;
  }
  return 0;
}

static void check_code(int64_t code) {
  long got = ac_find_code(code), want = -1;
  size_t i;
  for (i = 0; i < ac_entry_count(); i++)
    if ((int64_t)ac_entry_at(i)->code == code) {
      if (want != -1) fail("two entries with one code");
      want = (long)i;
    }
  if (got != want) fail("ac_find_code disagrees with a linear scan");
}

static void check_key(const char *key, size_t len, size_t max) {
  size_t *out = malloc((max ? max : 1) * sizeof *out);
  size_t n, i, j, want = 0;
  if (out == NULL) fail("out of memory");
  n = ac_find_key(key, len, out, max);
  for (i = 0; i < ac_entry_count(); i++) {
    if (!entry_has_key(ac_entry_at(i), key, len)) continue;
    if (want < max && want < n && out[want] != i) fail("ac_find_key: wrong or unordered entry");
    want++;
  }
  if (n != want) fail("ac_find_key: count disagrees with a linear scan");
  for (j = 0; j < n && j < max; j++)
    if (out[j] >= ac_entry_count()) fail("ac_find_key: index out of range");
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t word[8] = { 0 };
  int64_t code;
  uint32_t u32;
  char *key;

  memcpy(word, data, size < 8 ? size : 8);
  memcpy(&code, word, sizeof code);
  memcpy(&u32, word, sizeof u32);

  check_code(code);
  check_code((int64_t)(int32_t)u32);
  check_code((int64_t)(int16_t)u32);
  check_code(-(code / 2));

  key = malloc(size ? size : 1);  /* exactly the input: ASan catches over-reads */
  if (key == NULL) fail("out of memory");
  if (size) memcpy(key, data, size);
  check_key(key, size, size ? data[size - 1] % MAX_OUT : 0);
  check_key(key, size, MAX_OUT);
  if (size > 0) {  /* two prefixes, one slot: a key must not match its own prefix */
    check_key(key, size - 1, 1);
    check_key(key, size / 2, 1);
  }
  free(key);

  /* accessors: NULL outside their range, never a read outside the tables */
  if ((ac_entry_at((size_t)code) == NULL) != ((uint64_t)code >= ac_entry_count())) fail("ac_entry_at range");
  if ((ac_domain_at(u32) == NULL) != (u32 >= ac_domain_count())) fail("ac_domain_at range");
  {
    const char *s = ac_string(u32);
    if (s != NULL) (void)strlen(s);
  }
  (void)ac_class_name(u32);
  (void)ac_retry_name(u32 >> 8);
  (void)ac_source_name(u32 >> 16);
  if (ac_class_name(0) == NULL || ac_retry_name(0) == NULL || ac_source_name(0) == NULL) fail("names");
  return 0;
}
