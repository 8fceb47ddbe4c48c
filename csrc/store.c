/* store.c — opening and recovering a store, the write path (group commit),
 * point reads, memtable switches, flushes, and closing. See store.h. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ikey.h"
#include "status.h"

#define MAX_GROUP_BYTES (1u << 20)

uint64_t dc_now_micros(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t mono_micros(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void dc_options_init(dc_options *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
  o->version = DYNCORE_API_VERSION;
  o->sync_mode = DC_SYNC_COMMIT;
  o->sync_interval_ms = 100;
  o->cache_bytes = 64u << 20;
  o->memtable_bytes = 8u << 20; /* small enough to stay mostly in cache */
  o->max_imm_memtables = 2;
  o->block_bytes = 4096;
  o->restart_interval = 16;
  o->bloom_bits_per_key = 10;
  o->compression_level = 3;
  o->l0_compaction_trigger = 4;
  o->l0_slowdown_trigger = 12;
  o->l0_stop_trigger = 20;
  o->level1_bytes = 64u << 20;
  o->level_multiplier = 10;
  o->target_file_bytes = 16u << 20;
  o->create_if_missing = 1;
}

void dc_write_options_init(dc_write_options *wo) {
  memset(wo, 0, sizeof *wo);
  wo->size = sizeof *wo;
  wo->version = DYNCORE_API_VERSION;
  wo->sync_mode = -1;
}

void dc_free(void *p) { free(p); }

static uint64_t next_hlc(dc_db *db, uint64_t given) {
  /* 48 bits of wall-clock milliseconds, 16 bits of logical counter. */
  if (given) {
    if (given > db->hlc) db->hlc = given;
    return given;
  }
  uint64_t phys = (dc_now_micros() / 1000u) << 16;
  db->hlc = phys > db->hlc ? phys : db->hlc + 1;
  return db->hlc;
}

/* ---------------- WAL segments ---------------- */

static int add_segment(dc_db *db, uint64_t number, uint64_t first_seq) {
  dc_segment *s = realloc(db->segs, sizeof(dc_segment) * (size_t)(db->nsegs + 1));
  if (!s) return DC_NOMEM;
  db->segs = s;
  s[db->nsegs].number = number;
  s[db->nsegs].first_seq = first_seq;
  db->nsegs++;
  return DC_OK;
}

static int new_wal_segment(dc_db *db, dc_error *err) {
  uint64_t number = db->next_file++;
  char path[4096];
  dc_wal_path(path, sizeof path, db->dir, number);
  dc_wal *w;
  int rc = dc_wal_create(db->env, path, &w, err);
  if (rc) return rc;
  char wdir[4096];
  snprintf(wdir, sizeof wdir, "%s/wal", db->dir);
  rc = db->env->sync_dir(db->env, wdir, err);
  if (!rc) rc = add_segment(db, number, db->last_seq + 1);
  if (rc) {
    dc_wal_close(w, NULL);
    db->env->remove(db->env, path, NULL);
    return rc;
  }
  if (db->wal) {
    if (db->opt.sync_mode != DC_SYNC_NONE && db->wal_dirty) dc_wal_sync(db->wal, NULL);
    dc_wal_close(db->wal, NULL);
  }
  db->wal = w;
  db->wal_number = number;
  db->wal_published = 0;
  db->wal_dirty = 0;
  return DC_OK;
}

/* Make the memtable immutable (queued for the flush thread) and start a new
 * one with a new WAL segment. REQUIRES: mu held; the caller is alone on the
 * write path; db->nimm < DC_MAX_IMM. */
static int switch_memtable(dc_db *db, dc_error *err) {
  dc_memtable *m = dc_mem_new();
  if (!m) return dc_err_set(err, DC_NOMEM, "switch memtable: out of memory");
  int rc = new_wal_segment(db, err);
  if (rc) {
    dc_mem_unref(m);
    return rc;
  }
  db->imm[db->nimm] = db->mem;
  db->imm_log_start[db->nimm] = db->mem_log_start;
  db->nimm++;
  db->mem = m;
  db->mem_log_start = db->wal_number;
  pthread_cond_broadcast(&db->work_cv);
  return DC_OK;
}

/* ---------------- recovery ---------------- */

typedef struct replay_ctx {
  dc_db *db;
  uint64_t max_seq;
} replay_ctx;

