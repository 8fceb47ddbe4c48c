/* api.c — the rest of dyncore.h: snapshots, iterators, statistics, shared
 * block caches.
 * (open/close/write/get/flush live in store.c, compaction in compaction.c,
 * WAL tails in tail.c.) */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbiter.h"
#include "ikey.h"
#include "status.h"
#include "store.h"

/* ---------------- snapshots ---------------- */

const dc_snapshot *dc_snapshot_new(dc_db *db) {
  struct dc_snapshot *s = malloc(sizeof *s);
  if (!s) return NULL;
  pthread_mutex_lock(&db->mu);
  s->seq = db->last_seq;
  s->next = &db->snaps; /* append: the list stays in creation (= seq) order */
  s->prev = db->snaps.prev;
  db->snaps.prev->next = s;
  db->snaps.prev = s;
  db->nsnaps++;
  pthread_mutex_unlock(&db->mu);
  return s;
}

uint64_t dc_snapshot_seq(const dc_snapshot *snap) { return snap->seq; }

void dc_snapshot_release(dc_db *db, const dc_snapshot *snap) {
  if (!snap) return;
  struct dc_snapshot *s = (struct dc_snapshot *)snap;
  pthread_mutex_lock(&db->mu);
  s->prev->next = s->next;
  s->next->prev = s->prev;
  db->nsnaps--;
  pthread_mutex_unlock(&db->mu);
  free(s);
}

/* ---------------- iterators ---------------- */

struct dc_iterator {
  dc_db *db;
  dc_dbiter *it;
};

static void iter_cleanup(void *arg) {
  dc_db *db = arg;
  pthread_mutex_lock(&db->mu);
  db->niters--;
  pthread_mutex_unlock(&db->mu);
}

dc_iterator *dc_iter_new(dc_db *db, const dc_snapshot *snap, const char *lower,
                         size_t lower_len, const char *upper, size_t upper_len,
                         dc_error *err) {
  dc_iter **kids = NULL;
  int n = 0, cap = 0;
  dc_read_view rv;
  pthread_mutex_lock(&db->mu);
  if (db->shutting_down) {
    pthread_mutex_unlock(&db->mu);
    dc_err_set(err, DC_CLOSED, "iterator: the store is closed");
    return NULL;
  }
  dc_read_view_pin(db, snap, &rv);
  db->niters++;
  pthread_mutex_unlock(&db->mu);

  int rc = DC_OK;
  cap = rv.nm + rv.v->nfiles[0] + DC_LEVELS;
  kids = malloc(sizeof(dc_iter *) * (size_t)cap);
  if (!kids) rc = DC_NOMEM;
  for (int i = 0; i < rv.nm && !rc; i++) {
    dc_iter *m = dc_mem_iter(rv.mems[i]);
    if (!m) rc = DC_NOMEM;
    else kids[n++] = m;
  }
  if (!rc) rc = dc_version_add_iters(rv.v, &kids, &n, &cap);
  uint64_t seq = rv.seq;
  dc_read_view_unpin(&rv); /* the iterators hold their own references */
  dc_iterator *out = NULL;
  if (!rc) {
    dc_iter *merged = dc_merge_iter_new(kids, n);
    n = 0;
    out = malloc(sizeof *out);
    if (merged && out) {
      out->db = db;
      out->it = dc_dbiter_new(merged, seq, lower, lower_len, upper, upper_len, iter_cleanup, db);
      if (!out->it) rc = DC_NOMEM;
      else {
        free(kids);
        return out;
      }
    } else {
      if (merged) merged->vt->destroy(merged);
      rc = DC_NOMEM;
    }
  }
  for (int i = 0; i < n; i++) kids[i]->vt->destroy(kids[i]);
  free(kids);
  free(out);
  iter_cleanup(db);
  dc_err_set(err, rc, "iterator: out of memory");
  return NULL;
}

