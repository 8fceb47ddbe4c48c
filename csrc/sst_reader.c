/* sst_reader.c — reading sorted string tables (sst.h; FORMATS.md has the
 * grammar).
 *
 * Open reads the footer, checks its magic, version, zero padding and the
 * geometry it implies (index block right before the footer, filter right
 * before the index), then loads and verifies the index block and the filter.
 * Data blocks are read on demand with env->read, their checksum verified on
 * every read from the file, and are kept in the block cache (when there is
 * one) under (file number, block offset), charged at their decoded size.
 *
 * `paranoid` additionally walks the whole index at open and checks that the
 * block handles tile the data region exactly (every block right after the
 * previous one) and that the index keys ascend. Checksums are verified on
 * every read from the file in any case; a block found in the cache was
 * verified when it was read.
 *
 * A point lookup seeks the index to (ukey, snap, DC_KIND_SEEK); the index
 * key of a block is its last key, so the first block whose index key is >=
 * the target holds the first entry >= the target. If a seek in a block finds
 * nothing (only with a damaged or foreign index), the lookup moves on to the
 * next block rather than miss versions that continue there.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "bloom.h"
#include "ikey.h"
#include "sst.h"
#include "status.h"

/* Private to the sstable component; defined in block_reader.c. */
int dc_block_seek_entry(const dc_block *b, const char *target, size_t tlen, dc_buf *key,
                        uint32_t *off, const char **val, uint32_t *vlen, uint32_t *next);
int dc_block_next_entry(const dc_block *b, uint32_t at, dc_buf *key, uint32_t *off,
                        const char **val, uint32_t *vlen, uint32_t *next);

struct dc_sst {
  dc_env *env;
  dc_file *file;
  char *path;
  uint64_t number;
  dc_cache *cache;
  int paranoid;
  uint64_t file_size;
  uint64_t data_end;   /* data blocks (with trailers) lie in [0, data_end) */
  dc_block *index;
  char *filter_mem;    /* owns the filter bytes */
  const char *filter;  /* NULL: no filter */
  size_t filter_len;
};

static uint64_t stat_bloom_useful, stat_blocks_read;

void dc_sst_get_read_stats(dc_sst_read_stats *s) {
  s->bloom_useful = __atomic_load_n(&stat_bloom_useful, __ATOMIC_RELAXED);
  s->blocks_read = __atomic_load_n(&stat_blocks_read, __ATOMIC_RELAXED);
}

static int corrupt(dc_error *err, const dc_sst *t, uint64_t off, const char *what) {
  return dc_err_set(err, DC_CORRUPT, "corrupt sst %s at offset %llu: %s", t->path,
                    (unsigned long long)off, what);
}

/* Read the stored block at [off, off+size+trailer) and undo its transform.
 * On success *data (malloc'd) holds the raw block of *len bytes. */
static int read_raw(dc_sst *t, uint64_t off, uint64_t size, char **data, size_t *len,
                    dc_error *err) {
  size_t n = (size_t)size + DC_BLOCK_TRAILER;
  char *buf = malloc(n);
  if (!buf) return dc_err_set(err, DC_NOMEM, "sst %s: out of memory reading %zu bytes", t->path, n);
  size_t got = 0;
  int rc = t->env->read(t->env, t->file, off, n, buf, &got, err);
  if (rc) { free(buf); return rc; }
  if (got != n) {
    free(buf);
    return corrupt(err, t, off, "block extends past the end of the file");
  }
  const char *raw;
  size_t rlen;
  int owned;
  rc = dc_transform_decode(buf, n, &raw, &rlen, &owned, t->path, off, err);
  if (rc) { free(buf); return rc; }
  if (owned) {
    free(buf);
    *data = (char *)raw;
  } else {
    *data = buf; /* raw == buf: the stored bytes come first */
  }
  *len = rlen;
  return DC_OK;
}

static int read_block(dc_sst *t, uint64_t off, uint64_t size, dc_block **out, size_t *charge,
                      dc_error *err) {
  char *data;
  size_t len;
  int rc = read_raw(t, off, size, &data, &len, err);
  if (rc) return rc;
  rc = dc_block_parse(data, len, 1, out, t->path, off, err);
  if (rc) { free(data); return rc; }
  *charge = len;
  return DC_OK;
}

