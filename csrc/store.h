/* store.h — the store: one LSM tree in one directory (the object behind dc_db).
 *
 * Theory of operation
 * - Writes queue on `mu`; the writer at the head is the leader: it takes a
 *   group of queued batches, assigns their sequence numbers, appends them to
 *   the WAL, syncs once for the whole group (group commit), inserts them into
 *   the memtable with `mu` released, then publishes last_seq and wakes the
 *   group. Only the leader touches the WAL writer and inserts into `mem`.
 * - When `mem` is full the leader switches it to the immutable list and
 *   starts a new WAL segment; the flush thread writes immutable memtables to
 *   L0 tables. The compaction thread merges levels. Versions change only by
 *   install_edit(), serialized by `install_mu`, after the manifest is durable.
 * - A durable group's leader may wait (at most half a sync) for as many
 *   writers as the last groups had, so that concurrent writers do not split
 *   into two groups that alternate on the disk.
 * - Reads pin (under `mu`, briefly) the memtables and the current version,
 *   then search without locks.
 * - WAL segments are kept while recovery needs them (number >= log_number)
 *   or a registered tail reader still holds records in them.
 *
 * - Block cache: every db keeps its data blocks in a dc_shared_cache — its
 *   own one (of opt.cache_bytes) or one given in opt.shared_cache that other
 *   dbs use too. Entries are keyed by (uid, file number, block offset), uid
 *   being the db's process-unique id (a counter, never reused), so dbs that
 *   share a cache never see each other's blocks; a table drops its blocks
 *   when it is closed, so closing the db (which closes every table) leaves
 *   none behind.
 *
 * Lock order: install_mu before mu. No I/O under mu except creating a WAL
 * segment at a memtable switch.
 */
#ifndef DC_STORE_H
#define DC_STORE_H

#include <pthread.h>
#include <stdint.h>

#include "batch.h"
#include "cache.h"
#include "dyncore.h"
#include "env.h"
#include "memtable.h"
#include "version.h"
#include "wal.h"

#define DC_MAX_IMM 16

/* dyncore.h's shared block cache (api.c). A db's own cache is one too, that
 * only it references. */
struct dc_shared_cache {
  dc_cache *cache;
  int refs; /* atomic: the opener's, if not dropped yet, and one per db */
  int dbs;  /* atomic: open dbs using it */
};
/* A db starts (attach) or stops (detach: may free the cache) using c. */
void dc_shared_cache_attach(dc_shared_cache *c);
void dc_shared_cache_detach(dc_shared_cache *c);

typedef struct dc_writer {
  dc_batch *batch;
  int sync;
  uint64_t hlc;
  uint32_t origin;
  int done;
  int status;
  dc_error err;
  uint64_t last_seq;
  pthread_cond_t cv;
  struct dc_writer *next;
} dc_writer;

typedef struct dc_segment {
  uint64_t number;
  uint64_t first_seq; /* the first sequence number it can hold */
} dc_segment;

struct dc_snapshot {
  uint64_t seq;
  struct dc_snapshot *prev, *next;
};

struct dc_tail {
  dc_db *db;
  uint64_t hold;     /* lowest sequence number still needed */
  uint64_t next_seq; /* records ending before this are skipped */
  uint64_t seg;      /* number of the segment being read, 0 if none open */
  dc_wal_reader *reader;
  struct dc_tail *prev, *next;
};

typedef struct dc_db_stats {
  uint64_t flushes, compactions, compaction_bytes_read, compaction_bytes_written;
  uint64_t stalls, stall_micros, slowdowns;
  uint64_t writes, write_groups, syncs, wal_bytes;
  uint64_t gets, dropped_entries;
} dc_db_stats;

struct dc_db {
  char *dir;
  dc_env *env;
  dc_options opt;
  dc_file *lock;
  uint64_t uid;           /* process-unique: the owner of this db's cache entries */
  dc_shared_cache *shared; /* the block cache (attached), NULL until set up at open */
  dc_cache *cache;         /* shared->cache */
  int cache_shared;        /* given in opt.shared_cache (not this db's own) */

  pthread_mutex_t mu;
  pthread_mutex_t install_mu;
  pthread_cond_t bg_cv;   /* background state changed (flush/compaction done, errors) */
  pthread_cond_t work_cv; /* background threads: there may be work */

  dc_memtable *mem;
  uint64_t mem_log_start;
  dc_memtable *imm[DC_MAX_IMM];
  uint64_t imm_log_start[DC_MAX_IMM];
  int nimm;
  int flushing; /* the flush thread is writing imm[0] */

  dc_version *current;
  uint64_t manifest_number;
  uint64_t next_file;
  uint64_t log_number;
  uint64_t last_seq; /* published with release stores; read with acquire loads */
  uint64_t hlc;

  dc_wal *wal;
  uint64_t wal_number;
  uint64_t wal_published; /* bytes of the active segment holding published writes */
  int wal_dirty;          /* written since the last sync */
  int wal_syncing;        /* the interval thread is syncing outside mu */
  dc_segment *segs;       /* live WAL segments, ascending */
  int nsegs;

  dc_writer *wq_head, *wq_tail;
  int wq_len;
  dc_writer *leader_waiting; /* a durable group's leader waiting for company */
  uint32_t group_est;        /* smoothed number of concurrent durable writers (x16) */
  uint64_t sync_avg_us;      /* smoothed duration of a WAL sync */
  struct dc_snapshot snaps; /* circular list head */
  int nsnaps;
  struct dc_tail tails; /* circular list head */
  int niters;

  int compact_level_ptr[DC_LEVELS]; /* round-robin position per level */
  int manual_compaction;            /* requests pending */
  uint64_t manual_done;             /* completed manual compactions */
  int compacting;

  int shutting_down;
  dc_error bg_error; /* sticky: set when the WAL or a background job failed */
  pthread_t flush_thread, compact_thread, sync_thread;
  int threads_started;

  dc_db_stats st;
};

/* A consistent read view: the memtables (newest first) and the current
 * version, each referenced, and the sequence number reads use (store.c). */
typedef struct dc_read_view {
  dc_memtable *mems[DC_MAX_IMM + 1];
  int nm;
  dc_version *v;
  uint64_t seq;
} dc_read_view;

/* REQUIRES: mu held. `snap` NULL: read at the last published write. */
void dc_read_view_pin(dc_db *db, const dc_snapshot *snap, dc_read_view *rv);
void dc_read_view_unpin(dc_read_view *rv);

/* Table options for output at a level (store.c). */
dc_sst_options dc_sst_options_for(const dc_db *db, int level, int manual);

/* Background machinery (compaction.c). */
void *dc_compaction_thread(void *arg);
/* Apply an edit to the current version: write the manifest, install.
 * REQUIRES: install_mu held, mu not held. */
int dc_install_edit(dc_db *db, dc_vedit *e, uint64_t new_log_number, dc_error *err);
/* Delete WAL segments nobody needs. REQUIRES: mu held. */
void dc_gc_segments(dc_db *db);
/* Smallest sequence number a live snapshot can read at. REQUIRES: mu held. */
uint64_t dc_oldest_snapshot(dc_db *db);
uint64_t dc_now_micros(void);

#endif
