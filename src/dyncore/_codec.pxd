# _codec.pxd — mirrors csrc/dyncore_codec.h, the pure item and key codec.
#
# Every function is pure and allocates nothing, so all are declared nogil.
# Keep this file in step with the header: same names, same order.

from libc.stdint cimport int8_t, int16_t, uint8_t, uint32_t, uint64_t


cdef extern from "dyncore_codec.h" nogil:
    # Numbers.
    enum:
        DC_NUM_MAX_DIGITS
        DC_NUM_MIN_EXP
        DC_NUM_MAX_EXP
        DC_NUM_TEXT_MAX
        DC_NUM_KEY_MAX
        DC_NUM_SIZE_MAX

    ctypedef struct dc_num:
        int8_t sign
        uint8_t ndigits
        int16_t exp
        uint8_t digits[38]

    enum:
        DC_NUM_OK
        DC_NUM_EMPTY
        DC_NUM_SYNTAX
        DC_NUM_PRECISION
        DC_NUM_OVERFLOW
        DC_NUM_UNDERFLOW

    int dc_num_parse(const char *text, size_t len, dc_num *out)
    const char *dc_num_error_message(int code)
    size_t dc_num_format(const dc_num *n, char *buf)
    size_t dc_num_size(const dc_num *n)
    int dc_num_cmp(const dc_num *a, const dc_num *b)
    size_t dc_num_key(const dc_num *n, uint8_t *out)
    size_t dc_num_from_key(const uint8_t *p, size_t len, dc_num *out)

    # Keys.
    enum:
        DC_KEY_HASH_LEN
        DC_KEY_PK_MAX
        DC_KEY_SK_MAX

    size_t dc_key_escape(const uint8_t *raw, size_t len, uint8_t *out)
    size_t dc_key_unescape(const uint8_t *p, size_t len, uint8_t *out, size_t *raw_len)
    uint64_t dc_key_hash(const uint8_t *component, size_t len)
    void dc_key_put_hash(uint64_t hash, uint8_t *out)

    # Item format.
    enum:
        DC_ITEM_VERSION
        DC_ITEM_MAX_SIZE
        DC_ITEM_MAX_DEPTH
        DC_ITEM_HEADER_MAX

    enum:
        DC_T_S
        DC_T_N
        DC_T_B
        DC_T_FALSE
        DC_T_TRUE
        DC_T_NULL
        DC_T_M
        DC_T_L
        DC_T_SS
        DC_T_NS
        DC_T_BS

    const uint8_t *dc_item_header(const uint8_t *p, size_t len, uint64_t *size,
                                  uint32_t *count)
    const uint8_t *dc_item_skip_value(const uint8_t *p, const uint8_t *end, int level)
    int dc_item_check(const uint8_t *p, size_t len)
