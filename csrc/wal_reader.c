/* wal_reader.c — reading WAL segments: replay at recovery, and a tailing reader.
 *
 * Both read through a window: a buffer holding the file bytes [off, off+len),
 * refilled in large chunks through env->read, slid forward as records are
 * consumed and grown (doubling) only as far as a record needs. A request for
 * bytes the window lacks always reads the file again, so end of file is never
 * cached: the tailing reader sees a segment grow.
 *
 * Damage rules (FORMATS.md, "WAL", says the same). Replay reads records from
 * offset 0 of a segment of `size` bytes. A record at `off` is good when its
 * 32-byte header and its body lie within the file and its checksum matches;
 * a good record whose body is not exactly `count` well-formed operations
 * (dc_batch_validate) is mid-log damage wherever it is, since no torn write
 * produces a matching checksum. A record that is not good is classified:
 *
 *  1. fewer than 32 bytes left in the file                    -> torn tail
 *  2. its end: the real end if only the length field is proven wrong (its
 *     `count` operations decode from the bytes present and the checksum
 *     matches the length they imply), else the declared end off+32+length;
 *  3. end >= size -> torn tail; except when the declared end is past EOF and a
 *     valid record starts right where the operations decode to -> mid-log
 *  4. end <  size -> torn tail if every byte from end to EOF is zero (a
 *     zero-filled tail after a crash), else mid-log damage.
 *
 * A torn tail ends the replay with *valid_end = off when is_last; in an older
 * segment (which was complete when it was closed) it is DC_CORRUPT. Mid-log
 * damage is always DC_CORRUPT: "corrupt WAL record in <path> at offset <off>:
 * <reason>". Rule 2 matters because there is no separate header checksum: a
 * flipped bit in the length of a middle record would otherwise push its end
 * past EOF and silently turn every later record into a "torn tail".
 *
 * The tailing reader reads only below `limit`, where every record is complete:
 * there any damage is DC_CORRUPT, and a record reaching past the limit is "not
 * yet" (DC_NOTFOUND) unless rule 2 proves its length field wrong.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "status.h"
#include "wal.h"
#include "xxh64.h"

#define REPLAY_CHUNK ((size_t)4 << 20) /* replay reads whole segments: big reads */
#define TAIL_CHUNK ((size_t)256 << 10) /* many tail readers may be open at once */

/* ---- the read window ---- */

typedef struct win {
  dc_env *env;
  dc_file *f;
  char *buf;
  size_t cap, len;
  uint64_t off; /* file offset of buf[0] */
  size_t chunk; /* minimum read size */
} win;

/* Make the bytes [pos, pos+n) available, reading nothing at or past max_end.
 * *p points at the byte at pos (valid until the next call); *avail is how many
 * of the n bytes are there: fewer only at end of file or at max_end. */
static int win_get(win *w, uint64_t pos, size_t n, uint64_t max_end, char **p, size_t *avail,
                   dc_error *err) {
  uint64_t end = w->off + w->len;
  if (pos < w->off || pos > end) {
    w->off = end = pos;
    w->len = 0;
  }
  size_t have = (size_t)(end - pos);
  if (have < n && pos > w->off) { /* slide: keep only what is still needed */
    memmove(w->buf, w->buf + (pos - w->off), have);
    w->off = pos;
    w->len = have;
  }
  while (have < n && end < max_end) {
    /* at least a chunk; at most what the window already holds (or a chunk),
     * so a bogus huge length costs memory only as the file really has data */
    size_t want = n - have, step = w->len > w->chunk ? w->len : w->chunk;
    if (want < w->chunk) want = w->chunk;
    if (want > step) want = step;
    if ((uint64_t)want > max_end - end) want = (size_t)(max_end - end);
    if (w->len + want > w->cap) {
      size_t cap = w->cap ? w->cap : want;
      while (cap < w->len + want) cap *= 2;
      char *nb = realloc(w->buf, cap);
      if (!nb)
        return dc_err_set(err, DC_NOMEM, "read WAL %s: out of memory for %zu bytes",
                          dc_file_path(w->f), cap);
      w->buf = nb;
      w->cap = cap;
    }
    size_t got = 0;
    int rc = w->env->read(w->env, w->f, end, want, w->buf + w->len, &got, err);
    if (rc) return rc;
    w->len += got;
    have += got;
    end += got;
    if (got < want) break; /* end of file (for now) */
  }
  *p = w->buf ? w->buf + (pos - w->off) : NULL;
  *avail = have < n ? have : n;
  return DC_OK;
}

/* ---- records ---- */

typedef struct hdr {
  uint32_t sum, len;
  uint64_t seq, hlc;
  uint32_t origin, count;
} hdr;

static void hdr_decode(const char *p, hdr *h) {
  h->sum = dc_dec32(p);
  h->len = dc_dec32(p + 4);
  h->seq = dc_dec64(p + 8);
  h->hlc = dc_dec64(p + 16);
  h->origin = dc_dec32(p + 24);
  h->count = dc_dec32(p + 28);
}

