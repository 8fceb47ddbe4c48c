/* bm_memtable.c — bench only: filling a fresh memtable. */
#include <stdint.h>

#include "ikey.h"
#include "memtable.h"

/* Insert n keys (klen bytes each, packed, in the given order) with one value
 * into a new memtable, then free it. Returns 0, or the first error code. */
int bm_mem_fill(const char *keys, size_t klen, size_t n, const char *val, size_t vlen,
                uint64_t *bytes) {
  dc_memtable *m = dc_mem_new();
  if (!m) return -1;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++)
    rc = dc_mem_add(m, (uint64_t)i + 1, DC_KIND_PUT, keys + i * klen, klen, val, vlen);
  *bytes = dc_mem_bytes(m);
  dc_mem_unref(m);
  return rc;
}

/* Point lookups in a memtable filled with the same keys. Returns hits. */
dc_memtable *bm_mem_make(const char *keys, size_t klen, size_t n, const char *val, size_t vlen) {
  dc_memtable *m = dc_mem_new();
  if (!m) return NULL;
  for (size_t i = 0; i < n; i++)
    if (dc_mem_add(m, (uint64_t)i + 1, DC_KIND_PUT, keys + i * klen, klen, val, vlen)) {
      dc_mem_unref(m);
      return NULL;
    }
  return m;
}

uint64_t bm_mem_get(dc_memtable *m, const char *keys, size_t klen, size_t n) {
  uint64_t hits = 0;
  for (size_t i = 0; i < n; i++) {
    const char *v;
    size_t vl;
    hits += dc_mem_get(m, keys + i * klen, klen, DC_MAX_SEQ, &v, &vl) == DC_GET_FOUND;
  }
  return hits;
}

void bm_mem_free(dc_memtable *m) { dc_mem_unref(m); }
