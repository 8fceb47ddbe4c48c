/* DynamoDB numbers: parse, canonical text, size, order and key encoding
 * (dyncore_codec.h; FORMATS.md, "Item codec"). */
#include "dyncore_codec.h"

#include <string.h>

/* Exponents beyond this many powers of ten are out of range for every text
 * we can be given (a text has fewer than 2^61 digits), so they are clamped
 * here without changing any answer, and the arithmetic below cannot
 * overflow an int64. */
#define EXP_CLAMP ((int64_t)1 << 62)

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

int dc_num_parse(const char *text, size_t len, dc_num *out) {
  const char *p = text, *end = text + len;
  if (len == 0) return DC_NUM_EMPTY;

  int neg = 0;
  if (*p == '+' || *p == '-') {
    neg = *p == '-';
    p++;
  }

  /* Mantissa: digits with at most one point. Digit indexes count across the
   * point; `first` and `last` are the indexes of the first and last non-zero
   * digits, and first_at/last_at their positions in the text. */
  size_t ndig = 0, nint = 0, nfrac = 0;
  int seen_point = 0;
  int64_t first = -1, last = -1;
  const char *first_at = NULL, *last_at = NULL;
  for (; p < end; p++) {
    char c = *p;
    if (is_digit(c)) {
      if (c != '0') {
        if (first < 0) {
          first = (int64_t)ndig;
          first_at = p;
        }
        last = (int64_t)ndig;
        last_at = p;
      }
      ndig++;
      if (seen_point) nfrac++;
      else nint++;
    } else if (c == '.' && !seen_point) {
      seen_point = 1;
    } else {
      break;
    }
  }
  if (ndig == 0) return DC_NUM_SYNTAX;

  /* Exponent: e|E, optional sign, at least one digit, fitting an int64. */
  int64_t e = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    int eneg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
      eneg = *p == '-';
      p++;
    }
    if (p == end || !is_digit(*p)) return DC_NUM_SYNTAX;
    uint64_t mag = 0;
    int too_big = 0;
    const uint64_t limit = eneg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; p < end && is_digit(*p); p++) {
      uint64_t d = (uint64_t)(*p - '0');
      if (!too_big) {
        if (mag > (limit - d) / 10) too_big = 1;
        else mag = mag * 10 + d;
      }
    }
    if (too_big) return DC_NUM_SYNTAX;
    if (mag > (uint64_t)EXP_CLAMP) mag = (uint64_t)EXP_CLAMP;
    e = eneg ? -(int64_t)mag : (int64_t)mag;
  }
  if (p != end) return DC_NUM_SYNTAX;

  if (first < 0) {
    /* Zero, range-checked by its adjusted exponent (see the header). */
    int64_t adjusted = e - (int64_t)nfrac;
    if (adjusted > DC_NUM_MAX_EXP - 1) return DC_NUM_OVERFLOW;
    if (adjusted < DC_NUM_MIN_EXP - 1) return DC_NUM_UNDERFLOW;
    out->sign = 0;
    out->ndigits = 0;
    out->exp = 0;
    return DC_NUM_OK;
  }

  int64_t sig = last - first + 1;
  if (sig > DC_NUM_MAX_DIGITS) return DC_NUM_PRECISION;
  /* value = 0.D * 10^nint * 10^e, D without its `first` leading zeros. */
  int64_t exp = (int64_t)nint - first + e;
  if (exp > DC_NUM_MAX_EXP) return DC_NUM_OVERFLOW;
  if (exp < DC_NUM_MIN_EXP) return DC_NUM_UNDERFLOW;

  out->sign = neg ? -1 : 1;
  out->ndigits = (uint8_t)sig;
  out->exp = (int16_t)exp;
  int k = 0;
  for (const char *q = first_at; q <= last_at; q++)
    if (*q != '.') out->digits[k++] = (uint8_t)(*q - '0');
  return DC_NUM_OK;
}

const char *dc_num_error_message(int code) {
  switch (code) {
    case DC_NUM_OK: return "";
    case DC_NUM_EMPTY: return "The parameter cannot be converted to a numeric value";
    case DC_NUM_SYNTAX: return "The parameter cannot be converted to a numeric value: ";
    case DC_NUM_PRECISION: return "Attempting to store more than 38 significant digits in a Number";
    case DC_NUM_OVERFLOW:
      return "Number overflow. Attempting to store a number with magnitude larger than "
             "supported range";
    case DC_NUM_UNDERFLOW:
      return "Number underflow. Attempting to store a number with magnitude smaller than "
             "supported range";
    default: return "The parameter cannot be converted to a numeric value";
  }
}

