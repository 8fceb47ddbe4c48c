/* block_builder.c — building sorted blocks with restart-point prefix
 * compression (block.h has the layout; FORMATS.md the grammar).
 *
 * Every restart_interval-th entry stores its key whole (shared = 0) and its
 * offset goes into the restart array, so that a reader can binary-search the
 * restart points and then scan at most restart_interval entries.
 */
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "dyncore.h"
#include "ikey.h"
#include "status.h"

void dc_block_builder_init(dc_block_builder *b, int restart_interval) {
  memset(b, 0, sizeof *b);
  b->restart_interval = restart_interval >= 1 ? restart_interval : 1;
  dc_block_builder_reset(b);
}

void dc_block_builder_reset(dc_block_builder *b) {
  b->buf.len = 0;
  b->last_key.len = 0;
  b->nrestarts = 0;
  b->counter = 0;
  b->entries = 0;
}

void dc_block_builder_free(dc_block_builder *b) {
  dc_buf_free(&b->buf);
  dc_buf_free(&b->last_key);
  free(b->restarts);
  b->restarts = NULL;
  b->nrestarts = b->cap_restarts = 0;
}

static int push_restart(dc_block_builder *b, uint32_t off) {
  if (b->nrestarts == b->cap_restarts) {
    int cap = b->cap_restarts ? b->cap_restarts * 2 : 32;
    uint32_t *r = realloc(b->restarts, (size_t)cap * sizeof *r);
    if (!r) return -1;
    b->restarts = r;
    b->cap_restarts = cap;
  }
  b->restarts[b->nrestarts++] = off;
  return 0;
}

int dc_block_builder_add(dc_block_builder *b, const char *key, size_t klen, const char *val,
                         size_t vlen) {
  if (klen > UINT32_MAX || vlen > UINT32_MAX || b->buf.len > UINT32_MAX) return DC_INVALID;
  DC_ASSERT(b->entries == 0 || klen < 8 || b->last_key.len < 8 ||
            dc_ikey_cmp(b->last_key.data, b->last_key.len, key, klen) < 0);
  size_t shared = 0;
  if (b->counter >= b->restart_interval || b->entries == 0) {
    if (push_restart(b, (uint32_t)b->buf.len)) return DC_NOMEM;
    b->counter = 0;
  } else {
    size_t m = klen < b->last_key.len ? klen : b->last_key.len;
    const char *lk = b->last_key.data;
    while (shared < m && lk[shared] == key[shared]) shared++;
  }
  size_t unshared = klen - shared;
  if (dc_buf_reserve(&b->buf, 15 + unshared + vlen)) return DC_NOMEM;
  char *p = b->buf.data + b->buf.len;
  p = dc_put_varint32(p, (uint32_t)shared);
  p = dc_put_varint32(p, (uint32_t)unshared);
  p = dc_put_varint32(p, (uint32_t)vlen);
  memcpy(p, key + shared, unshared);
  p += unshared;
  if (vlen) memcpy(p, val, vlen);
  p += vlen;
  b->buf.len = (size_t)(p - b->buf.data);
  b->last_key.len = shared;
  if (dc_buf_append(&b->last_key, key + shared, unshared)) return DC_NOMEM;
  b->counter++;
  b->entries++;
  return DC_OK;
}

size_t dc_block_builder_estimate(const dc_block_builder *b) {
  int nr = b->nrestarts ? b->nrestarts : 1;
  return b->buf.len + (size_t)nr * 4 + 4;
}

const char *dc_block_builder_finish(dc_block_builder *b, size_t *len) {
  /* An empty block is just a restart count of 0. */
  if (dc_buf_reserve(&b->buf, (size_t)b->nrestarts * 4 + 4)) {
    *len = 0;
    return NULL;
  }
  for (int i = 0; i < b->nrestarts; i++) dc_buf_put32(&b->buf, b->restarts[i]);
  dc_buf_put32(&b->buf, (uint32_t)b->nrestarts);
  *len = b->buf.len;
  return b->buf.data;
}
