/* bloom.h — a bloom filter over user keys, one per sstable.
 *
 * Filter bytes: the bit array, then one byte k (number of probes). Probes use
 * double hashing of xxh64(key, seed 0x9747b28c): h1 = low 32 bits, h2 = high
 * 32 bits, probe i = h1 + i*h2 (mod nbits). About 1% false positives at 10
 * bits per key (k = 7).
 */
#ifndef DC_BLOOM_H
#define DC_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "coding.h"

/* Build a filter for n keys given by their 64-bit hashes (dc_bloom_hash). */
int dc_bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, dc_buf *out);
uint64_t dc_bloom_hash(const char *key, size_t len);
/* 1 if the key may be present, 0 if it is certainly absent. A damaged or
 * empty filter answers 1. */
int dc_bloom_may_contain(const char *filter, size_t len, uint64_t hash);

#endif
