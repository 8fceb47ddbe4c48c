#include "status.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int dc_err_set(dc_error *err, int code, const char *fmt, ...) {
  if (err && err->code == DC_OK) {
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

int dc_err_errno(dc_error *err, int errnum, const char *what, const char *path) {
  int code = (errnum == ENOSPC || errnum == EDQUOT) ? DC_NOSPC : DC_IOERR;
  char buf[128];
  const char *msg = strerror_r(errnum, buf, sizeof buf);
  return dc_err_set(err, code, "%s %s: %s", what, path ? path : "", msg);
}

void dc_err_clear(dc_error *err) {
  if (err) {
    err->code = DC_OK;
    err->message[0] = 0;
  }
}

int dc_err_copy(dc_error *dst, const dc_error *src) {
  if (!src) return DC_OK;
  if (dst && src->code != DC_OK && dst->code == DC_OK) *dst = *src;
  return src->code;
}

const char *dc_code_name(int code) {
  switch (code) {
    case DC_OK: return "OK";
    case DC_NOTFOUND: return "NOTFOUND";
    case DC_CORRUPT: return "CORRUPT";
    case DC_IOERR: return "IOERR";
    case DC_NOSPC: return "NOSPC";
    case DC_LOCKED: return "LOCKED";
    case DC_CLOSED: return "CLOSED";
    case DC_MISUSE: return "MISUSE";
    case DC_NOMEM: return "NOMEM";
    case DC_INVALID: return "INVALID";
    case DC_TRIMMED: return "TRIMMED";
    default: return "UNKNOWN";
  }
}
