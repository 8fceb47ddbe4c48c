/* dbiter.c — the user-facing iterator (see dbiter.h).
 *
 * Theory of operation (the scheme of LevelDB's DBIter, with bounds).
 *
 * The internal iterator yields every version of every user key: user keys
 * ascending, and within a user key the newest version (highest sequence
 * number) first. A version is visible if its seq <= snap; a user key is
 * visible if its newest visible version is a put.
 *
 * The iterator has a direction, and what the internal iterator points at
 * depends on it:
 *   FWD: the internal iterator is at the entry being yielded (the newest
 *        visible version of the current user key); key and value point into
 *        the internal iterator.
 *   REV: the internal iterator is just before every entry of the current user
 *        key (at an older user key, or invalid); key and value are copies in
 *        `skey` / `sval`, since the internal iterator has moved past them.
 * Moving forward from an entry means skipping every remaining entry of the
 * same user key (`skey` remembers which), and every entry of a user key whose
 * newest visible version is a tombstone. Moving backward walks entries from
 * oldest to newest version of each user key, so the last visible one seen
 * before reaching a smaller user key is the newest: it is copied, and a
 * tombstone cancels what was copied. A direction switch first moves the
 * internal iterator across the current user key's entries.
 *
 * Bounds: [lower, upper). seek clamps its target up to lower, seek_for_prev
 * down to just below upper; moving forward stops at the first user key >=
 * upper, backward at the first < lower, without reading further.
 *
 * Errors: a malformed internal key (shorter than its trailer, or an unknown
 * kind) is DC_CORRUPT; an internal iterator that turns invalid is asked for
 * its status. Either error is sticky: the iterator stays invalid, whatever is
 * called next, and dc_dbiter_status reports the first error.
 */
#include <stdlib.h>
#include <string.h>

#include "dbiter.h"
#include "ikey.h"
#include "status.h"

enum { FWD = 0, REV = 1 };

struct dc_dbiter {
  dc_iter *in;
  uint64_t snap;
  dc_buf lower, upper;
  int has_lower, has_upper;
  int dir, valid;
  dc_buf skey, sval; /* REV: current key/value; FWD: the user key to skip */
  dc_buf target;     /* scratch for building internal seek keys */
  dc_error status;   /* sticky first error */
  void (*cleanup)(void *arg);
  void *arg;
};

typedef struct {
  const char *ukey;
  size_t ulen;
  uint64_t seq;
  int kind;
} parsed;

static int failed(const dc_dbiter *it) { return it->status.code != DC_OK; }

static void fail(dc_dbiter *it, int code, const char *msg) {
  dc_err_set(&it->status, code, "iterator: %s", msg);
  it->valid = 0;
}

/* Read the internal iterator's entry; 0 on success, else the iterator failed. */
static int parse(dc_dbiter *it, parsed *p) {
  size_t n;
  const char *k = it->in->vt->key(it->in, &n);
  if (n < DC_IKEY_TRAILER) { fail(it, DC_CORRUPT, "internal key shorter than its trailer"); return -1; }
  uint64_t t = dc_ikey_trailer(k, n);
  p->ukey = k;
  p->ulen = dc_ikey_ulen(n);
  p->seq = t >> 8;
  p->kind = (int)(t & 0xff);
  if (p->kind != DC_KIND_PUT && p->kind != DC_KIND_DEL) {
    fail(it, DC_CORRUPT, "internal key of unknown kind");
    return -1;
  }
  return 0;
}

/* Is the internal iterator on an entry? If not, take over its error, if any. */
static int in_valid(dc_dbiter *it) {
  if (it->in->vt->valid(it->in)) return 1;
  dc_error e = {0};
  if (it->in->vt->status(it->in, &e) != DC_OK) {
    if (e.code == DC_OK) e.code = DC_IOERR; /* a status() that forgot to fill err */
    dc_err_copy(&it->status, &e);
  }
  return 0;
}

static int save(dc_dbiter *it, dc_buf *b, const char *p, size_t n) {
  b->len = 0;
  if (dc_buf_append(b, p, n)) { fail(it, DC_NOMEM, "out of memory"); return -1; }
  return 0;
}

/* Build (ukey, seq, kind) in it->target; 0 on success. */
static int make_target(dc_dbiter *it, const char *ukey, size_t ulen, int add_zero, uint64_t seq) {
  it->target.len = 0;
  if (dc_buf_reserve(&it->target, ulen + 1 + DC_IKEY_TRAILER)) {
    fail(it, DC_NOMEM, "out of memory");
    return -1;
  }
  if (ulen) memcpy(it->target.data, ukey, ulen);
  it->target.len = ulen;
  if (add_zero) it->target.data[it->target.len++] = 0;
  dc_ikey_append(&it->target, NULL, 0, seq, DC_KIND_SEEK); /* room reserved above */
  return 0;
}