static int replay_record(void *arg, const dc_wal_rec *rec, dc_error *err) {
  replay_ctx *c = arg;
  const char *p = rec->body, *limit = rec->body + rec->len;
  dc_batch_op op;
  for (uint32_t i = 0; i < rec->count; i++) {
    if (dc_batch_decode(&p, limit, &op))
      return dc_err_set(err, DC_CORRUPT, "corrupt WAL record body at offset %" PRIu64, rec->offset);
    if (dc_mem_add(c->db->mem, rec->seq + i, op.kind, op.key, op.klen, op.val, op.vlen))
      return dc_err_set(err, DC_NOMEM, "replay: out of memory");
  }
  if (rec->count && rec->seq + rec->count - 1 > c->max_seq) c->max_seq = rec->seq + rec->count - 1;
  if (rec->hlc > c->db->hlc) c->db->hlc = rec->hlc;
  return DC_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

/* Parse "<digits><suffix>"; returns 1 and the number on a match. */
static int parse_numbered(const char *name, const char *suffix, uint64_t *num) {
  size_t n = strlen(name), sl = strlen(suffix);
  if (n <= sl || strcmp(name + n - sl, suffix) != 0) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < n - sl; i++) {
    if (name[i] < '0' || name[i] > '9') return 0;
    v = v * 10 + (uint64_t)(name[i] - '0');
  }
  *num = v;
  return 1;
}

static int list_numbered(dc_db *db, const char *sub, const char *suffix, uint64_t **out, int *n,
                         dc_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", db->dir, sub);
  char **names;
  int count;
  int rc = db->env->list(db->env, path, &names, &count, err);
  if (rc) return rc;
  uint64_t *v = malloc(sizeof(uint64_t) * (size_t)(count + 1));
  int k = 0;
  for (int i = 0; v && i < count; i++) {
    uint64_t num;
    if (parse_numbered(names[i], suffix, &num)) v[k++] = num;
  }
  dc_env_free_list(names, count);
  if (!v) return dc_err_set(err, DC_NOMEM, "list %s: out of memory", path);
  qsort(v, (size_t)k, sizeof(uint64_t), cmp_u64);
  *out = v;
  *n = k;
  return DC_OK;
}

/* Remove manifests other than the live one (a failed install may leave
 * one behind) and table files that the live version does not name (left by
 * a crash mid-flush or mid-compaction). */
static void remove_orphans(dc_db *db) {
  char **names;
  int count;
  if (db->env->list(db->env, db->dir, &names, &count, NULL) == DC_OK) {
    for (int i = 0; i < count; i++) {
      uint64_t num;
      if (strncmp(names[i], "MANIFEST-", 9) != 0 || !parse_numbered(names[i] + 9, "", &num) ||
          num == db->manifest_number)
        continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", db->dir, names[i]);
      db->env->remove(db->env, path, NULL);
    }
    dc_env_free_list(names, count);
  }
  uint64_t *nums;
  int n;
  if (list_numbered(db, "sst", ".sst", &nums, &n, NULL)) return;
  for (int i = 0; i < n; i++) {
    int live = 0;
    for (int l = 0; l < DC_LEVELS && !live; l++)
      for (int j = 0; j < db->current->nfiles[l] && !live; j++)
        live = db->current->files[l][j]->number == nums[i];
    if (!live) {
      char path[4096];
      dc_sst_path(path, sizeof path, db->dir, nums[i]);
      db->env->remove(db->env, path, NULL);
    }
  }
  free(nums);
}