/* p: a whole record of `total` bytes. */
static int sum_ok(const char *p, size_t total) {
  return dc_dec32(p) == dc_checksum32(p + 4, total - 4);
}

static void fill_rec(dc_wal_rec *rec, const hdr *h, const char *p, uint64_t off) {
  rec->seq = h->seq;
  rec->hlc = h->hlc;
  rec->origin = h->origin;
  rec->count = h->count;
  rec->body = p + DC_WAL_HEADER;
  rec->len = h->len;
  rec->offset = off;
}

static int corrupt(dc_error *err, const char *path, uint64_t off, const char *why) {
  return dc_err_set(err, DC_CORRUPT, "corrupt WAL record in %s at offset %" PRIu64 ": %s", path,
                    off, why);
}

/* Are the bytes [from, end) all zero? */
static int all_zero(win *w, uint64_t from, uint64_t end, int *zero, dc_error *err) {
  *zero = 1;
  while (from < end) {
    uint64_t left = end - from;
    size_t n = left > w->chunk ? w->chunk : (size_t)left, avail;
    char *p;
    int rc = win_get(w, from, n, end, &p, &avail, err);
    if (rc) return rc;
    if (avail == 0) break;
    if (p[0] != 0 || (avail > 1 && memcmp(p, p + 1, avail - 1) != 0)) {
      *zero = 0;
      return DC_OK;
    }
    from += avail;
  }
  return DC_OK;
}

/* The record at p (avail bytes available from it) failed its checks. If its
 * `count` operations all decode from the bytes present and the header checksums
 * right once its length field says where they ended, then the record is intact
 * but for its length field: return 1 with *body its real body length. A torn
 * append can never pass this (the operations of a record whose end is missing
 * cannot all be decoded), nor can a record damaged anywhere but in its length
 * field (the checksum would not match). */
static int real_length(char *p, size_t avail, uint32_t count, size_t *body) {
  const char *q = p + DC_WAL_HEADER, *lim = p + avail;
  dc_batch_op op;
  for (uint32_t i = 0; i < count; i++)
    if (dc_batch_decode(&q, lim, &op)) return 0;
  size_t n = (size_t)(q - (p + DC_WAL_HEADER));
  char save[4];
  memcpy(save, p + 4, 4);
  dc_enc32(p + 4, (uint32_t)n);
  int ok = sum_ok(p, DC_WAL_HEADER + n);
  memcpy(p + 4, save, 4);
  if (ok) *body = n;
  return ok;
}

/* Is a record with a right checksum (not checking its body) at q? */
static int valid_at(const char *q, size_t avail) {
  if (avail < DC_WAL_HEADER) return 0;
  uint64_t len = dc_dec32(q + 4);
  return DC_WAL_HEADER + len <= avail && sum_ok(q, DC_WAL_HEADER + (size_t)len);
}

/* Replay found the record at pos incomplete or failing its checksum: is it a
 * torn tail (*mid = 0) or mid-log damage (*mid = 1)? *why says what is wrong.
 * Rules 1-3 of the comment at the top: the record's end is its real end when
 * real_length() proves it, else its declared end; a record ending at or past
 * EOF is a torn tail (unless a valid record starts where its operations end:
 * then only its length is wrong, and what follows is data); a record ending
 * before EOF is a torn tail only if every byte after it is zero. */
static int classify(win *w, uint64_t pos, uint64_t size, int *mid, const char **why,
                    dc_error *err) {
  *mid = 0;
  if (size - pos < DC_WAL_HEADER) {
    *why = "incomplete header at the end of the file";
    return DC_OK;
  }
  char *p;
  size_t avail;
  int rc = win_get(w, pos, (size_t)(size - pos), size, &p, &avail, err);
  if (rc) return rc;
  if (avail < DC_WAL_HEADER) { /* the file shrank under us */
    *why = "incomplete header at the end of the file";
    return DC_OK;
  }
  hdr h;
  hdr_decode(p, &h);
  uint64_t declared = pos + DC_WAL_HEADER + h.len, end = declared;
  size_t body;
  int fixed = real_length(p, avail, h.count, &body);
  if (fixed) end = pos + DC_WAL_HEADER + body;
  if (end >= pos + avail) {
    *why = fixed ? "bad record length" : declared > size ? "record runs past the end of the file"
                                                         : "checksum mismatch";
    if (!fixed && declared > size) {
      /* where would the operations end? a valid record there means data follows */
      const char *q = p + DC_WAL_HEADER, *lim = p + avail;
      dc_batch_op op;
      uint32_t i = 0;
      while (i < h.count && !dc_batch_decode(&q, lim, &op)) i++;
      if (i == h.count && valid_at(q, (size_t)(lim - q))) {
        *mid = 1;
        *why = "bad record length (runs past the end of the file, but a valid record follows "
               "its operations)";
      }
    }
    return DC_OK;
  }
  int zero;
  if ((rc = all_zero(w, end, size, &zero, err))) return rc;
  *mid = !zero;
  *why = fixed ? "bad record length" : "checksum mismatch";
  return DC_OK;
}

