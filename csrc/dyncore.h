/* dyncore.h — the public C API of the dyncore storage engine.
 *
 * One dc_db owns one directory: a write-ahead log, a memtable, sorted table
 * files in levels and a manifest. Keys and values are arbitrary byte strings;
 * keys sort bytewise (memcmp, shorter first on a tie).
 *
 * Thread-safety: a dc_db may be used from many threads at once. A dc_batch,
 * a dc_iterator and a dc_tail are single-threaded objects (one thread at a time).
 * Blocking calls never hold any lock of the caller's (they are safe to call
 * with Python's GIL released).
 *
 * Errors: every fallible call returns an int code (DC_OK on success) and fills
 * the caller-owned dc_error (may be NULL) with the code and a message that names
 * the file and offset where it applies.
 *
 * Memory: values returned through char** are allocated by the engine and are
 * freed with dc_free(). Pointers returned by dc_iter_key/value stay valid until
 * the iterator moves or is freed.
 *
 * Stability: option and hook structs start with `size` and `version` fields so
 * that the struct can grow; call dc_options_init() before setting fields.
 * Fields are only ever added at the end of a struct, and the engine reads
 * only the first `size` bytes of the caller's struct: one built against an
 * older header (smaller `size`) keeps the defaults for the newer fields.
 *
 * API versions: 1, the first; 2 added dc_shared_cache and
 * dc_options.shared_cache.
 */
#ifndef DYNCORE_H
#define DYNCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DYNCORE_API_VERSION 2

/* Result codes. */
enum {
  DC_OK = 0,
  DC_NOTFOUND = 1, /* key absent; or no more tail records yet */
  DC_CORRUPT = 2,  /* damaged file: message names file and offset */
  DC_IOERR = 3,    /* an I/O call failed (EIO and friends) */
  DC_NOSPC = 4,    /* disk full */
  DC_LOCKED = 5,   /* directory is locked by another process */
  DC_CLOSED = 6,   /* the db was closed */
  DC_MISUSE = 7,   /* API used wrongly (bad argument, wrong order) */
  DC_NOMEM = 8,    /* allocation failed */
  DC_INVALID = 9,  /* invalid options or data (not corruption) */
  DC_TRIMMED = 10  /* tail reader asked for WAL records already deleted */
};

typedef struct dc_error {
  int code;
  char message[512];
} dc_error;

/* Durability of a write when it returns. */
enum {
  DC_SYNC_COMMIT = 0,   /* fsync before returning; concurrent writers share one fsync */
  DC_SYNC_INTERVAL = 1, /* a background thread fsyncs every sync_interval_ms */
  DC_SYNC_NONE = 2      /* written to the OS (survives a process crash), never fsynced */
};

struct dc_env; /* the file-system interface, see env.h; NULL means POSIX */

/* A block cache that several dbs share (see "Shared block caches" below). */
typedef struct dc_shared_cache dc_shared_cache;

typedef struct dc_options {
  uint32_t size;    /* sizeof(dc_options), set by dc_options_init */
  uint32_t version; /* DYNCORE_API_VERSION */
  int sync_mode;    /* DC_SYNC_* */
  uint32_t sync_interval_ms;
  uint64_t cache_bytes;       /* block cache budget (of the db's own cache; see shared_cache) */
  uint64_t memtable_bytes;    /* switch the memtable when it passes this */
  uint32_t max_imm_memtables; /* writes stall when this many wait for flush */
  uint32_t block_bytes;       /* target uncompressed data block size */
  uint32_t restart_interval;  /* keys between restart points in a block */
  uint32_t bloom_bits_per_key; /* 0 disables bloom filters */
  int compression_level;       /* zstd level; 0 disables compression */
  const char *zstd_library;    /* path of a shared object exporting ZSTD_* (libzstd.so.1,
                                  or inside Python backports.zstd's _zstd module);
                                  NULL: no compression */
  uint32_t l0_compaction_trigger; /* L0 files that start a compaction */
  uint32_t l0_slowdown_trigger;   /* L0 files at which each write sleeps 1 ms */
  uint32_t l0_stop_trigger;       /* L0 files at which writes wait */
  uint64_t level1_bytes;          /* target size of L1; each next level x level_multiplier */
  uint32_t level_multiplier;
  uint64_t target_file_bytes; /* compaction output file size */
  uint32_t replica_id;        /* origin id stamped on local writes' WAL records */
  int create_if_missing;      /* default 1 */
  int paranoid_checks;        /* default 0. Block checksums are always verified when a
                                 block is read from a file; 1 also checks index order at open */
  struct dc_env *env;         /* NULL: POSIX */
  /* Since API version 2: */
  dc_shared_cache *shared_cache; /* NULL (default): the db has its own block cache of
                                    cache_bytes. Else it keeps its blocks in this shared cache
                                    (holding a reference to it until dc_close) and cache_bytes
                                    is ignored */
} dc_options;

