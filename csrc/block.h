/* block.h — sorted key/value blocks with restart-point prefix compression.
 *
 * Block layout (before the transform pipeline):
 *   entries: varint32 shared, varint32 unshared, varint32 vlen,
 *            key[shared..] (unshared bytes), value
 *   restarts: u32 offset of each restart entry (shared = 0), then u32 count.
 * Keys are internal keys (data and index blocks) compared with dc_ikey_cmp.
 * Blocks are immutable once built; a block reader is thread-safe, its
 * iterators are not.
 */
#ifndef DC_BLOCK_H
#define DC_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "coding.h"
#include "iter.h"

typedef struct dc_block_builder {
  dc_buf buf;
  dc_buf last_key;
  uint32_t *restarts;
  int nrestarts, cap_restarts;
  int counter;          /* entries since the last restart */
  int restart_interval; /* >= 1 */
  int entries;
} dc_block_builder;

void dc_block_builder_init(dc_block_builder *b, int restart_interval);
void dc_block_builder_reset(dc_block_builder *b);
void dc_block_builder_free(dc_block_builder *b);
/* REQUIRES: key > every key added since the last reset. */
int dc_block_builder_add(dc_block_builder *b, const char *key, size_t klen, const char *val,
                         size_t vlen);
/* Size the block would have if finished now. */
size_t dc_block_builder_estimate(const dc_block_builder *b);
/* Append the restart array; the block is b->buf.data[0..len). */
const char *dc_block_builder_finish(dc_block_builder *b, size_t *len);

/* A parsed block over caller-owned bytes (owned=1: freed with the block). */
typedef struct dc_block {
  const char *data;
  size_t size;          /* bytes before the restart array */
  uint32_t nrestarts;
  int owned;
} dc_block;

/* Parse; returns DC_OK or DC_CORRUPT (message names `file` and `offset`). */
int dc_block_parse(const char *data, size_t len, int owned, dc_block **out, const char *file,
                   uint64_t offset, dc_error *err);
void dc_block_free(dc_block *b);
/* Iterator over the block. `release(arg)` is called when the iterator is
 * destroyed (e.g. to release a cache handle); may be NULL. */
dc_iter *dc_block_iter(const dc_block *b, void (*release)(void *), void *arg);

/* Point lookups, without a heap-allocated iterator: the first entry with key
 * >= target; its key in *key, its value in *val (length *vlen), its offset in *off
 * (b->size if every key is < target) and the offset after it in *next.
 * Returns DC_OK, DC_CORRUPT or DC_NOMEM. */
int dc_block_seek_entry(const dc_block *b, const char *target, size_t tlen, dc_buf *key,
                        uint32_t *off, const char **val, uint32_t *vlen, uint32_t *next);

#endif