size_t dc_num_format(const dc_num *n, char *buf) {
  char *p = buf;
  if (n->sign == 0) {
    *p = '0';
    return 1;
  }
  if (n->sign < 0) *p++ = '-';
  int nd = n->ndigits, exp = n->exp;
  if (exp <= 0) {
    *p++ = '0';
    *p++ = '.';
    memset(p, '0', (size_t)-exp);
    p += -exp;
    for (int i = 0; i < nd; i++) *p++ = (char)('0' + n->digits[i]);
  } else if (exp >= nd) {
    for (int i = 0; i < nd; i++) *p++ = (char)('0' + n->digits[i]);
    memset(p, '0', (size_t)(exp - nd));
    p += exp - nd;
  } else {
    for (int i = 0; i < exp; i++) *p++ = (char)('0' + n->digits[i]);
    *p++ = '.';
    for (int i = exp; i < nd; i++) *p++ = (char)('0' + n->digits[i]);
  }
  return (size_t)(p - buf);
}

size_t dc_num_size(const dc_num *n) {
  if (n->sign == 0) return 1;
  size_t d = n->ndigits;
  int e = n->exp - 1; /* scientific exponent */
  size_t size = 1 + (d + 1) / 2;
  if (d % 2 == 0 && e % 2 == 0) size++;
  if (n->sign < 0) size++;
  return size;
}

/* Compares magnitudes of two non-zero numbers. */
static int cmp_mag(const dc_num *a, const dc_num *b) {
  if (a->exp != b->exp) return a->exp < b->exp ? -1 : 1;
  int n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
  for (int i = 0; i < n; i++)
    if (a->digits[i] != b->digits[i]) return a->digits[i] < b->digits[i] ? -1 : 1;
  if (a->ndigits != b->ndigits) return a->ndigits < b->ndigits ? -1 : 1;
  return 0;
}

int dc_num_cmp(const dc_num *a, const dc_num *b) {
  if (a->sign != b->sign) return a->sign < b->sign ? -1 : 1;
  if (a->sign == 0) return 0;
  int c = cmp_mag(a, b);
  return a->sign > 0 ? c : -c;
}

#define KEY_ZERO 0x80
#define KEY_POS 0xC0
#define KEY_NEG 0x40

size_t dc_num_key(const dc_num *n, uint8_t *out) {
  if (n->sign == 0) {
    out[0] = KEY_ZERO;
    return 1;
  }
  int neg = n->sign < 0;
  int biased = n->exp - DC_NUM_MIN_EXP; /* 0..255 */
  out[0] = neg ? KEY_NEG : KEY_POS;
  out[1] = (uint8_t)(neg ? 255 - biased : biased);
  uint8_t *p = out + 2;
  int nd = n->ndigits;
  /* Nibbles: nd digits, then the terminator; padded to whole bytes. */
  uint8_t term = neg ? 0xF : 0x0;
  for (int i = 0; i <= nd; i += 2) {
    uint8_t hi = i < nd ? (uint8_t)(neg ? 10 - n->digits[i] : n->digits[i] + 1) : term;
    uint8_t lo;
    if (i + 1 < nd) lo = (uint8_t)(neg ? 10 - n->digits[i + 1] : n->digits[i + 1] + 1);
    else lo = term; /* the terminator, or the padding after it */
    *p++ = (uint8_t)(hi << 4 | lo);
  }
  return (size_t)(p - out);
}

size_t dc_num_from_key(const uint8_t *p, size_t len, dc_num *out) {
  if (len == 0) return 0;
  if (p[0] == KEY_ZERO) {
    out->sign = 0;
    out->ndigits = 0;
    out->exp = 0;
    return 1;
  }
  if (p[0] != KEY_POS && p[0] != KEY_NEG) return 0;
  int neg = p[0] == KEY_NEG;
  if (len < 3) return 0;
  int biased = neg ? 255 - p[1] : p[1];
  out->sign = neg ? -1 : 1;
  out->exp = (int16_t)(biased + DC_NUM_MIN_EXP);
  uint8_t term = neg ? 0xF : 0x0;
  int nd = 0;
  size_t i = 2;
  for (;;) {
    if (i >= len) return 0;
    uint8_t nib[2] = {(uint8_t)(p[i] >> 4), (uint8_t)(p[i] & 0xF)};
    i++;
    for (int k = 0; k < 2; k++) {
      if (nib[k] == term) {
        /* Canonical: at least one digit, no trailing zero, padding = term. */
        if (k == 0 && nib[1] != term) return 0;
        if (nd == 0 || out->digits[nd - 1] == 0) return 0;
        out->ndigits = (uint8_t)nd;
        return i;
      }
      if (nib[k] < 1 || nib[k] > 10 || nd == DC_NUM_MAX_DIGITS) return 0;
      uint8_t d = (uint8_t)(neg ? 10 - nib[k] : nib[k] - 1);
      if (nd == 0 && d == 0) return 0;
      out->digits[nd++] = d;
    }
  }
}
