/* iter.c — generic internal iterators (iter.h): empty/error, merge, concat.
 *
 * Constructors never return NULL: when memory runs out they return an
 * iterator whose status is DC_NOMEM (a static one if even that cannot be
 * allocated; destroying it is a no-op).
 *
 * Errors are sticky: once a child reports an error (checked whenever a child
 * stops being valid), the merge or concat iterator stays invalid and status()
 * reports that first error. A merge never silently skips a broken child: a
 * missing tombstone would resurrect a deleted value.
 *
 * Not thread-safe (iter.h): one thread drives one iterator.
 */
#include "iter.h"

#include <stdlib.h>
#include <string.h>

#include "ikey.h"
#include "status.h"

#define IT_VALID(it) ((it)->vt->valid(it))

/* Remember the first error of `it` in *dst; returns 1 if `it` has one. */
static int save_error(dc_iter *it, dc_error *dst) {
  dc_error e = {DC_OK, ""};
  if (it->vt->status(it, &e) == DC_OK) return 0;
  if (e.code == DC_OK) dc_err_set(&e, DC_CORRUPT, "iterator failed without a message");
  dc_err_copy(dst, &e);
  return 1;
}

/* ---- empty ---- */

typedef struct empty_iter {
  dc_iter base;
  dc_error err;
} empty_iter;

static int ei_valid(dc_iter *it) { (void)it; return 0; }
static void ei_move(dc_iter *it) { (void)it; }
static void ei_seek(dc_iter *it, const char *k, size_t n) { (void)it; (void)k; (void)n; }
static const char *ei_none(dc_iter *it, size_t *n) {
  (void)it;
  *n = 0;
  return NULL;
}
static int ei_status(dc_iter *it, dc_error *err) {
  empty_iter *e = (empty_iter *)it;
  return dc_err_copy(err, &e->err);
}
static void ei_destroy(dc_iter *it);

static const dc_iter_vt empty_vt = {ei_valid, ei_move,   ei_move, ei_seek,   ei_move,
                                    ei_move,  ei_none,   ei_none, ei_status, ei_destroy};

static empty_iter nomem_iter = {{&empty_vt}, {DC_NOMEM, "out of memory"}};

static void ei_destroy(dc_iter *it) {
  if (it != &nomem_iter.base) free(it);
}

dc_iter *dc_iter_empty(int code, const char *msg) {
  empty_iter *e = malloc(sizeof *e);
  if (!e) return &nomem_iter.base;
  e->base.vt = &empty_vt;
  dc_err_clear(&e->err);
  if (code != DC_OK) dc_err_set(&e->err, code, "%s", msg ? msg : dc_code_name(code));
  return &e->base;
}

/* ---- merge ----
 *
 * Each child sits in a wrapper that caches valid/key, so picking the
 * smallest (largest) child is a scan over cached keys with no indirect
 * calls. Invariant while moving forward: every child is at its first entry
 * > the current key (or exhausted) except the current one; backward: at its
 * last entry < the current key. Changing direction re-establishes it by
 * seeking every other child to the current key. */

typedef struct child {
  dc_iter *it;
  const char *key;
  size_t klen;
  int valid;
} child;

enum { FORWARD, REVERSE };

typedef struct merge_iter {
  dc_iter base;
  int n;
  int dir;
  child *cur; /* NULL: no entry */
  dc_error err;
  child kids[];
} merge_iter;

/* Refresh c's cache after it moved. */
static void child_sync(merge_iter *m, child *c) {
  c->valid = IT_VALID(c->it);
  if (c->valid)
    c->key = c->it->vt->key(c->it, &c->klen);
  else if (m->err.code == DC_OK)
    save_error(c->it, &m->err);
}

static void find_smallest(merge_iter *m) {
  child *best = NULL;
  for (child *c = m->kids, *end = m->kids + m->n; c < end; c++)
    if (c->valid && (!best || dc_ikey_cmp(c->key, c->klen, best->key, best->klen) < 0)) best = c;
  m->cur = best;
}

static void find_largest(merge_iter *m) {
  child *best = NULL;
  for (child *c = m->kids, *end = m->kids + m->n; c < end; c++)
    if (c->valid && (!best || dc_ikey_cmp(c->key, c->klen, best->key, best->klen) > 0)) best = c;
  m->cur = best;
}

static int mg_valid(dc_iter *it) {
  merge_iter *m = (merge_iter *)it;
  return m->cur != NULL && m->err.code == DC_OK;
}

static void mg_seek_first(dc_iter *it) {
  merge_iter *m = (merge_iter *)it;
  for (int i = 0; i < m->n; i++) {
    m->kids[i].it->vt->seek_first(m->kids[i].it);
    child_sync(m, &m->kids[i]);
  }
  m->dir = FORWARD;
  find_smallest(m);
}

static void mg_seek_last(dc_iter *it) {
  merge_iter *m = (merge_iter *)it;
  for (int i = 0; i < m->n; i++) {
    m->kids[i].it->vt->seek_last(m->kids[i].it);
    child_sync(m, &m->kids[i]);
  }
  m->dir = REVERSE;
  find_largest(m);
}

