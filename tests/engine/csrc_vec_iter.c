/* csrc_vec_iter.c — test only: a dc_iter over an array of internal keys.
 *
 * test_vec_iter_new copies its input and sorts it in internal-key order
 * (ikey.h), so a test may pass entries in any order (keys shorter than a
 * trailer are allowed, to provoke corruption). test_vec_iter_fail_at
 * makes the iterator fail (invalid, status = code) as soon as a move lands on
 * entry `index` of the sorted array; the failure is sticky. test_vec_iter_live
 * counts iterators not yet destroyed, so tests can check ownership.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikey.h"
#include "iter.h"
#include "status.h"

typedef struct {
  char *k, *v;
  size_t kn, vn;
} ventry;

typedef struct {
  dc_iter base;
  ventry *e;
  int n, pos; /* pos == -1 or n: invalid */
  int fail_at, fail_code, failed;
} vec_iter;

static int live_count;

/* Internal-key order; a malformed key (shorter than a trailer, which tests
 * use to provoke corruption) compares bytewise. */
static int key_cmp(const char *a, size_t an, const char *b, size_t bn) {
  if (an < DC_IKEY_TRAILER || bn < DC_IKEY_TRAILER) return dc_bytes_cmp(a, an, b, bn);
  return dc_ikey_cmp(a, an, b, bn);
}

static int ent_cmp(const void *a, const void *b) {
  const ventry *x = a, *y = b;
  return key_cmp(x->k, x->kn, y->k, y->kn);
}

static void land(vec_iter *v, int pos) {
  v->pos = pos;
  if (v->fail_code && pos == v->fail_at) v->failed = 1;
  if (v->failed) v->pos = -1;
}

static int vi_valid(dc_iter *it) {
  vec_iter *v = (vec_iter *)it;
  return v->pos >= 0 && v->pos < v->n;
}
static void vi_seek_first(dc_iter *it) { land((vec_iter *)it, 0); }
static void vi_seek_last(dc_iter *it) {
  vec_iter *v = (vec_iter *)it;
  land(v, v->n - 1);
}
static void vi_seek(dc_iter *it, const char *ikey, size_t n) {
  vec_iter *v = (vec_iter *)it;
  int lo = 0, hi = v->n; /* first entry >= ikey */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (key_cmp(v->e[mid].k, v->e[mid].kn, ikey, n) < 0) lo = mid + 1;
    else hi = mid;
  }
  land(v, lo);
}
static void vi_next(dc_iter *it) {
  vec_iter *v = (vec_iter *)it;
  if (!vi_valid(it)) abort(); /* REQUIRES: valid */
  land(v, v->pos + 1);
}
static void vi_prev(dc_iter *it) {
  vec_iter *v = (vec_iter *)it;
  if (!vi_valid(it)) abort();
  land(v, v->pos - 1);
}
static const char *vi_key(dc_iter *it, size_t *n) {
  vec_iter *v = (vec_iter *)it;
  if (!vi_valid(it)) abort();
  *n = v->e[v->pos].kn;
  return v->e[v->pos].k;
}
static const char *vi_value(dc_iter *it, size_t *n) {
  vec_iter *v = (vec_iter *)it;
  if (!vi_valid(it)) abort();
  *n = v->e[v->pos].vn;
  return v->e[v->pos].v;
}
static int vi_status(dc_iter *it, dc_error *err) {
  vec_iter *v = (vec_iter *)it;
  if (!v->failed) return DC_OK;
  return dc_err_set(err, v->fail_code, "vec iter: injected failure at entry %d", v->fail_at);
}
static void vi_destroy(dc_iter *it) {
  vec_iter *v = (vec_iter *)it;
  for (int i = 0; i < v->n; i++) {
    free(v->e[i].k);
    free(v->e[i].v);
  }
  free(v->e);
  free(v);
  live_count--;
}

static const dc_iter_vt vec_vt = {vi_valid, vi_seek_first, vi_seek_last, vi_seek, vi_next,
                                  vi_prev,  vi_key,        vi_value,     vi_status, vi_destroy};

static char *dup_bytes(const char *p, size_t n) {
  char *d = malloc(n ? n : 1);
  if (d && n) memcpy(d, p, n);
  return d;
}

dc_iter *test_vec_iter_new(int n, const char **keys, size_t *klens, const char **vals,
                           size_t *vlens) {
  vec_iter *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->base.vt = &vec_vt;
  v->e = calloc((size_t)(n > 0 ? n : 1), sizeof *v->e);
  if (!v->e) { free(v); return NULL; }
  for (int i = 0; i < n; i++) {
    v->e[i].k = dup_bytes(keys[i], klens[i]);
    v->e[i].kn = klens[i];
    v->e[i].v = dup_bytes(vals[i], vlens[i]);
    v->e[i].vn = vlens[i];
    if (!v->e[i].k || !v->e[i].v) abort();
  }
  v->n = n;
  v->pos = -1;
  qsort(v->e, (size_t)n, sizeof *v->e, ent_cmp);
  live_count++;
  return &v->base;
}

void test_vec_iter_fail_at(dc_iter *it, int index, int code) {
  vec_iter *v = (vec_iter *)it;
  v->fail_at = index;
  v->fail_code = code;
}

int test_vec_iter_live(void) { return live_count; }