static int recover(dc_db *db, dc_error *err) {
  dc_env *env = db->env;
  dc_manifest_state ms = {0};
  int rc = dc_manifest_load(env, db->dir, db->cache, db->uid, db->opt.paranoid_checks,
                            &db->current, &ms, &db->manifest_number, err);
  int fresh = 0;
  if (rc == DC_NOTFOUND) {
    if (!db->opt.create_if_missing)
      return dc_err_set(err, DC_INVALID, "open %s: no store here (create_if_missing is off)", db->dir);
    if (err) dc_err_clear(err);
    db->current = dc_version_new();
    if (!db->current) return dc_err_set(err, DC_NOMEM, "open: out of memory");
    ms.next_file = 2;
    fresh = 1;
  } else if (rc) {
    return rc;
  }
  db->next_file = ms.next_file;
  db->last_seq = ms.last_seq;
  db->log_number = ms.log_number;
  db->hlc = ms.hlc;
  if (!fresh) remove_orphans(db);

  db->mem = dc_mem_new();
  if (!db->mem) return dc_err_set(err, DC_NOMEM, "open: out of memory");

  uint64_t *logs;
  int nlogs;
  rc = list_numbered(db, "wal", ".log", &logs, &nlogs, err);
  if (rc) return rc;
  replay_ctx rc_ctx = {db, db->last_seq};
  uint64_t last_valid_end = 0;
  int reuse = -1;
  for (int i = 0; i < nlogs && !rc; i++) {
    char path[4096];
    dc_wal_path(path, sizeof path, db->dir, logs[i]);
    if (logs[i] >= db->next_file) db->next_file = logs[i] + 1;
    if (logs[i] < db->log_number) { /* flushed already: nobody registered needs it */
      env->remove(env, path, NULL);
      continue;
    }
    if (reuse < 0) db->mem_log_start = logs[i];
    uint64_t first = rc_ctx.max_seq + 1;
    uint64_t valid_end = 0;
    rc = dc_wal_replay(env, path, i == nlogs - 1, replay_record, &rc_ctx, &valid_end, err);
    if (!rc) rc = add_segment(db, logs[i], first);
    reuse = i;
    last_valid_end = valid_end;
  }
  if (rc) { free(logs); return rc; }
  db->last_seq = rc_ctx.max_seq;
  if (reuse >= 0) { /* continue the last segment after its valid records */
    char path[4096];
    dc_wal_path(path, sizeof path, db->dir, logs[reuse]);
    rc = dc_wal_reopen(env, path, last_valid_end, &db->wal, err);
    if (!rc) {
      db->wal_number = logs[reuse];
      db->wal_published = last_valid_end;
    }
    if (!rc && dc_mem_count(db->mem) > 0) {
      /* Hand the replayed data to the flush thread, as if the memtable had
       * filled: reads then find it in a table with a bloom filter instead of
       * a large memtable, and the next restart replays nothing. */
      rc = dc_wal_sync(db->wal, err); /* the truncation, if any, is durable */
      if (!rc) rc = switch_memtable(db, err);
    }
  } else {
    db->mem_log_start = db->next_file;
    rc = new_wal_segment(db, err);
    db->mem_log_start = db->wal_number;
  }
  free(logs);
  if (rc) return rc;
  if (db->log_number > db->mem_log_start || db->log_number == 0) db->log_number = db->mem_log_start;
  /* Record the recovered state so that a crash right now loses nothing. */
  dc_vedit e = {0};
  pthread_mutex_lock(&db->install_mu);
  rc = dc_install_edit(db, &e, db->log_number, err);
  pthread_mutex_unlock(&db->install_mu);
  dc_vedit_free(&e);
  return rc;
}

/* ---------------- background threads ---------------- */

/* Table options for output at `level`. Flushes and L0->L1 merges run while
 * writes wait on them, and their output is rewritten soon: they use zstd's
 * fastest level; deeper levels and manual compactions the configured one. */
dc_sst_options dc_sst_options_for(const dc_db *db, int level, int manual) {
  int z = db->opt.compression_level;
  if (!manual && level <= 1 && z > 1) z = 1;
  dc_sst_options so = {db->opt.block_bytes, (int)db->opt.restart_interval,
                       (int)db->opt.bloom_bits_per_key, {z}};
  return so;
}

static int flush_imm(dc_db *db, dc_error *err) {
  pthread_mutex_lock(&db->mu);
  dc_memtable *m = db->imm[0];
  uint64_t number = db->next_file++;
  db->flushing = 1;
  pthread_mutex_unlock(&db->mu);

  char path[4096];
  dc_sst_path(path, sizeof path, db->dir, number);
  dc_sst_options so = dc_sst_options_for(db, 0, 0);
  dc_sst_builder *b;
  int rc = DC_OK;
  dc_filemeta *f = NULL;
  if (dc_mem_count(m) > 0) {
    rc = dc_sst_builder_new(db->env, path, &so, &b, err);
    if (!rc) {
      dc_iter *it = dc_mem_iter(m);
      for (it->vt->seek_first(it); !rc && it->vt->valid(it); it->vt->next(it)) {
        size_t kl, vl;
        const char *k = it->vt->key(it, &kl), *v = it->vt->value(it, &vl);
        rc = dc_sst_builder_add(b, k, kl, v, vl, err);
      }
      it->vt->destroy(it);
      if (rc) {
        dc_sst_builder_abandon(b);
      } else {
        dc_sst_meta meta = {0};
        rc = dc_sst_builder_finish(b, &meta, err);
        if (!rc) {
          char sdir[4096];
          snprintf(sdir, sizeof sdir, "%s/sst", db->dir);
          rc = db->env->sync_dir(db->env, sdir, err);
          if (!rc) rc = dc_filemeta_open(db->env, db->dir, db->cache, db->uid,
                                         db->opt.paranoid_checks, number, &meta, &f, err);
          else dc_sst_meta_free(&meta);
          if (rc) db->env->remove(db->env, path, NULL);
        }
      }
    }
  }
  if (!rc) {
    dc_vedit e = {0};
    if (f) dc_vedit_add(&e, 0, f);
    pthread_mutex_lock(&db->mu);
    uint64_t new_log = db->nimm > 1 ? db->imm_log_start[1] : db->mem_log_start;
    pthread_mutex_unlock(&db->mu);
    pthread_mutex_lock(&db->install_mu);
    rc = dc_install_edit(db, &e, new_log, err);
    pthread_mutex_unlock(&db->install_mu);
    /* On failure f stays on disk: the new manifest may name it (see
     * dc_manifest_write); recovery removes it if not. */
    dc_vedit_free(&e);
  }
  pthread_mutex_lock(&db->mu);
  db->flushing = 0;
  if (!rc) {
    db->st.flushes++;
    memmove(db->imm, db->imm + 1, sizeof(db->imm[0]) * (size_t)(db->nimm - 1));
    memmove(db->imm_log_start, db->imm_log_start + 1, sizeof(uint64_t) * (size_t)(db->nimm - 1));
    db->nimm--;
    dc_gc_segments(db);
  }
  pthread_cond_broadcast(&db->bg_cv);
  pthread_cond_broadcast(&db->work_cv);
  pthread_mutex_unlock(&db->mu);
  if (!rc) dc_mem_unref(m);
  return rc;
}