/* Decode a block handle (index value) and check it lies in the data region. */
static int decode_handle(const dc_sst *t, const char *v, size_t vlen, uint64_t *off,
                         uint64_t *size) {
  const char *p = dc_get_varint64(v, v + vlen, off);
  if (!p || !(p = dc_get_varint64(p, v + vlen, size)) || p != v + vlen) return -1;
  if (*size > t->data_end || *off > t->data_end - *size ||
      t->data_end - *size - *off < DC_BLOCK_TRAILER)
    return -1;
  return 0;
}

static void block_deleter(void *v) { dc_block_free(v); }

/* Get data block (off, size): from the cache, or read it (and fill the cache).
 * *h is the pinned cache handle, or NULL when the caller owns *b. */
static int get_block(dc_sst *t, uint64_t off, uint64_t size, dc_block **b, dc_cache_handle **h,
                     dc_error *err) {
  *h = NULL;
  if (t->cache && (*h = dc_cache_lookup(t->cache, t->number, off))) {
    *b = dc_cache_value(*h);
    return DC_OK;
  }
  size_t charge;
  int rc = read_block(t, off, size, b, &charge, err);
  if (rc) return rc;
  __atomic_fetch_add(&stat_blocks_read, 1, __ATOMIC_RELAXED);
  if (t->cache) *h = dc_cache_insert(t->cache, t->number, off, *b, charge, block_deleter);
  return DC_OK;
}

static void put_block(dc_sst *t, dc_block *b, dc_cache_handle *h) {
  if (h) dc_cache_release(t->cache, h);
  else dc_block_free(b);
}

/* ---- open / close ---- */

static int check_index(dc_sst *t, dc_error *err) {
  dc_iter *it = dc_block_iter(t->index, NULL, NULL);
  if (!it) return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
  uint64_t expect = 0, n = 0;
  dc_buf prev = {0};
  int rc = DC_OK;
  for (it->vt->seek_first(it); it->vt->valid(it); it->vt->next(it), n++) {
    size_t kl, vl;
    const char *k = it->vt->key(it, &kl), *v = it->vt->value(it, &vl);
    uint64_t off, size;
    char what[96];
    if (decode_handle(t, v, vl, &off, &size) || off != expect) {
      snprintf(what, sizeof what, "index entry %llu: bad block handle", (unsigned long long)n);
      rc = corrupt(err, t, t->data_end, what);
      break;
    }
    if (n > 0 && dc_ikey_cmp(prev.data, prev.len, k, kl) >= 0) {
      snprintf(what, sizeof what, "index entry %llu: keys out of order", (unsigned long long)n);
      rc = corrupt(err, t, t->data_end, what);
      break;
    }
    prev.len = 0;
    if (dc_buf_append(&prev, k, kl)) {
      rc = dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
      break;
    }
    expect = off + size + DC_BLOCK_TRAILER;
  }
  dc_error ie = {0};
  if (rc == DC_OK && it->vt->status(it, &ie) != DC_OK)
    rc = corrupt(err, t, t->data_end, "index block has a bad entry");
  if (rc == DC_OK && expect != t->data_end)
    rc = corrupt(err, t, expect, "index does not cover the data blocks");
  dc_buf_free(&prev);
  it->vt->destroy(it);
  return rc;
}

