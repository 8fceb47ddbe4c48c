/* dbiter.h — the user-facing iterator: turns a merged stream of internal
 * keys (all versions, tombstones included) into the user keys visible at a
 * snapshot, forward and backward, within [lower, upper).
 *
 * For each user key it yields the newest version with seq <= snapshot, and
 * skips the key if that version is a tombstone. Direction may change at any
 * time (next after prev and vice versa). Not thread-safe.
 */
#ifndef DC_DBITER_H
#define DC_DBITER_H

#include <stddef.h>
#include <stdint.h>

#include "iter.h"

typedef struct dc_dbiter dc_dbiter;

/* Takes ownership of `internal`. Bounds are copied; NULL means unbounded.
 * cleanup(arg) (may be NULL) runs on dc_dbiter_free after `internal` is
 * destroyed (the store uses it to unpin memtables and versions). Returns NULL
 * when out of memory: `internal` is then destroyed and cleanup is NOT run. */
dc_dbiter *dc_dbiter_new(dc_iter *internal, uint64_t snap_seq, const char *lower,
                         size_t lower_len, const char *upper, size_t upper_len,
                         void (*cleanup)(void *arg), void *arg);
void dc_dbiter_seek_first(dc_dbiter *it);
void dc_dbiter_seek_last(dc_dbiter *it);
void dc_dbiter_seek(dc_dbiter *it, const char *key, size_t klen);          /* first >= key */
void dc_dbiter_seek_for_prev(dc_dbiter *it, const char *key, size_t klen); /* last <= key */
void dc_dbiter_next(dc_dbiter *it); /* REQUIRES: valid */
void dc_dbiter_prev(dc_dbiter *it); /* REQUIRES: valid */
int dc_dbiter_valid(const dc_dbiter *it);
const char *dc_dbiter_key(const dc_dbiter *it, size_t *klen);   /* user key */
const char *dc_dbiter_value(const dc_dbiter *it, size_t *vlen);
int dc_dbiter_status(const dc_dbiter *it, dc_error *err);
void dc_dbiter_free(dc_dbiter *it);

#endif
