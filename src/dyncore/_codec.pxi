# _codec.pxi — DynamoDB values to the binary item format and the key encoding,
# and back. Included by _core.pyx. Contract: csrc/dyncore_codec.h; formats:
# csrc/FORMATS.md ("Item codec").
#
# Theory of operation
# -------------------
# Three value forms (FORM_*): native Python values as boto3's resource API
# takes them, the low-level client's wire form ({"S": "x"}, B as bytes) and
# the JSON wire form (the same, B as base64 text). Encoding walks the Python
# objects once, validating as it goes, and writes the item format straight
# into one growable C buffer (dc_buf), accumulating DynamoDB's size on the
# way; no intermediate Python object is made on the fast paths (exact str,
# int, Decimal, bool, None, dict, list, bytes). Decoding reads the format and
# builds the Python objects of the requested form directly.
#
# Errors. A value DynamoDB would refuse raises the registered validation
# error class with DynamoDB's message (set_codec_classes). A Python value of
# a type that has no DynamoDB form raises TypeError, as boto3's serializer
# does; a wrong member type inside the wire forms raises TypeError (client
# form) or the registered serialization error class (JSON form; the
# validation class when none is registered). Bytes that are not a well-formed
# item raise ValueError("damaged item"): corruption is not a user error.
#
# Order of checks (the first failure is reported), as DynamoDB reports them:
# each value in document order (type members, then numbers, empty and
# duplicate sets, nesting), then the key attributes (missing, type, empty,
# size; partition key first), then the item size.
#
# Python code may run during encoding (str() of a Decimal subclass, Mapping
# subclasses, Binary-like objects) and may mutate the containers being
# walked: every borrowed reference is turned into an owned one before such
# code can run, and a container whose size changes under the walk raises
# RuntimeError instead of producing a wrong encoding.

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_Check, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_CheckExact
from cpython.dict cimport PyDict_Check, PyDict_CheckExact, PyDict_Next, PyDict_Size
from cpython.list cimport (PyList_Check, PyList_GET_ITEM, PyList_GET_SIZE, PyList_New,
                           PyList_SET_ITEM)
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check
from cpython.object cimport PyObject_Str
from cpython.ref cimport Py_INCREF
from cpython.set cimport PySet_Add
from cpython.tuple cimport PyTuple_Check, PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport (PyUnicode_AsUTF8AndSize, PyUnicode_Check, PyUnicode_DecodeASCII,
                              PyUnicode_DecodeUTF8)
from libc.stdint cimport int8_t, int16_t, int64_t, uint8_t
from libc.stdlib cimport free, malloc, qsort
from libc.string cimport memcmp, memcpy, memmove

from dyncore._codec cimport *

import collections.abc as _abc
import decimal as _decimal


cdef extern from "coding.h" nogil:
    ctypedef struct dc_buf:
        char *data
        size_t len
        size_t cap
    int dc_buf_reserve(dc_buf *b, size_t n)
    void dc_buf_free(dc_buf *b)
    char *dc_put_varint32(char *p, uint32_t v)
    char *dc_put_varint64(char *p, uint64_t v)
    int dc_varint_len(uint64_t v)
    const char *dc_get_varint64(const char *p, const char *limit, uint64_t *v)


cdef extern from "Python.h":
    void PyErr_Clear()
    # PyUnicode_AsUTF8AndSize without Cython's error check (the caller checks).
    const char *_utf8_or_null "PyUnicode_AsUTF8AndSize"(object s, Py_ssize_t *n)
    bint PyList_CheckExact(object o)
    bint PyTuple_CheckExact(object o)
    bint PyFloat_Check(object o)
    bint PyAnySet_Check(object o)
    bint PyMemoryView_Check(object o)


FORM_NATIVE = 0
FORM_CLIENT = 1
FORM_JSON = 2
cdef enum:
    _NATIVE = 0
    _CLIENT = 1
    _JSON = 2

# Item format constants, for tests and tools.
ITEM_VERSION = DC_ITEM_VERSION
ITEM_MAX_SIZE = DC_ITEM_MAX_SIZE
ITEM_MAX_DEPTH = DC_ITEM_MAX_DEPTH

# DynamoDB's messages.
MSG_AV_EMPTY = ("Supplied AttributeValue is empty, must contain exactly one of the "
                "supported datatypes")
MSG_AV_MULTI = ("Supplied AttributeValue has more than one datatypes set, must contain "
                "exactly one of the supported datatypes")
MSG_NULL = ("One or more parameter values were invalid: Null attribute value types must "
            "have the value of true")
MSG_SS_EMPTY = "One or more parameter values were invalid: An string set  may not be empty"
MSG_NS_EMPTY = "One or more parameter values were invalid: An number set  may not be empty"
MSG_BS_EMPTY = "One or more parameter values were invalid: Binary sets should not be empty"
MSG_NS_DUP = "Input collection contains duplicates"
MSG_NESTING = ("Nesting Levels have exceeded supported limits: Attributes in the item have "
               "nested levels beyond supported limit")
# Unverified against DynamoDB (its ExpressionAttributeNames check says "Empty
# attribute name for key #n").
MSG_EMPTY_NAME = "One or more parameter values were invalid: Empty attribute name"
MSG_ITEM_SIZE = "Item size has exceeded the maximum allowed size"
MSG_KEY_SCHEMA = "The provided key element does not match the schema"
MSG_HASH_SIZE = ("One or more parameter values were invalid: Size of hashkey has exceeded "
                 "the maximum size limit of2048 bytes")
MSG_RANGE_SIZE = ("One or more parameter values were invalid: Aggregated size of all range "
                  "keys has exceeded the size limit of 1024 bytes")
MSG_COND_TYPE = ("One or more parameter values were invalid: Condition parameter type does "
                 "not match schema type")
MSG_FLOAT = "Float types are not supported. Use Decimal types instead."
MSG_NAN = "Infinity and NaN not supported"

# Types the walker tests against, held in C globals (no module lookups).
cdef object _Decimal = _decimal.Decimal
cdef object _Set = _abc.Set
cdef object _Mapping = _abc.Mapping

cdef object _validation_cls = ValueError
cdef object _serialization_cls = None
cdef object _binary_cls = None

# Wire-form member names, made once.
cdef str _K_S = "S"
cdef str _K_N = "N"
cdef str _K_B = "B"
cdef str _K_BOOL = "BOOL"
cdef str _K_NULL = "NULL"
cdef str _K_M = "M"
cdef str _K_L = "L"
cdef str _K_SS = "SS"
cdef str _K_NS = "NS"
cdef str _K_BS = "BS"