static void mg_seek(dc_iter *it, const char *ikey, size_t n) {
  merge_iter *m = (merge_iter *)it;
  for (int i = 0; i < m->n; i++) {
    m->kids[i].it->vt->seek(m->kids[i].it, ikey, n);
    child_sync(m, &m->kids[i]);
  }
  m->dir = FORWARD;
  find_smallest(m);
}

/* Put every child but the current one at its first entry > the current key. */
static void turn_forward(merge_iter *m) {
  child *cur = m->cur;
  for (child *c = m->kids, *end = m->kids + m->n; c < end; c++) {
    if (c == cur) continue;
    c->it->vt->seek(c->it, cur->key, cur->klen);
    child_sync(m, c);
    if (c->valid && dc_ikey_cmp(cur->key, cur->klen, c->key, c->klen) == 0) {
      c->it->vt->next(c->it);
      child_sync(m, c);
    }
  }
  m->dir = FORWARD;
}

/* Put every child but the current one at its last entry < the current key. */
static void turn_reverse(merge_iter *m) {
  child *cur = m->cur;
  for (child *c = m->kids, *end = m->kids + m->n; c < end; c++) {
    if (c == cur) continue;
    c->it->vt->seek(c->it, cur->key, cur->klen);
    child_sync(m, c);
    if (c->valid)
      c->it->vt->prev(c->it); /* the first entry >= key; step before it */
    else
      c->it->vt->seek_last(c->it); /* every entry is < key */
    child_sync(m, c);
  }
  m->dir = REVERSE;
}

static void mg_next(dc_iter *it) {
  merge_iter *m = (merge_iter *)it;
  DC_ASSERT(mg_valid(it));
  if (m->dir != FORWARD) turn_forward(m);
  m->cur->it->vt->next(m->cur->it);
  child_sync(m, m->cur);
  find_smallest(m);
}

static void mg_prev(dc_iter *it) {
  merge_iter *m = (merge_iter *)it;
  DC_ASSERT(mg_valid(it));
  if (m->dir != REVERSE) turn_reverse(m);
  m->cur->it->vt->prev(m->cur->it);
  child_sync(m, m->cur);
  find_largest(m);
}

static const char *mg_key(dc_iter *it, size_t *n) {
  merge_iter *m = (merge_iter *)it;
  DC_ASSERT(mg_valid(it));
  *n = m->cur->klen;
  return m->cur->key;
}

static const char *mg_value(dc_iter *it, size_t *n) {
  merge_iter *m = (merge_iter *)it;
  DC_ASSERT(mg_valid(it));
  return m->cur->it->vt->value(m->cur->it, n);
}

/* The sticky error, else the first child that reports one. */
static int mg_status(dc_iter *it, dc_error *err) {
  merge_iter *m = (merge_iter *)it;
  if (m->err.code != DC_OK) return dc_err_copy(err, &m->err);
  for (int i = 0; i < m->n; i++)
    if (save_error(m->kids[i].it, &m->err)) return dc_err_copy(err, &m->err);
  return DC_OK;
}

static void mg_destroy(dc_iter *it) {
  merge_iter *m = (merge_iter *)it;
  for (int i = 0; i < m->n; i++) m->kids[i].it->vt->destroy(m->kids[i].it);
  free(m);
}

static const dc_iter_vt merge_vt = {mg_valid, mg_seek_first, mg_seek_last, mg_seek,
                                    mg_next,  mg_prev,       mg_key,       mg_value,
                                    mg_status, mg_destroy};

dc_iter *dc_merge_iter_new(dc_iter **children, int n) {
  if (n <= 0) return dc_iter_empty(DC_OK, NULL);
  if (n == 1) return children[0];
  merge_iter *m = malloc(sizeof *m + (size_t)n * sizeof(child));
  if (!m) {
    for (int i = 0; i < n; i++) children[i]->vt->destroy(children[i]);
    return dc_iter_empty(DC_NOMEM, "merge iterator: out of memory");
  }
  m->base.vt = &merge_vt;
  m->n = n;
  m->dir = FORWARD;
  m->cur = NULL;
  dc_err_clear(&m->err);
  for (int i = 0; i < n; i++) {
    DC_ASSERT(children[i]);
    m->kids[i] = (child){children[i], NULL, 0, 0};
  }
  return &m->base;
}

/* ---- concat ----
 *
 * At most one child is open: `cur`, child number `idx`. A seek binary-searches
 * largest[] for the first child that can hold the target; moving off either
 * end of a child opens its neighbour (destroying the old one), skipping
 * children that turn out empty. Running off either end of the whole sequence
 * closes the child. */

typedef struct concat_iter {
  dc_iter base;
  int n;
  int idx;     /* index of cur; -1 when none is open */
  dc_iter *cur;
  dc_iter *(*open_child)(void *arg, int i);
  void *arg;
  const char *const *largest;
  const size_t *largest_len;
  void (*release)(void *arg);
  dc_error err;
} concat_iter;

