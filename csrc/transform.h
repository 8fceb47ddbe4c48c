/* transform.h — the block-transform pipeline between the block builder and
 * the file: compression now (zstd), encryption later, as steps of one
 * mechanism. Each stored block is followed by a 9-byte trailer:
 *
 *   u8  steps      bitmask of the steps applied (bit 0: zstd; bit 1 reserved
 *                  for encryption), applied in bit order, undone in reverse
 *   u32 raw_len    length of the block before any step
 *   u32 checksum   low 32 bits of xxh64 over the stored bytes and `steps`
 *
 * A step may decline (zstd declines when it saves less than 1/8): the block
 * is then stored without it and its bit is clear.
 */
#ifndef DC_TRANSFORM_H
#define DC_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "coding.h"
#include "dyncore.h"

#define DC_BLOCK_TRAILER 9
#define DC_STEP_ZSTD 1u

typedef struct dc_transform {
  int zstd_level; /* 0: no compression */
  /* encryption key material will join here */
} dc_transform;

/* Resolve ZSTD_* from a shared object (e.g. the _zstd module of
 * backports.zstd). Process-wide; safe to call more than once. */
int dc_zstd_load(const char *library_path, dc_error *err);
int dc_zstd_available(void);

/* Encode raw into out (appending stored bytes + trailer). */
int dc_transform_encode(const dc_transform *t, const char *raw, size_t len, dc_buf *out,
                        dc_error *err);
/* Verify the checksum and undo the steps of one stored block (stored bytes +
 * trailer, `len` including the trailer). On success *raw is malloc'd (or, when
 * no step was applied, points into `stored` and *owned = 0). DC_CORRUPT names
 * `file` and `offset`. */
int dc_transform_decode(const char *stored, size_t len, const char **raw, size_t *raw_len,
                        int *owned, const char *file, uint64_t offset, dc_error *err);

#endif