static void *flush_thread(void *arg) {
  dc_db *db = arg;
  pthread_mutex_lock(&db->mu);
  for (;;) {
    while (!db->shutting_down && (db->nimm == 0 || db->bg_error.code))
      pthread_cond_wait(&db->work_cv, &db->mu);
    if (db->shutting_down) break;
    pthread_mutex_unlock(&db->mu);
    dc_error e = {0};
    int rc = flush_imm(db, &e);
    pthread_mutex_lock(&db->mu);
    if (rc && !db->bg_error.code) {
      db->bg_error = e;
      pthread_cond_broadcast(&db->bg_cv);
    }
  }
  pthread_mutex_unlock(&db->mu);
  return NULL;
}

static void *sync_thread(void *arg) {
  dc_db *db = arg;
  pthread_mutex_lock(&db->mu);
  while (!db->shutting_down) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)db->opt.sync_interval_ms * 1000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    pthread_cond_timedwait(&db->work_cv, &db->mu, &ts);
    if (db->shutting_down || !db->wal_dirty || db->bg_error.code) continue;
    db->wal_syncing = 1;
    db->wal_dirty = 0;
    dc_wal *w = db->wal;
    pthread_mutex_unlock(&db->mu);
    dc_error e = {0};
    int rc = dc_wal_sync(w, &e);
    pthread_mutex_lock(&db->mu);
    db->wal_syncing = 0;
    db->st.syncs++;
    if (rc && !db->bg_error.code) db->bg_error = e;
    pthread_cond_broadcast(&db->bg_cv);
  }
  pthread_mutex_unlock(&db->mu);
  return NULL;
}

/* ---------------- open / close ---------------- */

static uint64_t last_db_uid; /* atomic; uids start at 1 */

