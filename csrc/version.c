/* version.c — versions, edits, lookups through levels, and the manifest. */
#include "version.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikey.h"
#include "status.h"
#include "xxh64.h"

void dc_sst_path(char *buf, size_t n, const char *dir, uint64_t number) {
  snprintf(buf, n, "%s/sst/%020" PRIu64 ".sst", dir, number);
}

void dc_wal_path(char *buf, size_t n, const char *dir, uint64_t number) {
  snprintf(buf, n, "%s/wal/%020" PRIu64 ".log", dir, number);
}

/* ---------------- file metadata ---------------- */

void dc_file_ref(dc_filemeta *f) { __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED); }

void dc_file_unref(dc_filemeta *f) {
  if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  if (f->sst) dc_sst_close(f->sst); /* also drops its blocks from the cache */
  if (f->obsolete_delete && f->path) f->env->remove(f->env, f->path, NULL);
  free(f->smallest);
  free(f->largest);
  free(f->path);
  free(f);
}

int dc_filemeta_open(dc_env *env, const char *dir, dc_cache *cache, uint64_t cache_owner,
                     int paranoid, uint64_t number, dc_sst_meta *meta, dc_filemeta **out,
                     dc_error *err) {
  dc_filemeta *f = calloc(1, sizeof *f);
  char path[4096];
  dc_sst_path(path, sizeof path, dir, number);
  if (!f || !(f->path = strdup(path))) {
    free(f);
    dc_sst_meta_free(meta);
    return dc_err_set(err, DC_NOMEM, "open %s: out of memory", path);
  }
  f->number = number;
  f->file_size = meta->file_size;
  f->entries = meta->entries;
  f->min_seq = meta->min_seq;
  f->max_seq = meta->max_seq;
  f->smallest = meta->smallest;
  f->smallest_len = meta->smallest_len;
  f->largest = meta->largest;
  f->largest_len = meta->largest_len;
  meta->smallest = meta->largest = NULL;
  f->refs = 1;
  f->env = env;
  int rc = dc_sst_open(env, path, number, cache, cache_owner, paranoid, &f->sst, err);
  if (rc) {
    f->obsolete_delete = 0;
    dc_file_unref(f);
    return rc;
  }
  *out = f;
  return DC_OK;
}

/* ---------------- versions ---------------- */

dc_version *dc_version_new(void) {
  dc_version *v = calloc(1, sizeof *v);
  if (v) v->refs = 1;
  return v;
}

void dc_version_ref(dc_version *v) { __atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED); }

void dc_version_unref(dc_version *v) {
  if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  for (int l = 0; l < DC_LEVELS; l++) {
    for (int i = 0; i < v->nfiles[l]; i++) dc_file_unref(v->files[l][i]);
    free(v->files[l]);
  }
  free(v);
}

uint64_t dc_version_level_bytes(const dc_version *v, int level) {
  uint64_t s = 0;
  for (int i = 0; i < v->nfiles[level]; i++) s += v->files[level][i]->file_size;
  return s;
}

void dc_vedit_add(dc_vedit *e, int level, dc_filemeta *f) {
  e->added = realloc(e->added, sizeof(*e->added) * (size_t)(e->nadded + 1));
  e->added_level = realloc(e->added_level, sizeof(int) * (size_t)(e->nadded + 1));
  e->added[e->nadded] = f;
  e->added_level[e->nadded] = level;
  e->nadded++;
}

void dc_vedit_remove(dc_vedit *e, uint64_t number) {
  e->removed = realloc(e->removed, sizeof(uint64_t) * (size_t)(e->nremoved + 1));
  e->removed[e->nremoved++] = number;
}

void dc_vedit_free(dc_vedit *e) {
  for (int i = 0; i < e->nadded; i++) dc_file_unref(e->added[i]);
  free(e->added);
  free(e->added_level);
  free(e->removed);
  memset(e, 0, sizeof *e);
}

static int cmp_l0(const void *a, const void *b) { /* newest (largest number) first */
  const dc_filemeta *x = *(dc_filemeta *const *)a, *y = *(dc_filemeta *const *)b;
  return x->number < y->number ? 1 : (x->number > y->number ? -1 : 0);
}