# Type names by tag (for messages and decoding), index = DC_T_*.
_TYPE_NAMES = (None, "S", "N", "B", "BOOL", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")


def set_codec_classes(validation_error_cls, binary_cls, serialization_error_cls=None):
    """Register the exception raised for values DynamoDB refuses
    (`validation_error_cls(message)`), the class that wraps B values decoded
    in native form (`binary_cls(bytes)`), and optionally the exception for
    malformed JSON-form members (`serialization_error_cls(message)`; the
    validation class when None)."""
    global _validation_cls, _binary_cls, _serialization_cls
    _validation_cls = validation_error_cls
    _binary_cls = binary_cls
    _serialization_cls = serialization_error_cls


# ------------------------------------------------------------------ errors

cdef int _verr(str message) except -1:
    raise _validation_cls(message)


cdef int _num_err(int code, object raw) except -1:
    msg = dc_num_error_message(code).decode("ascii")
    if code == DC_NUM_SYNTAX:
        msg = msg + str(raw)
    raise _validation_cls(msg)


cdef int _shape_err(int form, str message) except -1:
    """A member of the wrong Python type in a wire form."""
    if form == _JSON:
        raise (_serialization_cls or _validation_cls)(message)
    raise TypeError(message)


cdef int _check_form(int form) except -1:
    if form < _NATIVE or form > _JSON:
        raise ValueError(f"unknown value form {form}")
    return 0


# ------------------------------------------------------------ the encoder

cdef struct _Enc:
    dc_buf buf
    int form


cdef inline void _enc_init(_Enc *e, int form) noexcept:
    e.buf.data = NULL
    e.buf.len = 0
    e.buf.cap = 0
    e.form = form


cdef inline int _reserve(_Enc *e, size_t n) except -1:
    if dc_buf_reserve(&e.buf, n):
        raise MemoryError()
    return 0


cdef inline int _put_tag(_Enc *e, uint8_t tag) except -1:
    _reserve(e, 1)
    e.buf.data[e.buf.len] = <char>tag
    e.buf.len += 1
    return 0


cdef inline int _put_u32(_Enc *e, uint32_t v) except -1:
    _reserve(e, 5)
    e.buf.len = <size_t>(dc_put_varint32(e.buf.data + e.buf.len, v) - e.buf.data)
    return 0


cdef inline int _put_lp(_Enc *e, const char *s, Py_ssize_t n) except -1:
    """varint length + bytes."""
    if <size_t>n > 0xFFFFFFFF:
        _verr(MSG_ITEM_SIZE)
    _reserve(e, 5 + <size_t>n)
    cdef char *p = dc_put_varint32(e.buf.data + e.buf.len, <uint32_t>n)
    if n:
        memcpy(p, s, <size_t>n)
    e.buf.len = <size_t>(p - e.buf.data) + <size_t>n
    return 0


cdef inline int _put_str(_Enc *e, uint8_t tag, object s, uint64_t *size) except -1:
    cdef Py_ssize_t n
    cdef const char *u = PyUnicode_AsUTF8AndSize(s, &n)
    _put_tag(e, tag)
    _put_lp(e, u, n)
    size[0] += <uint64_t>n
    return 0


cdef inline int _put_name(_Enc *e, object name, uint64_t *size) except -1:
    """A map key or attribute name: must be str."""
    if not PyUnicode_Check(name):
        if e.form == _NATIVE:
            raise TypeError(f"attribute names must be str, not {type(name).__name__}")
        _shape_err(e.form, f"attribute names must be strings, not {type(name).__name__}")
    cdef Py_ssize_t n
    cdef const char *u = PyUnicode_AsUTF8AndSize(name, &n)
    _put_lp(e, u, n)
    size[0] += <uint64_t>n
    return 0


# Numbers -------------------------------------------------------------------

cdef int _put_num(_Enc *e, uint8_t tag, const char *text, Py_ssize_t n, object raw,
                  uint64_t *size) except -1:
    """Parses number text, writes [tag] + canonical text; tag 0 writes no tag
    (a set element)."""
    cdef dc_num num
    cdef char buf[DC_NUM_TEXT_MAX]
    cdef int rc = dc_num_parse(text, <size_t>n, &num)
    if rc != DC_NUM_OK:
        _num_err(rc, raw)
    cdef size_t m = dc_num_format(&num, buf)
    if tag:
        _put_tag(e, tag)
    _put_lp(e, buf, <Py_ssize_t>m)
    size[0] += dc_num_size(&num)
    return 0


cdef int _put_num_str(_Enc *e, uint8_t tag, object s, uint64_t *size) except -1:
    cdef Py_ssize_t n
    cdef const char *u = PyUnicode_AsUTF8AndSize(s, &n)
    return _put_num(e, tag, u, n, s, size)


cdef int _put_int(_Enc *e, uint8_t tag, object v, uint64_t *size) except -1:
    """A Python int (bool counts as 0/1, as in boto3's number sets)."""
    cdef int overflow = 0
    cdef long long x = PyLong_AsLongLongAndOverflow(v, &overflow)
    cdef unsigned long long mag
    cdef char buf[24]
    cdef int i = 24, nd, tz
    cdef dc_num num
    if overflow:
        s = str(int(v))
        return _put_num_str(e, tag, s, size)
    if x == 0:
        buf[23] = b'0'
        if tag:
            _put_tag(e, tag)
        _put_lp(e, buf + 23, 1)
        size[0] += 1
        return 0
    mag = <unsigned long long>(-(x + 1)) + 1 if x < 0 else <unsigned long long>x
    while mag:
        i -= 1
        buf[i] = <char>(48 + mag % 10)
        mag //= 10
    nd = 24 - i
    tz = 0
    while buf[23 - tz] == b'0':
        tz += 1
    if x < 0:
        i -= 1
        buf[i] = b'-'
    num.sign = -1 if x < 0 else 1
    num.ndigits = <uint8_t>(nd - tz)
    num.exp = <int16_t>nd
    if tag:
        _put_tag(e, tag)
    _put_lp(e, buf + i, 24 - i)
    size[0] += dc_num_size(&num)
    return 0


cdef int _put_decimal(_Enc *e, uint8_t tag, object v, uint64_t *size) except -1:
    s = PyObject_Str(v)
    cdef Py_ssize_t n
    cdef const char *u = PyUnicode_AsUTF8AndSize(s, &n)
    cdef dc_num num
    cdef int rc = dc_num_parse(u, <size_t>n, &num)
    if rc == DC_NUM_SYNTAX and not v.is_finite():
        raise TypeError(MSG_NAN)
    return _put_num(e, tag, u, n, s, size)


# Binary --------------------------------------------------------------------

cdef inline int _put_bytes_obj(_Enc *e, uint8_t tag, object b, uint64_t *size) except -1:
    """bytes or bytearray (the caller checked)."""
    cdef const char *p
    cdef Py_ssize_t n
    if PyBytes_Check(b):
        p = PyBytes_AS_STRING(b)
        n = PyBytes_GET_SIZE(b)
    else:
        p = PyByteArray_AS_STRING(b)
        n = PyByteArray_GET_SIZE(b)
    if tag:
        _put_tag(e, tag)
    _put_lp(e, p, n)
    size[0] += <uint64_t>n
    return 0


cdef object _binary_value(object v):
    """The bytes of a native binary value, or None if v is not one."""
    if PyBytes_Check(v) or PyByteArray_Check(v):
        return v
    if _binary_cls is not None and isinstance(v, _binary_cls):
        b = v.value
        if PyBytes_Check(b) or PyByteArray_Check(b):
            return b
        raise TypeError(f"Binary value must be bytes, not {type(b).__name__}")
    if isinstance(v, (_Set, _Mapping, list, tuple)):
        return None
    b = getattr(v, "value", None)
    if b is not None and (PyBytes_Check(b) or PyByteArray_Check(b)):
        return b
    return None


# base64 (RFC 4648, standard alphabet, padded), strict as DynamoDB's
# deserializer: length a multiple of 4, no stray characters, canonical
# final bits.
cdef const char *_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
cdef int8_t _B64_INV[256]


cdef void _b64_init() noexcept:
    cdef int i
    for i in range(256):
        _B64_INV[i] = -1
    for i in range(64):
        _B64_INV[<uint8_t>_B64[i]] = <int8_t>i


_b64_init()


cdef int _b64_error(object text, str why) except -1:
    _shape_err(_JSON, f"'{text}' can not be converted to a Blob: {why}")


cdef Py_ssize_t _b64_decode(const uint8_t *s, Py_ssize_t n, char *out,
                            object text) except -1:
    """Decodes n base64 characters to out (room for n / 4 * 3 bytes); returns
    the byte count. Raises with DynamoDB's (dynalite's) wording."""
    cdef Py_ssize_t i, o = 0, pad = 0
    cdef int8_t a, b, c, d
    if n % 4:
        _b64_error(text, "Base64 encoded length is expected a multiple of 4 bytes but "
                         f"found: {n}")
    if n >= 1 and s[n - 1] == b'=':
        pad = 1
        if n >= 2 and s[n - 2] == b'=':
            pad = 2
    for i in range(n - pad):
        if _B64_INV[s[i]] < 0:
            _b64_error(text, f"Invalid Base64 character: '{chr(s[i])}'")
    i = 0
    while i + 4 <= n - (4 if pad else 0):
        a = _B64_INV[s[i]]
        b = _B64_INV[s[i + 1]]
        c = _B64_INV[s[i + 2]]
        d = _B64_INV[s[i + 3]]
        out[o] = <char>((a << 2) | (b >> 4))
        out[o + 1] = <char>(((b & 15) << 4) | (c >> 2))
        out[o + 2] = <char>(((c & 3) << 6) | d)
        o += 3
        i += 4
    if pad:
        a = _B64_INV[s[i]]
        b = _B64_INV[s[i + 1]]
        out[o] = <char>((a << 2) | (b >> 4))
        o += 1
        if pad == 1:
            c = _B64_INV[s[i + 2]]
            out[o] = <char>(((b & 15) << 4) | (c >> 2))
            o += 1
            if c & 3:
                _b64_error(text, "Invalid last non-pad Base64 character dectected")
        elif b & 15:
            _b64_error(text, "Invalid last non-pad Base64 character dectected")
    return o


cdef str _b64_encode(const uint8_t *s, Py_ssize_t n):
    cdef Py_ssize_t m = (n + 2) // 3 * 4, i = 0, o = 0
    cdef char *out = <char *>malloc(<size_t>m + 1)
    cdef uint32_t v
    if out == NULL:
        raise MemoryError()
    try:
        while i + 3 <= n:
            v = (<uint32_t>s[i] << 16) | (<uint32_t>s[i + 1] << 8) | s[i + 2]
            out[o] = _B64[(v >> 18) & 63]
            out[o + 1] = _B64[(v >> 12) & 63]
            out[o + 2] = _B64[(v >> 6) & 63]
            out[o + 3] = _B64[v & 63]
            o += 4
            i += 3
        if n - i == 1:
            v = <uint32_t>s[i] << 16
            out[o] = _B64[(v >> 18) & 63]
            out[o + 1] = _B64[(v >> 12) & 63]
            out[o + 2] = b'='
            out[o + 3] = b'='
            o += 4
        elif n - i == 2:
            v = (<uint32_t>s[i] << 16) | (<uint32_t>s[i + 1] << 8)
            out[o] = _B64[(v >> 18) & 63]
            out[o + 1] = _B64[(v >> 12) & 63]
            out[o + 2] = _B64[(v >> 6) & 63]
            out[o + 3] = b'='
            o += 4
        return out[:o].decode("ascii")
    finally:
        free(out)


cdef int _put_wire_binary(_Enc *e, uint8_t tag, object v, uint64_t *size) except -1:
    """A wire-form B value or BS element; tag 0 writes no tag."""
    cdef Py_ssize_t n, m
    cdef const char *u
    cdef char *p
    if e.form == _JSON:
        if not PyUnicode_Check(v):
            _shape_err(e.form, f"B values must be base64 strings, not {type(v).__name__}")
        u = PyUnicode_AsUTF8AndSize(v, &n)
        if tag:
            _put_tag(e, tag)
        _reserve(e, 5 + <size_t>n)
        # Decoding writes at most n / 4 * 3 bytes.
        # Decode past the room of the longest length prefix, then write the
        # prefix and move the bytes down if it is shorter.
        m = _b64_decode(<const uint8_t *>u, n, e.buf.data + e.buf.len + 5, v)
        p = dc_put_varint32(e.buf.data + e.buf.len, <uint32_t>m)
        if p != e.buf.data + e.buf.len + 5:
            memmove(p, e.buf.data + e.buf.len + 5, <size_t>m)
        e.buf.len = <size_t>(p - e.buf.data) + <size_t>m
        size[0] += <uint64_t>m
        return 0
    if PyBytes_Check(v) or PyByteArray_Check(v):
        return _put_bytes_obj(e, tag, v, size)
    if PyUnicode_Check(v):  # botocore encodes str as UTF-8
        u = PyUnicode_AsUTF8AndSize(v, &n)
        if tag:
            _put_tag(e, tag)
        _put_lp(e, u, n)
        size[0] += <uint64_t>n
        return 0
    if PyMemoryView_Check(v):
        return _put_bytes_obj(e, tag, bytes(v), size)
    _shape_err(e.form, f"B values must be bytes, not {type(v).__name__}")


# Values --------------------------------------------------------------------

cdef inline int _enc_value(_Enc *e, object v, int level, uint64_t *size) except -1:
    if e.form == _NATIVE:
        return _enc_native(e, v, level, size)
    return _enc_wire(e, v, level, size)


cdef int _enc_native(_Enc *e, object v, int level, uint64_t *size) except -1:
    if level > DC_ITEM_MAX_DEPTH:
        _verr(MSG_NESTING)
    t = type(v)
    if t is str:
        return _put_str(e, DC_T_S, v, size)
    if t is int:
        return _put_int(e, DC_T_N, v, size)
    if t is _Decimal:
        return _put_decimal(e, DC_T_N, v, size)
    if v is True or v is False:
        _put_tag(e, DC_T_TRUE if v is True else DC_T_FALSE)
        size[0] += 1
        return 0
    if v is None:
        _put_tag(e, DC_T_NULL)
        size[0] += 1
        return 0
    if t is dict:
        return _enc_dict(e, v, level, size)
    if t is list:
        return _enc_list(e, v, level, size)
    if t is bytes:
        return _put_bytes_obj(e, DC_T_B, v, size)
    return _enc_native_slow(e, v, level, size)


cdef int _enc_native_slow(_Enc *e, object v, int level, uint64_t *size) except -1:
    """boto3's TypeSerializer order, for subclasses and the rarer types."""
    if isinstance(v, int):
        return _put_int(e, DC_T_N, v, size)
    if isinstance(v, _Decimal):
        return _put_decimal(e, DC_T_N, v, size)
    if PyFloat_Check(v):
        raise TypeError(MSG_FLOAT)
    if PyUnicode_Check(v):
        return _put_str(e, DC_T_S, v, size)
    b = _binary_value(v)
    if b is not None:
        return _put_bytes_obj(e, DC_T_B, b, size)
    if isinstance(v, _Set):
        return _enc_native_set(e, v, size)
    if isinstance(v, _Mapping):
        return _enc_mapping(e, v, level, size)
    if isinstance(v, (list, tuple)):
        return _enc_list(e, v, level, size)
    raise TypeError(f'Unsupported type "{type(v)}" for value "{v}"')


cdef int _native_kind(object v) except -1:
    """Set element kind, as boto3 classifies: 1 number, 2 str, 3 binary, 0 none."""
    if PyLong_Check(v) or isinstance(v, _Decimal):
        return 1
    if PyFloat_Check(v):
        return 4
    if PyUnicode_Check(v):
        return 2
    if _binary_value(v) is not None:
        return 3
    return 0


cdef int _enc_native_set(_Enc *e, object s, uint64_t *size) except -1:
    elems = list(s)
    cdef Py_ssize_t i, n = len(elems)
    cdef int kind = 1, k
    # NS if every element is a number (a float raises, as in boto3, when it
    # is met before a non-number), else SS if all str, else BS if all binary.
    for x in elems:
        k = _native_kind(x)
        if k == 4:
            raise TypeError(MSG_FLOAT)
        if k != 1:
            kind = 0
            break
    if kind == 0:
        for kind in (2, 3):
            for x in elems:
                if _native_kind(x) != kind:
                    break
            else:
                break
        else:
            raise TypeError(f'Unsupported type "{type(s)}" for value "{s}"')
    cdef uint8_t tag = DC_T_NS if kind == 1 else (DC_T_SS if kind == 2 else DC_T_BS)
    if n == 0:
        _verr(MSG_NS_EMPTY)
    _put_tag(e, tag)
    _put_u32(e, <uint32_t>n)
    cdef size_t start = e.buf.len
    for x in elems:
        if kind == 1:
            if PyLong_Check(x):
                _put_int(e, 0, x, size)
            else:
                _put_decimal(e, 0, x, size)
        elif kind == 2:
            _put_str_elem(e, x, size)
        else:
            _put_bytes_obj(e, 0, _binary_value(x), size)
    _check_dups(e, tag, start, <uint32_t>n, elems)
    return 0


cdef inline int _put_str_elem(_Enc *e, object s, uint64_t *size) except -1:
    cdef Py_ssize_t n
    cdef const char *u = PyUnicode_AsUTF8AndSize(s, &n)
    _put_lp(e, u, n)
    size[0] += <uint64_t>n
    return 0


cdef int _enc_dict(_Enc *e, object d, int level, uint64_t *size) except -1:
    """A dict (or a subclass that keeps dict iteration): PyDict_Next."""
    cdef Py_ssize_t pos = 0, n = PyDict_Size(d), seen = 0
    cdef PyObject *k
    cdef PyObject *v
    cdef uint64_t sub = 3
    _put_tag(e, DC_T_M)
    _put_u32(e, <uint32_t>n)
    while PyDict_Next(d, &pos, &k, &v):
        key = <object>k
        val = <object>v
        seen += 1
        if seen > n:
            break
        _put_name(e, key, &sub)
        sub += 1
        _enc_value(e, val, level + 1, &sub)
    if seen != n:
        raise RuntimeError("dictionary changed size during iteration")
    size[0] += sub
    return 0


cdef int _enc_mapping(_Enc *e, object m, int level, uint64_t *size) except -1:
    if PyDict_Check(m) and type(m).__iter__ is dict.__iter__ and \
            type(m).items is dict.items:
        return _enc_dict(e, m, level, size)
    items = list(m.items())
    cdef uint64_t sub = 3
    _put_tag(e, DC_T_M)
    _put_u32(e, <uint32_t>len(items))
    for key, val in items:
        _put_name(e, key, &sub)
        sub += 1
        _enc_value(e, val, level + 1, &sub)
    size[0] += sub
    return 0


cdef int _enc_list(_Enc *e, object lst, int level, uint64_t *size) except -1:
    cdef Py_ssize_t i, n
    cdef uint64_t sub = 3
    cdef bint is_list = PyList_Check(lst)
    n = PyList_GET_SIZE(lst) if is_list else PyTuple_GET_SIZE(lst)
    _put_tag(e, DC_T_L)
    _put_u32(e, <uint32_t>n)
    for i in range(n):
        if is_list:
            if PyList_GET_SIZE(lst) != n:
                raise RuntimeError("list changed size during iteration")
            item = <object>PyList_GET_ITEM(lst, i)
        else:
            item = <object>PyTuple_GET_ITEM(lst, i)
        sub += 1
        _enc_value(e, item, level + 1, &sub)
    if is_list and PyList_GET_SIZE(lst) != n:
        raise RuntimeError("list changed size during iteration")
    size[0] += sub
    return 0


# Wire forms ----------------------------------------------------------------

cdef uint8_t _wire_code(object k) noexcept:
    """The DC_T_* code of a wire member name (DC_T_TRUE for BOOL), 0 if none."""
    cdef Py_ssize_t n
    cdef const char *u
    if not PyUnicode_Check(k):
        return 0
    u = _utf8_or_null(k, &n)
    if u == NULL:
        PyErr_Clear()
        return 0
    if n == 1:
        if u[0] == b'S':
            return DC_T_S
        if u[0] == b'N':
            return DC_T_N
        if u[0] == b'B':
            return DC_T_B
        if u[0] == b'M':
            return DC_T_M
        if u[0] == b'L':
            return DC_T_L
        return 0
    if n == 2 and u[1] == b'S':
        if u[0] == b'S':
            return DC_T_SS
        if u[0] == b'N':
            return DC_T_NS
        if u[0] == b'B':
            return DC_T_BS
        return 0
    if n == 4:
        if memcmp(u, b"BOOL", 4) == 0:
            return DC_T_TRUE
        if memcmp(u, b"NULL", 4) == 0:
            return DC_T_NULL
    return 0


cdef int _enc_wire(_Enc *e, object av, int level, uint64_t *size) except -1:
    if level > DC_ITEM_MAX_DEPTH:
        _verr(MSG_NESTING)
    if not PyDict_Check(av):
        _shape_err(e.form, f"an AttributeValue must be a dict, not {type(av).__name__}")
    cdef Py_ssize_t pos = 0, n = PyDict_Size(av)
    cdef PyObject *k
    cdef PyObject *v
    cdef uint8_t code
    cdef uint64_t scratch
    cdef size_t mark
    if n == 1:
        PyDict_Next(av, &pos, &k, &v)
        code = _wire_code(<object>k)
        val = <object>v  # owned: Python code may run while it is encoded
        if code and val is not None:
            return _enc_typed(e, code, val, level, size)
        _verr(MSG_AV_EMPTY)
    # Members with a None value and unknown members are ignored, as
    # DynamoDB's JSON reader does; each present member is validated before
    # a second one is reported (dynalite's order).
    members = []
    while PyDict_Next(av, &pos, &k, &v):
        code = _wire_code(<object>k)
        if code and <object>v is not None:
            members.append((code, <object>v))
    if not members:
        _verr(MSG_AV_EMPTY)
    if len(members) == 1:
        return _enc_typed(e, members[0][0], members[0][1], level, size)
    mark = e.buf.len
    for code, val in members:
        scratch = 0
        _enc_typed(e, code, val, level, &scratch)
    e.buf.len = mark
    _verr(MSG_AV_MULTI)


cdef int _enc_typed(_Enc *e, uint8_t code, object v, int level, uint64_t *size) except -1:
    if code == DC_T_S:
        if not PyUnicode_Check(v):
            _shape_err(e.form, f"S values must be strings, not {type(v).__name__}")
        return _put_str(e, DC_T_S, v, size)
    if code == DC_T_N:
        if not PyUnicode_Check(v):
            _shape_err(e.form, f"N values must be strings, not {type(v).__name__}")
        return _put_num_str(e, DC_T_N, v, size)
    if code == DC_T_B:
        return _put_wire_binary(e, DC_T_B, v, size)
    if code == DC_T_TRUE or code == DC_T_NULL:
        # the JSON protocol takes "true" / "false" strings for booleans, as
        # DynamoDB's parser does (the shape check lets them through)
        if e.form == _JSON and PyUnicode_Check(v) and v.lower() in ("true", "false"):
            v = v.lower() == "true"
    if code == DC_T_TRUE:
        if v is True or v is False:
            _put_tag(e, DC_T_TRUE if v is True else DC_T_FALSE)
            size[0] += 1
            return 0
        _shape_err(e.form, f"BOOL values must be booleans, not {type(v).__name__}")
    if code == DC_T_NULL:
        if v is True:
            _put_tag(e, DC_T_NULL)
            size[0] += 1
            return 0
        if v is False:
            _verr(MSG_NULL)
        _shape_err(e.form, f"NULL values must be booleans, not {type(v).__name__}")
    if code == DC_T_M:
        if not PyDict_Check(v):
            _shape_err(e.form, f"M values must be dicts, not {type(v).__name__}")
        return _enc_dict(e, v, level, size)
    if code == DC_T_L:
        if not (PyList_Check(v) or PyTuple_Check(v)):
            _shape_err(e.form, f"L values must be lists, not {type(v).__name__}")
        return _enc_list(e, v, level, size)
    return _enc_wire_set(e, code, v, size)


cdef int _enc_wire_set(_Enc *e, uint8_t code, object v, uint64_t *size) except -1:
    if PyList_Check(v) or PyTuple_Check(v):
        elems = v
    elif e.form == _CLIENT and PyAnySet_Check(v):
        elems = list(v)
    else:
        _shape_err(e.form, f"{_TYPE_NAMES[code]} values must be lists, not "
                           f"{type(v).__name__}")
    cdef Py_ssize_t n = len(elems)
    if n == 0:
        _verr(MSG_SS_EMPTY if code == DC_T_SS else
              (MSG_NS_EMPTY if code == DC_T_NS else MSG_BS_EMPTY))
    _put_tag(e, code)
    _put_u32(e, <uint32_t>n)
    cdef size_t start = e.buf.len
    cdef Py_ssize_t i
    for i in range(n):
        x = elems[i]
        if code == DC_T_BS:
            _put_wire_binary(e, 0, x, size)
        elif not PyUnicode_Check(x):
            _shape_err(e.form, f"{_TYPE_NAMES[code]} elements must be strings, not "
                               f"{type(x).__name__}")
        elif code == DC_T_SS:
            _put_str_elem(e, x, size)
        else:
            _put_num_str(e, 0, x, size)
    if len(elems) != n:
        raise RuntimeError("list changed size during iteration")
    _check_dups(e, code, start, <uint32_t>n, elems)
    return 0


# Set duplicates --------------------------------------------------------------

cdef struct _Slice:
    const char *p
    uint32_t n


cdef int _slice_cmp(const void *a, const void *b) noexcept nogil:
    cdef const _Slice *x = <const _Slice *>a
    cdef const _Slice *y = <const _Slice *>b
    cdef uint32_t m = x.n if x.n < y.n else y.n
    cdef int r = memcmp(x.p, y.p, m) if m else 0
    if r:
        return r
    return -1 if x.n < y.n else (1 if x.n > y.n else 0)


cdef int _check_dups(_Enc *e, uint8_t code, size_t start, uint32_t n, object elems) except -1:
    """Raises DynamoDB's duplicate message if two of the n (varint length,
    bytes) elements written at start are equal (numbers compare by their
    canonical text, so "1" and "1.0" are duplicates)."""
    if n < 2:
        return 0
    cdef _Slice small[16]
    cdef _Slice *sl = small
    cdef uint32_t i, j, ln = 0
    cdef const char *p = e.buf.data + start
    cdef const char *end = e.buf.data + e.buf.len
    cdef bint dup = False
    if n > 16:
        sl = <_Slice *>malloc(n * sizeof(_Slice))
        if sl == NULL:
            raise MemoryError()
    try:
        for i in range(n):
            p = _get_u32(p, end, &ln)
            sl[i].p = p
            sl[i].n = ln
            p += ln
        if n <= 16:
            for i in range(n):
                for j in range(i + 1, n):
                    if sl[i].n == sl[j].n and memcmp(sl[i].p, sl[j].p, sl[i].n) == 0:
                        dup = True
                        break
                if dup:
                    break
        else:
            qsort(sl, n, sizeof(_Slice), _slice_cmp)
            for i in range(1, n):
                if _slice_cmp(&sl[i - 1], &sl[i]) == 0:
                    dup = True
                    break
    finally:
        if sl != small:
            free(sl)
    if not dup:
        return 0
    if code == DC_T_NS:
        _verr(MSG_NS_DUP)
    if code == DC_T_SS:
        shown = ", ".join([str(x) for x in elems])
        _verr(f"One or more parameter values were invalid: Input collection [{shown}] "
              "contains duplicates.")
    shown = ", ".join([_b64_shown(e.form, x) for x in elems])
    _verr(f"One or more parameter values were invalid: Input collection [{shown}]of type "
          "BS contains duplicates.")


cdef str _b64_shown(int form, object x):
    if form == _JSON:
        return str(x)
    b = _binary_value(x) if form == _NATIVE else x
    if PyUnicode_Check(b):
        b = (<str>b).encode("utf-8")
    elif not PyBytes_Check(b):
        b = bytes(b)
    return _b64_encode(<const uint8_t *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))


