/* shared_stress.c — several stores sharing one small block cache, from many
 * threads: writers, readers and iterators on three stores that stay open,
 * flushes and compactions on them, and a thread that opens, fills, reads and
 * closes a fourth store again and again (with readers of its own while it is
 * open) while the others keep reading from the cache. Built by
 * test_shared_cache.py, optionally with -fsanitize=thread (DYNCORE_TSAN=1)
 * or address,undefined (DYNCORE_SANITIZE=1; leak checking on: the cache must
 * be freed by the last dc_close, after main dropped its reference).
 *
 * All stores use the same options, so they number their files alike: a value
 * is "<store>:<key>=<version>", and a reader checks both the key and the
 * store, which catches a block of another store answering.
 *
 *   shared_stress DIR SECONDS CACHE_BYTES
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dyncore.h"

#define KEYS 1500
#define NDB 3 /* stores that stay open; the cycled one is number NDB */

static dc_shared_cache *cache;
static dc_db *dbs[NDB];
static char dir[4096];
static int stop; /* atomic */
static int failures;
static uint64_t cycles, cycle_reads; /* written by the cycler only */

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "FAIL %s: %s\n", what, detail);
  __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static int stopped(void) { return __atomic_load_n(&stop, __ATOMIC_RELAXED); }

static void options(dc_options *opt) {
  dc_options_init(opt);
  opt->sync_mode = DC_SYNC_NONE;
  opt->memtable_bytes = 32 << 10;
  opt->level1_bytes = 128 << 10;
  opt->target_file_bytes = 32 << 10;
  opt->l0_compaction_trigger = 2;
  opt->compression_level = 0;
  opt->block_bytes = 1024;
  opt->shared_cache = cache;
}

static int mkkey(char *buf, unsigned r) { return sprintf(buf, "key%05u", r % KEYS); }

/* "<store>:<key>=..." */
static int value_ok(int store, const char *k, size_t kl, const char *v, size_t vl) {
  char prefix[16];
  int pl = sprintf(prefix, "%d:", store);
  return vl > (size_t)pl + kl && memcmp(v, prefix, (size_t)pl) == 0 &&
         memcmp(v + pl, k, kl) == 0 && v[pl + kl] == '=';
}

static void put(dc_db *db, int store, const char *k, int kl, unsigned ver) {
  char v[128];
  int vl = snprintf(v, sizeof v, "%d:%.*s=%u-%0*d", store, kl, k, ver, 40, 0);
  dc_error err = {0};
  if (dc_put(db, k, (size_t)kl, v, (size_t)vl, &err)) fail("put", err.message);
}

static void get_check(dc_db *db, int store, unsigned r) {
  char k[32];
  int kl = mkkey(k, r);
  char *v;
  size_t vl;
  dc_error err = {0};
  int rc = dc_get(db, NULL, k, (size_t)kl, &v, &vl, &err);
  if (rc == DC_OK) {
    if (!value_ok(store, k, (size_t)kl, v, vl)) fail("get", "value of another key or store");
    dc_free(v);
  } else if (rc != DC_NOTFOUND) {
    fail("get", err.message);
  }
}

static void scan_check(dc_db *db, int store, int limit) {
  dc_iterator *it = dc_iter_new(db, NULL, NULL, 0, NULL, 0, NULL);
  if (!it) { fail("iter", "new"); return; }
  int n = 0;
  for (dc_iter_seek_first(it); dc_iter_valid(it) && n < limit; dc_iter_next(it), n++) {
    size_t kl, vl;
    const char *key = dc_iter_key(it, &kl), *val = dc_iter_value(it, &vl);
    if (!value_ok(store, key, kl, val, vl)) fail("iter", "value of another key or store");
  }
  if (dc_iter_status(it, NULL)) fail("iter", "status");
  dc_iter_free(it);
}

static void *writer(void *arg) {
  int store = (int)(size_t)arg;
  unsigned seed = (unsigned)store * 7919u + 1;
  char k[32];
  for (unsigned i = 0; !stopped(); i++) {
    int kl = mkkey(k, rand_r(&seed));
    put(dbs[store], store, k, kl, i);
  }
  return NULL;
}

