/* bm_block.c — bench only: building blocks and seeking in one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "coding.h"
#include "ikey.h"
#include "iter.h"

/* The point-lookup path (block.h); redeclared weak so that this driver still
 * links against a block_reader.c without it. */
int dc_block_seek_entry(const dc_block *b, const char *target, size_t tlen, dc_buf *key,
                        uint32_t *off, const char **val, uint32_t *vlen, uint32_t *next)
    __attribute__((weak));

/* Cut n sorted internal keys (iklen bytes each, packed) with one value into
 * blocks of about block_bytes, as an sstable writer does. Returns the total
 * block bytes (0 on error); *nblocks = blocks built. */
size_t bm_block_build(const char *ikeys, size_t iklen, size_t n, const char *val, size_t vlen,
                      int restart_interval, size_t block_bytes, uint64_t *nblocks) {
  dc_block_builder b;
  dc_block_builder_init(&b, restart_interval);
  size_t total = 0, len;
  uint64_t blocks = 0;
  for (size_t i = 0; i < n; i++) {
    if (dc_block_builder_add(&b, ikeys + i * iklen, iklen, val, vlen) != 0) {
      dc_block_builder_free(&b);
      return 0;
    }
    if (dc_block_builder_estimate(&b) >= block_bytes) {
      dc_block_builder_finish(&b, &len);
      total += len;
      blocks++;
      dc_block_builder_reset(&b);
    }
  }
  if (b.entries) {
    dc_block_builder_finish(&b, &len);
    total += len;
    blocks++;
  }
  dc_block_builder_free(&b);
  *nblocks = blocks;
  return total;
}

/* One block of about block_bytes from the first keys; *entries = keys used. */
dc_block *bm_block_make(const char *ikeys, size_t iklen, size_t n, const char *val, size_t vlen,
                        int restart_interval, size_t block_bytes, size_t *entries) {
  dc_block_builder b;
  dc_block_builder_init(&b, restart_interval);
  size_t i = 0, len;
  while (i < n && dc_block_builder_estimate(&b) < block_bytes) {
    if (dc_block_builder_add(&b, ikeys + i * iklen, iklen, val, vlen) != 0) break;
    i++;
  }
  const char *data = dc_block_builder_finish(&b, &len);
  char *copy = malloc(len);
  dc_block *blk = NULL;
  if (copy) {
    memcpy(copy, data, len);
    if (dc_block_parse(copy, len, 1, &blk, "bench", 0, NULL) != 0) {
      free(copy);
      blk = NULL;
    }
  }
  dc_block_builder_free(&b);
  *entries = i;
  return blk;
}

void bm_block_free(dc_block *b) { dc_block_free(b); }

/* Seek a block iterator to each of n targets (internal keys, tlen each);
 * returns how many seeks landed on an entry. */
uint64_t bm_block_seek(const dc_block *blk, const char *targets, size_t tlen, size_t n) {
  dc_iter *it = dc_block_iter(blk, NULL, NULL);
  if (!it) return 0;
  uint64_t found = 0;
  for (size_t i = 0; i < n; i++) {
    it->vt->seek(it, targets + i * tlen, tlen);
    found += (uint64_t)it->vt->valid(it);
  }
  it->vt->destroy(it);
  return found;
}

int bm_have_seek_entry(void) { return dc_block_seek_entry != NULL; }

/* The same through the point-lookup path; UINT64_MAX if it is not there. */
uint64_t bm_block_seek_entry(const dc_block *blk, const char *targets, size_t tlen, size_t n) {
  if (!dc_block_seek_entry) return UINT64_MAX;
  dc_buf key = {0};
  uint64_t found = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t off, vlen, next;
    const char *val;
    if (dc_block_seek_entry(blk, targets + i * tlen, tlen, &key, &off, &val, &vlen, &next)) break;
    found += off < blk->size;
  }
  dc_buf_free(&key);
  return found;
}
