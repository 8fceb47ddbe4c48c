/* stress.c — many threads on one store through the public API: writers
 * (puts, deletes, batches), readers checking what they read, iterators,
 * snapshots, tails, and explicit flush/compaction, with a tiny memtable so
 * that background flushes and compactions run all the time. Built by
 * test_stress.py, optionally with -fsanitize=thread (DYNCORE_TSAN=1).
 *
 * Every value is "<key>=<version>", so a reader can check that what it got
 * belongs to the key it asked for; a snapshot's reads must not change while
 * the store does.
 *
 *   stress DIR SECONDS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dyncore.h"

#define KEYS 2000
static dc_db *db;
static int stop; /* atomic */
static int failures;

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "FAIL %s: %s\n", what, detail);
  __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static int mkkey(char *buf, unsigned r) { return sprintf(buf, "key%05u", r % KEYS); }

static void *writer(void *arg) {
  unsigned seed = (unsigned)(size_t)arg;
  char k[32], v[96];
  for (unsigned i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
    dc_error err = {0};
    int kl = mkkey(k, rand_r(&seed));
    int vl = snprintf(v, sizeof v, "%.*s=%u-%u", kl, k, seed, i);
    int rc;
    switch (rand_r(&seed) % 4) {
      case 0: rc = dc_delete(db, k, (size_t)kl, &err); break;
      case 1: {
        dc_batch *b = dc_batch_new();
        for (int j = 0; j < 5; j++) {
          kl = mkkey(k, rand_r(&seed));
          vl = snprintf(v, sizeof v, "%.*s=%u-%u-%d", kl, k, seed, i, j);
          dc_batch_put(b, k, (size_t)kl, v, (size_t)vl);
        }
        rc = dc_write(db, NULL, b, NULL, &err);
        dc_batch_free(b);
        break;
      }
      default: rc = dc_put(db, k, (size_t)kl, v, (size_t)vl, &err);
    }
    if (rc) fail("write", err.message);
  }
  return NULL;
}

static int value_matches(const char *k, size_t kl, const char *v, size_t vl) {
  return vl > kl && memcmp(v, k, kl) == 0 && v[kl] == '=';
}

static void *reader(void *arg) {
  unsigned seed = (unsigned)(size_t)arg;
  char k[32];
  while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
    int kl = mkkey(k, rand_r(&seed));
    char *v;
    size_t vl;
    dc_error err = {0};
    int rc = dc_get(db, NULL, k, (size_t)kl, &v, &vl, &err);
    if (rc == DC_OK) {
      if (!value_matches(k, (size_t)kl, v, vl)) fail("get", "value of another key");
      dc_free(v);
    } else if (rc != DC_NOTFOUND) {
      fail("get", err.message);
    }
  }
  return NULL;
}

/* Snapshot reads are stable: read a few keys, let time pass, read again. */
static void *snapshotter(void *arg) {
  unsigned seed = (unsigned)(size_t)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
    const dc_snapshot *s = dc_snapshot_new(db);
    char k[8][32];
    char *first[8];
    size_t flen[8];
    int frc[8];
    for (int i = 0; i < 8; i++) {
      int kl = mkkey(k[i], rand_r(&seed));
      frc[i] = dc_get(db, s, k[i], (size_t)kl, &first[i], &flen[i], NULL);
    }
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    for (int i = 0; i < 8; i++) {
      char *v;
      size_t vl;
      int rc = dc_get(db, s, k[i], strlen(k[i]), &v, &vl, NULL);
      if (rc != frc[i] || (rc == DC_OK && (vl != flen[i] || memcmp(v, first[i], vl))))
        fail("snapshot", k[i]);
      if (rc == DC_OK) dc_free(v);
      if (frc[i] == DC_OK) dc_free(first[i]);
    }
    /* An iterator at the snapshot sees keys in order, each value its own. */
    dc_iterator *it = dc_iter_new(db, s, NULL, 0, NULL, 0, NULL);
    char prev[32] = "";
    size_t prevlen = 0;
    int n = 0;
    for (dc_iter_seek_first(it); dc_iter_valid(it) && n < 300; dc_iter_next(it), n++) {
      size_t kl, vl;
      const char *key = dc_iter_key(it, &kl), *val = dc_iter_value(it, &vl);
      if (n && (kl == prevlen && memcmp(key, prev, kl) <= 0)) fail("iter", "out of order");
      if (!value_matches(key, kl, val, vl)) fail("iter", "value of another key");
      memcpy(prev, key, kl < sizeof prev ? kl : sizeof prev - 1);
      prevlen = kl;
    }
    if (dc_iter_status(it, NULL)) fail("iter", "status");
    dc_iter_free(it);
    dc_snapshot_release(db, s);
  }
  return NULL;
}

static void *tailer(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
    dc_tail *t;
    if (dc_tail_open(db, dc_last_sequence(db) + 1, &t, NULL) != DC_OK) continue;
    dc_wal_record r;
    uint64_t last = 0;
    for (int i = 0; i < 200 && !__atomic_load_n(&stop, __ATOMIC_RELAXED);) {
      int rc = dc_tail_next(t, &r, NULL);
      if (rc == DC_NOTFOUND) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        continue;
      }
      if (rc) { fail("tail", dc_code_name(rc)); break; }
      if (r.seq <= last) fail("tail", "sequence went back");
      last = r.seq + r.count - 1;
      dc_tail_release(t, last);
      i++;
    }
    dc_tail_close(t);
  }
  return NULL;
}

static void *maintainer(void *arg) {
  (void)arg;
  for (int i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
    dc_error err = {0};
    int rc = (i % 5 == 4) ? dc_compact(db, &err) : dc_flush(db, &err);
    if (rc) fail("flush/compact", err.message);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  dc_options opt;
  dc_options_init(&opt);
  opt.sync_mode = DC_SYNC_NONE;
  opt.memtable_bytes = 32 << 10;
  opt.level1_bytes = 128 << 10;
  opt.target_file_bytes = 32 << 10;
  opt.l0_compaction_trigger = 2;
  opt.cache_bytes = 256 << 10;
  dc_error err = {0};
  if (dc_open(argv[1], &opt, &db, &err)) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  void *(*fns[])(void *) = {writer, writer, writer, reader, reader, snapshotter, tailer, maintainer};
  enum { N = sizeof fns / sizeof fns[0] };
  pthread_t th[N];
  for (size_t i = 0; i < N; i++) pthread_create(&th[i], NULL, fns[i], (void *)(i + 1));
  struct timespec ts = {atoi(argv[2]), 0};
  nanosleep(&ts, NULL);
  __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
  for (size_t i = 0; i < N; i++) pthread_join(th[i], NULL);
  char *js;
  dc_stats(db, &js, NULL);
  printf("%s\n", js);
  dc_free(js);
  if (dc_close(db, &err)) {
    fprintf(stderr, "close: %s\n", err.message);
    return 1;
  }
  return failures ? 1 : 0;
}