void dc_iter_seek_first(dc_iterator *it) { dc_dbiter_seek_first(it->it); }
void dc_iter_seek_last(dc_iterator *it) { dc_dbiter_seek_last(it->it); }
void dc_iter_seek(dc_iterator *it, const char *k, size_t n) { dc_dbiter_seek(it->it, k, n); }
void dc_iter_seek_for_prev(dc_iterator *it, const char *k, size_t n) {
  dc_dbiter_seek_for_prev(it->it, k, n);
}
void dc_iter_next(dc_iterator *it) { dc_dbiter_next(it->it); }
void dc_iter_prev(dc_iterator *it) { dc_dbiter_prev(it->it); }
int dc_iter_valid(const dc_iterator *it) { return dc_dbiter_valid(it->it); }
const char *dc_iter_key(const dc_iterator *it, size_t *n) { return dc_dbiter_key(it->it, n); }
const char *dc_iter_value(const dc_iterator *it, size_t *n) { return dc_dbiter_value(it->it, n); }
int dc_iter_status(const dc_iterator *it, dc_error *err) { return dc_dbiter_status(it->it, err); }

void dc_iter_free(dc_iterator *it) {
  if (!it) return;
  dc_dbiter_free(it->it);
  free(it);
}

int dc_iter_read_batch(dc_iterator *it, int reverse, int max_pairs, size_t max_bytes,
                       char **buf, size_t *buf_len) {
  dc_buf b = {0};
  int n = 0;
  while (n < max_pairs && dc_dbiter_valid(it->it) && (n == 0 || b.len < max_bytes)) {
    size_t kl, vl;
    const char *k = dc_dbiter_key(it->it, &kl), *v = dc_dbiter_value(it->it, &vl);
    if (dc_buf_put_lp(&b, k, kl) || dc_buf_put_lp(&b, v, vl)) {
      dc_buf_free(&b);
      return -1;
    }
    n++;
    if (reverse) dc_dbiter_prev(it->it);
    else dc_dbiter_next(it->it);
  }
  if (dc_dbiter_status(it->it, NULL) != DC_OK) {
    dc_buf_free(&b);
    return -1;
  }
  *buf = b.data;
  *buf_len = b.len;
  return n;
}

/* ---------------- shared block caches ---------------- */

int dc_shared_cache_open(uint64_t capacity_bytes, dc_shared_cache **out, dc_error *err) {
  *out = NULL;
  if (capacity_bytes > SIZE_MAX)
    return dc_err_set(err, DC_INVALID, "shared cache: capacity %" PRIu64 " is too large",
                      capacity_bytes);
  dc_shared_cache *c = calloc(1, sizeof *c);
  if (c) c->cache = dc_cache_new((size_t)capacity_bytes);
  if (!c || !c->cache) {
    free(c);
    return dc_err_set(err, DC_NOMEM, "shared cache: out of memory");
  }
  c->refs = 1;
  *out = c;
  return DC_OK;
}

void dc_shared_cache_unref(dc_shared_cache *c) {
  if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  dc_cache_free(c->cache); /* no db uses it: nothing is pinned */
  free(c);
}

void dc_shared_cache_attach(dc_shared_cache *c) {
  __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&c->dbs, 1, __ATOMIC_RELAXED);
}

void dc_shared_cache_detach(dc_shared_cache *c) {
  __atomic_sub_fetch(&c->dbs, 1, __ATOMIC_RELAXED);
  dc_shared_cache_unref(c);
}

/* The JSON members of a cache's statistics, without braces. */
static int cache_stats_json(char *buf, size_t n, dc_cache *c) {
  dc_cache_stats cs;
  dc_cache_get_stats(c, &cs);
  return snprintf(buf, n,
                  "\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ",\"inserts\":%" PRIu64
                  ",\"evictions\":%" PRIu64 ",\"usage\":%zu,\"capacity\":%zu",
                  cs.hits, cs.misses, cs.inserts, cs.evictions, cs.usage, cs.capacity);
}

int dc_shared_cache_stats(dc_shared_cache *c, char **json, dc_error *err) {
  if (!c || !json) return dc_err_set(err, DC_MISUSE, "shared cache stats: NULL argument");
  char tmp[512];
  int n = cache_stats_json(tmp, sizeof tmp, c->cache);
  size_t size = (size_t)n + 40;
  char *out = malloc(size);
  if (!out) return dc_err_set(err, DC_NOMEM, "shared cache stats: out of memory");
  snprintf(out, size, "{%s,\"dbs\":%d}", tmp, __atomic_load_n(&c->dbs, __ATOMIC_RELAXED));
  *json = out;
  return DC_OK;
}

