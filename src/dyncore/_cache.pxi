# _cache.pxi — SharedCache: one block cache for several engines (dc_shared_cache).
# Included by _core.pyx, before _db.pxi (DB._open takes a SharedCache).

import json as _json


cdef class SharedCache:
    """A block cache with one byte budget for several engines of this process
    (dc_shared_cache): pass it as the "cache" option of DB._open
    (Engine(path, cache=...)), e.g. to the engines of every partition of a
    database. Each engine's blocks are its own (they never answer another
    engine's reads) and leave the cache when the engine closes; the
    engine's cache_bytes is ignored.

    `SharedCache(capacity_bytes)` opens the cache (0: caches nothing). This
    object holds one reference to it and every engine opened with it holds
    another until that engine closes, so close() (or dropping the object)
    while engines use the cache is safe: the cache is freed when the last of
    them has closed. After close(), stats() and opening an engine with it
    raise ClosedError.

    Concurrency: as for DB (see the module docstring), calls in flight are
    counted with the GIL held, and close() waits for them (GIL released)
    before it drops the reference.
    """
    cdef dc_shared_cache *_c
    cdef int _active   # calls in flight that use _c (changed with the GIL held)
    cdef bint _closing
    cdef readonly uint64_t capacity

    def __cinit__(self, *args, **kwargs):
        self._c = NULL
        self._active = 0
        self._closing = False
        self.capacity = 0

    def __init__(self, capacity_bytes):
        cdef dc_error err
        cdef dc_shared_cache *c = NULL
        cdef int rc
        if not isinstance(capacity_bytes, int):
            raise TypeError(f"capacity_bytes must be an int, not {type(capacity_bytes).__name__}")
        if not 0 <= capacity_bytes <= 0xFFFFFFFFFFFFFFFF:
            raise ValueError(f"capacity_bytes must be in [0, 2**64), not {capacity_bytes}")
        if self._c != NULL or self._closing:
            _raise_misuse("the shared cache is already open")
        _err_init(&err)
        rc = dc_shared_cache_open(capacity_bytes, &c, &err)  # allocation only: no I/O
        if rc != DC_OK:
            _raise(rc, &err)
        self._c = c
        self.capacity = capacity_bytes

    def __dealloc__(self):
        cdef dc_shared_cache *c = self._c
        if c == NULL:
            return
        self._c = NULL
        with nogil:
            dc_shared_cache_unref(c)  # frees the cache if no engine uses it

    def close(self):
        """Drop this object's reference: engines open with the cache go on
        using it (it is freed when the last of them closes); stats() and
        opening engines with it raise ClosedError from now on. Closing twice
        is a no-op."""
        cdef dc_shared_cache *c
        if self._closing:
            while self._closing:  # another thread is closing: wait until it is done
                with nogil:
                    usleep(200)
            return
        if self._c == NULL:
            return
        self._closing = True
        try:
            while self._active > 0:
                with nogil:
                    usleep(100)
            c = self._c
            self._c = NULL
            with nogil:
                dc_shared_cache_unref(c)
        finally:
            self._closing = False

    @property
    def closed(self):
        return self._c == NULL or self._closing

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @cython.final
    cdef int _enter(self) except -1:
        if self._c == NULL or self._closing:
            _raise_closed("the shared cache is closed")
        self._active += 1
        return 0

    @cython.final
    cdef void _leave(self) noexcept:
        self._active -= 1

    def stats_json(self):
        """dc_shared_cache_stats: the cache's statistics as JSON text."""
        cdef dc_error err
        cdef int rc
        cdef char *js = NULL
        cdef dc_shared_cache *c
        _err_init(&err)
        self._enter()
        c = self._c
        with nogil:
            rc = dc_shared_cache_stats(c, &js, &err)
        self._leave()
        if rc != DC_OK:
            _raise(rc, &err)
        text = _take_bytes(js, strlen(js))
        return text.decode("utf-8", "replace")

    def stats(self):
        """The cache's statistics as a dict, for every engine that uses or
        used it: hits, misses, inserts, evictions, usage and capacity (bytes),
        and dbs, the number of open engines using it now."""
        return _json.loads(self.stats_json())

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<dyncore SharedCache capacity={self.capacity} {state}>"