static int open_table(dc_sst *t, dc_error *err) {
  int rc = t->env->size(t->env, t->file, &t->file_size, err);
  if (rc) return rc;
  if (t->file_size < DC_SST_FOOTER)
    return corrupt(err, t, 0, "file too short for a footer");
  uint64_t foot_off = t->file_size - DC_SST_FOOTER;
  char f[DC_SST_FOOTER];
  size_t got;
  if ((rc = t->env->read(t->env, t->file, foot_off, DC_SST_FOOTER, f, &got, err))) return rc;
  if (got != DC_SST_FOOTER) return corrupt(err, t, foot_off, "short read of the footer");
  if (dc_dec64(f + 40) != DC_SST_MAGIC) return corrupt(err, t, foot_off + 40, "bad magic number");
  uint32_t version = dc_dec32(f + 32);
  if (version == 0) return corrupt(err, t, foot_off + 32, "format version 0");
  if (version > DC_SST_FORMAT)
    return dc_err_set(err, DC_INVALID,
                      "sst %s: format version %u is newer than this build reads (%u)", t->path,
                      version, DC_SST_FORMAT);
  if (dc_dec32(f + 36) != 0) return corrupt(err, t, foot_off + 36, "reserved footer field is not 0");
  /* The footer has no checksum: its varints must be canonical (a set
   * continuation bit on a varint's last byte would otherwise read as the same
   * value), the padding zero, and the handles must fit the geometry below. */
  uint64_t h[4];
  const char *p = f, *lim = f + 32;
  for (int i = 0; i < 4; i++) {
    const char *q = dc_get_varint64(p, lim, &h[i]);
    if (!q || q - p != dc_varint_len(h[i]))
      return corrupt(err, t, foot_off + (uint64_t)(p - f), "bad block handle in the footer");
    p = q;
  }
  uint64_t foff = h[0], fsize = h[1], ioff = h[2], isize = h[3];
  for (; p < lim; p++)
    if (*p) return corrupt(err, t, foot_off + (uint64_t)(p - f), "footer padding is not zero");
  /* Geometry: [data][filter][index][footer], each block followed by its trailer. */
  if (isize > foot_off || ioff != foot_off - isize - DC_BLOCK_TRAILER ||
      foot_off - isize < DC_BLOCK_TRAILER)
    return corrupt(err, t, foot_off, "footer: index block handle out of place");
  if (foff == 0 && fsize == 0) {
    t->data_end = ioff;
  } else {
    if (fsize > ioff || ioff - fsize < DC_BLOCK_TRAILER || foff != ioff - fsize - DC_BLOCK_TRAILER)
      return corrupt(err, t, foot_off, "footer: filter block handle out of place");
    t->data_end = foff;
  }
  char *idata;
  size_t ilen;
  if ((rc = read_raw(t, ioff, isize, &idata, &ilen, err))) return rc;
  if ((rc = dc_block_parse(idata, ilen, 1, &t->index, t->path, ioff, err))) {
    free(idata);
    return rc;
  }
  if (t->paranoid && (rc = check_index(t, err))) return rc;
  if (fsize) {
    if ((rc = read_raw(t, foff, fsize, &t->filter_mem, &t->filter_len, err))) return rc;
    t->filter = t->filter_mem;
  }
  return DC_OK;
}

int dc_sst_open(dc_env *env, const char *path, uint64_t file_number, dc_cache *cache,
                int paranoid, dc_sst **out, dc_error *err) {
  if (!env) env = dc_env_posix();
  dc_sst *t = calloc(1, sizeof *t);
  if (!t || !(t->path = strdup(path))) {
    free(t);
    return dc_err_set(err, DC_NOMEM, "open sst %s: out of memory", path);
  }
  t->env = env;
  t->number = file_number;
  t->cache = cache;
  t->paranoid = paranoid;
  int rc = env->open(env, path, DC_OPEN_READ, &t->file, err);
  if (rc == DC_OK) rc = open_table(t, err);
  if (rc) {
    dc_sst_close(t);
    return rc;
  }
  *out = t;
  return DC_OK;
}

void dc_sst_close(dc_sst *t) {
  if (!t) return;
  if (t->file) t->env->close(t->env, t->file, NULL);
  dc_block_free(t->index);
  free(t->filter_mem);
  free(t->path);
  free(t);
}

uint64_t dc_sst_file_size(const dc_sst *t) { return t->file_size; }

int dc_sst_may_contain(dc_sst *t, const char *ukey, size_t ulen) {
  if (!t->filter) return 1;
  return dc_bloom_may_contain(t->filter, t->filter_len, dc_bloom_hash(ukey, ulen));
}

/* ---- point lookups ---- */

/* Per-thread key buffers for lookups (freed when the thread exits). */
typedef struct get_scratch {
  dc_buf ik, dk, target;
} get_scratch;
static __thread get_scratch *tls_scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p) {
  get_scratch *s = p;
  dc_buf_free(&s->ik);
  dc_buf_free(&s->dk);
  dc_buf_free(&s->target);
  free(s);
  tls_scratch = NULL;
}
static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static get_scratch *scratch(void) {
  get_scratch *s = tls_scratch;
  if (s) return s;
  pthread_once(&scratch_once, scratch_init);
  if (!(s = calloc(1, sizeof *s))) return NULL;
  pthread_setspecific(scratch_key, s);
  tls_scratch = s;
  return s;
}

