/* sst_reader.c — reading sorted string tables (sst.h; FORMATS.md has the
 * grammar).
 *
 * Open reads the footer and checks its magic, version, canonical varints,
 * zero padding and the geometry they imply (index block right before the
 * footer, filter right before the index); then reads and verifies the index
 * block and the filter. The index block is unpacked at open into arrays
 * (block handles, keys, and an 8-byte key prefix per block, see below) and
 * every handle is checked: the blocks must tile the data region exactly, one
 * right after the other. `paranoid` additionally checks that the index keys
 * ascend. Checksums are verified on every read of a block from the file, with
 * or without paranoid; a block found in the cache was verified when read.
 *
 * Data blocks are read on demand with env->read and kept in the block cache
 * (when there is one) under (file number, block offset), charged at their
 * decoded size. A cached block is one allocation: the raw block, then its
 * dc_block header, so that the header and the restart array share cache lines.
 *
 * Point lookups seek the index to (ukey, snap, DC_KIND_SEEK). The index key of
 * a block is its last key, so the first block whose index key is >= the
 * target holds the first entry >= the target. If a seek in a block finds
 * nothing (only with a damaged or foreign index) the lookup moves on to the
 * next block rather than miss versions that continue there.
 *
 * Index search: all index user keys share the common prefix of the first and
 * the last one (length plen). prefix[i] holds bytes [plen, plen+8) of block
 * i's index user key, big-endian, zero-padded, which is monotone in key
 * order; a binary search compares these integers and reads the full key only
 * when they are equal. The search touches one small array instead of a key in
 * a different cache line at every step.
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

typedef struct idx_ent {
  uint64_t off;  /* block offset */
  uint64_t koff; /* index key: keys[koff .. koff+klen) */
  uint32_t size; /* stored size, trailer excluded */
  uint32_t klen;
} idx_ent;

struct dc_sst {
  dc_env *env;
  dc_file *file;
  char *path;
  uint64_t number;
  dc_cache *cache;
  uint64_t cache_owner;
  int paranoid;
  uint64_t file_size;
  uint64_t data_end;  /* data blocks (with trailers) lie in [0, data_end) */
  uint64_t nblocks;
  uint64_t *prefix;   /* nblocks */
  idx_ent *ents;      /* nblocks */
  char *keys;         /* index keys, back to back */
  size_t plen;        /* common prefix of the index user keys (keys[0..plen)) */
  char *filter_mem;   /* owns the filter bytes */
  const char *filter; /* NULL: no filter */
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

/* ---- reading blocks ---- */

#define ROUND8(n) (((n) + 7) & ~(size_t)7)

/* Read the stored block at [off, off+size+trailer) and undo its transform.
 * On success *mem (malloc'd, with room for `extra` more bytes after the
 * 8-aligned end of the raw block) holds the raw block of *len bytes. */
static int read_raw(dc_sst *t, uint64_t off, uint64_t size, size_t extra, char **mem,
                    size_t *len, dc_error *err) {
  size_t n = (size_t)size + DC_BLOCK_TRAILER;
  char *buf = malloc(n + extra);
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
    buf = (char *)raw;
    if (extra) {
      char *m = realloc(buf, ROUND8(rlen) + extra);
      if (!m) {
        free(buf);
        return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
      }
      buf = m;
    }
  } /* else raw == buf, and ROUND8(rlen) <= rlen + 7 < n: the room is there */
  *mem = buf;
  *len = rlen;
  return DC_OK;
}

/* A data block in one allocation: raw bytes, then the dc_block header. */
static int read_block(dc_sst *t, uint64_t off, uint64_t size, dc_block **out, size_t *charge,
                      dc_error *err) {
  char *mem;
  size_t len;
  int rc = read_raw(t, off, size, sizeof(dc_block), &mem, &len, err);
  if (rc) return rc;
  dc_block *tmp;
  rc = dc_block_parse(mem, len, 0, &tmp, t->path, off, err);
  if (rc) { free(mem); return rc; }
  dc_block *b = (dc_block *)(mem + ROUND8(len));
  *b = *tmp;
  dc_block_free(tmp); /* not owned: frees just the header */
  *out = b;
  *charge = len + sizeof(dc_block);
  return DC_OK;
}

static void block_free(dc_block *b) { free((void *)b->data); /* the whole allocation */ }
static void block_deleter(void *v) { block_free(v); }

/* Get data block i: from the cache, or read it (and fill the cache).
 * *h is the pinned cache handle, or NULL when the caller owns *b. */
