/* block_reader.c — parsing and iterating blocks (block.h).
 *
 * Damage: dc_block_parse checks the restart array (count fits, offsets
 * strictly ascending and inside the entries); every entry is bounds-checked
 * as it is decoded (varints, shared <= previous key, key and value inside the
 * entries, key >= 8 bytes since keys are internal keys). A bad entry makes
 * the iterator invalid with a DC_CORRUPT status naming the offset inside the
 * block; the sstable layer adds the file and the block's offset.
 *
 * Seek: binary search over the restart points (whose keys are stored whole,
 * so they are compared in place without copying), then a linear scan of at
 * most restart_interval entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "ikey.h"
#include "status.h"

int dc_block_parse(const char *data, size_t len, int owned, dc_block **out, const char *file,
                   uint64_t offset, dc_error *err) {
  if (!file) file = "";
  const char *why = NULL;
  uint32_t n = 0;
  size_t size = 0;
  if (len < 4) {
    why = "shorter than its restart count";
  } else {
    n = dc_dec32(data + len - 4);
    if (n > (len - 4) / 4) {
      why = "restart count out of range";
    } else {
      size = len - 4 - (size_t)n * 4;
      if (n == 0 && size != 0) why = "entries without restart points";
      if (size > UINT32_MAX) why = "too large";
      const char *r = data + size;
      uint32_t prev = 0;
      for (uint32_t i = 0; i < n && !why; i++) {
        uint32_t off = dc_dec32(r + 4 * (size_t)i);
        if (off >= size || (i == 0 && off != 0) || (i > 0 && off <= prev)) why = "bad restart offset";
        prev = off;
      }
    }
  }
  if (why)
    return dc_err_set(err, DC_CORRUPT, "corrupt block in %s at offset %llu: %s", file,
                      (unsigned long long)offset, why);
  dc_block *b = malloc(sizeof *b);
  if (!b) return dc_err_set(err, DC_NOMEM, "block parse: out of memory");
  b->data = data;
  b->size = size;
  b->nrestarts = n;
  b->owned = owned;
  *out = b;
  return DC_OK;
}

void dc_block_free(dc_block *b) {
  if (!b) return;
  if (b->owned) free((void *)b->data);
  free(b);
}

/* dc_ikey_cmp without a call to memcmp: keys are short and this runs at
 * every step of a seek. Compares 8 bytes at a time as big-endian words. */
static inline uint64_t be64_at(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
static inline int ikey_cmp(const char *a, size_t an, const char *b, size_t bn) {
  size_t ua = an - 8, ub = bn - 8, n = ua < ub ? ua : ub, i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x = be64_at(a + i), y = be64_at(b + i);
    if (x != y) return x < y ? -1 : 1;
  }
  if (i < n) {
    if (n >= 8) { /* the last 8 bytes, overlapping ones already equal */
      uint64_t x = be64_at(a + n - 8), y = be64_at(b + n - 8);
      if (x != y) return x < y ? -1 : 1;
    } else {
      for (; i < n; i++)
        if (a[i] != b[i]) return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
    }
  }
  if (ua != ub) return ua < ub ? -1 : 1;
  uint64_t ta = dc_dec64(a + ua), tb = dc_dec64(b + ub);
  return ta > tb ? -1 : (ta < tb ? 1 : 0);
}

static inline uint32_t restart_at(const dc_block *b, uint32_t i) {
  return dc_dec32(b->data + b->size + 4 * (size_t)i);
}

/* Decode the three varints of the entry at p (< limit). Returns the byte after
 * them, or NULL if damaged. */
static inline const char *entry_header(const char *p, const char *limit, uint32_t *shared,
                                       uint32_t *unshared, uint32_t *vlen) {
  if (limit - p >= 3) {
    unsigned a = (unsigned char)p[0], b = (unsigned char)p[1], c = (unsigned char)p[2];
    if ((a | b | c) < 128) {
      *shared = a;
      *unshared = b;
      *vlen = c;
      return p + 3;
    }
  }
  if (!(p = dc_get_varint32(p, limit, shared))) return NULL;
  if (!(p = dc_get_varint32(p, limit, unshared))) return NULL;
  if (!(p = dc_get_varint32(p, limit, vlen))) return NULL;
  return p;
}

