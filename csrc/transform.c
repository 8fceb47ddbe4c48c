/* transform.c — the block-transform pipeline (transform.h): zstd now,
 * encryption later.
 *
 * zstd is not linked: dc_zstd_load() dlopen()s a shared object that exports
 * the ZSTD_* one-shot API (the _zstd extension module of backports.zstd does)
 * and resolves the handful of functions below, so that building the engine
 * needs no libzstd headers. Compression and decompression contexts are per
 * thread (created on first use, freed when the thread exits), so flush,
 * compaction and reader threads never share one.
 */
#include "transform.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xxh64.h"

/* The subset of zstd.h we use, declared here (zstd's stable one-shot API). */
typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;
typedef size_t (*zstd_compress_bound_fn)(size_t);
typedef unsigned (*zstd_is_error_fn)(size_t);
typedef ZSTD_CCtx *(*zstd_create_cctx_fn)(void);
typedef size_t (*zstd_free_cctx_fn)(ZSTD_CCtx *);
typedef size_t (*zstd_compress_cctx_fn)(ZSTD_CCtx *, void *, size_t, const void *, size_t, int);
typedef ZSTD_DCtx *(*zstd_create_dctx_fn)(void);
typedef size_t (*zstd_free_dctx_fn)(ZSTD_DCtx *);
typedef size_t (*zstd_decompress_dctx_fn)(ZSTD_DCtx *, void *, size_t, const void *, size_t);

static struct {
  zstd_compress_bound_fn compress_bound;
  zstd_is_error_fn is_error;
  zstd_create_cctx_fn create_cctx;
  zstd_free_cctx_fn free_cctx;
  zstd_compress_cctx_fn compress_cctx;
  zstd_create_dctx_fn create_dctx;
  zstd_free_dctx_fn free_dctx;
  zstd_decompress_dctx_fn decompress_dctx;
} zs;
static int zstd_loaded;                /* read with acquire, set with release */
static pthread_mutex_t zstd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t ctx_key;          /* frees a thread's contexts at exit */

typedef struct zstd_ctxs {
  ZSTD_CCtx *c;
  ZSTD_DCtx *d;
} zstd_ctxs;
static __thread zstd_ctxs *tls_ctxs;

static void ctxs_free(void *p) {
  zstd_ctxs *x = p;
  if (!x) return;
  if (x->c) zs.free_cctx(x->c);
  if (x->d) zs.free_dctx(x->d);
  free(x);
  tls_ctxs = NULL;
}

static zstd_ctxs *ctxs_get(void) {
  zstd_ctxs *x = tls_ctxs;
  if (x) return x;
  x = calloc(1, sizeof *x);
  if (!x) return NULL;
  pthread_setspecific(ctx_key, x);
  tls_ctxs = x;
  return x;
}

int dc_zstd_load(const char *library_path, dc_error *err) {
  if (!library_path || !*library_path)
    return dc_err_set(err, DC_INVALID, "zstd: no library path given");
  pthread_mutex_lock(&zstd_mu);
  if (__atomic_load_n(&zstd_loaded, __ATOMIC_ACQUIRE)) {
    pthread_mutex_unlock(&zstd_mu);
    return DC_OK;
  }
  void *h = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    pthread_mutex_unlock(&zstd_mu);
    return dc_err_set(err, DC_INVALID, "zstd: dlopen %s: %s", library_path, e ? e : "failed");
  }
  static const char *const names[] = {"ZSTD_compressBound", "ZSTD_isError",
                                      "ZSTD_createCCtx",    "ZSTD_freeCCtx",
                                      "ZSTD_compressCCtx",  "ZSTD_createDCtx",
                                      "ZSTD_freeDCtx",      "ZSTD_decompressDCtx"};
  void *fn[8];
  for (int i = 0; i < 8; i++) {
    fn[i] = dlsym(h, names[i]);
    if (!fn[i]) {
      dlclose(h);
      pthread_mutex_unlock(&zstd_mu);
      return dc_err_set(err, DC_INVALID, "zstd: %s does not export %s", library_path, names[i]);
    }
  }
  if (pthread_key_create(&ctx_key, ctxs_free) != 0) {
    dlclose(h);
    pthread_mutex_unlock(&zstd_mu);
    return dc_err_set(err, DC_NOMEM, "zstd: pthread_key_create failed");
  }
  /* The handle is kept open for the life of the process. */
  zs.compress_bound = (zstd_compress_bound_fn)fn[0];
  zs.is_error = (zstd_is_error_fn)fn[1];
  zs.create_cctx = (zstd_create_cctx_fn)fn[2];
  zs.free_cctx = (zstd_free_cctx_fn)fn[3];
  zs.compress_cctx = (zstd_compress_cctx_fn)fn[4];
  zs.create_dctx = (zstd_create_dctx_fn)fn[5];
  zs.free_dctx = (zstd_free_dctx_fn)fn[6];
  zs.decompress_dctx = (zstd_decompress_dctx_fn)fn[7];
  __atomic_store_n(&zstd_loaded, 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&zstd_mu);
  return DC_OK;
}

