/* status.h — filling a caller-owned dc_error.
 *
 * Every internal fallible function takes a `dc_error *err` (may be NULL) and
 * returns an int code; dc_err_set records the first error's code and message
 * and returns the code so that callers can write `return dc_err_set(...)`.
 */
#ifndef DC_STATUS_H
#define DC_STATUS_H

#include "dyncore.h"

#if defined(__GNUC__)
#define DC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DC_PRINTF(a, b)
#endif

int dc_err_set(dc_error *err, int code, const char *fmt, ...) DC_PRINTF(3, 4);
/* Map an errno value from a failed call to a code: ENOSPC -> DC_NOSPC, else DC_IOERR.
 * The message is "<what> <path>: <strerror>". */
int dc_err_errno(dc_error *err, int errnum, const char *what, const char *path);
void dc_err_clear(dc_error *err);
/* Copy src into dst (either may be NULL). Returns src->code. */
int dc_err_copy(dc_error *dst, const dc_error *src);

#ifdef DC_DEBUG
#include <assert.h>
#define DC_ASSERT(x) assert(x)
#else
#define DC_ASSERT(x) ((void)0)
#endif

#endif
