/* bm_hash.c — bench only: loops over xxh64 and the bloom filter, so that a
 * measurement holds thousands of calls and no per-call cffi overhead. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bloom.h"
#include "coding.h"
#include "xxh64.h"

/* xxh64 of the same `len` bytes, `iters` times (the result is folded so that
 * no call can be dropped). */
uint64_t bm_xxh64(const char *data, size_t len, uint64_t iters) {
  uint64_t acc = 0;
  for (uint64_t i = 0; i < iters; i++) acc ^= dc_xxh64(data, len, 0);
  return acc;
}

/* A filter over n keys of klen bytes each (packed). Free with bm_free. */
char *bm_bloom_make(const char *keys, size_t klen, size_t n, int bits_per_key, size_t *flen) {
  uint64_t *h = malloc(n * sizeof *h);
  if (!h) return NULL;
  for (size_t i = 0; i < n; i++) h[i] = dc_bloom_hash(keys + i * klen, klen);
  dc_buf out = {0};
  int rc = dc_bloom_build(h, n, bits_per_key, &out);
  free(h);
  if (rc) {
    dc_buf_free(&out);
    return NULL;
  }
  *flen = out.len;
  return out.data;
}

/* What a point lookup does per table: hash the user key, probe the filter.
 * Returns how many of the n keys may be present. */
uint64_t bm_bloom_probe(const char *filter, size_t flen, const char *keys, size_t klen,
                        size_t n) {
  uint64_t hits = 0;
  for (size_t i = 0; i < n; i++)
    hits += (uint64_t)dc_bloom_may_contain(filter, flen, dc_bloom_hash(keys + i * klen, klen));
  return hits;
}

/* Probe only (hashes precomputed). */
uint64_t bm_bloom_probe_hashes(const char *filter, size_t flen, const uint64_t *hashes,
                               size_t n) {
  uint64_t hits = 0;
  for (size_t i = 0; i < n; i++) hits += (uint64_t)dc_bloom_may_contain(filter, flen, hashes[i]);
  return hits;
}

void bm_free(void *p) { free(p); }