static int get_block(dc_sst *t, uint64_t i, dc_block **b, dc_cache_handle **h, dc_error *err) {
  uint64_t off = t->ents[i].off;
  *h = NULL;
  if (t->cache && (*h = dc_cache_lookup(t->cache, t->cache_owner, t->number, off))) {
    *b = dc_cache_value(*h);
    return DC_OK;
  }
  size_t charge;
  int rc = read_block(t, off, t->ents[i].size, b, &charge, err);
  if (rc) return rc;
  __atomic_fetch_add(&stat_blocks_read, 1, __ATOMIC_RELAXED);
  if (t->cache)
    *h = dc_cache_insert(t->cache, t->cache_owner, t->number, off, *b, charge, block_deleter);
  return DC_OK;
}

static void put_block(dc_sst *t, dc_block *b, dc_cache_handle *h) {
  if (h) dc_cache_release(t->cache, h);
  else block_free(b);
}

/* ---- the index ---- */

static inline uint64_t load_be64(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

/* Bytes [plen, plen+8) of a user key, big-endian, zero-padded. */
static inline uint64_t key_prefix(const char *u, size_t ulen, size_t plen) {
  if (ulen >= plen + 8) return load_be64(u + plen);
  char b[8] = {0};
  if (ulen > plen) memcpy(b, u + plen, ulen - plen);
  return load_be64(b);
}

/* Index of the first block whose index key is >= target (nblocks if none). */
static uint64_t index_seek(const dc_sst *t, const char *target, size_t tlen) {
  if (t->nblocks == 0 || tlen < DC_IKEY_TRAILER) return 0;
  size_t tul = tlen - DC_IKEY_TRAILER, plen = t->plen;
  int c = memcmp(target, t->keys, tul < plen ? tul : plen);
  if (c < 0 || (c == 0 && tul < plen)) return 0; /* below every index key */
  if (c > 0) return t->nblocks;                   /* above every index key */
  uint64_t tp = key_prefix(target, tul, plen);
  uint64_t lo = 0, hi = t->nblocks;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    uint64_t p = t->prefix[mid];
    int r;
    if (p != tp) {
      r = p < tp ? -1 : 1;
    } else {
      const idx_ent *e = &t->ents[mid];
      r = dc_ikey_cmp(t->keys + e->koff, e->klen, target, tlen);
    }
    if (r < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static int load_index(dc_sst *t, uint64_t ioff, uint64_t isize, dc_error *err) {
  char *idata;
  size_t ilen;
  int rc = read_raw(t, ioff, isize, 0, &idata, &ilen, err);
  if (rc) return rc;
  dc_block *blk;
  if ((rc = dc_block_parse(idata, ilen, 1, &blk, t->path, ioff, err))) {
    free(idata);
    return rc;
  }
  dc_iter *it = dc_block_iter(blk, NULL, NULL);
  if (!it) {
    dc_block_free(blk);
    return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
  }
  dc_buf keys = {0};
  size_t cap = 0;
  uint64_t expect = 0; /* where the next data block must start */
  char what[96];
  for (it->vt->seek_first(it); it->vt->valid(it); it->vt->next(it)) {
    size_t kl, vl;
    const char *k = it->vt->key(it, &kl), *v = it->vt->value(it, &vl);
    uint64_t off, size, i = t->nblocks;
    const char *p = dc_get_varint64(v, v + vl, &off);
    if (!p || !(p = dc_get_varint64(p, v + vl, &size)) || p != v + vl || off != expect ||
        size > UINT32_MAX || size > t->data_end || off > t->data_end - size ||
        t->data_end - size - off < DC_BLOCK_TRAILER) {
      snprintf(what, sizeof what, "index entry %llu: bad block handle", (unsigned long long)i);
      rc = corrupt(err, t, ioff, what);
      break;
    }
    if (t->paranoid && i > 0 &&
        dc_ikey_cmp(keys.data + t->ents[i - 1].koff, t->ents[i - 1].klen, k, kl) >= 0) {
      snprintf(what, sizeof what, "index entry %llu: keys out of order", (unsigned long long)i);
      rc = corrupt(err, t, ioff, what);
      break;
    }
    if (i == cap) {
      cap = cap ? cap * 2 : 64;
      idx_ent *e = realloc(t->ents, cap * sizeof *e);
      if (e) t->ents = e;
      if (!e) {
        rc = dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
        break;
      }
    }
    t->ents[i] = (idx_ent){off, keys.len, (uint32_t)size, (uint32_t)kl};
    if (dc_buf_append(&keys, k, kl)) {
      rc = dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
      break;
    }
    t->nblocks++;
    expect = off + size + DC_BLOCK_TRAILER;
  }
  dc_error ie = {0};
  if (rc == DC_OK && it->vt->status(it, &ie) != DC_OK)
    rc = ie.code == DC_CORRUPT ? corrupt(err, t, ioff, "bad entry in the index block")
                               : dc_err_copy(err, &ie);
  if (rc == DC_OK && expect != t->data_end)
    rc = corrupt(err, t, expect, "index does not cover the data blocks");
  it->vt->destroy(it);
  dc_block_free(blk);
  t->keys = keys.data;
  if (rc) return rc;
  if (t->nblocks) {
    /* Common prefix of the first and last index user keys. */
    const idx_ent *a = &t->ents[0], *z = &t->ents[t->nblocks - 1];
    size_t al = a->klen - DC_IKEY_TRAILER, zl = z->klen - DC_IKEY_TRAILER, n = al < zl ? al : zl;
    const char *ak = t->keys + a->koff, *zk = t->keys + z->koff;
    while (t->plen < n && ak[t->plen] == zk[t->plen]) t->plen++;
    if (!(t->prefix = malloc(t->nblocks * sizeof *t->prefix)))
      return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
    for (uint64_t i = 0; i < t->nblocks; i++)
      t->prefix[i] = key_prefix(t->keys + t->ents[i].koff, t->ents[i].klen - DC_IKEY_TRAILER,
                                t->plen);
  }
  return DC_OK;
}

/* ---- open / close ---- */

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
  if (isize > foot_off || foot_off - isize < DC_BLOCK_TRAILER ||
      ioff != foot_off - isize - DC_BLOCK_TRAILER)
    return corrupt(err, t, foot_off, "footer: index block handle out of place");
  if (foff == 0 && fsize == 0) {
    t->data_end = ioff;
  } else {
    if (fsize > ioff || ioff - fsize < DC_BLOCK_TRAILER || foff != ioff - fsize - DC_BLOCK_TRAILER)
      return corrupt(err, t, foot_off, "footer: filter block handle out of place");
    t->data_end = foff;
  }
  if ((rc = load_index(t, ioff, isize, err))) return rc;
  if (fsize) {
    if ((rc = read_raw(t, foff, fsize, 0, &t->filter_mem, &t->filter_len, err))) return rc;
    t->filter = t->filter_mem;
  }
  return DC_OK;
}

int dc_sst_open(dc_env *env, const char *path, uint64_t file_number, dc_cache *cache,
                uint64_t cache_owner, int paranoid, dc_sst **out, dc_error *err) {
  if (!env) env = dc_env_posix();
  dc_sst *t = calloc(1, sizeof *t);
  if (!t || !(t->path = strdup(path))) {
    free(t);
    return dc_err_set(err, DC_NOMEM, "open sst %s: out of memory", path);
  }
  t->env = env;
  t->number = file_number;
  t->cache = cache;
  t->cache_owner = cache_owner;
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
  /* The blocks get_block may have cached are exactly those at the index's
   * offsets. (An insert that failed for memory left nothing behind.) */
  if (t->cache && t->ents)
    for (uint64_t i = 0; i < t->nblocks; i++)
      dc_cache_erase(t->cache, t->cache_owner, t->number, t->ents[i].off);
  if (t->file) t->env->close(t->env, t->file, NULL);
  free(t->prefix);
  free(t->ents);
  free(t->keys);
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

/* Per-thread buffers for lookups (freed when the thread exits). */
typedef struct get_scratch {
  dc_buf key, target;
} get_scratch;
static __thread get_scratch *tls_scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p) {
  get_scratch *s = p;
  dc_buf_free(&s->key);
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

  for (uint64_t i = index_seek(t, target, tlen); i < t->nblocks; i++) {
    dc_block *b;
    dc_cache_handle *h;
    int rc = get_block(t, i, &b, &h, err);
    if (rc) return rc;
    uint32_t doff, vlen, dnext;
    const char *v;
    rc = dc_block_seek_entry(b, target, tlen, &s->key, &doff, &v, &vlen, &dnext);
    int done = 0;
    if (rc == DC_OK && doff < b->size) {
      done = 1;
      const char *k = s->key.data;
      size_t kl = s->key.len;
      if (dc_bytes_cmp(k, kl - DC_IKEY_TRAILER, ukey, ulen) == 0) {
        int kind = dc_ikey_kind(k, kl);
        if (kind == DC_KIND_PUT) {
          if (val && dc_buf_append(val, v, vlen))
            rc = dc_err_set(err, DC_NOMEM, "sst %s: out of memory", t->path);
          else
            *result = DC_GET_FOUND;
        } else if (kind == DC_KIND_DEL) {
          *result = DC_GET_DELETED;
        } else {
          rc = corrupt(err, t, t->ents[i].off, "entry of unknown kind");
        }
      }
    } else if (rc == DC_CORRUPT) {
      rc = corrupt(err, t, t->ents[i].off, "bad entry in data block");
    } else if (rc) {
      rc = dc_err_set(err, rc, "sst %s: out of memory", t->path);
    }
    put_block(t, b, h);
    if (done || rc) return rc;
    /* Past the end of this block: the key's versions may continue in the next. */
  }
  return DC_OK;
}

/* ---- the two-level iterator: index position -> data block iterator ---- */

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
  int64_t pos;   /* index position: [0, nblocks) or invalid */
  int64_t bpos;  /* block the data iterator is over (when data != NULL) */
  dc_iter *data; /* over block bpos, or NULL */
  pin pin;       /* block bpos; released by data's release callback */
  dc_error err;  /* first error: the iterator is invalid from then on */
} sst_iter;

static inline int pos_valid(const sst_iter *it) {
  return it->pos >= 0 && (uint64_t)it->pos < it->t->nblocks;
}

static void set_data(sst_iter *it, dc_iter *d) {
  if (it->data) it->data->vt->destroy(it->data);
  it->data = d;
}

/* An invalid data iterator: record its error, if any; returns 1 if there was one. */
static int data_failed(sst_iter *it) {
  dc_error e = {0};
  if (it->data->vt->status(it->data, &e) == DC_OK) return 0;
  if (e.code == DC_CORRUPT)
    dc_err_set(&it->err, DC_CORRUPT, "corrupt sst %s at offset %llu: data block: %s", it->t->path,
               (unsigned long long)it->t->ents[it->bpos].off, e.message);
  else
    dc_err_copy(&it->err, &e);
  set_data(it, NULL);
  return 1;
}

/* Open the block at it->pos (data = NULL if pos is out of range). */
static void init_data(sst_iter *it) {
  if (!pos_valid(it)) {
    set_data(it, NULL);
    return;
  }
  if (it->data && it->bpos == it->pos) return; /* already there */
  set_data(it, NULL);
  dc_block *b;
  dc_cache_handle *h;
  if (get_block(it->t, (uint64_t)it->pos, &b, &h, &it->err)) return;
  it->pin.b = b;
  it->pin.h = h;
  dc_iter *d = dc_block_iter(b, pin_release, &it->pin);
  if (!d) {
    pin_release(&it->pin);
    dc_err_set(&it->err, DC_NOMEM, "sst %s: out of memory", it->t->path);
    return;
  }
  it->data = d;
  it->bpos = it->pos;
}

static void skip_forward(sst_iter *it) {
  while (!it->err.code && (!it->data || !it->data->vt->valid(it->data))) {
    if (it->data && data_failed(it)) return;
    if (!pos_valid(it)) {
      set_data(it, NULL);
      return;
    }
    it->pos++;
    init_data(it);
    if (it->data) it->data->vt->seek_first(it->data);
  }
}

static void skip_backward(sst_iter *it) {
  while (!it->err.code && (!it->data || !it->data->vt->valid(it->data))) {
    if (it->data && data_failed(it)) return;
    if (!pos_valid(it)) {
      set_data(it, NULL);
      return;
    }
    it->pos--;
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
  it->pos = 0;
  init_data(it);
  if (it->data) it->data->vt->seek_first(it->data);
  skip_forward(it);
}

static void si_seek_last(dc_iter *i) {
  sst_iter *it = (sst_iter *)i;
  if (it->err.code) return;
  it->pos = (int64_t)it->t->nblocks - 1;
  init_data(it);
  if (it->data) it->data->vt->seek_last(it->data);
  skip_backward(it);
}

static void si_seek(dc_iter *i, const char *k, size_t n) {
  sst_iter *it = (sst_iter *)i;
  if (it->err.code) return;
  it->pos = (int64_t)index_seek(it->t, k, n);
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
  it->pos = -1;
  return &it->base;
}
