/* xxh64.h — the XXH64 hash (Yann Collet's algorithm, written from its spec).
 * Used for partition routing, bloom filters and every checksum. */
#ifndef DC_XXH64_H
#define DC_XXH64_H

#include <stddef.h>
#include <stdint.h>

uint64_t dc_xxh64(const void *data, size_t len, uint64_t seed);

/* 32-bit checksum used in block trailers and WAL records: the low half of xxh64. */
static inline uint32_t dc_checksum32(const void *data, size_t len) {
  return (uint32_t)dc_xxh64(data, len, 0);
}

#endif
