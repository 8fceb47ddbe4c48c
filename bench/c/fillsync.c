/* fillsync.c — durable single puts from N C threads (no Python, no GIL):
 * shows what group commit does on its own.
 *
 *   cc -O2 -pthread -Icsrc bench/c/fillsync.c csrc/[a-z]*.c -ldl -o /tmp/fillsync
 *   /tmp/fillsync DIR THREADS OPS_TOTAL
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dyncore.h"

static dc_db *db;
static int per_thread;

static void *writer(void *arg) {
  long t = (long)arg;
  char key[32], val[100];
  memset(val, 'v', sizeof val);
  for (int i = 0; i < per_thread; i++) {
    int n = snprintf(key, sizeof key, "t%02ld-%08d", t, i);
    dc_error err = {0};
    if (dc_put(db, key, (size_t)n, val, sizeof val, &err) != DC_OK) {
      fprintf(stderr, "put: %s\n", err.message);
      exit(1);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s DIR THREADS OPS_TOTAL\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[2]);
  per_thread = atoi(argv[3]) / threads;
  dc_options opt;
  dc_options_init(&opt);
  opt.sync_mode = DC_SYNC_COMMIT;
  dc_error err = {0};
  if (dc_open(argv[1], &opt, &db, &err) != DC_OK) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  pthread_t th[256];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long t = 0; t < threads; t++) pthread_create(&th[t], NULL, writer, (void *)t);
  for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  char *js;
  dc_stats(db, &js, NULL);
  char *g = strstr(js, "\"write_groups\":");
  printf("%d threads: %.0f puts/s (%s)\n", threads, per_thread * threads / s, g ? strtok(g, ",") : "");
  dc_free(js);
  dc_close(db, NULL);
  return 0;
}