static int cmp_smallest(const void *a, const void *b) {
  const dc_filemeta *x = *(dc_filemeta *const *)a, *y = *(dc_filemeta *const *)b;
  return dc_ikey_cmp(x->smallest, x->smallest_len, y->smallest, y->smallest_len);
}

dc_version *dc_version_apply(const dc_version *base, const dc_vedit *e) {
  dc_version *v = dc_version_new();
  if (!v) return NULL;
  for (int l = 0; l < DC_LEVELS; l++) {
    int cap = (base ? base->nfiles[l] : 0);
    for (int i = 0; i < e->nadded; i++) cap += e->added_level[i] == l;
    if (!cap) continue;
    v->files[l] = malloc(sizeof(dc_filemeta *) * (size_t)cap);
    if (!v->files[l]) { dc_version_unref(v); return NULL; }
    int n = 0;
    for (int i = 0; base && i < base->nfiles[l]; i++) {
      dc_filemeta *f = base->files[l][i];
      int gone = 0;
      for (int j = 0; j < e->nremoved && !gone; j++) gone = e->removed[j] == f->number;
      if (gone) continue;
      dc_file_ref(f);
      v->files[l][n++] = f;
    }
    for (int i = 0; i < e->nadded; i++) {
      if (e->added_level[i] != l) continue;
      dc_file_ref(e->added[i]);
      v->files[l][n++] = e->added[i];
    }
    v->nfiles[l] = n;
    qsort(v->files[l], (size_t)n, sizeof(dc_filemeta *), l == 0 ? cmp_l0 : cmp_smallest);
  }
  return v;
}

/* ---------------- lookups ---------------- */

int dc_ukey_in_file(const dc_filemeta *f, const char *ukey, size_t ulen) {
  return dc_bytes_cmp(ukey, ulen, f->smallest, f->smallest_len - 8) >= 0 &&
         dc_bytes_cmp(ukey, ulen, f->largest, f->largest_len - 8) <= 0;
}

