/* Key components: the escaped S/B partition-key component and the partition
 * hash (dyncore_codec.h; FORMATS.md, "Item codec"). */
#include "dyncore_codec.h"

#include <string.h>

#include "xxh64.h"

size_t dc_key_escape(const uint8_t *raw, size_t len, uint8_t *out) {
  uint8_t *p = out;
  const uint8_t *end = raw + len;
  while (raw < end) {
    /* Copy the run up to the next 0x00 in one go. */
    const uint8_t *z = memchr(raw, 0, (size_t)(end - raw));
    size_t run = z ? (size_t)(z - raw) : (size_t)(end - raw);
    memcpy(p, raw, run);
    p += run;
    raw += run;
    if (z) {
      *p++ = 0x00;
      *p++ = 0xFF;
      raw++;
    }
  }
  *p++ = 0x00;
  *p++ = 0x01;
  return (size_t)(p - out);
}

size_t dc_key_unescape(const uint8_t *p, size_t len, uint8_t *out, size_t *raw_len) {
  size_t i = 0, n = 0;
  while (i < len) {
    uint8_t c = p[i++];
    if (c != 0x00) {
      out[n++] = c;
      continue;
    }
    if (i >= len) return 0;
    uint8_t next = p[i++];
    if (next == 0xFF) {
      out[n++] = 0x00;
    } else if (next == 0x01) {
      *raw_len = n;
      return i;
    } else {
      return 0;
    }
  }
  return 0;
}

uint64_t dc_key_hash(const uint8_t *component, size_t len) {
  return dc_xxh64(component, len, 0);
}

void dc_key_put_hash(uint64_t hash, uint8_t *out) {
  for (int i = 7; i >= 0; i--) {
    out[i] = (uint8_t)hash;
    hash >>= 8;
  }
}
