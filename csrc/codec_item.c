/* The binary item format: header, skipping and the full well-formedness
 * check (dyncore_codec.h; FORMATS.md, "Item codec"). Encoding and decoding
 * to Python objects live in src/dyncore/_codec.pxi. */
#include "dyncore_codec.h"

#include <string.h>

#include "coding.h"

static inline const uint8_t *get_u32(const uint8_t *p, const uint8_t *end, uint32_t *v) {
  return (const uint8_t *)dc_get_varint32((const char *)p, (const char *)end, v);
}

const uint8_t *dc_item_header(const uint8_t *p, size_t len, uint64_t *size,
                              uint32_t *count) {
  const uint8_t *end = p + len;
  if (len < 1 || p[0] != DC_ITEM_VERSION) return NULL;
  p = (const uint8_t *)dc_get_varint64((const char *)p + 1, (const char *)end, size);
  if (!p) return NULL;
  return get_u32(p, end, count);
}

/* A length-prefixed byte string: returns the byte after it, NULL if out of
 * bounds; *s and *n describe it. */
static inline const uint8_t *get_lp(const uint8_t *p, const uint8_t *end, const uint8_t **s,
                                    uint32_t *n) {
  p = get_u32(p, end, n);
  if (!p || *n > (size_t)(end - p)) return NULL;
  *s = p;
  return p + *n;
}

const uint8_t *dc_item_skip_value(const uint8_t *p, const uint8_t *end, int level) {
  const uint8_t *s;
  uint32_t n, count;
  if (level > DC_ITEM_MAX_DEPTH || p >= end) return NULL;
  switch (*p++) {
    case DC_T_S:
    case DC_T_N:
    case DC_T_B:
      return get_lp(p, end, &s, &n);
    case DC_T_FALSE:
    case DC_T_TRUE:
    case DC_T_NULL:
      return p;
    case DC_T_M:
      if (!(p = get_u32(p, end, &count))) return NULL;
      for (uint32_t i = 0; i < count; i++) {
        if (!(p = get_lp(p, end, &s, &n))) return NULL;
        if (!(p = dc_item_skip_value(p, end, level + 1))) return NULL;
      }
      return p;
    case DC_T_L:
      if (!(p = get_u32(p, end, &count))) return NULL;
      for (uint32_t i = 0; i < count; i++)
        if (!(p = dc_item_skip_value(p, end, level + 1))) return NULL;
      return p;
    case DC_T_SS:
    case DC_T_NS:
    case DC_T_BS:
      if (!(p = get_u32(p, end, &count))) return NULL;
      for (uint32_t i = 0; i < count; i++)
        if (!(p = get_lp(p, end, &s, &n))) return NULL;
      return p;
    default:
      return NULL;
  }
}

/* Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF), as
 * Python's decoder accepts it. */
static int valid_utf8(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n - i - 1 < need) return 0;
    for (size_t k = 1; k <= need; k++) {
      uint8_t cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += need + 1;
  }
  return 1;
}

/* A canonical number text: parses, and formats back to the same bytes.
 * Adds its DynamoDB size to *size. */
static int check_num(const uint8_t *s, uint32_t n, uint64_t *size) {
  dc_num num;
  char buf[DC_NUM_TEXT_MAX];
  if (n > DC_NUM_TEXT_MAX || dc_num_parse((const char *)s, n, &num) != DC_NUM_OK) return 0;
  if (dc_num_format(&num, buf) != n || memcmp(buf, s, n) != 0) return 0;
  *size += dc_num_size(&num);
  return 1;
}

/* dc_item_skip_value plus content checks; adds the value's DynamoDB size. */
static const uint8_t *check_value(const uint8_t *p, const uint8_t *end, int level,
                                  uint64_t *size) {
  const uint8_t *s;
  uint32_t n, count;
  uint64_t sub;
  if (level > DC_ITEM_MAX_DEPTH || p >= end) return NULL;
  switch (*p++) {
    case DC_T_S:
      if (!(p = get_lp(p, end, &s, &n)) || !valid_utf8(s, n)) return NULL;
      *size += n;
      return p;
    case DC_T_B:
      if (!(p = get_lp(p, end, &s, &n))) return NULL;
      *size += n;
      return p;
    case DC_T_N:
      if (!(p = get_lp(p, end, &s, &n)) || !check_num(s, n, size)) return NULL;
      return p;
    case DC_T_FALSE:
    case DC_T_TRUE:
    case DC_T_NULL:
      *size += 1;
      return p;
    case DC_T_M:
      if (!(p = get_u32(p, end, &count))) return NULL;
      sub = 3;
      for (uint32_t i = 0; i < count; i++) {
        if (!(p = get_lp(p, end, &s, &n)) || !valid_utf8(s, n)) return NULL;
        sub += (uint64_t)n + 1;
        if (!(p = check_value(p, end, level + 1, &sub))) return NULL;
      }
      *size += sub;
      return p;
    case DC_T_L:
      if (!(p = get_u32(p, end, &count))) return NULL;
      sub = 3;
      for (uint32_t i = 0; i < count; i++) {
        sub += 1;
        if (!(p = check_value(p, end, level + 1, &sub))) return NULL;
      }
      *size += sub;
      return p;
    case DC_T_SS:
    case DC_T_NS:
    case DC_T_BS: {
      uint8_t tag = p[-1];
      if (!(p = get_u32(p, end, &count)) || count == 0) return NULL;
      for (uint32_t i = 0; i < count; i++) {
        if (!(p = get_lp(p, end, &s, &n))) return NULL;
        if (tag == DC_T_SS) {
          if (!valid_utf8(s, n)) return NULL;
          *size += n;
        } else if (tag == DC_T_NS) {
          if (!check_num(s, n, size)) return NULL;
        } else {
          *size += n;
        }
      }
      return p;
    }
    default:
      return NULL;
  }
}

int dc_item_check(const uint8_t *p, size_t len) {
  uint64_t declared, size = 0;
  uint32_t count, n;
  const uint8_t *end = p + len, *s;
  p = dc_item_header(p, len, &declared, &count);
  if (!p) return -1;
  for (uint32_t i = 0; i < count; i++) {
    if (!(p = get_lp(p, end, &s, &n)) || !valid_utf8(s, n)) return -1;
    size += n;
    if (!(p = check_value(p, end, 1, &size))) return -1;
  }
  if (p != end || size != declared) return -1;
  return 0;
}
