/* bloom.c — the per-table bloom filter over user keys (bloom.h).
 *
 * Filter bytes: nbits/8 bytes of bit array (bit j is byte j/8, mask 1 << j%8),
 * then one byte k. nbits = max(64, n * bits_per_key) rounded up to a
 * multiple of 8; k = round(bits_per_key * ln 2), clamped to [1, 30].
 * Probe i (0 <= i < k) sets/tests bit (h1 + i*h2) mod nbits, computed exactly
 * (no 32-bit wrap-around), with h1 = low 32 bits, h2 = high 32 bits of
 * xxh64(user key, seed 0x9747b28c).
 */
#include "bloom.h"

#include "dyncore.h"
#include "xxh64.h"

#define DC_BLOOM_SEED 0x9747b28cULL

uint64_t dc_bloom_hash(const char *key, size_t len) { return dc_xxh64(key, len, DC_BLOOM_SEED); }

int dc_bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, dc_buf *out) {
  if (bits_per_key < 1) bits_per_key = 1;
  int k = (int)(bits_per_key * 0.69 + 0.5);
  if (k < 1) k = 1;
  if (k > 30) k = 30;
  uint64_t nbits = (uint64_t)n * (uint64_t)bits_per_key;
  if (nbits < 64) nbits = 64;
  uint64_t nbytes = (nbits + 7) / 8;
  nbits = nbytes * 8;
  if (dc_buf_reserve(out, nbytes + 1)) return DC_NOMEM;
  unsigned char *bits = (unsigned char *)out->data + out->len;
  memset(bits, 0, nbytes);
  for (size_t j = 0; j < n; j++) {
    uint64_t h = hashes[j];
    uint64_t pos = (h & 0xffffffffu) % nbits, delta = (h >> 32) % nbits;
    for (int i = 0; i < k; i++) {
      bits[pos >> 3] |= (unsigned char)(1u << (pos & 7));
      pos += delta;
      if (pos >= nbits) pos -= nbits;
    }
  }
  bits[nbytes] = (unsigned char)k;
  out->len += nbytes + 1;
  return DC_OK;
}

int dc_bloom_may_contain(const char *filter, size_t len, uint64_t hash) {
  if (len < 2) return 1;
  const unsigned char *bits = (const unsigned char *)filter;
  int k = bits[len - 1];
  if (k < 1 || k > 30) return 1; /* damaged, or a kind we do not know: no answer */
  uint64_t nbits = (uint64_t)(len - 1) * 8;
  uint64_t pos, delta;
  if (nbits <= 0xffffffffu) { /* 32-bit division is much cheaper */
    uint32_t nb = (uint32_t)nbits;
    pos = (uint32_t)hash % nb;
    delta = (uint32_t)(hash >> 32) % nb;
  } else {
    pos = (hash & 0xffffffffu) % nbits;
    delta = (hash >> 32) % nbits;
  }
  for (int i = 0; i < k; i++) {
    if (!(bits[pos >> 3] & (1u << (pos & 7)))) return 0;
    pos += delta;
    if (pos >= nbits) pos -= nbits;
  }
  return 1;
}