/* ---- replay ---- */

int dc_wal_replay(dc_env *env, const char *path, int is_last, dc_wal_replay_fn fn, void *ctx,
                  uint64_t *valid_end, dc_error *err) {
  dc_file *f;
  int rc = env->open(env, path, DC_OPEN_READ, &f, err);
  if (rc) return rc;
  uint64_t size = 0, pos = 0;
  win w = {.env = env, .f = f, .chunk = REPLAY_CHUNK};
  const char *torn = NULL; /* why the tail is torn, once found */
  rc = env->size(env, f, &size, err);
  while (rc == DC_OK && pos < size) {
    char *p;
    size_t avail;
    hdr h;
    if ((rc = win_get(&w, pos, DC_WAL_HEADER, size, &p, &avail, err))) break;
    int good = avail == DC_WAL_HEADER;
    size_t total = 0;
    if (good) {
      hdr_decode(p, &h);
      total = DC_WAL_HEADER + (size_t)h.len;
      good = total <= size - pos;
    }
    if (good && (rc = win_get(&w, pos, total, size, &p, &avail, err))) break;
    if (good) good = avail == total && sum_ok(p, total);
    if (!good) {
      int mid;
      const char *why;
      if ((rc = classify(&w, pos, size, &mid, &why, err))) break;
      if (mid) rc = corrupt(err, path, pos, why);
      else torn = why;
      break;
    }
    if (dc_batch_validate(p + DC_WAL_HEADER, h.len, h.count)) {
      rc = corrupt(err, path, pos, "malformed batch body (the checksum matches)");
      break;
    }
    dc_wal_rec rec;
    fill_rec(&rec, &h, p, pos);
    if ((rc = fn(ctx, &rec, err))) {
      dc_err_set(err, rc, "replay of WAL %s stopped by its callback at offset %" PRIu64, path,
                 pos);
      break;
    }
    pos += total;
  }
  if (rc == DC_OK && torn && !is_last) {
    char why[160];
    snprintf(why, sizeof why, "%s, in a segment that is not the last", torn);
    rc = corrupt(err, path, pos, why);
  }
  if (valid_end) *valid_end = pos;
  free(w.buf);
  env->close(env, f, NULL);
  return rc;
}

/* ---- tailing reader ---- */

struct dc_wal_reader {
  win w;
  uint64_t pos; /* offset of the next record */
};

int dc_wal_reader_open(dc_env *env, const char *path, dc_wal_reader **out, dc_error *err) {
  dc_file *f;
  int rc = env->open(env, path, DC_OPEN_READ, &f, err);
  if (rc) return rc;
  dc_wal_reader *r = calloc(1, sizeof *r);
  if (!r) {
    env->close(env, f, NULL);
    return dc_err_set(err, DC_NOMEM, "open WAL reader %s: out of memory", path);
  }
  r->w.env = env;
  r->w.f = f;
  r->w.chunk = TAIL_CHUNK;
  *out = r;
  return DC_OK;
}

/* Records are read only from bytes below `limit`: those were complete when the
 * writer's append returned, so whatever the window holds never changes later
 * (bytes past the limit may be an append in progress and are never read). */
int dc_wal_reader_next(dc_wal_reader *r, uint64_t limit, dc_wal_rec *rec, dc_error *err) {
  uint64_t pos = r->pos;
  const char *path = dc_file_path(r->w.f);
  if (limit <= pos || limit - pos < DC_WAL_HEADER) return DC_NOTFOUND;
  char *p;
  size_t avail;
  int rc = win_get(&r->w, pos, DC_WAL_HEADER, limit, &p, &avail, err);
  if (rc) return rc;
  if (avail == 0) return DC_NOTFOUND; /* end of the file */
  if (avail < DC_WAL_HEADER)
    return corrupt(err, path, pos, "incomplete header at the end of the file");
  hdr h;
  hdr_decode(p, &h);
  size_t total = DC_WAL_HEADER + (size_t)h.len;
  if ((uint64_t)total > limit - pos) { /* not wholly written yet, or a bad length */
    size_t body;
    if ((rc = win_get(&r->w, pos, (size_t)(limit - pos), limit, &p, &avail, err))) return rc;
    if (real_length(p, avail, h.count, &body))
      return corrupt(err, path, pos, "bad record length");
    return DC_NOTFOUND;
  }
  if ((rc = win_get(&r->w, pos, total, limit, &p, &avail, err))) return rc;
  if (avail < total) return corrupt(err, path, pos, "record runs past the end of the file");
  if (!sum_ok(p, total)) return corrupt(err, path, pos, "checksum mismatch");
  if (dc_batch_validate(p + DC_WAL_HEADER, h.len, h.count))
    return corrupt(err, path, pos, "malformed batch body (the checksum matches)");
  fill_rec(rec, &h, p, pos);
  r->pos = pos + total;
  return DC_OK;
}

void dc_wal_reader_close(dc_wal_reader *r) {
  if (!r) return;
  r->w.env->close(r->w.env, r->w.f, NULL);
  free(r->w.buf);
  free(r);
}
