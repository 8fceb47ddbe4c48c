/* env.c — helpers built only on the dc_env interface. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "status.h"

int dc_env_read_all(dc_env *env, const char *path, char **data, size_t *len, dc_error *err) {
  dc_file *f;
  int rc = env->open(env, path, DC_OPEN_READ, &f, err);
  if (rc) return rc;
  uint64_t size;
  rc = env->size(env, f, &size, err);
  if (rc) { env->close(env, f, NULL); return rc; }
  char *buf = malloc(size ? size : 1);
  if (!buf) { env->close(env, f, NULL); return dc_err_set(err, DC_NOMEM, "read %s: out of memory", path); }
  size_t got = 0;
  rc = env->read(env, f, 0, size, buf, &got, err);
  env->close(env, f, NULL);
  if (rc) { free(buf); return rc; }
  *data = buf;
  *len = got;
  return DC_OK;
}

int dc_env_write_atomic(dc_env *env, const char *dir, const char *name, const void *data,
                        size_t len, dc_error *err) {
  char tmp[4096], dst[4096];
  snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
  snprintf(dst, sizeof dst, "%s/%s", dir, name);
  dc_file *f;
  int rc = env->open(env, tmp, DC_OPEN_WRITE, &f, err);
  if (rc) return rc;
  rc = env->append(env, f, data, len, err);
  if (!rc) rc = env->sync(env, f, err);
  int crc = env->close(env, f, rc ? NULL : err);
  if (!rc) rc = crc;
  if (!rc) rc = env->rename(env, tmp, dst, err);
  if (!rc) rc = env->sync_dir(env, dir, err);
  if (rc) env->remove(env, tmp, NULL);
  return rc;
}