/* Decode the entry at `off` into key (which holds the previous key) and
 * val/vlen; *next = offset after it. Returns DC_OK or DC_CORRUPT. */
static inline int decode_at(const dc_block *b, uint32_t off, dc_buf *key, const char **val,
                            uint32_t *vlen, uint32_t *next) {
  const char *limit = b->data + b->size;
  uint32_t shared, unshared;
  const char *p = entry_header(b->data + off, limit, &shared, &unshared, vlen);
  if (!p || shared > key->len || (uint64_t)unshared + *vlen > (uint64_t)(limit - p) ||
      (uint64_t)shared + unshared < 8)
    return DC_CORRUPT;
  key->len = shared;
  if (dc_buf_append(key, p, unshared)) return DC_NOMEM;
  *val = p + unshared;
  *next = (uint32_t)(p + unshared + *vlen - b->data);
  return DC_OK;
}

/* The whole key stored at restart point i, in place. */
static inline int restart_key(const dc_block *b, uint32_t i, const char **k, uint32_t *klen) {
  const char *limit = b->data + b->size;
  uint32_t shared, unshared, vlen;
  const char *p = entry_header(b->data + restart_at(b, i), limit, &shared, &unshared, &vlen);
  if (!p || shared != 0 || unshared > (uint64_t)(limit - p) || unshared < 8) return DC_CORRUPT;
  *k = p;
  *klen = unshared;
  return DC_OK;
}

/* Index of the last restart point whose key is < target (0 if none). */
static int find_restart(const dc_block *b, const char *target, size_t tlen, uint32_t *out) {
  uint32_t lo = 0, hi = b->nrestarts - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    const char *k;
    uint32_t klen;
    if (restart_key(b, mid, &k, &klen)) return DC_CORRUPT;
    if (ikey_cmp(k, klen, target, tlen) < 0) lo = mid;
    else hi = mid - 1;
  }
  *out = lo;
  return DC_OK;
}

int dc_block_seek_entry(const dc_block *b, const char *target, size_t tlen, dc_buf *key,
                        uint32_t *off, const char **val, uint32_t *vlen, uint32_t *next) {
  *off = (uint32_t)b->size;
  if (b->nrestarts == 0 || tlen < 8) return DC_OK;
  uint32_t r;
  int rc = find_restart(b, target, tlen, &r);
  if (rc) return rc;
  uint32_t p = restart_at(b, r);
  key->len = 0;
  while (p < b->size) {
    rc = decode_at(b, p, key, val, vlen, next);
    if (rc) return rc;
    if (ikey_cmp(key->data, key->len, target, tlen) >= 0) {
      *off = p;
      return DC_OK;
    }
    p = *next;
  }
  return DC_OK;
}

/* ---- the iterator ---- */

typedef struct block_iter {
  dc_iter base;
  const dc_block *b;
  uint32_t cur;       /* offset of the current entry; b->size when invalid */
  uint32_t next;      /* offset after it */
  uint32_t restart;   /* index of the restart block holding cur */
  dc_buf key;
  const char *val;
  uint32_t vlen;
  int code;           /* DC_OK or the error that made us invalid */
  uint32_t bad_off;
  void (*release)(void *);
  void *arg;
} block_iter;

static void bi_fail(block_iter *it, int code, uint32_t off) {
  if (it->code == DC_OK) {
    it->code = code;
    it->bad_off = off;
  }
  it->cur = it->next = (uint32_t)it->b->size;
}

static int bi_valid(dc_iter *i) {
  block_iter *it = (block_iter *)i;
  return it->cur < it->b->size;
}

/* Decode the entry at off (after the key of the entry before it is in it->key). */
static int bi_load(block_iter *it, uint32_t off) {
  if (off >= it->b->size) {
    it->cur = it->next = (uint32_t)it->b->size;
    return 0;
  }
  int rc = decode_at(it->b, off, &it->key, &it->val, &it->vlen, &it->next);
  if (rc) {
    bi_fail(it, rc, off);
    return 0;
  }
  it->cur = off;
  while (it->restart + 1 < it->b->nrestarts && restart_at(it->b, it->restart + 1) <= off)
    it->restart++;
  return 1;
}