int dc_open(const char *dir, const dc_options *opt_in, dc_db **out, dc_error *err) {
  dc_error local = {0};
  if (!err) err = &local;
  *out = NULL;
  if (!dir || !*dir) return dc_err_set(err, DC_MISUSE, "open: empty directory name");
  dc_options opt;
  dc_options_init(&opt);
  if (opt_in) {
    if (opt_in->size < 2 * sizeof(uint32_t) || opt_in->size > 65536 || opt_in->version < 1)
      return dc_err_set(err, DC_MISUSE, "open: dc_options not initialised with dc_options_init");
    memcpy(&opt, opt_in, opt_in->size < sizeof opt ? opt_in->size : sizeof opt);
  }
  if (opt.sync_mode < DC_SYNC_COMMIT || opt.sync_mode > DC_SYNC_NONE)
    return dc_err_set(err, DC_INVALID, "open: sync_mode %d is not one of commit/interval/none", opt.sync_mode);
  if (opt.max_imm_memtables < 1) opt.max_imm_memtables = 1;
  if (opt.max_imm_memtables > DC_MAX_IMM) opt.max_imm_memtables = DC_MAX_IMM;
  if (opt.memtable_bytes < 1024) opt.memtable_bytes = 1024;
  if (opt.block_bytes < 64) opt.block_bytes = 64;
  if (opt.restart_interval < 1) opt.restart_interval = 1;
  if (opt.l0_compaction_trigger < 1) opt.l0_compaction_trigger = 1;
  if (opt.l0_slowdown_trigger < opt.l0_compaction_trigger) opt.l0_slowdown_trigger = opt.l0_compaction_trigger;
  if (opt.l0_stop_trigger < opt.l0_slowdown_trigger) opt.l0_stop_trigger = opt.l0_slowdown_trigger;
  if (opt.level_multiplier < 2) opt.level_multiplier = 2;
  if (opt.level1_bytes < 4096) opt.level1_bytes = 4096;
  if (opt.target_file_bytes < 4096) opt.target_file_bytes = 4096;
  if (opt.sync_interval_ms < 1) opt.sync_interval_ms = 1;
  /* zstd is loaded whenever a library is given, also with compression off:
   * tables written earlier with compression must stay readable. */
  if (!opt.zstd_library || dc_zstd_load(opt.zstd_library, NULL) != DC_OK)
    opt.compression_level = 0;

  dc_db *db = calloc(1, sizeof *db);
  if (!db) return dc_err_set(err, DC_NOMEM, "open: out of memory");
  db->opt = opt;
  db->opt.zstd_library = NULL;
  db->opt.shared_cache = NULL; /* see db->shared */
  db->uid = __atomic_add_fetch(&last_db_uid, 1, __ATOMIC_RELAXED);
  db->env = opt.env ? opt.env : dc_env_posix();
  db->dir = strdup(dir);
  pthread_mutex_init(&db->mu, NULL);
  pthread_mutex_init(&db->install_mu, NULL);
  pthread_cond_init(&db->bg_cv, NULL);
  pthread_cond_init(&db->work_cv, NULL);
  db->snaps.next = db->snaps.prev = &db->snaps;
  db->tails.next = db->tails.prev = &db->tails;

  dc_env *env = db->env;
  char path[4096];
  int rc = DC_OK;
  if (opt.create_if_missing) rc = env->mkdir(env, dir, err);
  else if (!env->exists(env, dir)) rc = dc_err_set(err, DC_INVALID, "open %s: no such directory", dir);
  if (!rc) {
    snprintf(path, sizeof path, "%s/LOCK", dir);
    rc = env->lock(env, path, &db->lock, err);
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/wal", dir);
    rc = env->mkdir(env, path, err);
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/sst", dir);
    rc = env->mkdir(env, path, err);
  }
  if (!rc) {
    dc_shared_cache *sc = opt.shared_cache;
    if (!sc) rc = dc_shared_cache_open(opt.cache_bytes, &sc, err); /* the db's own */
    if (!rc) {
      dc_shared_cache_attach(sc);
      if (!opt.shared_cache) dc_shared_cache_unref(sc); /* the db's reference is the only one */
      db->shared = sc;
      db->cache = sc->cache;
      db->cache_shared = opt.shared_cache != NULL;
    }
  }
  if (!rc) rc = recover(db, err);
  if (!rc) {
    db->threads_started = 1;
    if (pthread_create(&db->flush_thread, NULL, flush_thread, db) ||
        pthread_create(&db->compact_thread, NULL, dc_compaction_thread, db) ||
        (opt.sync_mode == DC_SYNC_INTERVAL &&
         pthread_create(&db->sync_thread, NULL, sync_thread, db))) {
      rc = dc_err_set(err, DC_NOMEM, "open: cannot start background threads");
    }
  }
  if (rc) {
    db->bg_error.code = rc; /* close without further writes */
    dc_close(db, NULL);
    return rc;
  }
  *out = db;
  return DC_OK;
}

int dc_close(dc_db *db, dc_error *err) {
  if (!db) return DC_OK;
  int rc = DC_OK;
  pthread_mutex_lock(&db->mu);
  if (db->niters || db->nsnaps || db->tails.next != &db->tails)
    rc = dc_err_set(err, DC_MISUSE, "close: %d iterators, %d snapshots or tails still open",
                    db->niters, db->nsnaps);
  while (db->wq_head) pthread_cond_wait(&db->bg_cv, &db->mu); /* writers in flight */
  __atomic_store_n(&db->shutting_down, 1, __ATOMIC_RELAXED); /* compactions poll it unlocked */
  pthread_cond_broadcast(&db->work_cv);
  pthread_cond_broadcast(&db->bg_cv);
  pthread_mutex_unlock(&db->mu);
  if (db->threads_started) {
    pthread_join(db->flush_thread, NULL);
    pthread_join(db->compact_thread, NULL);
    if (db->opt.sync_mode == DC_SYNC_INTERVAL) pthread_join(db->sync_thread, NULL);
  }
  if (db->wal) {
    if (db->wal_dirty && !db->bg_error.code) {
      int s = dc_wal_sync(db->wal, rc ? NULL : err);
      if (!rc) rc = s;
    }
    dc_wal_close(db->wal, NULL);
  }
  /* Outstanding tails are detached (their records stay readable only until
   * the db is gone); free them here would double free on dc_tail_close, so
   * they keep pointing at a closed db: documented as MISUSE above. */
  if (db->mem) dc_mem_unref(db->mem);
  for (int i = 0; i < db->nimm; i++) dc_mem_unref(db->imm[i]);
  /* The last references to the tables: closing them takes their blocks out
   * of the cache, which other dbs may go on using. */
  if (db->current) dc_version_unref(db->current);
  if (db->shared) dc_shared_cache_detach(db->shared);
  if (db->lock) db->env->unlock(db->env, db->lock, NULL);
  free(db->segs);
  free(db->dir);
  pthread_mutex_destroy(&db->mu);
  pthread_mutex_destroy(&db->install_mu);
  pthread_cond_destroy(&db->bg_cv);
  pthread_cond_destroy(&db->work_cv);
  free(db);
  return rc;
}