int dc_find_file(dc_filemeta *const *files, int n, const char *ukey, size_t ulen) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    dc_filemeta *f = files[mid];
    if (dc_bytes_cmp(f->largest, f->largest_len - 8, ukey, ulen) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

int dc_version_get(dc_version *v, const char *ukey, size_t ulen, uint64_t snap_seq,
                   int *result, dc_buf *val, dc_error *err) {
  *result = DC_GET_MISS;
  for (int i = 0; i < v->nfiles[0]; i++) {
    dc_filemeta *f = v->files[0][i];
    if (f->min_seq > snap_seq || !dc_ukey_in_file(f, ukey, ulen)) continue;
    int rc = dc_sst_get(f->sst, ukey, ulen, snap_seq, result, val, err);
    if (rc) return rc;
    if (*result != DC_GET_MISS) return DC_OK;
  }
  for (int l = 1; l < DC_LEVELS; l++) {
    int n = v->nfiles[l];
    if (!n) continue;
    /* A user key's versions may straddle two adjacent files of a level only if
     * a compaction split them, which ours never do (outputs are cut between
     * user keys), so one file per level suffices. */
    int i = dc_find_file(v->files[l], n, ukey, ulen);
    if (i >= n) continue;
    dc_filemeta *f = v->files[l][i];
    if (!dc_ukey_in_file(f, ukey, ulen) || f->min_seq > snap_seq) continue;
    int rc = dc_sst_get(f->sst, ukey, ulen, snap_seq, result, val, err);
    if (rc) return rc;
    if (*result != DC_GET_MISS) return DC_OK;
  }
  return DC_OK;
}

dc_filemeta **dc_version_overlaps(const dc_version *v, int level, const char *smallest,
                                  size_t slen, const char *largest, size_t llen, int *n) {
  dc_filemeta **out = malloc(sizeof(dc_filemeta *) * (size_t)(v->nfiles[level] + 1));
  int k = 0;
  for (int i = 0; out && i < v->nfiles[level]; i++) {
    dc_filemeta *f = v->files[level][i];
    if (dc_bytes_cmp(f->largest, f->largest_len - 8, smallest, slen - 8) < 0) continue;
    if (dc_bytes_cmp(f->smallest, f->smallest_len - 8, largest, llen - 8) > 0) continue;
    out[k++] = f;
  }
  *n = k;
  return out;
}

/* ---------------- iterators over a version ---------------- */

typedef struct level_arg {
  dc_version *v;
  int level;
  const char **largest;
  size_t *largest_len;
} level_arg;

static dc_iter *level_open_child(void *arg, int i) {
  level_arg *a = arg;
  return dc_sst_iter(a->v->files[a->level][i]->sst);
}

static void level_release(void *arg) {
  level_arg *a = arg;
  dc_version_unref(a->v);
  free(a->largest);
  free(a->largest_len);
  free(a);
}

typedef struct pinned_iter { /* an sst iterator that also pins the version */
  dc_iter base;
  dc_iter *inner;
  dc_version *v;
} pinned_iter;

#define PIN(it) ((pinned_iter *)(it))
static int pi_valid(dc_iter *it) { return PIN(it)->inner->vt->valid(PIN(it)->inner); }
static void pi_first(dc_iter *it) { PIN(it)->inner->vt->seek_first(PIN(it)->inner); }
static void pi_last(dc_iter *it) { PIN(it)->inner->vt->seek_last(PIN(it)->inner); }
static void pi_seek(dc_iter *it, const char *k, size_t n) { PIN(it)->inner->vt->seek(PIN(it)->inner, k, n); }
static void pi_next(dc_iter *it) { PIN(it)->inner->vt->next(PIN(it)->inner); }
static void pi_prev(dc_iter *it) { PIN(it)->inner->vt->prev(PIN(it)->inner); }
static const char *pi_key(dc_iter *it, size_t *n) { return PIN(it)->inner->vt->key(PIN(it)->inner, n); }
static const char *pi_value(dc_iter *it, size_t *n) { return PIN(it)->inner->vt->value(PIN(it)->inner, n); }
static int pi_status(dc_iter *it, dc_error *e) { return PIN(it)->inner->vt->status(PIN(it)->inner, e); }
static void pi_destroy(dc_iter *it) {
  PIN(it)->inner->vt->destroy(PIN(it)->inner);
  dc_version_unref(PIN(it)->v);
  free(it);
}
static const dc_iter_vt pinned_vt = {pi_valid, pi_first, pi_last, pi_seek, pi_next,
                                     pi_prev, pi_key, pi_value, pi_status, pi_destroy};

static int push_iter(dc_iter ***out, int *n, int *cap, dc_iter *it) {
  if (!it) return DC_NOMEM;
  if (*n == *cap) {
    int nc = *cap ? *cap * 2 : 8;
    dc_iter **a = realloc(*out, sizeof(dc_iter *) * (size_t)nc);
    if (!a) { it->vt->destroy(it); return DC_NOMEM; }
    *out = a;
    *cap = nc;
  }
  (*out)[(*n)++] = it;
  return DC_OK;
}

int dc_version_add_iters(dc_version *v, dc_iter ***out, int *n, int *cap) {
  for (int i = 0; i < v->nfiles[0]; i++) {
    pinned_iter *p = malloc(sizeof *p);
    if (!p) return DC_NOMEM;
    p->base.vt = &pinned_vt;
    p->inner = dc_sst_iter(v->files[0][i]->sst);
    p->v = v;
    dc_version_ref(v);
    if (push_iter(out, n, cap, &p->base)) return DC_NOMEM;
  }
  for (int l = 1; l < DC_LEVELS; l++) {
    int nf = v->nfiles[l];
    if (!nf) continue;
    level_arg *a = calloc(1, sizeof *a);
    if (!a) return DC_NOMEM;
    a->v = v;
    a->level = l;
    a->largest = malloc(sizeof(char *) * (size_t)nf);
    a->largest_len = malloc(sizeof(size_t) * (size_t)nf);
    if (!a->largest || !a->largest_len) { free(a->largest); free(a->largest_len); free(a); return DC_NOMEM; }
    for (int i = 0; i < nf; i++) {
      a->largest[i] = v->files[l][i]->largest;
      a->largest_len[i] = v->files[l][i]->largest_len;
    }
    dc_version_ref(v);
    dc_iter *it = dc_concat_iter_new(nf, level_open_child, a, (const char *const *)a->largest,
                                     a->largest_len, level_release);
    if (push_iter(out, n, cap, it)) return DC_NOMEM;
  }
  return DC_OK;
}

/* ---------------- manifest ----------------
 * MANIFEST-<n>:
 *   u64 magic "dcMANIFE" | u32 format version | u32 reserved
 *   u64 next_file | u64 last_seq | u64 log_number | u64 hlc
 *   for each of DC_LEVELS levels: u32 nfiles, then per file:
 *     u64 number, u64 file_size, u64 entries, u64 min_seq, u64 max_seq,
 *     varint32 len + smallest ikey, varint32 len + largest ikey
 *   u32 checksum of everything before it
 */
#define MANIFEST_MAGIC 0x45464e414d4d4364ULL
#define MANIFEST_FORMAT 1

int dc_manifest_write(dc_env *env, const char *dir, uint64_t manifest_number,
                      uint64_t prev_manifest, const dc_version *v,
                      const dc_manifest_state *st, dc_error *err) {
  dc_buf b = {0};
  dc_buf_put64(&b, MANIFEST_MAGIC);
  dc_buf_put32(&b, MANIFEST_FORMAT);
  dc_buf_put32(&b, 0);
  dc_buf_put64(&b, st->next_file);
  dc_buf_put64(&b, st->last_seq);
  dc_buf_put64(&b, st->log_number);
  dc_buf_put64(&b, st->hlc);
  for (int l = 0; l < DC_LEVELS; l++) {
    dc_buf_put32(&b, (uint32_t)v->nfiles[l]);
    for (int i = 0; i < v->nfiles[l]; i++) {
      const dc_filemeta *f = v->files[l][i];
      dc_buf_put64(&b, f->number);
      dc_buf_put64(&b, f->file_size);
      dc_buf_put64(&b, f->entries);
      dc_buf_put64(&b, f->min_seq);
      dc_buf_put64(&b, f->max_seq);
      dc_buf_put_lp(&b, f->smallest, f->smallest_len);
      dc_buf_put_lp(&b, f->largest, f->largest_len);
    }
  }
  if (dc_buf_put32(&b, dc_checksum32(b.data, b.len))) {
    dc_buf_free(&b);
    return dc_err_set(err, DC_NOMEM, "write manifest: out of memory");
  }
  char name[64], path[4096];
  snprintf(name, sizeof name, "MANIFEST-%06" PRIu64, manifest_number);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  dc_file *f;
  int rc = env->open(env, path, DC_OPEN_WRITE, &f, err);
  if (!rc) {
    rc = env->append(env, f, b.data, b.len, err);
    if (!rc) rc = env->sync(env, f, err);
    int crc = env->close(env, f, rc ? NULL : err);
    if (!rc) rc = crc;
  }
  dc_buf_free(&b);
  if (rc) {
    env->remove(env, path, NULL);
    return rc;
  }
  /* Point CURRENT at it: write CURRENT.tmp, sync, rename, sync the directory.
   * Once the rename is done CURRENT may name the new manifest even if a later
   * step fails, so from then on nothing is removed. */
  char cur[80], tmp[4096], dst[4096];
  int n = snprintf(cur, sizeof cur, "%s\n", name);
  snprintf(tmp, sizeof tmp, "%s/CURRENT.tmp", dir);
  snprintf(dst, sizeof dst, "%s/CURRENT", dir);
  rc = env->open(env, tmp, DC_OPEN_WRITE, &f, err);
  if (!rc) {
    rc = env->append(env, f, cur, (size_t)n, err);
    if (!rc) rc = env->sync(env, f, err);
    int crc = env->close(env, f, rc ? NULL : err);
    if (!rc) rc = crc;
  }
  if (!rc) rc = env->rename(env, tmp, dst, err);
  if (rc) {
    env->remove(env, tmp, NULL);
    env->remove(env, path, NULL);
    return rc;
  }
  rc = env->sync_dir(env, dir, err);
  if (rc) return rc;
  if (prev_manifest && prev_manifest != manifest_number) {
    snprintf(path, sizeof path, "%s/MANIFEST-%06" PRIu64, dir, prev_manifest);
    env->remove(env, path, NULL);
  }
  return DC_OK;
}

int dc_manifest_load(dc_env *env, const char *dir, dc_cache *cache, uint64_t cache_owner,
                     int paranoid, dc_version **out, dc_manifest_state *st,
                     uint64_t *manifest_number, dc_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/CURRENT", dir);
  if (!env->exists(env, path)) return DC_NOTFOUND;
  char *cur;
  size_t curlen;
  int rc = dc_env_read_all(env, path, &cur, &curlen, err);
  if (rc) return rc;
  uint64_t mnum = 0;
  if (curlen < 10 || curlen > 40 || memcmp(cur, "MANIFEST-", 9) != 0 || cur[curlen - 1] != '\n') {
    free(cur);
    return dc_err_set(err, DC_CORRUPT, "corrupt %s: not a manifest name", path);
  }
  for (size_t i = 9; i < curlen - 1; i++) {
    if (cur[i] < '0' || cur[i] > '9') {
      free(cur);
      return dc_err_set(err, DC_CORRUPT, "corrupt %s: not a manifest name", path);
    }
    mnum = mnum * 10 + (uint64_t)(cur[i] - '0');
  }
  snprintf(path, sizeof path, "%s/%.*s", dir, (int)(curlen - 1), cur);
  free(cur);
  char *data;
  size_t len;
  rc = dc_env_read_all(env, path, &data, &len, err);
  if (rc) {
    if (rc == DC_NOTFOUND)
      return dc_err_set(err, DC_CORRUPT, "CURRENT names %s, which is missing", path);
    return rc;
  }
  const char *p = data, *limit = data + len;
  if (len < 24 + 32 + 4 || dc_dec64(p) != MANIFEST_MAGIC) {
    free(data);
    return dc_err_set(err, DC_CORRUPT, "corrupt manifest %s at offset 0: bad magic or size", path);
  }
  if (dc_checksum32(data, len - 4) != dc_dec32(data + len - 4)) {
    free(data);
    return dc_err_set(err, DC_CORRUPT, "corrupt manifest %s at offset %zu: checksum mismatch",
                      path, len - 4);
  }
  uint32_t fmt = dc_dec32(p + 8);
  if (fmt > MANIFEST_FORMAT) {
    free(data);
    return dc_err_set(err, DC_INVALID, "manifest %s has format %u, newer than this build (%d)",
                      path, fmt, MANIFEST_FORMAT);
  }
  p += 16;
  st->next_file = dc_dec64(p);
  st->last_seq = dc_dec64(p + 8);
  st->log_number = dc_dec64(p + 16);
  st->hlc = dc_dec64(p + 24);
  p += 32;
  limit -= 4;
  dc_vedit e = {0};
  for (int l = 0; l < DC_LEVELS && !rc; l++) {
    if (limit - p < 4) { rc = DC_CORRUPT; break; }
    uint32_t nf = dc_dec32(p);
    p += 4;
    for (uint32_t i = 0; i < nf && !rc; i++) {
      dc_sst_meta m = {0};
      uint32_t sl, ll;
      if (limit - p < 40) { rc = DC_CORRUPT; break; }
      uint64_t number = dc_dec64(p);
      m.file_size = dc_dec64(p + 8);
      m.entries = dc_dec64(p + 16);
      m.min_seq = dc_dec64(p + 24);
      m.max_seq = dc_dec64(p + 32);
      p += 40;
      if (!(p = dc_get_varint32(p, limit, &sl)) || (size_t)(limit - p) < sl || sl < 8) { rc = DC_CORRUPT; break; }
      m.smallest = malloc(sl);
      memcpy(m.smallest, p, sl);
      m.smallest_len = sl;
      p += sl;
      if (!(p = dc_get_varint32(p, limit, &ll)) || (size_t)(limit - p) < ll || ll < 8) {
        free(m.smallest);
        rc = DC_CORRUPT;
        break;
      }
      m.largest = malloc(ll);
      memcpy(m.largest, p, ll);
      m.largest_len = ll;
      p += ll;
      dc_filemeta *f;
      rc = dc_filemeta_open(env, dir, cache, cache_owner, paranoid, number, &m, &f, err);
      if (!rc) dc_vedit_add(&e, l, f);
    }
  }
  if (rc == DC_CORRUPT && (!err || err->code == DC_OK))
    dc_err_set(err, DC_CORRUPT, "corrupt manifest %s at offset %td: bad file record", path,
               p ? p - data : -1);
  free(data);
  if (rc) {
    dc_vedit_free(&e);
    return rc;
  }
  *out = dc_version_apply(NULL, &e);
  dc_vedit_free(&e);
  if (!*out) return dc_err_set(err, DC_NOMEM, "load manifest: out of memory");
  *manifest_number = mnum;
  return DC_OK;
}
