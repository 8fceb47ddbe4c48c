/* memtable.h — the in-memory write buffer: a skiplist of internal keys over an
 * arena (skiplist.c holds the list; this file the ikey-level API).
 *
 * Concurrency: one writer at a time (the store's write leader), any number of
 * concurrent readers and iterators without locks (nodes are published with
 * release stores and read with acquire loads; nothing is ever removed).
 * Lifetime: reference-counted; an iterator holds a reference.
 */
#ifndef DC_MEMTABLE_H
#define DC_MEMTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "iter.h"

typedef struct dc_memtable dc_memtable;

dc_memtable *dc_mem_new(void); /* refs = 1; NULL when out of memory */
void dc_mem_ref(dc_memtable *m);
void dc_mem_unref(dc_memtable *m); /* frees at zero */

/* Insert (key, seq, kind) -> value. REQUIRES: external single-writer
 * synchronization; (key, seq) not already present. Returns DC_OK or DC_NOMEM. */
int dc_mem_add(dc_memtable *m, uint64_t seq, int kind, const char *key, size_t klen,
               const char *val, size_t vlen);

/* Newest version of key with seq <= snap_seq: DC_GET_FOUND (value points into
 * the memtable; valid while the caller holds a reference), DC_GET_DELETED, or
 * DC_GET_MISS. */
int dc_mem_get(dc_memtable *m, const char *key, size_t klen, uint64_t snap_seq,
               const char **val, size_t *vlen);

/* Iterator over internal keys (holds a reference until destroyed). */
dc_iter *dc_mem_iter(dc_memtable *m);

size_t dc_mem_bytes(const dc_memtable *m);   /* arena bytes in use */
uint64_t dc_mem_count(const dc_memtable *m); /* entries */

#endif