/* ---------------- the write path ---------------- */

/* Make room in the memtable for the leader's group. REQUIRES: mu held. */
static int make_room(dc_db *db, dc_error *err) {
  int allow_delay = 1;
  for (;;) {
    if (db->bg_error.code) return dc_err_copy(err, &db->bg_error);
    int l0 = db->current->nfiles[0];
    if (allow_delay && l0 >= (int)db->opt.l0_slowdown_trigger) {
      /* Spread the slowdown over many writes instead of stopping one. */
      pthread_mutex_unlock(&db->mu);
      usleep(1000);
      pthread_mutex_lock(&db->mu);
      db->st.slowdowns++;
      allow_delay = 0;
    } else if (dc_mem_bytes(db->mem) < db->opt.memtable_bytes) {
      return DC_OK;
    } else if (db->nimm >= (int)db->opt.max_imm_memtables || l0 >= (int)db->opt.l0_stop_trigger) {
      uint64_t t0 = mono_micros();
      db->st.stalls++;
      pthread_cond_broadcast(&db->work_cv);
      pthread_cond_wait(&db->bg_cv, &db->mu);
      db->st.stall_micros += mono_micros() - t0;
    } else if (db->wal_syncing) {
      pthread_cond_wait(&db->bg_cv, &db->mu);
    } else {
      int rc = switch_memtable(db, err);
      if (rc) return rc;
    }
  }
}

/* A durable group's leader: if fewer writers are queued than recent groups
 * had, wait (at most half a sync) for the others to come back, so that one
 * sync serves them all. REQUIRES: mu held; w is the queue's head. */
static void wait_for_company(dc_db *db, dc_writer *w) {
  uint32_t want = (db->group_est + 8) / 16;
  if (want <= 1 || (uint32_t)db->wq_len >= want) return;
  uint64_t wait_us = db->sync_avg_us / 2;
  if (wait_us > 1000) wait_us = 1000;
  if (wait_us < 10) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ns = (uint64_t)ts.tv_nsec + wait_us * 1000u;
  ts.tv_sec += (time_t)(ns / 1000000000u);
  ts.tv_nsec = (long)(ns % 1000000000u);
  db->leader_waiting = w;
  while ((uint32_t)db->wq_len < want && !db->shutting_down)
    if (pthread_cond_timedwait(&w->cv, &db->mu, &ts) == ETIMEDOUT) break;
  db->leader_waiting = NULL;
}

static int apply_to_mem(dc_memtable *mem, const dc_batch *b, uint64_t seq) {
  const char *p = b->rep.data, *limit = b->rep.data + b->rep.len;
  dc_batch_op op;
  for (uint32_t i = 0; i < b->count; i++) {
    if (dc_batch_decode(&p, limit, &op)) return DC_CORRUPT;
    if (dc_mem_add(mem, seq + i, op.kind, op.key, op.klen, op.val, op.vlen)) return DC_NOMEM;
  }
  return DC_OK;
}