cdef inline const char *_get_u32(const char *p, const char *end, uint32_t *v) noexcept:
    return _get_varint32(p, end, v)


# ------------------------------------------------------------ the decoder

cdef inline const uint8_t *_dec_lp(const uint8_t *p, const uint8_t *end,
                                   const char **s, uint32_t *n) noexcept:
    p = <const uint8_t *>_get_varint32(<const char *>p, <const char *>end, n)
    if p == NULL or n[0] > <size_t>(end - p):
        return NULL
    s[0] = <const char *>p
    return p + n[0]


cdef inline object _wrap(int form, str k, object v):
    if form == _NATIVE:
        return v
    return {k: v}


# Decoded Decimals by canonical text: Decimal is immutable, and a dict hit
# costs a third of constructing one. Bounded: cleared when full.
cdef dict _decimal_cache = {}
cdef Py_ssize_t _DECIMAL_CACHE_MAX = 8192


cdef object _dec_num(int form, const char *s, uint32_t n):
    cdef dc_num num
    if form == _NATIVE:
        text = PyUnicode_DecodeASCII(s, n, NULL)
        d = _decimal_cache.get(text)
        if d is None:
            if dc_num_parse(s, n, &num) != DC_NUM_OK:
                raise ValueError("damaged item")
            d = _Decimal(text)
            if len(_decimal_cache) < _DECIMAL_CACHE_MAX:
                _decimal_cache[text] = d
        return d
    if dc_num_parse(s, n, &num) != DC_NUM_OK:
        raise ValueError("damaged item")
    return PyUnicode_DecodeASCII(s, n, NULL)