static void bi_to_restart(block_iter *it, uint32_t r) {
  it->key.len = 0;
  it->restart = r;
  bi_load(it, restart_at(it->b, r));
}

static void bi_seek_first(dc_iter *i) {
  block_iter *it = (block_iter *)i;
  if (it->code || it->b->nrestarts == 0) { it->cur = (uint32_t)it->b->size; return; }
  bi_to_restart(it, 0);
}

static void bi_seek_last(dc_iter *i) {
  block_iter *it = (block_iter *)i;
  if (it->code || it->b->nrestarts == 0) { it->cur = (uint32_t)it->b->size; return; }
  bi_to_restart(it, it->b->nrestarts - 1);
  while (it->cur < it->b->size && it->next < it->b->size) bi_load(it, it->next);
}

static void bi_seek(dc_iter *i, const char *target, size_t tlen) {
  block_iter *it = (block_iter *)i;
  if (it->code || it->b->nrestarts == 0) { it->cur = (uint32_t)it->b->size; return; }
  if (tlen < 8) { bi_seek_first(i); return; }
  uint32_t r;
  if (find_restart(it->b, target, tlen, &r)) {
    bi_fail(it, DC_CORRUPT, 0);
    return;
  }
  bi_to_restart(it, r);
  while (it->cur < it->b->size && ikey_cmp(it->key.data, it->key.len, target, tlen) < 0)
    bi_load(it, it->next);
}

static void bi_next(dc_iter *i) {
  block_iter *it = (block_iter *)i;
  if (it->cur >= it->b->size) return;
  bi_load(it, it->next);
}

static void bi_prev(dc_iter *i) {
  block_iter *it = (block_iter *)i;
  uint32_t orig = it->cur;
  if (orig >= it->b->size) return;
  /* Back up to the restart point before the current entry, then scan forward
   * to the entry whose successor is the current one. */
  while (restart_at(it->b, it->restart) >= orig) {
    if (it->restart == 0) { /* no entry before the first */
      it->cur = it->next = (uint32_t)it->b->size;
      return;
    }
    it->restart--;
  }
  bi_to_restart(it, it->restart);
  while (it->cur < it->b->size && it->next < orig) bi_load(it, it->next);
  if (it->cur < it->b->size && it->next != orig) bi_fail(it, DC_CORRUPT, it->cur);
}

static const char *bi_key(dc_iter *i, size_t *n) {
  block_iter *it = (block_iter *)i;
  *n = it->key.len;
  return it->key.data;
}

static const char *bi_value(dc_iter *i, size_t *n) {
  block_iter *it = (block_iter *)i;
  *n = it->vlen;
  return it->val;
}

static int bi_status(dc_iter *i, dc_error *err) {
  block_iter *it = (block_iter *)i;
  if (it->code == DC_OK) return DC_OK;
  if (it->code == DC_NOMEM) return dc_err_set(err, DC_NOMEM, "block iterator: out of memory");
  return dc_err_set(err, it->code, "bad block entry at offset %u", it->bad_off);
}

static void bi_destroy(dc_iter *i) {
  block_iter *it = (block_iter *)i;
  if (!it) return;
  if (it->release) it->release(it->arg);
  dc_buf_free(&it->key);
  free(it);
}

static const dc_iter_vt block_iter_vt = {bi_valid, bi_seek_first, bi_seek_last, bi_seek,
                                         bi_next,  bi_prev,       bi_key,       bi_value,
                                         bi_status, bi_destroy};

dc_iter *dc_block_iter(const dc_block *b, void (*release)(void *), void *arg) {
  block_iter *it = calloc(1, sizeof *it);
  if (!it) return NULL;
  it->base.vt = &block_iter_vt;
  it->b = b;
  it->cur = it->next = (uint32_t)b->size;
  it->release = release;
  it->arg = arg;
  return &it->base;
}
