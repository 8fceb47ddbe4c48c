/* wal.h — the write-ahead log: segment files of checksummed records.
 *
 * Segment files are <dir>/<number %020llu>.log. A record is one write batch:
 *
 *   u32 checksum   low 32 bits of xxh64 over everything after this field
 *   u32 length     length of the body
 *   u64 seq        sequence number of the first operation
 *   u64 hlc        hybrid-logical-clock timestamp
 *   u32 origin     origin replica id
 *   u32 count      number of operations
 *   body           count operations, as in batch.h
 *
 * (32-byte header, all little-endian.) The full format and the rules for
 * damage are in FORMATS.md. A segment holds records with increasing seq.
 */
#ifndef DC_WAL_H
#define DC_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "coding.h"
#include "dyncore.h"
#include "env.h"

#define DC_WAL_HEADER 32

/* ---- writer: one open segment; not thread-safe (the store's write leader
 * drives it). Records are built in a user-space buffer and written with one
 * append per dc_wal_write(). */
typedef struct dc_wal dc_wal;

/* Create a new, empty segment file `path`. */
int dc_wal_create(dc_env *env, const char *path, dc_wal **out, dc_error *err);
/* Reopen an existing segment for appending after its last valid record
 * (valid_end from dc_wal_replay; the file is truncated there first). */
int dc_wal_reopen(dc_env *env, const char *path, uint64_t valid_end, dc_wal **out,
                  dc_error *err);
/* Add one record to the buffer (no I/O). */
int dc_wal_add(dc_wal *w, uint64_t seq, uint64_t hlc, uint32_t origin, uint32_t count,
               const char *body, size_t len, dc_error *err);
/* Append the buffered records to the file (one env append). */
int dc_wal_write(dc_wal *w, dc_error *err);
/* Make everything written so far durable. */
int dc_wal_sync(dc_wal *w, dc_error *err);
uint64_t dc_wal_size(const dc_wal *w); /* bytes written to the file */
/* Close (without syncing; call dc_wal_sync first if needed) and free. */
int dc_wal_close(dc_wal *w, dc_error *err);

/* ---- replay (recovery): read every valid record of one segment in order. */
typedef struct dc_wal_rec {
  uint64_t seq, hlc;
  uint32_t origin, count;
  const char *body;
  size_t len;
  uint64_t offset; /* of the record's header in the file */
} dc_wal_rec;

typedef int (*dc_wal_replay_fn)(void *ctx, const dc_wal_rec *rec, dc_error *err);

/* Calls fn for each record. A damaged or incomplete record at the very end of
 * the segment (nothing valid after it) is a torn tail: replay stops there and
 * *valid_end tells where the valid prefix ends; if `is_last` is 0 (an older
 * segment, which was complete when it was closed) that is DC_CORRUPT instead.
 * A damaged record followed by more data is DC_CORRUPT naming file and offset.
 * A non-zero return from fn stops the replay and is returned. */
int dc_wal_replay(dc_env *env, const char *path, int is_last, dc_wal_replay_fn fn, void *ctx,
                  uint64_t *valid_end, dc_error *err);

/* ---- sequential reader for tailing a segment that may still be growing. */
typedef struct dc_wal_reader dc_wal_reader;

int dc_wal_reader_open(dc_env *env, const char *path, dc_wal_reader **out, dc_error *err);
/* Next record that lies wholly below byte offset `limit` (the writer's
 * dc_wal_size() once its append returned; UINT64_MAX for a closed segment):
 * DC_OK (rec valid until the next call), DC_NOTFOUND if none yet (call again
 * later with a larger limit: it re-reads the file), DC_CORRUPT if a record
 * below the limit is damaged (names file and offset). */
int dc_wal_reader_next(dc_wal_reader *r, uint64_t limit, dc_wal_rec *rec, dc_error *err);
void dc_wal_reader_close(dc_wal_reader *r);

#endif