cdef object _dec_bin(int form, const char *s, uint32_t n):
    if form == _JSON:
        return _b64_encode(<const uint8_t *>s, n)
    b = s[:n]
    if form == _NATIVE and _binary_cls is not None:
        return _binary_cls(b)
    return b


cdef object _dec_value(const uint8_t **pp, const uint8_t *end, int form, int level):
    cdef const uint8_t *p = pp[0]
    cdef const char *s
    cdef uint32_t n, count, i
    cdef uint8_t tag
    if level > DC_ITEM_MAX_DEPTH or p >= end:
        raise ValueError("damaged item")
    tag = p[0]
    p += 1
    if tag == DC_T_S:
        p = _dec_lp(p, end, &s, &n)
        if p == NULL:
            raise ValueError("damaged item")
        pp[0] = p
        return _wrap(form, _K_S, PyUnicode_DecodeUTF8(s, n, NULL))
    if tag == DC_T_N:
        p = _dec_lp(p, end, &s, &n)
        if p == NULL:
            raise ValueError("damaged item")
        pp[0] = p
        return _wrap(form, _K_N, _dec_num(form, s, n))
    if tag == DC_T_B:
        p = _dec_lp(p, end, &s, &n)
        if p == NULL:
            raise ValueError("damaged item")
        pp[0] = p
        return _wrap(form, _K_B, _dec_bin(form, s, n))
    if tag == DC_T_TRUE or tag == DC_T_FALSE:
        pp[0] = p
        return _wrap(form, _K_BOOL, tag == DC_T_TRUE)
    if tag == DC_T_NULL:
        pp[0] = p
        return _wrap(form, _K_NULL, None if form == _NATIVE else True)
    p = <const uint8_t *>_get_varint32(<const char *>p, <const char *>end, &count)
    if p == NULL or count > <size_t>(end - p):
        raise ValueError("damaged item")
    if tag == DC_T_M:
        d = {}
        for i in range(count):
            p = _dec_lp(p, end, &s, &n)
            if p == NULL:
                raise ValueError("damaged item")
            name = PyUnicode_DecodeUTF8(s, n, NULL)
            d[name] = _dec_value(&p, end, form, level + 1)
        pp[0] = p
        return _wrap(form, _K_M, d)
    if tag == DC_T_L:
        lst = PyList_New(count)
        for i in range(count):
            x = _dec_value(&p, end, form, level + 1)
            Py_INCREF(x)
            PyList_SET_ITEM(lst, i, x)
        pp[0] = p
        return _wrap(form, _K_L, lst)
    if tag == DC_T_SS or tag == DC_T_NS or tag == DC_T_BS:
        if count == 0:
            raise ValueError("damaged item")
        if form == _NATIVE:
            out = set()
        else:
            out = PyList_New(count)
        for i in range(count):
            p = _dec_lp(p, end, &s, &n)
            if p == NULL:
                raise ValueError("damaged item")
            if tag == DC_T_SS:
                x = PyUnicode_DecodeUTF8(s, n, NULL)
            elif tag == DC_T_NS:
                x = _dec_num(form, s, n)
            else:
                x = _dec_bin(form, s, n)
            if form == _NATIVE:
                PySet_Add(out, x)
            else:
                Py_INCREF(x)
                PyList_SET_ITEM(out, i, x)
        pp[0] = p
        return _wrap(form, _TYPE_NAMES[tag], out)
    raise ValueError("damaged item")