typedef struct dc_db dc_db;
typedef struct dc_batch dc_batch;
typedef struct dc_iterator dc_iterator;
typedef struct dc_snapshot dc_snapshot;
typedef struct dc_tail dc_tail;

/* Fill *opt with defaults. */
void dc_options_init(dc_options *opt);

/* Open (creating if allowed) the db in `dir`. Recovers from the WAL.
 * DC_LOCKED if another process (or handle) holds the directory. */
int dc_open(const char *dir, const dc_options *opt, dc_db **out, dc_error *err);

/* Wait for background work to stop, sync the WAL, release the lock, free
 * everything. Iterators, snapshots and tails must be released first
 * (outstanding ones are a DC_MISUSE; the db is still closed). */
int dc_close(dc_db *db, dc_error *err);

int dc_put(dc_db *db, const char *key, size_t klen, const char *val, size_t vlen,
           dc_error *err);
int dc_delete(dc_db *db, const char *key, size_t klen, dc_error *err);

/* Look `key` up as of `snap` (NULL: latest). DC_NOTFOUND when absent.
 * On DC_OK *val is malloc'd (free with dc_free); a zero-length value gives a
 * non-NULL pointer. */
int dc_get(dc_db *db, const dc_snapshot *snap, const char *key, size_t klen, char **val,
           size_t *vlen, dc_error *err);

/* Write batches: applied atomically (all or nothing, also across a crash).
 * put/delete return DC_OK, DC_NOMEM or DC_INVALID (a key or value of 4 GiB
 * or more); on an error the batch is unchanged. */
dc_batch *dc_batch_new(void);
int dc_batch_put(dc_batch *b, const char *key, size_t klen, const char *val, size_t vlen);
int dc_batch_delete(dc_batch *b, const char *key, size_t klen);
void dc_batch_clear(dc_batch *b);
uint32_t dc_batch_count(const dc_batch *b);
size_t dc_batch_bytes(const dc_batch *b);
void dc_batch_free(dc_batch *b);

typedef struct dc_write_options {
  uint32_t size;
  uint32_t version;
  uint64_t hlc;    /* hybrid-logical-clock stamp; 0: assigned by the db */
  uint32_t origin; /* origin replica id; 0: opt.replica_id */
  int sync_mode;   /* -1: the db's mode; else DC_SYNC_* for this write */
} dc_write_options;

void dc_write_options_init(dc_write_options *wo);

/* Apply a batch. `wo` may be NULL. On success *seq_out (may be NULL) gets the
 * sequence number of the batch's last operation. */
int dc_write(dc_db *db, const dc_write_options *wo, dc_batch *b, uint64_t *seq_out,
             dc_error *err);

/* Snapshots: a sequence number that reads can be pinned to. */
const dc_snapshot *dc_snapshot_new(dc_db *db);
uint64_t dc_snapshot_seq(const dc_snapshot *snap);
void dc_snapshot_release(dc_db *db, const dc_snapshot *snap);

/* Iterators over [lower, upper) (either bound may be NULL), as of `snap`
 * (NULL: a snapshot taken now). Forward and reverse. */
dc_iterator *dc_iter_new(dc_db *db, const dc_snapshot *snap, const char *lower,
                         size_t lower_len, const char *upper, size_t upper_len,
                         dc_error *err);