int dc_sst_get(dc_sst *t, const char *ukey, size_t ulen, uint64_t snap_seq, int *result,
               dc_buf *val, dc_error *err) {
  *result = DC_GET_MISS;
  if (t->filter &&
      !dc_bloom_may_contain(t->filter, t->filter_len, dc_bloom_hash(ukey, ulen))) {
    __atomic_fetch_add(&stat_bloom_useful, 1, __ATOMIC_RELAXED);
    return DC_OK;
  }
  get_scratch *s = scratch();
  if (!s) return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
  if (snap_seq > DC_MAX_SEQ) snap_seq = DC_MAX_SEQ;
  s->target.len = 0;
  if (dc_ikey_append(&s->target, ukey, ulen, snap_seq, DC_KIND_SEEK))
    return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
  const char *target = s->target.data;
  size_t tlen = s->target.len;

  uint32_t ioff, ivlen, inext;
  const char *ival;
  int rc = dc_block_seek_entry(t->index, target, tlen, &s->ik, &ioff, &ival, &ivlen, &inext);
  while (rc == DC_OK && ioff < t->index->size) {
    uint64_t boff, bsize;
    if (decode_handle(t, ival, ivlen, &boff, &bsize))
      return corrupt(err, t, t->data_end, "bad block handle in the index");
    dc_block *b;
    dc_cache_handle *h;
    if ((rc = get_block(t, boff, bsize, &b, &h, err))) return rc;
    uint32_t doff, vlen, dnext;
    const char *v;
    rc = dc_block_seek_entry(b, target, tlen, &s->dk, &doff, &v, &vlen, &dnext);
    int done = 0;
    if (rc == DC_OK && doff < b->size) {
      done = 1;
      const char *k = s->dk.data;
      size_t kl = s->dk.len;
      if (dc_bytes_cmp(k, kl - DC_IKEY_TRAILER, ukey, ulen) == 0) {
        int kind = dc_ikey_kind(k, kl);
        if (kind == DC_KIND_PUT) {
          if (dc_buf_append(val, v, vlen))
            rc = dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
          else
            *result = DC_GET_FOUND;
        } else if (kind == DC_KIND_DEL) {
          *result = DC_GET_DELETED;
        } else {
          rc = corrupt(err, t, boff, "entry of unknown kind");
        }
      }
    } else if (rc == DC_CORRUPT) {
      rc = corrupt(err, t, boff, "bad entry in data block");
    } else if (rc) {
      rc = dc_err_set(err, rc, "sst %s: out of memory", t->path);
    }
    put_block(t, b, h);
    if (done || rc) return rc;
    /* Past the end of this block: the key's versions may continue in the next. */
    rc = dc_block_next_entry(t->index, inext, &s->ik, &ioff, &ival, &ivlen, &inext);
  }
  if (rc == DC_CORRUPT) return corrupt(err, t, t->data_end, "bad entry in the index block");
  if (rc) return dc_err_set(err, rc, "sst %s: out of memory", t->path);
  return DC_OK;
}

/* ---- the two-level iterator: index entries -> data block iterators ---- */

typedef struct pin {
  dc_sst *t;
  dc_block *b;
  dc_cache_handle *h;
} pin;

static void pin_release(void *arg) {
  pin *p = arg;
  if (p->b) put_block(p->t, p->b, p->h);
  p->b = NULL;
  p->h = NULL;
}

typedef struct sst_iter {
  dc_iter base;
  dc_sst *t;
  dc_iter *index;
  dc_iter *data;     /* over the current block, or NULL */
  uint64_t data_off; /* offset of the current block */
  pin pin;           /* the current block; released by data's release callback */
  dc_error err;      /* first error: the iterator is invalid from then on */
} sst_iter;

static void set_data(sst_iter *it, dc_iter *d) {
  if (it->data) it->data->vt->destroy(it->data);
  it->data = d;
}

static void si_error(sst_iter *it) {
  set_data(it, NULL);
}

/* Check an invalid child for an error; returns 1 if there was one. */
static int child_failed(sst_iter *it, dc_iter *child, int is_index) {
  dc_error e = {0};
  if (child->vt->status(child, &e) == DC_OK) return 0;
  if (e.code == DC_CORRUPT) {
    dc_err_set(&it->err, DC_CORRUPT, "corrupt sst %s at offset %llu: %s: %s", it->t->path,
               (unsigned long long)(is_index ? it->t->data_end : it->data_off),
               is_index ? "index block" : "data block", e.message);
  } else {
    dc_err_copy(&it->err, &e);
  }
  si_error(it);
  return 1;
}