cdef const uint8_t *_item_start(object value, uint64_t *size, uint32_t *count,
                                const uint8_t **end) except NULL:
    if not PyBytes_Check(value):
        raise TypeError(f"an encoded item must be bytes, not {type(value).__name__}")
    cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(value)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(value)
    end[0] = p + n
    p = dc_item_header(p, <size_t>n, size, count)
    if p == NULL or count[0] > <size_t>(end[0] - p):
        raise ValueError("damaged item")
    return p


cdef dict _decode_item(object value, int form):
    cdef uint64_t size
    cdef uint32_t count, i, n
    cdef const uint8_t *end
    cdef const char *s
    cdef const uint8_t *p = _item_start(value, &size, &count, &end)
    d = {}
    for i in range(count):
        p = _dec_lp(p, end, &s, &n)
        if p == NULL:
            raise ValueError("damaged item")
        name = PyUnicode_DecodeUTF8(s, n, NULL)
        d[name] = _dec_value(&p, end, form, 1)
    if p != end:
        raise ValueError("damaged item")
    return d


def decode_item(bytes value, int form):
    """The item encoded in `value` (from encode_item), as a dict of the given
    form. Raises ValueError("damaged item") if the bytes are not an item."""
    _check_form(form)
    try:
        return _decode_item(value, form)
    except (UnicodeDecodeError, ArithmeticError):
        raise ValueError("damaged item") from None


