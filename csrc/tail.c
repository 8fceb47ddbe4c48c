/* tail.c — WAL tail readers (dc_tail_*): read the log from any sequence
 * number that is still on disk, following segment switches, and pin the
 * segments they still need (see dc_gc_segments in compaction.c).
 *
 * A tail reads only published records (those whose writes have returned):
 * in the active segment it stops at db->wal_published. */
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "store.h"

int dc_tail_open(dc_db *db, uint64_t from_seq, dc_tail **out, dc_error *err) {
  if (from_seq == 0) from_seq = 1;
  struct dc_tail *t = calloc(1, sizeof *t);
  if (!t) return dc_err_set(err, DC_NOMEM, "tail: out of memory");
  pthread_mutex_lock(&db->mu);
  if (db->shutting_down) {
    pthread_mutex_unlock(&db->mu);
    free(t);
    return dc_err_set(err, DC_CLOSED, "tail: the store is closed");
  }
  if (db->nsegs == 0 || from_seq < db->segs[0].first_seq) {
    uint64_t first = db->nsegs ? db->segs[0].first_seq : db->last_seq + 1;
    pthread_mutex_unlock(&db->mu);
    free(t);
    return dc_err_set(err, DC_TRIMMED,
                      "tail: records from sequence %llu are no longer in the WAL (oldest: %llu)",
                      (unsigned long long)from_seq, (unsigned long long)first);
  }
  t->db = db;
  t->hold = from_seq;
  t->next_seq = from_seq;
  t->next = &db->tails;
  t->prev = db->tails.prev;
  db->tails.prev->next = t;
  db->tails.prev = t;
  pthread_mutex_unlock(&db->mu);
  *out = t;
  return DC_OK;
}

/* REQUIRES: mu held. Index of the segment to read next: the one after
 * t->seg, or (no segment open yet) the last one starting at or before
 * next_seq. -1 if none. */
static int next_segment(dc_db *db, struct dc_tail *t) {
  if (t->seg) {
    for (int i = 0; i < db->nsegs; i++)
      if (db->segs[i].number > t->seg) return i;
    return -1;
  }
  int k = -1;
  for (int i = 0; i < db->nsegs; i++)
    if (db->segs[i].first_seq <= t->next_seq) k = i;
  return k < 0 && db->nsegs ? 0 : k;
}

int dc_tail_next(dc_tail *t, dc_wal_record *rec, dc_error *err) {
  dc_db *db = t->db;
  for (;;) {
    pthread_mutex_lock(&db->mu);
    if (!t->reader) {
      int i = next_segment(db, t);
      if (i < 0) {
        pthread_mutex_unlock(&db->mu);
        return DC_NOTFOUND;
      }
      uint64_t number = db->segs[i].number;
      pthread_mutex_unlock(&db->mu);
      char path[4096];
      dc_wal_path(path, sizeof path, db->dir, number);
      int rc = dc_wal_reader_open(db->env, path, &t->reader, err);
      if (rc) return rc;
      t->seg = number;
      continue;
    }
    int active = t->seg == db->wal_number;
    uint64_t limit = active ? db->wal_published : UINT64_MAX;
    int more_segments = 0;
    for (int i = 0; i < db->nsegs; i++) more_segments |= db->segs[i].number > t->seg;
    pthread_mutex_unlock(&db->mu);

    dc_wal_rec wr;
    int rc = dc_wal_reader_next(t->reader, limit, &wr, err);
    if (rc == DC_NOTFOUND) {
      if (active || !more_segments) return DC_NOTFOUND;
      dc_wal_reader_close(t->reader); /* this segment is complete: go on */
      t->reader = NULL;
      continue;
    }
    if (rc) return rc;
    if (wr.count == 0 || wr.seq + wr.count <= t->next_seq) continue; /* before the start */
    rec->seq = wr.seq;
    rec->hlc = wr.hlc;
    rec->origin = wr.origin;
    rec->count = wr.count;
    rec->ops = wr.body;
    rec->ops_len = wr.len;
    t->next_seq = wr.seq + wr.count;
    return DC_OK;
  }
}

void dc_tail_release(dc_tail *t, uint64_t upto) {
  dc_db *db = t->db;
  pthread_mutex_lock(&db->mu);
  if (upto + 1 > t->hold) t->hold = upto + 1;
  dc_gc_segments(db);
  pthread_mutex_unlock(&db->mu);
}

void dc_tail_close(dc_tail *t) {
  if (!t) return;
  dc_db *db = t->db;
  pthread_mutex_lock(&db->mu);
  t->prev->next = t->next;
  t->next->prev = t->prev;
  dc_gc_segments(db);
  pthread_mutex_unlock(&db->mu);
  if (t->reader) dc_wal_reader_close(t->reader);
  free(t);
}