static void cc_close(concat_iter *c) {
  if (c->cur) c->cur->vt->destroy(c->cur);
  c->cur = NULL;
  c->idx = -1;
}

/* Make child i the open one; returns 0, or -1 (error recorded). */
static int cc_open(concat_iter *c, int i) {
  if (c->cur && c->idx == i) return 0;
  cc_close(c);
  dc_iter *it = c->open_child(c->arg, i);
  if (!it) return dc_err_set(&c->err, DC_NOMEM, "concat iterator: opening child %d failed", i), -1;
  c->cur = it;
  c->idx = i;
  return 0;
}

/* 1 (error recorded, iterator stops) if the open child, not valid, failed. */
static int cc_failed(concat_iter *c) { return save_error(c->cur, &c->err); }

static void skip_forward(concat_iter *c) {
  while (c->cur && !IT_VALID(c->cur)) {
    if (cc_failed(c)) return;
    if (c->idx + 1 >= c->n) {
      cc_close(c);
      return;
    }
    if (cc_open(c, c->idx + 1)) return;
    c->cur->vt->seek_first(c->cur);
  }
}

static void skip_backward(concat_iter *c) {
  while (c->cur && !IT_VALID(c->cur)) {
    if (cc_failed(c)) return;
    if (c->idx <= 0) {
      cc_close(c);
      return;
    }
    if (cc_open(c, c->idx - 1)) return;
    c->cur->vt->seek_last(c->cur);
  }
}

static int cc_valid(dc_iter *it) {
  concat_iter *c = (concat_iter *)it;
  return c->cur && c->err.code == DC_OK && IT_VALID(c->cur);
}

static void cc_seek_first(dc_iter *it) {
  concat_iter *c = (concat_iter *)it;
  if (c->err.code != DC_OK || c->n == 0 || cc_open(c, 0)) return;
  c->cur->vt->seek_first(c->cur);
  skip_forward(c);
}

static void cc_seek_last(dc_iter *it) {
  concat_iter *c = (concat_iter *)it;
  if (c->err.code != DC_OK || c->n == 0 || cc_open(c, c->n - 1)) return;
  c->cur->vt->seek_last(c->cur);
  skip_backward(c);
}

/* First child whose largest key is >= ikey; n if none. */
static int find_child(const concat_iter *c, const char *ikey, size_t n) {
  int lo = 0, hi = c->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (dc_ikey_cmp(c->largest[mid], c->largest_len[mid], ikey, n) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static void cc_seek(dc_iter *it, const char *ikey, size_t n) {
  concat_iter *c = (concat_iter *)it;
  if (c->err.code != DC_OK) return;
  int i = find_child(c, ikey, n);
  if (i >= c->n) {
    cc_close(c);
    return;
  }
  if (cc_open(c, i)) return;
  c->cur->vt->seek(c->cur, ikey, n);
  skip_forward(c);
}

static void cc_next(dc_iter *it) {
  concat_iter *c = (concat_iter *)it;
  DC_ASSERT(cc_valid(it));
  c->cur->vt->next(c->cur);
  skip_forward(c);
}

static void cc_prev(dc_iter *it) {
  concat_iter *c = (concat_iter *)it;
  DC_ASSERT(cc_valid(it));
  c->cur->vt->prev(c->cur);
  skip_backward(c);
}

static const char *cc_key(dc_iter *it, size_t *n) {
  concat_iter *c = (concat_iter *)it;
  DC_ASSERT(cc_valid(it));
  return c->cur->vt->key(c->cur, n);
}

static const char *cc_value(dc_iter *it, size_t *n) {
  concat_iter *c = (concat_iter *)it;
  DC_ASSERT(cc_valid(it));
  return c->cur->vt->value(c->cur, n);
}

static int cc_status(dc_iter *it, dc_error *err) {
  concat_iter *c = (concat_iter *)it;
  if (c->err.code == DC_OK && c->cur) save_error(c->cur, &c->err);
  return dc_err_copy(err, &c->err);
}

static void cc_destroy(dc_iter *it) {
  concat_iter *c = (concat_iter *)it;
  cc_close(c);
  if (c->release) c->release(c->arg);
  free(c);
}

static const dc_iter_vt concat_vt = {cc_valid, cc_seek_first, cc_seek_last, cc_seek,
                                     cc_next,  cc_prev,       cc_key,       cc_value,
                                     cc_status, cc_destroy};

dc_iter *dc_concat_iter_new(int n, dc_iter *(*open_child)(void *arg, int i), void *arg,
                            const char *const *largest, const size_t *largest_len,
                            void (*release)(void *arg)) {
  concat_iter *c = malloc(sizeof *c);
  if (!c) {
    if (release) release(arg); /* the caller handed arg over either way */
    return dc_iter_empty(DC_NOMEM, "concat iterator: out of memory");
  }
  c->base.vt = &concat_vt;
  c->n = n < 0 ? 0 : n;
  c->idx = -1;
  c->cur = NULL;
  c->open_child = open_child;
  c->arg = arg;
  c->largest = largest;
  c->largest_len = largest_len;
  c->release = release;
  dc_err_clear(&c->err);
  return &c->base;
}