def item_size(bytes value):
    """DynamoDB's size of an encoded item, from its header."""
    cdef uint64_t size
    cdef uint32_t count
    if dc_item_header(<const uint8_t *>PyBytes_AS_STRING(value), <size_t>PyBytes_GET_SIZE(value),
                      &size, &count) == NULL:
        raise ValueError("damaged item")
    return size


def item_check(bytes value):
    """True if `value` is one well-formed encoded item (dc_item_check)."""
    return dc_item_check(<const uint8_t *>PyBytes_AS_STRING(value),
                         <size_t>PyBytes_GET_SIZE(value)) == 0


# --------------------------------------------------------------------- keys

cdef enum:
    # pk: escaped S/B (2 * 2048 + 2) or a number; sk: raw S/B or a number.
    _KEY_MAX = 8 + 2 * 2048 + 2 + 1024 + 32


cdef uint8_t _type_tag(str t) except 0:
    if t == "S":
        return DC_T_S
    if t == "N":
        return DC_T_N
    if t == "B":
        return DC_T_B
    raise ValueError(f"key attribute types are S, N or B, not {t!r}")


cdef inline const char *_value_payload(_Enc *e, size_t off, uint32_t *n) noexcept:
    """The bytes of the S/B/N value written at off (tag, varint, bytes)."""
    cdef const char *p = e.buf.data + off + 1
    p = _get_varint32(p, e.buf.data + e.buf.len, n)
    return p


cdef int _num_key(const char *text, uint32_t n, uint8_t *out, size_t *len) except -1:
    cdef dc_num num
    if dc_num_parse(text, n, &num) != DC_NUM_OK:  # written by us: cannot fail
        raise AssertionError("number text")
    len[0] = dc_num_key(&num, out)
    return 0