/* ---------------- statistics ---------------- */

int dc_stats(dc_db *db, char **json, dc_error *err) {
  dc_buf b = {0};
  char tmp[1024], cache_json[512];
  cache_stats_json(cache_json, sizeof cache_json, db->cache);
  dc_sst_read_stats rs;
  dc_sst_get_read_stats(&rs);
  pthread_mutex_lock(&db->mu);
  dc_version *v = db->current;
  size_t imm_bytes = 0;
  for (int i = 0; i < db->nimm; i++) imm_bytes += dc_mem_bytes(db->imm[i]);
  int n = snprintf(
      tmp, sizeof tmp,
      "{\"last_sequence\":%" PRIu64 ",\"memtable_bytes\":%zu,\"memtable_entries\":%" PRIu64
      ",\"immutable_memtables\":%d,\"immutable_bytes\":%zu,\"wal_segments\":%d,"
      "\"wal_number\":%" PRIu64 ",\"log_number\":%" PRIu64 ",\"snapshots\":%d,\"iterators\":%d,"
      "\"flushes\":%" PRIu64 ",\"compactions\":%" PRIu64 ",\"compaction_bytes_read\":%" PRIu64
      ",\"compaction_bytes_written\":%" PRIu64 ",\"dropped_entries\":%" PRIu64
      ",\"stalls\":%" PRIu64 ",\"stall_micros\":%" PRIu64 ",\"slowdowns\":%" PRIu64
      ",\"writes\":%" PRIu64 ",\"write_groups\":%" PRIu64 ",\"syncs\":%" PRIu64 ",\"sync_avg_micros\":%" PRIu64
      ",\"gets\":%" PRIu64 ",\"compression\":%s,\"background_error\":%s,",
      db->last_seq, dc_mem_bytes(db->mem), dc_mem_count(db->mem), db->nimm, imm_bytes,
      db->nsegs, db->wal_number, db->log_number, db->nsnaps, db->niters, db->st.flushes,
      db->st.compactions, db->st.compaction_bytes_read, db->st.compaction_bytes_written,
      db->st.dropped_entries, db->st.stalls, db->st.stall_micros, db->st.slowdowns,
      db->st.writes, db->st.write_groups, db->st.syncs, db->sync_avg_us, db->st.gets,
      db->opt.compression_level ? "true" : "false", db->bg_error.code ? "true" : "false");
  dc_buf_append(&b, tmp, (size_t)n);
  dc_buf_append(&b, "\"levels\":[", 10);
  uint64_t total = 0;
  for (int l = 0; l < DC_LEVELS; l++) {
    uint64_t bytes = dc_version_level_bytes(v, l), entries = 0;
    for (int i = 0; i < v->nfiles[l]; i++) entries += v->files[l][i]->entries;
    total += bytes;
    n = snprintf(tmp, sizeof tmp, "%s{\"files\":%d,\"bytes\":%" PRIu64 ",\"entries\":%" PRIu64 "}",
                 l ? "," : "", v->nfiles[l], bytes, entries);
    dc_buf_append(&b, tmp, (size_t)n);
  }
  pthread_mutex_unlock(&db->mu);
  n = snprintf(tmp, sizeof tmp,
               "],\"sst_bytes\":%" PRIu64 ",\"block_cache\":{%s,\"shared\":%s},"
               "\"bloom_useful\":%" PRIu64 ",\"blocks_read\":%" PRIu64 "}",
               total, cache_json, db->cache_shared ? "true" : "false", rs.bloom_useful,
               rs.blocks_read);
  if (dc_buf_append(&b, tmp, (size_t)n) || dc_buf_putc(&b, 0)) {
    dc_buf_free(&b);
    return dc_err_set(err, DC_NOMEM, "stats: out of memory");
  }
  *json = b.data;
  return DC_OK;
}