static void *reader(void *arg) {
  int store = (int)(size_t)arg;
  unsigned seed = (unsigned)store * 104729u + 3;
  for (int i = 0; !stopped(); i++) {
    if (i % 200 == 199) scan_check(dbs[store], store, 400);
    else get_check(dbs[store], store, rand_r(&seed));
  }
  return NULL;
}

static void *maintainer(void *arg) {
  (void)arg;
  for (int i = 0; !stopped(); i++) {
    dc_error err = {0};
    dc_db *db = dbs[i % NDB];
    int rc = (i % 7 == 6) ? dc_compact(db, &err) : dc_flush(db, &err);
    if (rc) fail("flush/compact", err.message);
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* Readers of the cycled store while it is open. */
typedef struct cycle_reader_arg {
  dc_db *db;
  int store;
  unsigned seed;
  int *done; /* atomic */
} cycle_reader_arg;

static void *cycle_reader(void *arg) {
  cycle_reader_arg *a = arg;
  while (!__atomic_load_n(a->done, __ATOMIC_RELAXED)) {
    get_check(a->db, a->store, rand_r(&a->seed));
    __atomic_add_fetch(&cycle_reads, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

static void *cycler(void *arg) {
  (void)arg;
  char path[4200];
  snprintf(path, sizeof path, "%s/db%d", dir, NDB);
  for (unsigned c = 0; !stopped(); c++) {
    dc_options opt;
    options(&opt);
    dc_db *db;
    dc_error err = {0};
    if (dc_open(path, &opt, &db, &err)) { fail("cycle open", err.message); break; }
    char k[32];
    for (unsigned i = 0; i < 400; i++) {
      int kl = mkkey(k, i * 7 + c);
      put(db, NDB, k, kl, c);
    }
    if (dc_flush(db, &err)) fail("cycle flush", err.message);
    int done = 0;
    cycle_reader_arg ra[2] = {{db, NDB, c * 2 + 1, &done}, {db, NDB, c * 2 + 2, &done}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, cycle_reader, &ra[i]);
    scan_check(db, NDB, KEYS);
    if (c % 4 == 3 && dc_compact(db, &err)) fail("cycle compact", err.message);
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
    __atomic_store_n(&done, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    if (dc_close(db, &err)) fail("cycle close", err.message);
    cycles++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  snprintf(dir, sizeof dir, "%s", argv[1]);
  uint64_t cap = strtoull(argv[3], NULL, 10);
  dc_error err = {0};
  if (dc_shared_cache_open(cap, &cache, &err)) {
    fprintf(stderr, "cache: %s\n", err.message);
    return 1;
  }
  char path[4200];
  for (int i = 0; i < NDB; i++) {
    dc_options opt;
    options(&opt);
    snprintf(path, sizeof path, "%s/db%d", dir, i);
    if (dc_open(path, &opt, &dbs[i], &err)) {
      fprintf(stderr, "open: %s\n", err.message);
      return 1;
    }
  }
  pthread_t th[2 * NDB + 2];
  int n = 0;
  for (int i = 0; i < NDB; i++) {
    pthread_create(&th[n++], NULL, writer, (void *)(size_t)i);
    pthread_create(&th[n++], NULL, reader, (void *)(size_t)i);
  }
  pthread_create(&th[n++], NULL, maintainer, NULL);
  pthread_create(&th[n++], NULL, cycler, NULL);
  struct timespec ts = {atoi(argv[2]), 0};
  nanosleep(&ts, NULL);
  __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);

  /* Every read done and nothing pinned: usage is within the budget. */
  char *cjs, *djs;
  if (dc_shared_cache_stats(cache, &cjs, &err) || dc_stats(dbs[0], &djs, &err)) {
    fprintf(stderr, "stats: %s\n", err.message);
    return 1;
  }
  printf("{\"cache\":%s,\"db0\":%s,\"cycles\":%llu,\"cycle_reads\":%llu}\n", cjs, djs,
         (unsigned long long)cycles, (unsigned long long)cycle_reads);
  dc_free(cjs);
  dc_free(djs);
  /* Drop main's reference first: the last dc_close frees the cache (a leak
   * or a use after free shows under the sanitizers). */
  dc_shared_cache_unref(cache);
  for (int i = 0; i < NDB; i++) {
    if (dc_close(dbs[i], &err)) {
      fprintf(stderr, "close: %s\n", err.message);
      return 1;
    }
  }
  return failures ? 1 : 0;
}