static int below_lower(const dc_dbiter *it, const char *k, size_t n) {
  return it->has_lower && dc_bytes_cmp(k, n, it->lower.data, it->lower.len) < 0;
}
static int at_or_above_upper(const dc_dbiter *it, const char *k, size_t n) {
  return it->has_upper && dc_bytes_cmp(k, n, it->upper.data, it->upper.len) >= 0;
}

/* FWD: from the internal position on, find the first entry to yield. With
 * skipping, entries of user keys <= skey are passed over. */
static void find_next(dc_dbiter *it, int skipping) {
  it->dir = FWD;
  while (in_valid(it)) {
    parsed p;
    if (parse(it, &p)) return;
    if (at_or_above_upper(it, p.ukey, p.ulen)) break;
    if (p.seq <= it->snap) {
      if (skipping && dc_bytes_cmp(p.ukey, p.ulen, it->skey.data, it->skey.len) <= 0) {
        /* an older version of a key already yielded or deleted */
      } else if (p.kind == DC_KIND_DEL) {
        if (save(it, &it->skey, p.ukey, p.ulen)) return;
        skipping = 1;
      } else {
        it->valid = 1;
        return;
      }
    }
    it->in->vt->next(it->in);
  }
  it->valid = 0;
}

/* REV: from the internal position backward, find the newest visible version
 * of the first visible user key and copy it into skey/sval. */
static void find_prev(dc_dbiter *it) {
  it->dir = REV;
  int kind = DC_KIND_DEL; /* of what skey/sval hold: DEL means nothing */
  while (in_valid(it)) {
    parsed p;
    if (parse(it, &p)) return;
    if (below_lower(it, p.ukey, p.ulen)) break;
    if (p.seq <= it->snap) {
      if (kind != DC_KIND_DEL && dc_bytes_cmp(p.ukey, p.ulen, it->skey.data, it->skey.len) < 0)
        break; /* reached an older user key: skey's newest version is held */
      kind = p.kind;
      if (kind == DC_KIND_DEL) {
        it->skey.len = it->sval.len = 0;
      } else {
        size_t vn;
        const char *v = it->in->vt->value(it->in, &vn);
        if (save(it, &it->skey, p.ukey, p.ulen) || save(it, &it->sval, v, vn)) return;
      }
    }
    it->in->vt->prev(it->in);
  }
  if (failed(it) || kind == DC_KIND_DEL) {
    it->valid = 0;
    it->dir = FWD;
    it->skey.len = it->sval.len = 0;
  } else {
    it->valid = 1;
  }
}

/* Position the internal iterator on the last entry < target (internal order),
 * then find the previous user entry from there. */
static void rev_before_target(dc_dbiter *it) {
  it->in->vt->seek(it->in, it->target.data, it->target.len);
  if (in_valid(it)) {
    it->in->vt->prev(it->in);
  } else {
    if (failed(it)) return;
    it->in->vt->seek_last(it->in); /* every entry is < target */
  }
  find_prev(it);
}

static int bail(dc_dbiter *it) {
  if (!failed(it)) return 0;
  it->valid = 0;
  return 1;
}

dc_dbiter *dc_dbiter_new(dc_iter *internal, uint64_t snap_seq, const char *lower,
                         size_t lower_len, const char *upper, size_t upper_len,
                         void (*cleanup)(void *arg), void *arg) {
  /* On failure (out of memory) `internal` is destroyed, as we own it, but
   * cleanup is not run: arg is still the caller's (api.c relies on this). */
  dc_dbiter *it = calloc(1, sizeof *it);
  if (!it) {
    if (internal) internal->vt->destroy(internal);
    return NULL;
  }
  it->in = internal;
  it->snap = snap_seq > DC_MAX_SEQ ? DC_MAX_SEQ : snap_seq;
  it->has_lower = lower != NULL;
  it->has_upper = upper != NULL;
  /* dc_buf_append with n = 0 leaves data NULL; reserve 1 so bounds are non-NULL. */
  if ((lower && (dc_buf_reserve(&it->lower, 1) || dc_buf_append(&it->lower, lower, lower_len))) ||
      (upper && (dc_buf_reserve(&it->upper, 1) || dc_buf_append(&it->upper, upper, upper_len)))) {
    dc_dbiter_free(it); /* cleanup not set yet */
    return NULL;
  }
  it->cleanup = cleanup;
  it->arg = arg;
  return it;
}