void dc_iter_seek_first(dc_iterator *it);
void dc_iter_seek_last(dc_iterator *it);
void dc_iter_seek(dc_iterator *it, const char *key, size_t klen);          /* first >= key */
void dc_iter_seek_for_prev(dc_iterator *it, const char *key, size_t klen); /* last <= key */
void dc_iter_next(dc_iterator *it);
void dc_iter_prev(dc_iterator *it);
int dc_iter_valid(const dc_iterator *it);
const char *dc_iter_key(const dc_iterator *it, size_t *klen);
const char *dc_iter_value(const dc_iterator *it, size_t *vlen);
/* DC_OK, or the error that stopped the iterator. */
int dc_iter_status(const dc_iterator *it, dc_error *err);
/* Copy up to max_pairs entries (and about max_bytes) from the current position
 * into *buf (malloc'd; free with dc_free), moving forward (reverse=0) or
 * backward, as records: varint32 klen, key, varint32 vlen, value. Returns the
 * number of pairs copied (0 at the end); *buf_len gets the byte length. On an
 * error returns -1 and dc_iter_status tells. */
int dc_iter_read_batch(dc_iterator *it, int reverse, int max_pairs, size_t max_bytes,
                       char **buf, size_t *buf_len);
void dc_iter_free(dc_iterator *it);

/* Flush the memtable to an SSTable and wait for it. */
int dc_flush(dc_db *db, dc_error *err);
/* Compact everything down to the last level and wait (drops tombstones and
 * shadowed versions not needed by a live snapshot). */
int dc_compact(dc_db *db, dc_error *err);
/* Engine statistics as a JSON object (malloc'd; free with dc_free). All counts
 * are this db's, except bloom_useful and blocks_read, which count for every
 * db of the process, and block_cache when its "shared" is true: then it
 * describes the shared cache as a whole (every db using it). */
int dc_stats(dc_db *db, char **json, dc_error *err);
/* Sequence number of the last write. */
uint64_t dc_last_sequence(dc_db *db);

/* WAL tailing (replica sync, streams). A tail registers with the db at
 * `from_seq`: WAL segments holding records at or after its position are kept
 * until it releases them. DC_TRIMMED if those records are already gone. */
typedef struct dc_wal_record {
  uint64_t seq;    /* sequence number of the first operation */
  uint64_t hlc;    /* hybrid-logical-clock timestamp */
  uint32_t origin; /* origin replica id */
  uint32_t count;  /* operations in the batch */
  const char *ops; /* batch body: count x (u8 kind, varint32 klen, key[, varint32 vlen, value]) */
  size_t ops_len;  /* kind 1 = put (with value), 0 = delete (no value) */
} dc_wal_record;

int dc_tail_open(dc_db *db, uint64_t from_seq, dc_tail **out, dc_error *err);
/* Next record: DC_OK (valid until the next call), DC_NOTFOUND when none yet. */
int dc_tail_next(dc_tail *t, dc_wal_record *rec, dc_error *err);
/* The reader no longer needs records with seq <= upto (segments may go). */
void dc_tail_release(dc_tail *t, uint64_t upto);
void dc_tail_close(dc_tail *t);

/* Shared block caches. By default each db has a block cache of its own
 * (opt.cache_bytes). A dc_shared_cache is one cache with one byte budget for
 * any number of dbs of this process (opt.shared_cache): e.g. one db per
 * partition of a table, each opened with the same cache. Their blocks compete
 * for the budget; one db's blocks are never found by another.
 *
 * The budget: `usage` stays within `capacity`, except for blocks pinned by
 * reads and iterators in progress (freed or evicted when unpinned).
 * A db's blocks leave the cache when their table file goes (compaction) and
 * when the db closes, so a closed db leaves nothing behind.
 *
 * Lifetime: reference-counted, atomically. dc_shared_cache_open gives the
 * caller one reference; every db opened with the cache holds another until
 * its dc_close returns. dc_shared_cache_unref drops the caller's reference:
 * the cache is freed when the last reference goes, so the caller may drop its
 * own as soon as its dbs are open. Thread-safe: a db may close while others
 * read from the cache. */

/* A new cache of capacity_bytes (0: caches nothing). DC_NOMEM. */
int dc_shared_cache_open(uint64_t capacity_bytes, dc_shared_cache **out, dc_error *err);
/* Drop the caller's reference (NULL: no-op). */
void dc_shared_cache_unref(dc_shared_cache *c);
/* Statistics as a JSON object (malloc'd; free with dc_free), counting for
 * every db that uses or used the cache: {"hits","misses","inserts",
 * "evictions","usage","capacity","dbs"}, dbs being the number of open dbs
 * using it now. */
int dc_shared_cache_stats(dc_shared_cache *c, char **json, dc_error *err);

const char *dc_code_name(int code);
void dc_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* DYNCORE_H */
