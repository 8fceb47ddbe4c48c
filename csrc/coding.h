/* coding.h — little-endian fixed-width and varint encodings, and a growable
 * byte buffer. Header-only (static inline): used on every hot path. */
#ifndef DC_CODING_H
#define DC_CODING_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void dc_enc32(char *p, uint32_t v) { memcpy(p, &v, 4); } /* x86/arm LE */
static inline void dc_enc64(char *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t dc_dec32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t dc_dec64(const char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Writes a varint at p, returns the byte after it (at most 5 / 10 bytes). */
static inline char *dc_put_varint32(char *p, uint32_t v) {
  unsigned char *u = (unsigned char *)p;
  while (v >= 128) { *u++ = (unsigned char)(v | 128); v >>= 7; }
  *u++ = (unsigned char)v;
  return (char *)u;
}
static inline char *dc_put_varint64(char *p, uint64_t v) {
  unsigned char *u = (unsigned char *)p;
  while (v >= 128) { *u++ = (unsigned char)(v | 128); v >>= 7; }
  *u++ = (unsigned char)v;
  return (char *)u;
}
static inline int dc_varint_len(uint64_t v) {
  int n = 1;
  while (v >= 128) { v >>= 7; n++; }
  return n;
}
/* Reads a varint from [p, limit); returns the byte after it or NULL if damaged. */
static inline const char *dc_get_varint32(const char *p, const char *limit, uint32_t *v) {
  uint32_t r = 0;
  for (int shift = 0; shift <= 28 && p < limit; shift += 7) {
    uint32_t b = (unsigned char)*p++;
    r |= (b & 127) << shift;
    if (!(b & 128)) { *v = r; return p; }
  }
  return NULL;
}
static inline const char *dc_get_varint64(const char *p, const char *limit, uint64_t *v) {
  uint64_t r = 0;
  for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t b = (unsigned char)*p++;
    r |= (b & 127) << shift;
    if (!(b & 128)) { *v = r; return p; }
  }
  return NULL;
}

/* A growable byte buffer. Zero-initialise ({0}) before use; dc_buf_free after. */
typedef struct dc_buf {
  char *data;
  size_t len, cap;
} dc_buf;

/* Ensure room for n more bytes; returns 0, or -1 when out of memory. */
static inline int dc_buf_reserve(dc_buf *b, size_t n) {
  if (b->len + n <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + n) cap *= 2;
  char *d = (char *)realloc(b->data, cap);
  if (!d) return -1;
  b->data = d;
  b->cap = cap;
  return 0;
}
static inline int dc_buf_append(dc_buf *b, const void *p, size_t n) {
  if (dc_buf_reserve(b, n)) return -1;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}
static inline int dc_buf_putc(dc_buf *b, char c) { return dc_buf_append(b, &c, 1); }
static inline int dc_buf_put32(dc_buf *b, uint32_t v) {
  if (dc_buf_reserve(b, 4)) return -1;
  dc_enc32(b->data + b->len, v); b->len += 4; return 0;
}
static inline int dc_buf_put64(dc_buf *b, uint64_t v) {
  if (dc_buf_reserve(b, 8)) return -1;
  dc_enc64(b->data + b->len, v); b->len += 8; return 0;
}
static inline int dc_buf_put_varint32(dc_buf *b, uint32_t v) {
  if (dc_buf_reserve(b, 5)) return -1;
  b->len = (size_t)(dc_put_varint32(b->data + b->len, v) - b->data); return 0;
}
static inline int dc_buf_put_varint64(dc_buf *b, uint64_t v) {
  if (dc_buf_reserve(b, 10)) return -1;
  b->len = (size_t)(dc_put_varint64(b->data + b->len, v) - b->data); return 0;
}
/* varint32 length prefix, then the bytes. */
static inline int dc_buf_put_lp(dc_buf *b, const char *p, size_t n) {
  if (dc_buf_put_varint32(b, (uint32_t)n)) return -1;
  return dc_buf_append(b, p, n);
}
static inline void dc_buf_free(dc_buf *b) { free(b->data); b->data = NULL; b->len = b->cap = 0; }

/* Bytewise comparison: memcmp, then shorter first. */
static inline int dc_bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int r = n ? memcmp(a, b, n) : 0;
  if (r) return r;
  return an < bn ? -1 : (an > bn ? 1 : 0);
}

#endif