int dc_write(dc_db *db, const dc_write_options *wo, dc_batch *b, uint64_t *seq_out,
             dc_error *err) {
  if (!db || !b) return dc_err_set(err, DC_MISUSE, "write: NULL db or batch");
  dc_writer w;
  w.batch = b;
  w.sync = (wo && wo->sync_mode >= 0) ? wo->sync_mode == DC_SYNC_COMMIT
                                      : db->opt.sync_mode == DC_SYNC_COMMIT;
  w.hlc = wo ? wo->hlc : 0;
  w.origin = (wo && wo->origin) ? wo->origin : db->opt.replica_id;
  w.done = 0;
  w.status = DC_OK;
  w.err.code = DC_OK;
  w.err.message[0] = 0;
  w.last_seq = 0;
  w.next = NULL;
  pthread_cond_init(&w.cv, NULL);

  pthread_mutex_lock(&db->mu);
  if (db->shutting_down) {
    pthread_mutex_unlock(&db->mu);
    pthread_cond_destroy(&w.cv);
    return dc_err_set(err, DC_CLOSED, "write: the store is closing");
  }
  if (db->wq_tail) db->wq_tail->next = &w;
  else db->wq_head = &w;
  db->wq_tail = &w;
  db->wq_len++;
  if (db->leader_waiting) pthread_cond_signal(&db->leader_waiting->cv);
  while (!w.done && db->wq_head != &w) pthread_cond_wait(&w.cv, &db->mu);
  if (w.done) {
    pthread_mutex_unlock(&db->mu);
    pthread_cond_destroy(&w.cv);
    if (seq_out) *seq_out = w.last_seq;
    if (w.status) dc_err_copy(err, &w.err);
    return w.status;
  }

  /* This writer leads a group. */
  dc_error lerr = {0};
  int rc = make_room(db, &lerr);
  if (!rc && w.sync) wait_for_company(db, &w);
  dc_writer *last = &w;
  int group_n = 0;
  uint64_t seq = db->last_seq + 1;
  int sync = w.sync;
  if (!rc) {
    size_t bytes = 0;
    for (dc_writer *x = &w; x; x = x->next) {
      if (x != &w && (!x->batch || (x->sync && !sync))) break; /* flush marker, or a durable
                                                                   write behind a non-durable group */
      bytes += x->batch->rep.len;
      if (x != &w && bytes > MAX_GROUP_BYTES) break;
      x->last_seq = seq + x->batch->count - 1;
      uint64_t hlc = next_hlc(db, x->hlc);
      rc = dc_wal_add(db->wal, seq, hlc, x->origin, x->batch->count, x->batch->rep.data,
                      x->batch->rep.len, &lerr);
      if (rc) { /* records of the group may sit in the WAL buffer: stop all writes */
        if (!db->bg_error.code) db->bg_error = lerr;
        break;
      }
      seq += x->batch->count;
      last = x;
      group_n++;
    }
  }
  if (!rc) {
    dc_wal *wal = db->wal;
    dc_memtable *mem = db->mem;
    pthread_mutex_unlock(&db->mu);
    rc = dc_wal_write(wal, &lerr);
    uint64_t sync_us = 0;
    if (!rc && sync) {
      uint64_t t0 = mono_micros();
      rc = dc_wal_sync(wal, &lerr);
      sync_us = mono_micros() - t0;
    }
    for (dc_writer *x = &w; !rc; x = x->next) {
      if ((rc = apply_to_mem(mem, x->batch, x->last_seq - x->batch->count + 1)) != DC_OK)
        dc_err_set(&lerr, rc, "write: cannot insert into the memtable");
      if (x == last) break;
    }
    pthread_mutex_lock(&db->mu);
    if (rc) {
      /* The WAL's state is unknown now: refuse further writes. */
      if (!db->bg_error.code) db->bg_error = lerr;
    } else {
      __atomic_store_n(&db->last_seq, last->last_seq, __ATOMIC_RELEASE);
      db->wal_published = dc_wal_size(wal);
      if (sync) {
        db->st.syncs++;
        db->sync_avg_us = (db->sync_avg_us * 7 + sync_us) / 8;
      } else {
        db->wal_dirty = 1;
      }
      db->st.write_groups++;
    }
  }
  /* Complete the group (w .. last) and hand leadership on. */
  for (dc_writer *x = db->wq_head;;) {
    dc_writer *nx = x->next;
    x->status = rc;
    if (rc) x->err = lerr;
    db->st.writes++;
    if (x != &w) {
      x->done = 1;
      pthread_cond_signal(&x->cv);
    }
    db->wq_len--;
    if (x == last) {
      db->wq_head = nx;
      if (!nx) db->wq_tail = NULL;
      break;
    }
    x = nx;
  }
  if (sync && !rc) { /* writers in this group + those that queued meanwhile */
    uint32_t seen = (uint32_t)(group_n + db->wq_len) * 16;
    db->group_est = (db->group_est * 3 + seen) / 4;
  }
  if (db->wq_head) pthread_cond_signal(&db->wq_head->cv);
  else pthread_cond_broadcast(&db->bg_cv);
  pthread_mutex_unlock(&db->mu);
  pthread_cond_destroy(&w.cv);
  if (seq_out) *seq_out = w.last_seq;
  if (rc) dc_err_copy(err, &lerr);
  return rc;
}

/* A one-operation batch on the stack (no malloc for small keys and values:
 * the buffer is only used when the encoded op surely fits, so it never has
 * to grow). */
static int write_one(dc_db *db, int kind, const char *key, size_t klen, const char *val,
                     size_t vlen, dc_error *err) {
  dc_batch b = {{0}, 0};
  char stack[512];
  if (1 + 5 + klen + 5 + vlen <= sizeof stack) {
    b.rep.data = stack;
    b.rep.cap = sizeof stack;
  }
  int rc = kind == DC_KIND_PUT ? dc_batch_put(&b, key, klen, val, vlen)
                               : dc_batch_delete(&b, key, klen);
  if (rc) dc_err_set(err, rc, "%s: key or value too large, or out of memory",
                     kind == DC_KIND_PUT ? "put" : "delete");
  else rc = dc_write(db, NULL, &b, NULL, err);
  if (b.rep.data != stack) dc_buf_free(&b.rep);
  return rc;
}

