/* compaction.c — leveled compaction, version installs, WAL segment GC.
 *
 * Picking: L0 scores (files / l0_compaction_trigger); Ln (n >= 1) scores
 * bytes / target(n) with target(1) = level1_bytes, x level_multiplier per
 * level. The highest score >= 1 is compacted: all of L0 (its files overlap)
 * or one file of Ln chosen round-robin, with the overlapping files of the next
 * level. A file (or a set of disjoint L0 files) with nothing to merge below is
 * moved down without rewriting it.
 *
 * Dropping: walking the merged inputs (newest version of each user key
 * first), a version is dropped when a newer version of the same key is at or
 * below the oldest live snapshot (no reader can see it), and a tombstone is
 * dropped when it is at or below the oldest snapshot and no deeper level can
 * hold an older version of its key. Output files are cut only between user
 * keys, so a key's versions never straddle two files of a level.
 *
 * Manual compaction (dc_compact) merges every file into the deepest non-empty
 * level (at least L1).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikey.h"
#include "status.h"
#include "store.h"

uint64_t dc_oldest_snapshot(dc_db *db) {
  if (db->snaps.next != &db->snaps) return db->snaps.next->seq; /* list is in creation order */
  return db->last_seq;
}

void dc_gc_segments(dc_db *db) {
  uint64_t min_hold = UINT64_MAX;
  for (struct dc_tail *t = db->tails.next; t != &db->tails; t = t->next)
    if (t->hold < min_hold) min_hold = t->hold;
  int k = 0;
  while (k + 1 < db->nsegs && db->segs[k].number < db->log_number &&
         db->segs[k + 1].first_seq <= min_hold) {
    char path[4096];
    dc_wal_path(path, sizeof path, db->dir, db->segs[k].number);
    db->env->remove(db->env, path, NULL);
    k++;
  }
  if (k) {
    memmove(db->segs, db->segs + k, sizeof(dc_segment) * (size_t)(db->nsegs - k));
    db->nsegs -= k;
  }
}

int dc_install_edit(dc_db *db, dc_vedit *e, uint64_t new_log, dc_error *err) {
  pthread_mutex_lock(&db->mu);
  dc_version *nv = dc_version_apply(db->current, e);
  if (!nv) {
    pthread_mutex_unlock(&db->mu);
    return dc_err_set(err, DC_NOMEM, "install: out of memory");
  }
  uint64_t mnum = db->next_file++;
  dc_manifest_state st = {db->next_file, db->last_seq, new_log, db->hlc};
  uint64_t prev = db->manifest_number;
  pthread_mutex_unlock(&db->mu);

  int rc = dc_manifest_write(db->env, db->dir, mnum, prev, nv, &st, err);

  pthread_mutex_lock(&db->mu);
  if (rc) {
    pthread_mutex_unlock(&db->mu);
    dc_version_unref(nv);
    return rc;
  }
  dc_version *old = db->current;
  for (int i = 0; i < e->nremoved; i++)
    for (int l = 0; l < DC_LEVELS; l++)
      for (int j = 0; j < old->nfiles[l]; j++)
        if (old->files[l][j]->number == e->removed[i]) {
          int moved = 0; /* a trivially moved file lives on */
          for (int a = 0; a < e->nadded && !moved; a++) moved = e->added[a] == old->files[l][j];
          if (!moved) old->files[l][j]->obsolete_delete = 1;
        }
  db->current = nv;
  db->manifest_number = mnum;
  if (new_log > db->log_number) db->log_number = new_log;
  dc_gc_segments(db);
  pthread_cond_broadcast(&db->bg_cv);
  pthread_mutex_unlock(&db->mu);
  dc_version_unref(old);
  return DC_OK;
}

/* ---------------- picking ---------------- */

typedef struct compaction {
  int level, out_level;
  int manual;
  int trivial; /* move inputs[0] files down without rewriting */
  dc_filemeta **in;
  int nin;
  dc_version *v; /* the version the inputs come from */
  uint64_t smallest_snap;
} compaction;

static uint64_t level_target(const dc_db *db, int level) {
  uint64_t t = db->opt.level1_bytes;
  for (int l = 1; l < level; l++) t *= db->opt.level_multiplier;
  return t;
}

