# _errors.pxi — result codes to exceptions, and the bytes checks on arguments.
# Included by _core.pyx.

# Result codes by name, for the Python side and tests.
CODES = {
    "OK": DC_OK, "NOTFOUND": DC_NOTFOUND, "CORRUPT": DC_CORRUPT, "IOERR": DC_IOERR,
    "NOSPC": DC_NOSPC, "LOCKED": DC_LOCKED, "CLOSED": DC_CLOSED, "MISUSE": DC_MISUSE,
    "NOMEM": DC_NOMEM, "INVALID": DC_INVALID, "TRIMMED": DC_TRIMMED,
}

cdef object _error_factory = None


def set_error_factory(factory):
    """Register `factory(code, message) -> Exception` (dyncore.errors.engine_error)."""
    global _error_factory
    _error_factory = factory


def code_name(int code):
    """The engine's symbolic name of a result code ("CORRUPT", ...)."""
    return dc_code_name(code).decode("ascii")


cdef object _make_error(int code, str message):
    if _error_factory is not None:
        return _error_factory(code, message)
    return RuntimeError(f"{dc_code_name(code).decode('ascii')}: {message}")


cdef inline void _err_init(dc_error *err) noexcept nogil:
    # The engine records only the first error into a dc_error whose code is DC_OK.
    err.code = DC_OK
    err.message[0] = 0


cdef int _raise(int code, const dc_error *err) except -1:
    """The one place where a result code becomes an exception."""
    cdef str message = ""
    if err != NULL and err.message[0] != 0:
        message = err.message[:strlen(err.message)].decode("utf-8", "replace")
    if not message:
        message = dc_code_name(code).decode("ascii").lower()
    raise _make_error(code, message)


cdef int _raise_closed(str what) except -1:
    raise _make_error(DC_CLOSED, what)


cdef int _raise_misuse(str what) except -1:
    raise _make_error(DC_MISUSE, what)


cdef inline bint _plain_bytes(object o) noexcept:
    """The fast path of the argument check: bytes that a varint32 can size."""
    return PyBytes_Check(o) and PyBytes_GET_SIZE(o) <= <Py_ssize_t>0xFFFFFFFF


cdef object _coerce_bytes(object o, str what):
    """Slow path of the argument check: bytes-like to bytes, else TypeError."""
    if PyBytes_Check(o):
        b = o
    elif isinstance(o, (bytearray, memoryview)):
        b = bytes(o)
    else:
        raise TypeError(f"{what} must be bytes, not {type(o).__name__}")
    if PyBytes_GET_SIZE(b) > <Py_ssize_t>0xFFFFFFFF:
        raise ValueError(f"{what} is longer than 4 GiB")
    return b


cdef extern from "Python.h":
    # PyBytes_FromStringAndSize without Cython's error check: _take_bytes
    # must free the engine's buffer before it can raise.
    PyObject *_bytes_from "PyBytes_FromStringAndSize"(const char *p, Py_ssize_t n)


cdef object _take_bytes(char *p, size_t n):
    """bytes from an engine-allocated buffer, which is freed (dc_free)."""
    cdef PyObject *o = _bytes_from(p, <Py_ssize_t>n)
    dc_free(p)
    if o == NULL:
        raise MemoryError()
    result = <object>o  # a new reference on top of the one _bytes_from returned
    Py_DECREF(result)
    return result


# varint32 as in csrc/coding.h (LEB128, at most 5 bytes). Returns the byte after
# it, or NULL when [p, limit) does not hold a whole varint.
cdef inline const char *_get_varint32(const char *p, const char *limit,
                                      uint32_t *v) noexcept nogil:
    cdef uint32_t r = 0
    cdef uint32_t b
    cdef int shift = 0
    while shift <= 28 and p < limit:
        b = <unsigned char>p[0]
        p += 1
        r |= (b & 127) << shift
        if not (b & 128):
            v[0] = r
            return p
        shift += 7
    return NULL
