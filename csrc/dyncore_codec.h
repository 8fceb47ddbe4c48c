/* dyncore_codec.h — the pure item and key codec: DynamoDB numbers, the
 * order-preserving key encoding and the binary item format.
 *
 * This header is a contract separate from the engine's (dyncore.h): the codec
 * never does I/O and knows nothing of the engine; the engine never parses an
 * item. Formats are written down in FORMATS.md ("Item codec").
 *
 * Code: codec_num.c (numbers), codec_key.c (key components), codec_item.c
 * (item header and checks). The Python walker over Python objects is
 * src/dyncore/_codec.pxi, which writes the formats below directly.
 *
 * Thread-safety: every function is pure (reads its arguments, writes only its
 * outputs); call from any thread, without the GIL. No function allocates.
 */
#ifndef DYNCORE_CODEC_H
#define DYNCORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- numbers */

/* DynamoDB's number: up to 38 significant digits, magnitude 1E-130 up to
 * 9.99..9E+125 (38 nines), or exactly zero. Held normalised:
 *   value = sign * 0.d[0]d[1]...d[ndigits-1] * 10^exp
 * with d[0] != 0 and d[ndigits-1] != 0 (no leading or trailing zeros), so each
 * value has exactly one representation ("1.50", "1.5" and "15E-1" are equal).
 * Zero is sign 0, ndigits 0, exp 0. Range: exp in [-129, 126]. */
#define DC_NUM_MAX_DIGITS 38
#define DC_NUM_MIN_EXP (-129)
#define DC_NUM_MAX_EXP 126
/* Longest canonical text: "-0." + 129 zeros + 38 digits (170 bytes). */
#define DC_NUM_TEXT_MAX 176
/* Longest key encoding: 2 header bytes + 39 nibbles rounded up. */
#define DC_NUM_KEY_MAX 22
/* Largest dc_num_size: 1 + 19 + 1 (misaligned pairs) + 1 (negative). */
#define DC_NUM_SIZE_MAX 22

typedef struct dc_num {
  int8_t sign;      /* -1, 0, +1 */
  uint8_t ndigits;  /* 0 for zero, else 1..38 */
  int16_t exp;      /* DC_NUM_MIN_EXP..DC_NUM_MAX_EXP; 0 for zero */
  uint8_t digits[DC_NUM_MAX_DIGITS]; /* 0..9 each */
} dc_num;

/* Results of dc_num_parse, each one of DynamoDB's ValidationException texts
 * (dc_num_error_message). */
enum {
  DC_NUM_OK = 0,
  DC_NUM_EMPTY = 1,     /* "" */
  DC_NUM_SYNTAX = 2,    /* not a decimal number */
  DC_NUM_PRECISION = 3, /* more than 38 significant digits */
  DC_NUM_OVERFLOW = 4,  /* magnitude >= 1E126 */
  DC_NUM_UNDERFLOW = 5  /* magnitude < 1E-130, not zero */
};

/* Parses DynamoDB's number text: optional sign (+ or -), digits with an
 * optional point (".5" and "5." accepted, "." is not), optional exponent
 * (e|E, optional sign, at least one digit). No whitespace, no NaN/Infinity,
 * ASCII digits only. Leading and trailing zeros are not significant.
 *
 * Checks, in this order (the first failing one is returned):
 *   EMPTY      len == 0.
 *   SYNTAX     the grammar above; also an exponent that does not fit a
 *              signed 64-bit integer ("1e9223372036854775808"), which DynamoDB
 *              cannot convert. Larger texts are fine: any exponent that fits
 *              is range-checked without overflow ("1e99999999999" overflows).
 *   PRECISION  more than 38 digits from the first non-zero digit to the last.
 *   OVERFLOW / UNDERFLOW  non-zero magnitude outside [1E-130, 1E126).
 *              Zero is range-checked by the exponent it is written with, as
 *              DynamoDB does (Java BigDecimal's adjusted exponent: written
 *              exponent minus digits after the point): "0e125" and "0.0e-129"
 *              are zero, "0e126" overflows, "0e-131" underflows.
 * Returns DC_NUM_OK and fills *out, or an error code (*out unspecified). */
int dc_num_parse(const char *text, size_t len, dc_num *out);

/* DynamoDB's message for a dc_num_parse error (NUL-terminated, static). The
 * SYNTAX message is a prefix to which the caller appends the raw input:
 * "The parameter cannot be converted to a numeric value: " + text. */
const char *dc_num_error_message(int code);

/* Writes the canonical text (plain positional notation, never an exponent:
 * "1.5", "100", "-0.001", "0") to buf (at least DC_NUM_TEXT_MAX bytes, not
 * NUL-terminated); returns its length. dc_num_parse of the text gives *n. */
size_t dc_num_format(const dc_num *n, char *buf);

/* The number's size in bytes by DynamoDB's rules, as reverse-engineered by
 * dynalite (db/index.js, valSize) and matching every live capture we know:
 *   zero: 1
 *   else: 1 + ceil(d / 2) + (1 if d is even and e is even) + (1 if negative)
 * where d = ndigits and e = exp - 1 (the scientific exponent: 123 has e 2).
 * Equivalently: the digits are grouped in pairs aligned on the decimal point
 * (base 100), one byte per pair, plus one byte, plus one for a negative sign:
 * "12" and "0.15" cost 2, "1.5" and "120" cost 3, "3.14159" costs 5. */
size_t dc_num_size(const dc_num *n);

/* -1, 0, +1 as a is numerically less than, equal to, greater than b. */
int dc_num_cmp(const dc_num *a, const dc_num *b);