void dc_dbiter_seek(dc_dbiter *it, const char *key, size_t klen) {
  it->valid = 0;
  if (bail(it)) return;
  if (it->has_lower && dc_bytes_cmp(key, klen, it->lower.data, it->lower.len) < 0) {
    key = it->lower.data;
    klen = it->lower.len;
  }
  if (make_target(it, key, klen, 0, it->snap)) return;
  it->in->vt->seek(it->in, it->target.data, it->target.len);
  find_next(it, 0);
}

void dc_dbiter_seek_first(dc_dbiter *it) {
  it->valid = 0;
  if (bail(it)) return;
  if (it->has_lower) {
    dc_dbiter_seek(it, it->lower.data, it->lower.len);
    return;
  }
  it->in->vt->seek_first(it->in);
  find_next(it, 0);
}

void dc_dbiter_seek_last(dc_dbiter *it) {
  it->valid = 0;
  if (bail(it)) return;
  if (it->has_upper) {
    /* The first entry of `upper` at any seq: everything before it is < upper. */
    if (make_target(it, it->upper.data, it->upper.len, 0, DC_MAX_SEQ)) return;
    rev_before_target(it);
    return;
  }
  it->in->vt->seek_last(it->in);
  find_prev(it);
}

void dc_dbiter_seek_for_prev(dc_dbiter *it, const char *key, size_t klen) {
  it->valid = 0;
  if (bail(it)) return;
  if (at_or_above_upper(it, key, klen)) {
    dc_dbiter_seek_last(it);
    return;
  }
  /* key + "\0" is the smallest user key > key: everything before its first
   * entry has a user key <= key. */
  if (make_target(it, key, klen, 1, DC_MAX_SEQ)) return;
  rev_before_target(it);
}

void dc_dbiter_next(dc_dbiter *it) {
  DC_ASSERT(it->valid);
  if (!it->valid || bail(it)) return;
  if (it->dir == REV) {
    /* The internal iterator is before skey's entries: step onto them, then
     * past them (skey holds the key to skip). */
    if (in_valid(it)) it->in->vt->next(it->in);
    else if (failed(it)) { it->valid = 0; return; }
    else it->in->vt->seek_first(it->in);
  } else {
    size_t n;
    const char *k = it->in->vt->key(it->in, &n);
    if (save(it, &it->skey, k, dc_ikey_ulen(n))) return;
    it->in->vt->next(it->in);
  }
  find_next(it, 1);
}

void dc_dbiter_prev(dc_dbiter *it) {
  DC_ASSERT(it->valid);
  if (!it->valid || bail(it)) return;
  if (it->dir == FWD) {
    /* Step back across every entry of the current user key. */
    size_t n;
    const char *k = it->in->vt->key(it->in, &n);
    if (save(it, &it->skey, k, dc_ikey_ulen(n))) return;
    for (;;) {
      it->in->vt->prev(it->in);
      if (!in_valid(it)) {
        it->valid = 0;
        it->skey.len = it->sval.len = 0;
        return;
      }
      parsed p;
      if (parse(it, &p)) return;
      if (dc_bytes_cmp(p.ukey, p.ulen, it->skey.data, it->skey.len) < 0) break;
    }
  }
  find_prev(it);
}

int dc_dbiter_valid(const dc_dbiter *it) { return it->valid; }

const char *dc_dbiter_key(const dc_dbiter *it, size_t *klen) {
  DC_ASSERT(it->valid);
  if (it->dir == REV) {
    *klen = it->skey.len;
    return it->skey.data ? it->skey.data : "";
  }
  size_t n;
  const char *k = it->in->vt->key(it->in, &n);
  *klen = dc_ikey_ulen(n);
  return k;
}

const char *dc_dbiter_value(const dc_dbiter *it, size_t *vlen) {
  DC_ASSERT(it->valid);
  if (it->dir == REV) {
    *vlen = it->sval.len;
    return it->sval.data ? it->sval.data : "";
  }
  return it->in->vt->value(it->in, vlen);
}

int dc_dbiter_status(const dc_dbiter *it, dc_error *err) {
  if (failed(it)) return dc_err_copy(err, &it->status);
  return it->in->vt->status(it->in, err);
}

void dc_dbiter_free(dc_dbiter *it) {
  if (!it) return;
  if (it->in) it->in->vt->destroy(it->in);
  if (it->cleanup) it->cleanup(it->arg);
  dc_buf_free(&it->lower);
  dc_buf_free(&it->upper);
  dc_buf_free(&it->skey);
  dc_buf_free(&it->sval);
  dc_buf_free(&it->target);
  free(it);
}