static double level_score(const dc_db *db, const dc_version *v, int level) {
  if (level == 0) return (double)v->nfiles[0] / (double)db->opt.l0_compaction_trigger;
  return (double)dc_version_level_bytes(v, level) / (double)level_target(db, level);
}

static int needs_compaction(const dc_db *db) {
  for (int l = 0; l < DC_LEVELS - 1; l++)
    if (level_score(db, db->current, l) >= 1.0) return 1;
  return 0;
}

static void add_input(compaction *c, dc_filemeta *f) {
  c->in = realloc(c->in, sizeof(dc_filemeta *) * (size_t)(c->nin + 1));
  c->in[c->nin++] = f;
  dc_file_ref(f);
}

static void range_of(dc_filemeta **fs, int n, const char **s, size_t *sl, const char **l, size_t *ll) {
  *s = fs[0]->smallest; *sl = fs[0]->smallest_len;
  *l = fs[0]->largest; *ll = fs[0]->largest_len;
  for (int i = 1; i < n; i++) {
    if (dc_ikey_cmp(fs[i]->smallest, fs[i]->smallest_len, *s, *sl) < 0) { *s = fs[i]->smallest; *sl = fs[i]->smallest_len; }
    if (dc_ikey_cmp(fs[i]->largest, fs[i]->largest_len, *l, *ll) > 0) { *l = fs[i]->largest; *ll = fs[i]->largest_len; }
  }
}

static int cmp_by_smallest(const void *a, const void *b) {
  const dc_filemeta *x = *(dc_filemeta *const *)a, *y = *(dc_filemeta *const *)b;
  return dc_ikey_cmp(x->smallest, x->smallest_len, y->smallest, y->smallest_len);
}

/* REQUIRES: mu held. Returns 1 if a compaction was picked. */
static int pick(dc_db *db, compaction *c) {
  dc_version *v = db->current;
  memset(c, 0, sizeof *c);
  if (db->manual_compaction) {
    int deepest = 1;
    for (int l = 0; l < DC_LEVELS; l++)
      for (int i = 0; i < v->nfiles[l]; i++) {
        add_input(c, v->files[l][i]);
        if (l > deepest) deepest = l;
      }
    c->manual = 1;
    c->level = 0;
    c->out_level = deepest;
  } else {
    int best = -1;
    double bs = 1.0;
    for (int l = 0; l < DC_LEVELS - 1; l++) {
      double s = level_score(db, v, l);
      if (s >= bs) { bs = s; best = l; }
    }
    if (best < 0) return 0;
    c->level = best;
    c->out_level = best + 1;
    int n0;
    if (best == 0) {
      for (int i = 0; i < v->nfiles[0]; i++) add_input(c, v->files[0][i]);
    } else {
      int i = db->compact_level_ptr[best]++ % v->nfiles[best];
      add_input(c, v->files[best][i]);
    }
    n0 = c->nin;
    const char *s, *lg;
    size_t sl, ll;
    range_of(c->in, c->nin, &s, &sl, &lg, &ll);
    int no;
    dc_filemeta **ov = dc_version_overlaps(v, c->out_level, s, sl, lg, ll, &no);
    for (int i = 0; i < no; i++) add_input(c, ov[i]);
    free(ov);
    if (no == 0) {
      /* Move down unrewritten if the inputs are disjoint among themselves. */
      dc_filemeta **sorted = malloc(sizeof(dc_filemeta *) * (size_t)n0);
      memcpy(sorted, c->in, sizeof(dc_filemeta *) * (size_t)n0);
      qsort(sorted, (size_t)n0, sizeof(dc_filemeta *), cmp_by_smallest);
      int disjoint = 1;
      for (int i = 1; i < n0 && disjoint; i++)
        disjoint = dc_bytes_cmp(sorted[i - 1]->largest, sorted[i - 1]->largest_len - 8,
                                sorted[i]->smallest, sorted[i]->smallest_len - 8) < 0;
      free(sorted);
      c->trivial = disjoint;
    }
  }
  if (c->nin == 0) return 0;
  c->v = v;
  dc_version_ref(v);
  c->smallest_snap = dc_oldest_snapshot(db);
  return 1;
}

