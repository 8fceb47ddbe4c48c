/* ikey.h — internal keys.
 *
 * An internal key is the user key followed by an 8-byte little-endian trailer
 * (seq << 8 | kind). Internal keys sort by user key ascending (bytewise), then
 * by sequence number descending, then kind descending, so that the newest
 * version of a key comes first. A lookup for `key` as of snapshot S seeks to
 * (key, S, DC_KIND_SEEK): the first entry at or after it is the newest visible
 * version.
 */
#ifndef DC_IKEY_H
#define DC_IKEY_H

#include <stdint.h>
#include <string.h>

#include "coding.h"

enum { DC_KIND_DEL = 0, DC_KIND_PUT = 1, DC_KIND_SEEK = 1 /* the highest kind */ };

#define DC_MAX_SEQ ((((uint64_t)1) << 56) - 1)
#define DC_IKEY_TRAILER 8

/* Lookup results shared by memtable and sstable readers. */
enum { DC_GET_MISS = 0, DC_GET_FOUND = 1, DC_GET_DELETED = 2 };

static inline uint64_t dc_pack_trailer(uint64_t seq, int kind) { return (seq << 8) | (uint64_t)kind; }
static inline uint64_t dc_ikey_trailer(const char *ik, size_t n) { return dc_dec64(ik + n - 8); }
static inline uint64_t dc_ikey_seq(const char *ik, size_t n) { return dc_ikey_trailer(ik, n) >> 8; }
static inline int dc_ikey_kind(const char *ik, size_t n) { return (int)(dc_ikey_trailer(ik, n) & 0xff); }
static inline size_t dc_ikey_ulen(size_t n) { return n - 8; }

/* Append user key + trailer to b. */
static inline int dc_ikey_append(dc_buf *b, const char *ukey, size_t ulen, uint64_t seq, int kind) {
  if (dc_buf_reserve(b, ulen + 8)) return -1;
  if (ulen) memcpy(b->data + b->len, ukey, ulen);
  dc_enc64(b->data + b->len + ulen, dc_pack_trailer(seq, kind));
  b->len += ulen + 8;
  return 0;
}

static inline int dc_ikey_cmp(const char *a, size_t an, const char *b, size_t bn) {
  int r = dc_bytes_cmp(a, an - 8, b, bn - 8);
  if (r) return r;
  uint64_t ta = dc_dec64(a + an - 8), tb = dc_dec64(b + bn - 8);
  return ta > tb ? -1 : (ta < tb ? 1 : 0);
}

#endif
