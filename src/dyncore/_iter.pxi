# _iter.pxi — Iterator: (key, value) pairs from dc_iterator, fetched in batches.
# Included by _core.pyx.
#
# Each refill is one nogil call to dc_iter_read_batch, which copies many pairs
# (records: varint32 klen, key, varint32 vlen, value) into one buffer; __next__
# decodes from that buffer with the GIL held and no C call. The first refill
# asks for few pairs (a scan often stops early) and each next one for twice as
# many, so a scan never reads more than about twice what its consumer takes
# (every pair read may cost a block read and decompression).

cdef enum:
    _FIRST_BATCH_PAIRS = 8
    _MAX_BATCH_PAIRS = 256
    _MAX_BATCH_BYTES = 256 * 1024


@cython.no_gc_clear
@cython.final
cdef class Iterator(_Child):
    """Iterator of (key, value) over a key range, made by Engine.scan().

    Close it (or exhaust it, or leave its `with` block) to free the engine's
    resources early. After close() it yields nothing; after the engine is
    closed, using it raises ClosedError.
    """
    cdef dc_iterator *_it
    cdef Snapshot _snapshot   # pinned while the iterator is open
    cdef object _lower
    cdef object _upper
    cdef bint _reverse
    cdef bint _started
    cdef bint _busy           # a thread is inside a C call on _it
    cdef char *_buf
    cdef size_t _len
    cdef size_t _pos
    cdef int _want

    def __cinit__(self):
        self._want = _FIRST_BATCH_PAIRS

    def __dealloc__(self):
        self._release_handle()

    cdef void _release_handle(self) noexcept:
        cdef dc_iterator *it = self._it
        cdef Snapshot snap
        self._it = NULL
        if self._buf != NULL:
            dc_free(self._buf)
            self._buf = NULL
        self._len = 0
        self._pos = 0
        self._unlink()
        if it != NULL:
            if self._owner._try_enter():
                with nogil:
                    dc_iter_free(it)
                self._owner._leave()
            else:
                # The DB is closing and waits for no call: free with the GIL held.
                dc_iter_free(it)
        if self._snapshot is not None:
            snap = self._snapshot
            self._snapshot = None
            snap._unpin()

    cdef int _fill(self) except -1:
        """Refill the buffer: 1, or 0 at the end (the handle is then freed)."""
        cdef dc_iterator *it = self._it
        cdef char *buf = NULL
        cdef size_t blen = 0
        cdef int want = self._want
        cdef int reverse = self._reverse
        cdef bint seek = not self._started
        cdef dc_error err
        cdef int n, rc
        if it == NULL:
            if self._engine_closed:
                _raise_closed("the iterator's engine is closed")
            return 0
        if self._busy:
            raise RuntimeError("the iterator is in use by another thread")
        if self._buf != NULL:
            dc_free(self._buf)
            self._buf = NULL
        self._len = 0
        self._pos = 0
        self._owner._enter()
        self._busy = True
        with nogil:
            if seek:
                if reverse:
                    dc_iter_seek_last(it)
                else:
                    dc_iter_seek_first(it)
            n = dc_iter_read_batch(it, reverse, want, _MAX_BATCH_BYTES, &buf, &blen)
        self._busy = False
        self._owner._leave()
        self._started = True
        if n <= 0:
            if buf != NULL:
                dc_free(buf)
            if n < 0:
                _err_init(&err)
                rc = dc_iter_status(it, &err)
                self._release_handle()
                _raise(rc if rc != DC_OK else DC_IOERR, &err)
            self._release_handle()
            return 0
        self._buf = buf
        self._len = blen
        if want < _MAX_BATCH_PAIRS:
            self._want = want * 2 if want * 2 < _MAX_BATCH_PAIRS else _MAX_BATCH_PAIRS
        return 1

    cdef int _damaged(self) except -1:
        self._release_handle()
        raise _make_error(DC_CORRUPT, "dc_iter_read_batch returned a malformed buffer")

    def __iter__(self):
        return self

    def __next__(self):
        cdef const char *p
        cdef const char *limit
        cdef uint32_t kn = 0, vn = 0
        if self._pos >= self._len:
            if not self._fill():
                raise StopIteration
        p = self._buf + self._pos
        limit = self._buf + self._len
        p = _get_varint32(p, limit, &kn)
        if p == NULL or <size_t>(limit - p) < kn:
            self._damaged()
        key = PyBytes_FromStringAndSize(p, kn)
        p += kn
        p = _get_varint32(p, limit, &vn)
        if p == NULL or <size_t>(limit - p) < vn:
            self._damaged()
        value = PyBytes_FromStringAndSize(p, vn)
        p += vn
        self._pos = <size_t>(p - self._buf)
        return (key, value)

    def close(self):
        """Free the engine iterator now (idempotent)."""
        if self._busy:
            raise RuntimeError("the iterator is in use by another thread")
        self._release_handle()

    @property
    def closed(self):
        return self._it == NULL and self._pos >= self._len

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