static void compaction_free(compaction *c) {
  for (int i = 0; i < c->nin; i++) dc_file_unref(c->in[i]);
  free(c->in);
  if (c->v) dc_version_unref(c->v);
}

/* ---------------- running ---------------- */

/* No level deeper than out_level can hold ukey. */
static int is_base_level_for_key(const dc_version *v, int out_level, const char *ukey, size_t ulen) {
  for (int l = out_level + 1; l < DC_LEVELS; l++) {
    int i = dc_find_file(v->files[l], v->nfiles[l], ukey, ulen);
    if (i < v->nfiles[l] && dc_ukey_in_file(v->files[l][i], ukey, ulen)) return 0;
  }
  return 1;
}

typedef struct outputs {
  dc_db *db;
  dc_sst_builder *b;
  uint64_t number;
  dc_vedit *e;
  int level;
  uint64_t written;
} outputs;

static int finish_output(outputs *o, dc_error *err) {
  if (!o->b) return DC_OK;
  dc_sst_meta meta = {0};
  dc_sst_builder *b = o->b;
  o->b = NULL;
  int rc = dc_sst_builder_finish(b, &meta, err);
  if (rc) return rc;
  o->written += meta.file_size;
  dc_filemeta *f;
  rc = dc_filemeta_open(o->db->env, o->db->dir, o->db->cache, o->db->uid,
                        o->db->opt.paranoid_checks, o->number, &meta, &f, err);
  if (rc) return rc;
  f->obsolete_delete = 1; /* until installed */
  dc_vedit_add(o->e, o->level, f);
  return DC_OK;
}

static int run_compaction(dc_db *db, compaction *c, dc_error *err) {
  dc_vedit e = {0};
  int rc = DC_OK;
  uint64_t bytes_in = 0;
  for (int i = 0; i < c->nin; i++) {
    dc_vedit_remove(&e, c->in[i]->number);
    bytes_in += c->in[i]->file_size;
  }
  if (c->trivial) {
    for (int i = 0; i < c->nin; i++) {
      dc_file_ref(c->in[i]);
      dc_vedit_add(&e, c->out_level, c->in[i]);
    }
  } else {
    dc_iter **kids = malloc(sizeof(dc_iter *) * (size_t)c->nin);
    for (int i = 0; i < c->nin; i++) kids[i] = dc_sst_iter(c->in[i]->sst);
    dc_iter *it = dc_merge_iter_new(kids, c->nin);
    free(kids);
    dc_sst_options so = dc_sst_options_for(db, c->out_level, c->manual);
    outputs o = {db, NULL, 0, &e, c->out_level, 0};
    dc_buf cur = {0}, last_out = {0};
    int has_cur = 0;
    uint64_t last_seq_for_key = 0, dropped = 0;
    for (it->vt->seek_first(it); it->vt->valid(it); it->vt->next(it)) {
      if (__atomic_load_n(&db->shutting_down, __ATOMIC_RELAXED)) {
        rc = dc_err_set(err, DC_CLOSED, "compaction: the store is closing");
        break;
      }
      size_t kl, vl;
      const char *k = it->vt->key(it, &kl), *v = it->vt->value(it, &vl);
      if (kl < 8) { rc = dc_err_set(err, DC_CORRUPT, "compaction: short internal key"); break; }
      size_t ul = kl - 8;
      uint64_t seq = dc_ikey_seq(k, kl);
      int kind = dc_ikey_kind(k, kl);
      if (!has_cur || dc_bytes_cmp(k, ul, cur.data, cur.len) != 0) {
        cur.len = 0;
        dc_buf_append(&cur, k, ul);
        has_cur = 1;
        last_seq_for_key = UINT64_MAX;
      }
      int drop = 0;
      if (last_seq_for_key <= c->smallest_snap) drop = 1;
      else if (kind == DC_KIND_DEL && seq <= c->smallest_snap &&
               is_base_level_for_key(c->v, c->out_level, k, ul))
        drop = 1;
      last_seq_for_key = seq;
      if (drop) { dropped++; continue; }
      if (o.b && dc_sst_builder_size(o.b) >= db->opt.target_file_bytes &&
          dc_bytes_cmp(k, ul, last_out.data, last_out.len) != 0) {
        if ((rc = finish_output(&o, err)) != DC_OK) break;
      }
      if (!o.b) {
        pthread_mutex_lock(&db->mu);
        o.number = db->next_file++;
        pthread_mutex_unlock(&db->mu);
        char path[4096];
        dc_sst_path(path, sizeof path, db->dir, o.number);
        if ((rc = dc_sst_builder_new(db->env, path, &so, &o.b, err)) != DC_OK) { o.b = NULL; break; }
      }
      if ((rc = dc_sst_builder_add(o.b, k, kl, v, vl, err)) != DC_OK) break;
      last_out.len = 0;
      dc_buf_append(&last_out, k, ul);
    }
    if (!rc) rc = it->vt->status(it, err);
    it->vt->destroy(it);
    if (!rc) rc = finish_output(&o, err);
    else if (o.b) dc_sst_builder_abandon(o.b);
    dc_buf_free(&cur);
    dc_buf_free(&last_out);
    if (!rc && e.nadded) {
      char sdir[4096];
      snprintf(sdir, sizeof sdir, "%s/sst", db->dir);
      rc = db->env->sync_dir(db->env, sdir, err);
    }
    pthread_mutex_lock(&db->mu);
    db->st.dropped_entries += dropped;
    db->st.compaction_bytes_read += bytes_in;
    db->st.compaction_bytes_written += o.written;
    pthread_mutex_unlock(&db->mu);
  }
  if (!rc) {
    pthread_mutex_lock(&db->install_mu);
    pthread_mutex_lock(&db->mu);
    uint64_t log = db->log_number;
    pthread_mutex_unlock(&db->mu);
    rc = dc_install_edit(db, &e, log, err);
    pthread_mutex_unlock(&db->install_mu);
    /* Installed, or perhaps named by a manifest that failed half-way: keep
     * the outputs either way (recovery removes files no manifest names). */
    for (int i = 0; i < e.nadded; i++) e.added[i]->obsolete_delete = 0;
  }
  dc_vedit_free(&e); /* if the install was never tried, this deletes the outputs */
  return rc;
}

