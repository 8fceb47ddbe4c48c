/* wal_writer.c — appending records to a WAL segment (format: wal.h, FORMATS.md "WAL").
 *
 * Theory of operation. dc_wal_add encodes a whole record (header, then body)
 * into a user-space buffer and checksums it there: no I/O, no lock. dc_wal_write
 * hands the whole buffer to ONE env->append, so a batch of records added by a
 * group-commit leader costs one system call, and a crash can only tear the
 * tail of that one append (which replay recognises as a torn tail).
 *
 * Failures are not retried here, and they leave the writer in a known state:
 *  - a failed append discards the buffered records (their writes failed) and
 *    truncates the file back to the last good size, so that a later append
 *    never lands behind a half-written record (that would be mid-log damage on
 *    recovery). If that truncate fails too, the writer is broken: every later
 *    write and sync returns the error and the store must start a new segment.
 *  - a failed sync always breaks the writer: after a failed fsync the kernel
 *    may have dropped the dirty pages, so a later "successful" sync would be
 *    a lie about data that is gone.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "wal.h"
#include "xxh64.h"

struct dc_wal {
  dc_env *env;
  dc_file *f;
  dc_buf buf;     /* records added but not yet written */
  uint64_t size;  /* bytes in the file (all records written so far) */
  dc_error fail;  /* sticky error once the writer is broken (code DC_OK if not) */
};

static int wal_new(dc_env *env, dc_file *f, uint64_t size, dc_wal **out, dc_error *err) {
  dc_wal *w = calloc(1, sizeof *w);
  if (!w) {
    const char *path = dc_file_path(f);
    int rc = dc_err_set(err, DC_NOMEM, "open WAL %s: out of memory", path);
    env->close(env, f, NULL);
    return rc;
  }
  w->env = env;
  w->f = f;
  w->size = size;
  *out = w;
  return DC_OK;
}

int dc_wal_create(dc_env *env, const char *path, dc_wal **out, dc_error *err) {
  dc_file *f;
  int rc = env->open(env, path, DC_OPEN_WRITE, &f, err);
  if (rc) return rc;
  return wal_new(env, f, 0, out, err);
}

int dc_wal_reopen(dc_env *env, const char *path, uint64_t valid_end, dc_wal **out,
                  dc_error *err) {
  dc_file *f;
  int rc = env->open(env, path, DC_OPEN_APPEND, &f, err);
  if (rc) return rc;
  uint64_t size;
  rc = env->size(env, f, &size, err);
  if (!rc && valid_end > size)
    rc = dc_err_set(err, DC_MISUSE,
                    "reopen WAL %s: valid end %" PRIu64 " is past the end of the file (%" PRIu64
                    " bytes)", path, valid_end, size);
  /* Writes go to the end of the file (append mode), so cutting the torn tail
   * off first makes the next record follow the last valid one. */
  if (!rc && valid_end < size) rc = env->truncate(env, f, valid_end, err);
  if (rc) {
    env->close(env, f, NULL);
    return rc;
  }
  return wal_new(env, f, valid_end, out, err);
}

int dc_wal_add(dc_wal *w, uint64_t seq, uint64_t hlc, uint32_t origin, uint32_t count,
               const char *body, size_t len, dc_error *err) {
  if (len > UINT32_MAX)
    return dc_err_set(err, DC_INVALID, "WAL %s: record body of %zu bytes is too large",
                      dc_file_path(w->f), len);
  if (dc_buf_reserve(&w->buf, DC_WAL_HEADER + len))
    return dc_err_set(err, DC_NOMEM, "WAL %s: out of memory for a %zu-byte record",
                      dc_file_path(w->f), len);
  char *p = w->buf.data + w->buf.len;
  dc_enc32(p + 4, (uint32_t)len);
  dc_enc64(p + 8, seq);
  dc_enc64(p + 16, hlc);
  dc_enc32(p + 24, origin);
  dc_enc32(p + 28, count);
  if (len) memcpy(p + DC_WAL_HEADER, body, len);
  dc_enc32(p, dc_checksum32(p + 4, DC_WAL_HEADER - 4 + len));
  w->buf.len += DC_WAL_HEADER + len;
  return DC_OK;
}

int dc_wal_write(dc_wal *w, dc_error *err) {
  if (w->fail.code) return dc_err_copy(err, &w->fail);
  size_t n = w->buf.len;
  if (n == 0) return DC_OK;
  w->buf.len = 0;
  dc_error e = {0};
  int rc = w->env->append(w->env, w->f, w->buf.data, n, &e);
  if (rc == DC_OK) {
    w->size += n;
    return DC_OK;
  }
  /* Part of the buffer may have reached the file: cut it off again. */
  dc_error te = {0};
  if (w->env->truncate(w->env, w->f, w->size, &te) != DC_OK) {
    dc_err_set(&w->fail, e.code,
               "WAL %s is unusable: a failed append could not be undone (%s; then %s)",
               dc_file_path(w->f), e.message, te.message);
  }
  return dc_err_copy(err, &e);
}

int dc_wal_sync(dc_wal *w, dc_error *err) {
  if (w->fail.code) return dc_err_copy(err, &w->fail);
  dc_error e = {0};
  int rc = w->env->sync(w->env, w->f, &e);
  if (rc == DC_OK) return DC_OK;
  dc_err_set(&w->fail, e.code, "WAL %s is unusable after a failed sync (%s)",
             dc_file_path(w->f), e.message);
  return dc_err_copy(err, &e);
}

uint64_t dc_wal_size(const dc_wal *w) { return w->size; }

int dc_wal_close(dc_wal *w, dc_error *err) {
  if (!w) return DC_OK;
  /* Records added but never written are dropped: only dc_wal_write puts
   * records in the file. */
  int rc = w->env->close(w->env, w->f, err);
  dc_buf_free(&w->buf);
  free(w);
  return rc;
}
