# _tail.pxi — Tail: WAL records from a sequence number on (dc_tail).
# Included by _core.pyx.

KIND_DELETE = 0
KIND_PUT = 1


cdef list _decode_ops(const char *p, size_t n, uint32_t count):
    """A batch body (csrc/batch.h) as [(kind, key, value or None), ...]."""
    cdef const char *limit = p + n
    cdef uint32_t i, kn = 0, vn = 0
    cdef int kind
    cdef list ops = []
    for i in range(count):
        if p >= limit:
            break
        kind = <unsigned char>p[0]
        p += 1
        if kind != KIND_PUT and kind != KIND_DELETE:
            p = NULL
            break
        p = _get_varint32(p, limit, &kn)
        if p == NULL or <size_t>(limit - p) < kn:
            p = NULL
            break
        key = PyBytes_FromStringAndSize(p, kn)
        p += kn
        if kind == KIND_PUT:
            p = _get_varint32(p, limit, &vn)
            if p == NULL or <size_t>(limit - p) < vn:
                p = NULL
                break
            ops.append((KIND_PUT, key, PyBytes_FromStringAndSize(p, vn)))
            p += vn
        else:
            ops.append((KIND_DELETE, key, None))
    if p != limit or len(ops) != count:
        raise _make_error(DC_CORRUPT, "malformed WAL record body from dc_tail_next")
    return ops


@cython.no_gc_clear
@cython.final
cdef class Tail(_Child):
    """Reads WAL records from a sequence number on, made by Engine.tail().

    Iterating yields (seq, hlc, origin, [(kind, key, value), ...]) records
    (kind KIND_PUT = 1 with a value, KIND_DELETE = 0 with None) and stops when
    no record is available yet; iterating again later resumes, so a tail can be
    polled (or use poll(), which returns None when idle). The engine keeps WAL
    segments for this reader: call release(upto) when records up to `upto` are
    consumed, and close() when done.
    """
    cdef dc_tail *_tail
    cdef bint _busy

    def __dealloc__(self):
        self._release_handle()

    cdef void _release_handle(self) noexcept:
        cdef dc_tail *t = self._tail
        self._tail = NULL
        self._unlink()
        if t == NULL:
            return
        if self._owner._try_enter():
            with nogil:
                dc_tail_close(t)
            self._owner._leave()
        else:
            dc_tail_close(t)

    cdef dc_tail *_handle(self) except NULL:
        if self._tail == NULL:
            if self._engine_closed:
                _raise_closed("the tail's engine is closed")
            _raise_closed("the tail is closed")
        if self._busy:
            raise RuntimeError("the tail is in use by another thread")
        return self._tail

    def poll(self):
        """The next record, or None when there is none yet."""
        cdef dc_tail *t = self._handle()
        cdef dc_wal_record rec
        cdef dc_error err
        cdef int rc
        _err_init(&err)
        self._owner._enter()
        self._busy = True
        with nogil:
            rc = dc_tail_next(t, &rec, &err)
        self._busy = False
        self._owner._leave()
        if rc == DC_NOTFOUND:
            return None
        if rc != DC_OK:
            _raise(rc, &err)
        return (rec.seq, rec.hlc, rec.origin, _decode_ops(rec.ops, rec.ops_len, rec.count))

    def __iter__(self):
        return self

    def __next__(self):
        rec = self.poll()
        if rec is None:
            raise StopIteration
        return rec

    def release(self, uint64_t upto):
        """Records with seq <= upto are consumed: their WAL segments may go."""
        cdef dc_tail *t = self._handle()
        self._owner._enter()
        self._busy = True
        with nogil:
            dc_tail_release(t, upto)
        self._busy = False
        self._owner._leave()

    def close(self):
        """Unregister the reader (idempotent)."""
        if self._busy:
            raise RuntimeError("the tail is in use by another thread")
        self._release_handle()

    @property
    def closed(self):
        return self._tail == NULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
