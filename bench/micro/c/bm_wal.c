/* bm_wal.c — bench only: appending WAL records (no fsync). */
#include <stdint.h>

#include "env.h"
#include "wal.h"

/* Create `path` and append n records of `body`, grouped `group` records per
 * write (1: every record is its own append, as a lone writer does). */
int bm_wal_add_write(const char *path, const char *body, size_t len, size_t n, size_t group,
                     uint64_t *size) {
  dc_env *env = dc_env_posix();
  dc_wal *w;
  dc_error err = {0};
  int rc = dc_wal_create(env, path, &w, &err);
  if (rc) return rc;
  if (group < 1) group = 1;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = dc_wal_add(w, (uint64_t)i + 1, (uint64_t)i, 0, 1, body, len, &err);
    if (!rc && ((i + 1) % group == 0 || i + 1 == n)) rc = dc_wal_write(w, &err);
  }
  *size = dc_wal_size(w);
  int rc2 = dc_wal_close(w, &err);
  return rc ? rc : rc2;
}