cdef class KeySchema:
    """A table's key: partition key name and type, optional sort key. Encodes
    items and keys (the key bytes of FORMATS.md, "Item codec") and decodes
    items' key attributes."""

    cdef readonly str pk_name, pk_type, sk_name, sk_type
    cdef bytes _pk_utf8, _sk_utf8
    cdef uint8_t _pk_tag, _sk_tag
    cdef bint _has_sk

    def __init__(self, str pk_name, str pk_type, str sk_name=None, str sk_type=None):
        if not pk_name:
            raise ValueError("the partition key needs a name")
        if (sk_name is None) != (sk_type is None):
            raise ValueError("a sort key needs both a name and a type")
        self.pk_name = pk_name
        self.pk_type = pk_type
        self._pk_tag = _type_tag(pk_type)
        self._pk_utf8 = pk_name.encode("utf-8")
        self._has_sk = sk_name is not None
        self.sk_name = sk_name
        self.sk_type = sk_type
        if self._has_sk:
            if not sk_name:
                raise ValueError("the sort key needs a name")
            if sk_name == pk_name:
                raise ValueError("the sort key must differ from the partition key")
            self._sk_tag = _type_tag(sk_type)
            self._sk_utf8 = sk_name.encode("utf-8")
        else:
            self._sk_tag = 0
            self._sk_utf8 = b""

    def __repr__(self):
        if self._has_sk:
            return (f"KeySchema({self.pk_name!r}, {self.pk_type!r}, {self.sk_name!r}, "
                    f"{self.sk_type!r})")
        return f"KeySchema({self.pk_name!r}, {self.pk_type!r})"

    def __reduce__(self):
        return (KeySchema, (self.pk_name, self.pk_type, self.sk_name, self.sk_type))

    cdef inline int _which(self, const char *u, Py_ssize_t n) noexcept:
        """1 if the name is the partition key's, 2 the sort key's, else 0."""
        if n == PyBytes_GET_SIZE(self._pk_utf8) and \
                memcmp(u, PyBytes_AS_STRING(self._pk_utf8), <size_t>n) == 0:
            return 1
        if self._has_sk and n == PyBytes_GET_SIZE(self._sk_utf8) and \
                memcmp(u, PyBytes_AS_STRING(self._sk_utf8), <size_t>n) == 0:
            return 2
        return 0

    cdef int _pk_component(self, _Enc *e, size_t off, uint8_t *out, size_t *len,
                           bint for_item) except -1:
        """Checks the pk value written at off (empty, size) and writes its key
        component (hash prefix excluded) to out."""
        cdef uint32_t n = 0
        cdef const char *s = _value_payload(e, off, &n)
        cdef uint8_t tag = <uint8_t>e.buf.data[off]
        if tag == DC_T_N:
            return _num_key(s, n, out, len)
        if n == 0:
            _verr(_empty_key_message(tag, self.pk_name, for_item))
        if n > DC_KEY_PK_MAX:
            _verr(MSG_HASH_SIZE)
        len[0] = dc_key_escape(<const uint8_t *>s, n, out)
        return 0

    cdef int _sk_part(self, _Enc *e, size_t off, uint8_t *out, size_t *len, int empty_check,
                      bint for_item) except -1:
        cdef uint32_t n = 0
        cdef const char *s = _value_payload(e, off, &n)
        cdef uint8_t tag = <uint8_t>e.buf.data[off]
        if tag == DC_T_N:
            return _num_key(s, n, out, len)
        if n == 0 and empty_check:
            _verr(_empty_key_message(tag, self.sk_name, for_item))
        if n > DC_KEY_SK_MAX:
            _verr(MSG_RANGE_SIZE)
        if n:
            memcpy(out, s, n)
        len[0] = n
        return 0

    cdef tuple _key_bytes(self, _Enc *e, size_t pk_off, size_t sk_off, bint for_item):
        cdef uint8_t kbuf[_KEY_MAX]
        cdef size_t pk_len = 0, sk_len = 0
        self._pk_component(e, pk_off, kbuf + 8, &pk_len, for_item)
        if self._has_sk:
            self._sk_part(e, sk_off, kbuf + 8 + pk_len, &sk_len, 1, for_item)
        cdef uint64_t h = dc_key_hash(kbuf + 8, pk_len)
        dc_key_put_hash(h, kbuf)
        return h, PyBytes_FromStringAndSize(<char *>kbuf, <Py_ssize_t>(8 + pk_len + sk_len))

    def encode_item(self, item, int form):
        """Validates and encodes an item (a dict of attribute names to values
        of the given form). Returns (hash, key, value, size): the partition
        hash, the key bytes, the encoded item and its DynamoDB size."""
        cdef _Enc e
        cdef size_t pk_off = 0, sk_off = 0, off
        cdef bint has_pk = False, has_sk = False
        cdef uint64_t total = 0, vsize
        cdef uint32_t count = 0
        cdef Py_ssize_t pos = 0, n
        cdef PyObject *k
        cdef PyObject *v
        cdef const char *u
        cdef int which, hlen
        cdef char *start
        _check_form(form)
        if PyDict_CheckExact(item):
            pairs = None
        elif isinstance(item, _Mapping):
            pairs = list(item.items())
        else:
            raise TypeError(f"an item must be a dict, not {type(item).__name__}")
        _enc_init(&e, form)
        try:
            _reserve(&e, 512)
            e.buf.len = DC_ITEM_HEADER_MAX
            while True:
                if pairs is None:
                    if not PyDict_Next(item, &pos, &k, &v):
                        break
                    name = <object>k
                    val = <object>v
                else:
                    if pos >= len(pairs):
                        break
                    name, val = pairs[pos]
                    pos += 1
                if not PyUnicode_Check(name):
                    if form == _JSON:
                        _shape_err(form, "attribute names must be strings")
                    raise TypeError(f"attribute names must be str, not {type(name).__name__}")
                u = PyUnicode_AsUTF8AndSize(name, &n)
                if n == 0:
                    _verr(MSG_EMPTY_NAME)
                _put_lp(&e, u, n)
                which = self._which(u, n)
                off = e.buf.len
                vsize = 0
                _enc_value(&e, val, 1, &vsize)
                if which == 1:
                    has_pk = True
                    pk_off = off
                elif which == 2:
                    has_sk = True
                    sk_off = off
                total += <uint64_t>n + vsize
                count += 1
            if pairs is None and count != PyDict_Size(item):
                raise RuntimeError("dictionary changed size during iteration")
            # The key attributes, partition key first.
            self._check_key_attr(&e, has_pk, pk_off, self.pk_name, self._pk_tag)
            if self._has_sk:
                self._check_key_attr(&e, has_sk, sk_off, self.sk_name, self._sk_tag)
            h, key = self._key_bytes(&e, pk_off, sk_off, True)
            if total > DC_ITEM_MAX_SIZE:
                _verr(MSG_ITEM_SIZE)
            hlen = 1 + dc_varint_len(total) + dc_varint_len(count)
            start = e.buf.data + DC_ITEM_HEADER_MAX - hlen
            start[0] = <char>DC_ITEM_VERSION
            dc_put_varint32(dc_put_varint64(start + 1, total), count)
            value = PyBytes_FromStringAndSize(start, <Py_ssize_t>(e.buf.len - DC_ITEM_HEADER_MAX
                                                                   + <size_t>hlen))
            return h, key, value, total
        finally:
            dc_buf_free(&e.buf)

    cdef int _check_key_attr(self, _Enc *e, bint present, size_t off, str name,
                             uint8_t tag) except -1:
        cdef uint8_t got
        if not present:
            _verr(f"One or more parameter values were invalid: Missing the key {name} in "
                  "the item")
        got = <uint8_t>e.buf.data[off]
        if got != tag:
            _verr(f"One or more parameter values were invalid: Type mismatch for key {name} "
                  f"expected: {_TYPE_NAMES[tag]} actual: {_TYPE_NAMES[got]}")
        return 0

    def encode_key(self, key, int form):
        """Validates and encodes a key (a dict holding exactly the key
        attributes, values of the given form). Returns (hash, key bytes)."""
        cdef _Enc e
        cdef size_t pk_off = 0, sk_off = 0, off
        cdef bint has_pk = False, has_sk = False
        cdef uint64_t vsize
        cdef Py_ssize_t n
        cdef const char *u
        cdef int which, count = 0
        _check_form(form)
        if not PyDict_CheckExact(key) and not isinstance(key, _Mapping):
            raise TypeError(f"a key must be a dict, not {type(key).__name__}")
        _enc_init(&e, form)
        try:
            _reserve(&e, 256)
            for name, val in key.items():
                if not PyUnicode_Check(name):
                    if form == _JSON:
                        _shape_err(form, "attribute names must be strings")
                    raise TypeError(f"attribute names must be str, not {type(name).__name__}")
                u = PyUnicode_AsUTF8AndSize(name, &n)
                which = self._which(u, n)
                off = e.buf.len
                vsize = 0
                _enc_value(&e, val, 1, &vsize)
                count += 1
                if which == 1:
                    has_pk = True
                    pk_off = off
                elif which == 2:
                    has_sk = True
                    sk_off = off
            if count != (2 if self._has_sk else 1):
                _verr(MSG_KEY_SCHEMA)
            if not has_pk or <uint8_t>e.buf.data[pk_off] != self._pk_tag:
                _verr(MSG_KEY_SCHEMA)
            if self._has_sk and (not has_sk or <uint8_t>e.buf.data[sk_off] != self._sk_tag):
                _verr(MSG_KEY_SCHEMA)
            return self._key_bytes(&e, pk_off, sk_off, False)
        finally:
            dc_buf_free(&e.buf)

    def pk_prefix(self, value, int form):
        """(hash, prefix) for one partition key value: prefix = hash (8 bytes,
        big-endian) ‖ pk component, the common prefix of every key of that
        partition key."""
        cdef _Enc e
        cdef uint64_t vsize = 0
        cdef uint8_t kbuf[8 + 2 * 2048 + 2 + 32]
        cdef size_t pk_len = 0
        _check_form(form)
        _enc_init(&e, form)
        try:
            _enc_value(&e, value, 1, &vsize)
            if <uint8_t>e.buf.data[0] != self._pk_tag:
                _verr(MSG_COND_TYPE)
            self._pk_component(&e, 0, kbuf + 8, &pk_len, False)
            h = dc_key_hash(kbuf + 8, pk_len)
            dc_key_put_hash(h, kbuf)
            return h, PyBytes_FromStringAndSize(<char *>kbuf, <Py_ssize_t>(8 + pk_len))
        finally:
            dc_buf_free(&e.buf)

    def sk_component(self, value, int form):
        """The sort key component (the key bytes after the pk component) of
        one sort key value."""
        cdef _Enc e
        cdef uint64_t vsize = 0
        cdef uint8_t kbuf[1024 + 32]
        cdef size_t sk_len = 0
        if not self._has_sk:
            raise ValueError("the table has no sort key")
        _check_form(form)
        _enc_init(&e, form)
        try:
            _enc_value(&e, value, 1, &vsize)
            if <uint8_t>e.buf.data[0] != self._sk_tag:
                _verr(MSG_COND_TYPE)
            self._sk_part(&e, 0, kbuf, &sk_len, 0, False)
            return PyBytes_FromStringAndSize(<char *>kbuf, <Py_ssize_t>sk_len)
        finally:
            dc_buf_free(&e.buf)

    def item_key(self, bytes value, int form):
        """The key attributes of an encoded item, decoded in the given form
        (for LastEvaluatedKey)."""
        cdef uint64_t size
        cdef uint32_t count, i, n
        cdef const uint8_t *end
        cdef const char *s
        cdef const uint8_t *p
        cdef int which, found = 0, want = 2 if self._has_sk else 1
        _check_form(form)
        try:
            p = _item_start(value, &size, &count, &end)
            d = {}
            for i in range(count):
                p = _dec_lp(p, end, &s, &n)
                if p == NULL:
                    raise ValueError("damaged item")
                which = self._which(s, n)
                if which:
                    d[self.pk_name if which == 1 else self.sk_name] = _dec_value(&p, end, form, 1)
                    found += 1
                    if found == want:
                        return d
                else:
                    p = dc_item_skip_value(p, end, 1)
                    if p == NULL:
                        raise ValueError("damaged item")
            raise ValueError("damaged item")
        except (UnicodeDecodeError, ArithmeticError):
            raise ValueError("damaged item") from None