void *dc_compaction_thread(void *arg) {
  dc_db *db = arg;
  pthread_mutex_lock(&db->mu);
  for (;;) {
    while (!db->shutting_down &&
           (db->bg_error.code || (!db->manual_compaction && !needs_compaction(db))))
      pthread_cond_wait(&db->work_cv, &db->mu);
    if (db->shutting_down) break;
    int manual = db->manual_compaction;
    compaction c;
    int picked = pick(db, &c);
    db->compacting = 1;
    pthread_mutex_unlock(&db->mu);
    dc_error e = {0};
    int rc = picked ? run_compaction(db, &c, &e) : DC_OK;
    if (picked) compaction_free(&c);
    pthread_mutex_lock(&db->mu);
    db->compacting = 0;
    if (rc == DC_CLOSED) break;
    if (rc && !db->bg_error.code) db->bg_error = e;
    if (!rc) db->st.compactions += picked;
    if (manual) { /* every request made before the pick is served by this run */
      db->manual_compaction -= manual;
      db->manual_done += (uint64_t)manual;
    }
    pthread_cond_broadcast(&db->bg_cv);
  }
  pthread_mutex_unlock(&db->mu);
  return NULL;
}

int dc_compact(dc_db *db, dc_error *err) {
  int rc = dc_flush(db, err);
  if (rc) return rc;
  pthread_mutex_lock(&db->mu);
  uint64_t want = db->manual_done + (uint64_t)db->manual_compaction + 1;
  db->manual_compaction++;
  pthread_cond_broadcast(&db->work_cv);
  while (db->manual_done < want && !db->bg_error.code && !db->shutting_down)
    pthread_cond_wait(&db->bg_cv, &db->mu);
  if (db->bg_error.code) rc = dc_err_copy(err, &db->bg_error);
  pthread_mutex_unlock(&db->mu);
  return rc;
}
