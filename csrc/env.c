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