int dc_put(dc_db *db, const char *key, size_t klen, const char *val, size_t vlen,
           dc_error *err) {
  return write_one(db, DC_KIND_PUT, key, klen, val, vlen, err);
}

int dc_delete(dc_db *db, const char *key, size_t klen, dc_error *err) {
  return write_one(db, DC_KIND_DEL, key, klen, NULL, 0, err);
}

/* ---------------- reads ---------------- */

void dc_read_view_pin(dc_db *db, const dc_snapshot *snap, dc_read_view *rv) {
  rv->seq = snap ? snap->seq : db->last_seq;
  rv->nm = 0;
  rv->mems[rv->nm++] = db->mem;
  for (int i = db->nimm - 1; i >= 0; i--) rv->mems[rv->nm++] = db->imm[i];
  for (int i = 0; i < rv->nm; i++) dc_mem_ref(rv->mems[i]);
  rv->v = db->current;
  dc_version_ref(rv->v);
}

void dc_read_view_unpin(dc_read_view *rv) {
  for (int i = 0; i < rv->nm; i++) dc_mem_unref(rv->mems[i]);
  dc_version_unref(rv->v);
}

int dc_get(dc_db *db, const dc_snapshot *snap, const char *key, size_t klen, char **val,
           size_t *vlen, dc_error *err) {
  dc_read_view rv;
  pthread_mutex_lock(&db->mu);
  if (db->shutting_down) {
    pthread_mutex_unlock(&db->mu);
    return dc_err_set(err, DC_CLOSED, "get: the store is closed");
  }
  dc_read_view_pin(db, snap, &rv);
  db->st.gets++;
  pthread_mutex_unlock(&db->mu);

  int result = DC_GET_MISS, rc = DC_OK;
  for (int i = 0; i < rv.nm && result == DC_GET_MISS; i++) {
    const char *p;
    size_t n;
    result = dc_mem_get(rv.mems[i], key, klen, rv.seq, &p, &n);
    if (result == DC_GET_FOUND) {
      char *c = malloc(n ? n : 1);
      if (!c) rc = dc_err_set(err, DC_NOMEM, "get: out of memory");
      else {
        memcpy(c, p, n);
        *val = c;
        *vlen = n;
      }
    }
  }
  if (result == DC_GET_MISS && !rc) {
    dc_buf b = {0};
    rc = dc_version_get(rv.v, key, klen, rv.seq, &result, &b, err);
    if (!rc && result == DC_GET_FOUND) {
      if (!b.data) b.data = malloc(1);
      *val = b.data;
      *vlen = b.len;
    } else {
      dc_buf_free(&b);
    }
  }
  dc_read_view_unpin(&rv);
  if (rc) return rc;
  return result == DC_GET_FOUND ? DC_OK : DC_NOTFOUND;
}

uint64_t dc_last_sequence(dc_db *db) { return __atomic_load_n(&db->last_seq, __ATOMIC_ACQUIRE); }

/* ---------------- flush ---------------- */

int dc_flush(dc_db *db, dc_error *err) {
  /* An empty batch through the write path would not switch; switch here. */
  pthread_mutex_lock(&db->mu);
  int rc = DC_OK;
  /* Wait until we are alone on the write path (no leader using mem/wal). */
  dc_writer w;
  memset(&w, 0, sizeof w);
  pthread_cond_init(&w.cv, NULL);
  if (db->wq_tail) db->wq_tail->next = &w;
  else db->wq_head = &w;
  db->wq_tail = &w;
  db->wq_len++;
  while (db->wq_head != &w) pthread_cond_wait(&w.cv, &db->mu);
  while (db->wal_syncing) pthread_cond_wait(&db->bg_cv, &db->mu);
  if (db->bg_error.code) rc = dc_err_copy(err, &db->bg_error);
  else if (dc_mem_count(db->mem) > 0) {
    while (!db->bg_error.code && db->nimm >= (int)db->opt.max_imm_memtables)
      pthread_cond_wait(&db->bg_cv, &db->mu);
    rc = switch_memtable(db, err);
  }
  db->wq_head = w.next;
  db->wq_len--;
  if (!w.next) db->wq_tail = NULL;
  if (db->wq_head) pthread_cond_signal(&db->wq_head->cv);
  while (!rc && db->nimm > 0 && !db->bg_error.code) pthread_cond_wait(&db->bg_cv, &db->mu);
  if (!rc && db->bg_error.code) rc = dc_err_copy(err, &db->bg_error);
  pthread_cond_broadcast(&db->bg_cv);
  pthread_mutex_unlock(&db->mu);
  pthread_cond_destroy(&w.cv);
  return rc;
}