cdef str _empty_key_message(uint8_t tag, str name, bint for_item):
    kind = "string" if tag == DC_T_S else "binary"
    lead = ("One or more parameter values are not valid." if for_item else
            "One or more parameter values were invalid:")
    return (f"{lead} The AttributeValue for a key attribute cannot contain an empty {kind} "
            f"value. Key: {name}")


# ---------------------------------------------------------- single values

def canonical_value(value, int form_in, int form_out=FORM_CLIENT):
    """One value validated as an attribute value (numbers, sets, nesting:
    the value itself is level 1) and re-emitted in form_out, numbers in
    canonical text."""
    cdef _Enc e
    cdef uint64_t size = 0
    cdef const uint8_t *p
    _check_form(form_in)
    _check_form(form_out)
    _enc_init(&e, form_in)
    try:
        _enc_value(&e, value, 1, &size)
        p = <const uint8_t *>e.buf.data
        return _dec_value(&p, p + e.buf.len, form_out, 1)
    finally:
        dc_buf_free(&e.buf)


def value_size(value, int form):
    """DynamoDB's size of one value (without a name), validating it."""
    cdef _Enc e
    cdef uint64_t size = 0
    _check_form(form)
    _enc_init(&e, form)
    try:
        _enc_value(&e, value, 1, &size)
        return size
    finally:
        dc_buf_free(&e.buf)


# ------------------------------------------------------------------ numbers

cdef int _parse_py(str text, dc_num *num) except -1:
    cdef Py_ssize_t n
    cdef const char *u = PyUnicode_AsUTF8AndSize(text, &n)
    cdef int rc = dc_num_parse(u, <size_t>n, num)
    if rc != DC_NUM_OK:
        _num_err(rc, text)
    return 0


def number_normalize(str text):
    """DynamoDB's canonical text of a number ("1.50" -> "1.5", "1E2" -> "100");
    raises the validation error DynamoDB would."""
    cdef dc_num num
    cdef char buf[DC_NUM_TEXT_MAX]
    _parse_py(text, &num)
    return buf[:dc_num_format(&num, buf)].decode("ascii")


def number_key(str text):
    """The order-preserving key encoding of a number."""
    cdef dc_num num
    cdef uint8_t buf[DC_NUM_KEY_MAX]
    _parse_py(text, &num)
    return PyBytes_FromStringAndSize(<char *>buf, <Py_ssize_t>dc_num_key(&num, buf))


def number_from_key(bytes key):
    """(canonical text, bytes taken) of the number key encoding at the start
    of `key`; ValueError if it is not one."""
    cdef dc_num num
    cdef char buf[DC_NUM_TEXT_MAX]
    cdef size_t used = dc_num_from_key(<const uint8_t *>PyBytes_AS_STRING(key),
                                       <size_t>PyBytes_GET_SIZE(key), &num)
    if used == 0:
        raise ValueError("not a number key")
    return buf[:dc_num_format(&num, buf)].decode("ascii"), used


def number_size(str text):
    """DynamoDB's size in bytes of a number."""
    cdef dc_num num
    _parse_py(text, &num)
    return dc_num_size(&num)


def number_compare(str a, str b):
    """-1, 0 or 1 as number a is less than, equal to or greater than b."""
    cdef dc_num x, y
    _parse_py(a, &x)
    _parse_py(b, &y)
    return dc_num_cmp(&x, &y)


def key_escape(bytes raw):
    """The escaped S/B partition-key component of raw bytes."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(raw)
    cdef uint8_t *out = <uint8_t *>malloc(<size_t>(2 * n + 2))
    if out == NULL:
        raise MemoryError()
    try:
        return PyBytes_FromStringAndSize(
            <char *>out, <Py_ssize_t>dc_key_escape(<const uint8_t *>PyBytes_AS_STRING(raw),
                                                   <size_t>n, out))
    finally:
        free(out)


def key_unescape(bytes component):
    """(raw bytes, bytes taken) of the escaped component at the start of
    `component`; ValueError if there is none."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(component)
    cdef uint8_t *out = <uint8_t *>malloc(<size_t>n + 1)
    cdef size_t raw_len = 0, used
    if out == NULL:
        raise MemoryError()
    try:
        used = dc_key_unescape(<const uint8_t *>PyBytes_AS_STRING(component), <size_t>n, out,
                               &raw_len)
        if used == 0:
            raise ValueError("not an escaped key component")
        return PyBytes_FromStringAndSize(<char *>out, <Py_ssize_t>raw_len), used
    finally:
        free(out)


def key_hash(bytes component):
    """The partition hash of a pk component (xxh64, seed 0)."""
    return dc_key_hash(<const uint8_t *>PyBytes_AS_STRING(component),
                       <size_t>PyBytes_GET_SIZE(component))