/* Writes the order-preserving key encoding (memcmp order of encodings equals
 * numeric order; self-delimiting, so another component may follow) to out
 * (at least DC_NUM_KEY_MAX bytes); returns its length (1..22).
 *   zero      0x80
 *   positive  0xC0, exp + 129 (one byte), digit nibbles d + 1 (1..10), then
 *             the terminator nibble 0x0; an odd nibble count is padded with 0x0
 *   negative  0x40, 255 - (exp + 129), digit nibbles 10 - d (1..10), then the
 *             terminator nibble 0xF; padded with 0xF
 * (FORMATS.md, "Item codec", has the argument for the order.) */
size_t dc_num_key(const dc_num *n, uint8_t *out);

/* Reads a key encoding from [p, p + len): fills *out and returns the number
 * of bytes it took (the component may be followed by others), or 0 if the
 * bytes are not a canonical number encoding. */
size_t dc_num_from_key(const uint8_t *p, size_t len, dc_num *out);

/* ------------------------------------------------------------------- keys */

/* Key bytes inside a partition (DESIGN.md):
 *   xxh64(pk component) big-endian (8 bytes) ‖ pk component ‖ sk component
 * pk component: S and B: the raw bytes with 0x00 escaped as 0x00 0xFF, then
 *   the terminator 0x00 0x01; N: dc_num_key. Self-delimiting and order-
 *   preserving, so all items of one partition key are contiguous, sorted by
 *   sort key.
 * sk component (tables with a sort key): S and B raw bytes (last component,
 *   so no escape is needed); N: dc_num_key.
 * The hash is over the whole pk component as written (escapes and terminator
 * included), so equal partition keys (equal numbers however written) hash
 * equally. A key of a table without a sort key ends after the pk component. */
#define DC_KEY_HASH_LEN 8
#define DC_KEY_PK_MAX 2048 /* bytes of an S/B partition key value */
#define DC_KEY_SK_MAX 1024 /* bytes of an S/B sort key value */

/* Escaped S/B component: at most 2 * len + 2 bytes at out; returns length. */
size_t dc_key_escape(const uint8_t *raw, size_t len, uint8_t *out);

/* Reverses dc_key_escape on the component starting at p (of at most len
 * bytes, possibly followed by others): writes the raw bytes to out (room for
 * len bytes suffices), sets *raw_len and returns the bytes taken (terminator
 * included), or 0 if there is no well-formed component. */
size_t dc_key_unescape(const uint8_t *p, size_t len, uint8_t *out, size_t *raw_len);

/* The partition hash of a pk component (xxh64, seed 0). */
uint64_t dc_key_hash(const uint8_t *component, size_t len);

/* Writes the 8-byte big-endian hash prefix. */
void dc_key_put_hash(uint64_t hash, uint8_t *out);

/* ------------------------------------------------------------- item format */

/* Binary item value (FORMATS.md, "Item codec"):
 *   u8 version (DC_ITEM_VERSION) ‖ varint item size ‖ varint attribute count
 *   ‖ per attribute: varint name length, name bytes, value
 * value: a type tag (DC_T_*) then
 *   S, B, N: varint length + bytes (N: canonical text, dc_num_format)
 *   FALSE, TRUE, NULL: nothing
 *   M: varint count + (varint name length, name, value)*
 *   L: varint count + value*
 *   SS, BS, NS: varint count + (varint length, bytes)* (NS: canonical text)
 * Varints are LEB128 (coding.h), at most 5 bytes for lengths and counts and
 * 10 for the item size. Attributes and map entries keep their input order.
 * The item size is DynamoDB's (names plus values: dc_num_size for numbers,
 * UTF-8 bytes for strings, raw bytes for binaries, 1 for BOOL and NULL, the
 * sum of the elements for sets, 3 + sum of (element + 1) for L, 3 + sum of
 * (name + value + 1) for M). Nesting: a top-level attribute's value is level
 * 1; no value may sit below level DC_ITEM_MAX_DEPTH. */
#define DC_ITEM_VERSION 1
#define DC_ITEM_MAX_SIZE 409600 /* 400 KB: names and values, DynamoDB's rules */
#define DC_ITEM_MAX_DEPTH 32
#define DC_ITEM_HEADER_MAX 16 /* 1 + 10 + 5 */

enum {
  DC_T_S = 1, DC_T_N = 2, DC_T_B = 3, DC_T_FALSE = 4, DC_T_TRUE = 5,
  DC_T_NULL = 6, DC_T_M = 7, DC_T_L = 8, DC_T_SS = 9, DC_T_NS = 10, DC_T_BS = 11
};

/* Reads the header of an encoded item: its DynamoDB size and attribute count;
 * returns a pointer to the first attribute, or NULL if the bytes are not an
 * item of a known version. */
const uint8_t *dc_item_header(const uint8_t *p, size_t len, uint64_t *size,
                              uint32_t *count);

/* Skips one value (tag and payload) at p, which sits at nesting level
 * `level` (1 for a top-level attribute). Returns the byte after it, or NULL
 * if the value runs past end, has an unknown tag or nests below
 * DC_ITEM_MAX_DEPTH. Structure only: texts and numbers are not checked. */
const uint8_t *dc_item_skip_value(const uint8_t *p, const uint8_t *end, int level);

/* Checks that [p, p+len) is one well-formed encoded item: a known version,
 * every length in bounds, known tags, depth <= DC_ITEM_MAX_DEPTH, exactly
 * `count` attributes and nothing after them, names, map keys and S/SS values
 * valid UTF-8, N and NS texts canonical numbers, sets non-empty, and a header
 * size equal to the size recomputed from the contents. (Duplicate set
 * elements and duplicate names are not looked for.) Returns 0 if so, -1 if
 * not. */
int dc_item_check(const uint8_t *p, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* DYNCORE_CODEC_H */
