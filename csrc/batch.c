#include "batch.h"

#include <stdlib.h>

#include "ikey.h"

dc_batch *dc_batch_new(void) { return calloc(1, sizeof(dc_batch)); }

int dc_batch_put(dc_batch *b, const char *key, size_t klen, const char *val, size_t vlen) {
  size_t len = b->rep.len;
  if (klen > UINT32_MAX || vlen > UINT32_MAX || dc_buf_putc(&b->rep, DC_KIND_PUT) ||
      dc_buf_put_lp(&b->rep, key, klen) || dc_buf_put_lp(&b->rep, val, vlen)) {
    b->rep.len = len; /* the batch is unchanged */
    return klen > UINT32_MAX || vlen > UINT32_MAX ? DC_INVALID : DC_NOMEM;
  }
  b->count++;
  return DC_OK;
}

int dc_batch_delete(dc_batch *b, const char *key, size_t klen) {
  size_t len = b->rep.len;
  if (klen > UINT32_MAX || dc_buf_putc(&b->rep, DC_KIND_DEL) || dc_buf_put_lp(&b->rep, key, klen)) {
    b->rep.len = len;
    return klen > UINT32_MAX ? DC_INVALID : DC_NOMEM;
  }
  b->count++;
  return DC_OK;
}

void dc_batch_clear(dc_batch *b) {
  b->rep.len = 0;
  b->count = 0;
}

uint32_t dc_batch_count(const dc_batch *b) { return b->count; }
size_t dc_batch_bytes(const dc_batch *b) { return b->rep.len; }

void dc_batch_free(dc_batch *b) {
  if (!b) return;
  dc_buf_free(&b->rep);
  free(b);
}

int dc_batch_decode(const char **pp, const char *limit, dc_batch_op *op) {
  const char *p = *pp;
  if (p >= limit) return -1;
  op->kind = (unsigned char)*p++;
  uint32_t n;
  if (op->kind != DC_KIND_PUT && op->kind != DC_KIND_DEL) return -1;
  if (!(p = dc_get_varint32(p, limit, &n)) || (size_t)(limit - p) < n) return -1;
  op->key = p;
  op->klen = n;
  p += n;
  op->val = NULL;
  op->vlen = 0;
  if (op->kind == DC_KIND_PUT) {
    if (!(p = dc_get_varint32(p, limit, &n)) || (size_t)(limit - p) < n) return -1;
    op->val = p;
    op->vlen = n;
    p += n;
  }
  *pp = p;
  return 0;
}

int dc_batch_validate(const char *body, size_t len, uint32_t count) {
  const char *p = body, *limit = body + len;
  dc_batch_op op;
  for (uint32_t i = 0; i < count; i++)
    if (dc_batch_decode(&p, limit, &op)) return -1;
  return p == limit ? 0 : -1;
}