int dc_zstd_available(void) { return __atomic_load_n(&zstd_loaded, __ATOMIC_ACQUIRE); }

/* Append the 9-byte trailer for the stored bytes out->data[start..len). */
static void put_trailer(dc_buf *out, size_t start, unsigned steps, size_t raw_len) {
  char *p = out->data + out->len;
  p[0] = (char)steps;
  dc_enc32(p + 1, (uint32_t)raw_len);
  /* checksum over the stored bytes and the steps byte, which follow each other */
  dc_enc32(p + 5, dc_checksum32(out->data + start, out->len - start + 1));
  out->len += DC_BLOCK_TRAILER;
}

/* Try zstd into out at out->len; returns 1 if it was applied (and saved >= 1/8). */
static int try_zstd(int level, const char *raw, size_t len, dc_buf *out) {
  zstd_ctxs *x = ctxs_get();
  if (!x) return 0;
  if (!x->c && !(x->c = zs.create_cctx())) return 0;
  size_t limit = len - len / 8; /* the most a worthwhile result may take */
  size_t bound = zs.compress_bound(len);
  if (zs.is_error(bound) || dc_buf_reserve(out, bound + DC_BLOCK_TRAILER)) return 0;
  size_t n = zs.compress_cctx(x->c, out->data + out->len, bound, raw, len, level);
  if (zs.is_error(n) || n > limit) return 0;
  out->len += n;
  return 1;
}

int dc_transform_encode(const dc_transform *t, const char *raw, size_t len, dc_buf *out,
                        dc_error *err) {
  if (len > UINT32_MAX) return dc_err_set(err, DC_INVALID, "block of %zu bytes is too large", len);
  size_t start = out->len;
  unsigned steps = 0;
  if (t && t->zstd_level != 0 && len >= 64 && dc_zstd_available() &&
      try_zstd(t->zstd_level, raw, len, out))
    steps |= DC_STEP_ZSTD;
  if (!steps) {
    if (dc_buf_reserve(out, len + DC_BLOCK_TRAILER))
      return dc_err_set(err, DC_NOMEM, "block encode: out of memory");
    if (len) memcpy(out->data + out->len, raw, len);
    out->len += len;
  } else if (dc_buf_reserve(out, DC_BLOCK_TRAILER)) {
    out->len = start;
    return dc_err_set(err, DC_NOMEM, "block encode: out of memory");
  }
  put_trailer(out, start, steps, len);
  return DC_OK;
}

int dc_transform_decode(const char *stored, size_t len, const char **raw, size_t *raw_len,
                        int *owned, const char *file, uint64_t offset, dc_error *err) {
  if (!file) file = "";
  if (len < DC_BLOCK_TRAILER)
    return dc_err_set(err, DC_CORRUPT, "corrupt block in %s at offset %llu: %zu bytes is too short",
                      file, (unsigned long long)offset, len);
  size_t n = len - DC_BLOCK_TRAILER;
  const char *tr = stored + n;
  unsigned steps = (unsigned char)tr[0];
  uint32_t rlen = dc_dec32(tr + 1), sum = dc_dec32(tr + 5);
  if (dc_checksum32(stored, n + 1) != sum)
    return dc_err_set(err, DC_CORRUPT, "corrupt block in %s at offset %llu: checksum mismatch",
                      file, (unsigned long long)offset);
  if (steps & ~DC_STEP_ZSTD)
    return dc_err_set(err, DC_CORRUPT, "corrupt block in %s at offset %llu: unknown steps 0x%x",
                      file, (unsigned long long)offset, steps);
  if (!steps) {
    if (rlen != n)
      return dc_err_set(err, DC_CORRUPT,
                        "corrupt block in %s at offset %llu: length %u, trailer says %u", file,
                        (unsigned long long)offset, (unsigned)n, rlen);
    *raw = stored;
    *raw_len = n;
    *owned = 0;
    return DC_OK;
  }
  if (!dc_zstd_available())
    return dc_err_set(err, DC_INVALID,
                      "block in %s at offset %llu is zstd-compressed but zstd is not loaded", file,
                      (unsigned long long)offset);
  zstd_ctxs *x = ctxs_get();
  if (!x || (!x->d && !(x->d = zs.create_dctx())))
    return dc_err_set(err, DC_NOMEM, "zstd: cannot create a decompression context");
  char *out = malloc(rlen ? rlen : 1);
  if (!out) return dc_err_set(err, DC_NOMEM, "block decode: out of memory (%u bytes)", rlen);
  size_t got = zs.decompress_dctx(x->d, out, rlen, stored, n);
  if (zs.is_error(got) || got != rlen) {
    free(out);
    return dc_err_set(err, DC_CORRUPT,
                      "corrupt block in %s at offset %llu: zstd data does not decode to %u bytes",
                      file, (unsigned long long)offset, rlen);
  }
  *raw = out;
  *raw_len = rlen;
  *owned = 1;
  return DC_OK;
}
