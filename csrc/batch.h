/* batch.h — the write batch representation.
 *
 * A batch body is `count` operations, each:
 *   u8 kind (DC_KIND_PUT / DC_KIND_DEL), varint32 klen, key bytes,
 *   and for a put: varint32 vlen, value bytes.
 * The same body is what a WAL record carries and what dc_wal_record.ops holds.
 */
#ifndef DC_BATCH_H
#define DC_BATCH_H

#include "coding.h"
#include "dyncore.h"

struct dc_batch {
  dc_buf rep;
  uint32_t count;
};

typedef struct dc_batch_op {
  int kind;
  const char *key;
  size_t klen;
  const char *val;
  size_t vlen;
} dc_batch_op;

/* Decode the operation at *p (within [*p, limit)); advances *p.
 * Returns 0, or -1 if the body is damaged. */
int dc_batch_decode(const char **p, const char *limit, dc_batch_op *op);

/* Check that a body holds exactly `count` well-formed operations. */
int dc_batch_validate(const char *body, size_t len, uint32_t count);

#endif
