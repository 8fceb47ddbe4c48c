/* sst.h — sorted string tables: immutable files of internal keys.
 *
 * File layout (FORMATS.md has the full grammar):
 *   data block 0 | trailer | ... | data block n | trailer
 *   filter block (bloom over user keys, stored raw) | trailer
 *   index block | trailer      (key: last internal key of a data block,
 *                               value: varint64 offset, varint64 size of the
 *                               stored block, trailer excluded)
 *   footer (48 bytes): varint64 filter offset, size, index offset, size
 *                      (zero-padded to 32 bytes), u32 format version,
 *                      u32 reserved, u64 magic 0x65726f636e7964ULL ("dyncore")
 * Every block goes through the transform pipeline (transform.h).
 */
#ifndef DC_SST_H
#define DC_SST_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "coding.h"
#include "env.h"
#include "iter.h"
#include "transform.h"

#define DC_SST_MAGIC 0x65726f636e7964ULL
#define DC_SST_FOOTER 48
/* Format versions, a ratchet: readers accept every version up to the current.
 *   1  first format (this file). */
#define DC_SST_FORMAT 1

typedef struct dc_sst_options {
  size_t block_bytes;     /* target uncompressed data block size (default 4096) */
  int restart_interval;   /* default 16 */
  int bloom_bits_per_key; /* 0: no filter */
  dc_transform transform;
} dc_sst_options;

/* What a finished table holds (smallest/largest are malloc'd internal keys). */
typedef struct dc_sst_meta {
  uint64_t file_size;
  uint64_t entries;
  char *smallest, *largest;
  size_t smallest_len, largest_len;
  uint64_t min_seq, max_seq;
} dc_sst_meta;

void dc_sst_meta_free(dc_sst_meta *m);

typedef struct dc_sst_builder dc_sst_builder;

int dc_sst_builder_new(dc_env *env, const char *path, const dc_sst_options *opt,
                       dc_sst_builder **out, dc_error *err);
/* REQUIRES: ikey > every key added before (dc_ikey_cmp). */
int dc_sst_builder_add(dc_sst_builder *b, const char *ikey, size_t klen, const char *val,
                       size_t vlen, dc_error *err);
uint64_t dc_sst_builder_entries(const dc_sst_builder *b);
uint64_t dc_sst_builder_size(const dc_sst_builder *b); /* bytes written so far (estimate) */
/* Write filter, index and footer, sync, close; fill *meta. Frees the builder
 * (also on error, after removing the partial file). */
int dc_sst_builder_finish(dc_sst_builder *b, dc_sst_meta *meta, dc_error *err);
/* Discard: close and remove the partial file, free. */
void dc_sst_builder_abandon(dc_sst_builder *b);

/* An open table; thread-safe. Holds the open file, the index block and the
 * filter in memory; data blocks go through `cache` (may be NULL), keyed by
 * (cache_owner, file_number, block offset): cache_owner tells apart the
 * tables of dbs that share one cache (each db numbers its files from 1). */
typedef struct dc_sst dc_sst;

/* Block checksums are verified whenever a block is read from the file;
 * `paranoid` adds a check at open that the index keys ascend. */
int dc_sst_open(dc_env *env, const char *path, uint64_t file_number, dc_cache *cache,
                uint64_t cache_owner, int paranoid, dc_sst **out, dc_error *err);
/* Close; also takes the table's blocks out of the cache (nothing else can
 * find them: the key names this table). REQUIRES: no iterator open on it. */
void dc_sst_close(dc_sst *t);

/* Newest version of ukey with seq <= snap_seq. Returns DC_OK or an error code
 * (DC_CORRUPT, DC_IOERR, ... with err filled); on DC_OK *result is
 * DC_GET_FOUND (value appended to *val), DC_GET_DELETED or DC_GET_MISS. */
int dc_sst_get(dc_sst *t, const char *ukey, size_t ulen, uint64_t snap_seq, int *result,
               dc_buf *val, dc_error *err);
/* 0 if the bloom filter proves ukey absent, else 1. */
int dc_sst_may_contain(dc_sst *t, const char *ukey, size_t ulen);
dc_iter *dc_sst_iter(dc_sst *t);
uint64_t dc_sst_file_size(const dc_sst *t);

typedef struct dc_sst_read_stats {
  uint64_t bloom_useful;  /* lookups answered by the filter alone */
  uint64_t blocks_read;   /* data blocks read from the file */
} dc_sst_read_stats;
/* Process-wide counters (atomic). */
void dc_sst_get_read_stats(dc_sst_read_stats *s);

#endif