/* Open the block the index iterator points at (data = NULL if it is invalid). */
static void init_data(sst_iter *it) {
  if (!it->index->vt->valid(it->index)) {
    set_data(it, NULL);
    child_failed(it, it->index, 1);
    return;
  }
  size_t vl;
  const char *v = it->index->vt->value(it->index, &vl);
  uint64_t off, size;
  if (decode_handle(it->t, v, vl, &off, &size)) {
    corrupt(&it->err, it->t, it->t->data_end, "bad block handle in the index");
    si_error(it);
    return;
  }
  if (it->data && it->data_off == off) return; /* already there */
  set_data(it, NULL);
  dc_block *b;
  dc_cache_handle *h;
  if (get_block(it->t, off, size, &b, &h, &it->err)) {
    si_error(it);
    return;
  }
  it->pin.b = b;
  it->pin.h = h;
  dc_iter *d = dc_block_iter(b, pin_release, &it->pin);
  if (!d) {
    pin_release(&it->pin);
    dc_err_set(&it->err, DC_NOMEM, "sst %s: out of memory", it->t->path);
    return;
  }
  it->data = d;
  it->data_off = off;
}

static void skip_forward(sst_iter *it) {
  while (!it->err.code && (!it->data || !it->data->vt->valid(it->data))) {
    if (it->data && child_failed(it, it->data, 0)) return;
    if (!it->index->vt->valid(it->index)) {
      set_data(it, NULL);
      return;
    }
    it->index->vt->next(it->index);
    init_data(it);
    if (it->data) it->data->vt->seek_first(it->data);
  }
}

static void skip_backward(sst_iter *it) {
  while (!it->err.code && (!it->data || !it->data->vt->valid(it->data))) {
    if (it->data && child_failed(it, it->data, 0)) return;
    if (!it->index->vt->valid(it->index)) {
      set_data(it, NULL);
      return;
    }
    it->index->vt->prev(it->index);
    init_data(it);
    if (it->data) it->data->vt->seek_last(it->data);
  }
}

static int si_valid(dc_iter *i) {
  sst_iter *it = (sst_iter *)i;
  return !it->err.code && it->data && it->data->vt->valid(it->data);
}

static void si_seek_first(dc_iter *i) {
  sst_iter *it = (sst_iter *)i;
  if (it->err.code) return;
  it->index->vt->seek_first(it->index);
  init_data(it);
  if (it->data) it->data->vt->seek_first(it->data);
  skip_forward(it);
}

static void si_seek_last(dc_iter *i) {
  sst_iter *it = (sst_iter *)i;
  if (it->err.code) return;
  it->index->vt->seek_last(it->index);
  init_data(it);
  if (it->data) it->data->vt->seek_last(it->data);
  skip_backward(it);
}

static void si_seek(dc_iter *i, const char *k, size_t n) {
  sst_iter *it = (sst_iter *)i;
  if (it->err.code) return;
  it->index->vt->seek(it->index, k, n);
  init_data(it);
  if (it->data) it->data->vt->seek(it->data, k, n);
  skip_forward(it);
}

static void si_next(dc_iter *i) {
  sst_iter *it = (sst_iter *)i;
  if (!si_valid(i)) return;
  it->data->vt->next(it->data);
  skip_forward(it);
}

static void si_prev(dc_iter *i) {
  sst_iter *it = (sst_iter *)i;
  if (!si_valid(i)) return;
  it->data->vt->prev(it->data);
  skip_backward(it);
}

static const char *si_key(dc_iter *i, size_t *n) {
  sst_iter *it = (sst_iter *)i;
  return it->data->vt->key(it->data, n);
}

static const char *si_value(dc_iter *i, size_t *n) {
  sst_iter *it = (sst_iter *)i;
  return it->data->vt->value(it->data, n);
}

static int si_status(dc_iter *i, dc_error *err) {
  sst_iter *it = (sst_iter *)i;
  return dc_err_copy(err, &it->err);
}

static void si_destroy(dc_iter *i) {
  sst_iter *it = (sst_iter *)i;
  if (!it) return;
  set_data(it, NULL);
  if (it->index) it->index->vt->destroy(it->index);
  free(it);
}

static const dc_iter_vt sst_iter_vt = {si_valid, si_seek_first, si_seek_last, si_seek,
                                       si_next,  si_prev,       si_key,       si_value,
                                       si_status, si_destroy};

dc_iter *dc_sst_iter(dc_sst *t) {
  sst_iter *it = calloc(1, sizeof *it);
  if (!it) return NULL;
  it->base.vt = &sst_iter_vt;
  it->t = t;
  it->pin.t = t;
  if (!(it->index = dc_block_iter(t->index, NULL, NULL))) {
    free(it);
    return NULL;
  }
  return &it->base;
}
