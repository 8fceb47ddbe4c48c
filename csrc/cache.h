/* cache.h — a sharded block cache with a byte budget; eviction approximates
 * LRU with CLOCK (second chance), so that a hit never reorders a list.
 *
 * Entries are keyed by (owner, file, offset) — the process-unique id of the
 * db that cached the block (one cache may serve many dbs, each numbering its
 * files from 1), the file number and the block offset — and carry a `charge`
 * in bytes. Lookups and inserts return a handle that pins the entry until
 * released; an entry evicted while pinned is freed on its last release.
 * Thread-safe (one mutex per shard).
 */
#ifndef DC_CACHE_H
#define DC_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dc_cache dc_cache;
typedef struct dc_cache_handle dc_cache_handle;

dc_cache *dc_cache_new(size_t capacity_bytes);
void dc_cache_free(dc_cache *c); /* REQUIRES: no pinned handles */

dc_cache_handle *dc_cache_lookup(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset);
/* Insert (replacing any entry with the same key); deleter(value) runs when the
 * entry is gone and unpinned. Returns a pinned handle. */
dc_cache_handle *dc_cache_insert(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset,
                                 void *value, size_t charge, void (*deleter)(void *value));
void *dc_cache_value(dc_cache_handle *h);
void dc_cache_release(dc_cache *c, dc_cache_handle *h);
/* Take the entry of one key out of the cache (freed now if unpinned, else at
 * its last release). Touches one shard: cheap whatever the cache's size. */
void dc_cache_erase(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset);
/* The same for every entry of (owner, file): a scan of the whole cache. */
void dc_cache_erase_file(dc_cache *c, uint64_t owner, uint64_t file);

typedef struct dc_cache_stats {
  uint64_t hits, misses, inserts, evictions;
  size_t usage, capacity;
} dc_cache_stats;
void dc_cache_get_stats(dc_cache *c, dc_cache_stats *s);

#endif
