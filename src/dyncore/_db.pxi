# _db.pxi — DB: one open engine directory (dc_db). Included by _core.pyx.

SYNC_MODES = {"commit": DC_SYNC_COMMIT, "interval": DC_SYNC_INTERVAL, "none": DC_SYNC_NONE}

# dc_options fields settable by name (dc_options_init gives the defaults), with
# their C type: "u32", "u64" or "int".
OPTION_TYPES = {
    "sync_mode": "int",
    "sync_interval_ms": "u32",
    "cache_bytes": "u64",
    "memtable_bytes": "u64",
    "max_imm_memtables": "u32",
    "block_bytes": "u32",
    "restart_interval": "u32",
    "bloom_bits_per_key": "u32",
    "compression_level": "int",
    "l0_compaction_trigger": "u32",
    "l0_slowdown_trigger": "u32",
    "l0_stop_trigger": "u32",
    "level1_bytes": "u64",
    "level_multiplier": "u32",
    "target_file_bytes": "u64",
    "replica_id": "u32",
    "create_if_missing": "int",
    "paranoid_checks": "int",
}


def default_options():
    """dc_options_init's defaults, as a dict of OPTION_TYPES names."""
    cdef dc_options o
    dc_options_init(&o)
    return {
        "sync_mode": o.sync_mode, "sync_interval_ms": o.sync_interval_ms,
        "cache_bytes": o.cache_bytes, "memtable_bytes": o.memtable_bytes,
        "max_imm_memtables": o.max_imm_memtables, "block_bytes": o.block_bytes,
        "restart_interval": o.restart_interval, "bloom_bits_per_key": o.bloom_bits_per_key,
        "compression_level": o.compression_level,
        "l0_compaction_trigger": o.l0_compaction_trigger,
        "l0_slowdown_trigger": o.l0_slowdown_trigger, "l0_stop_trigger": o.l0_stop_trigger,
        "level1_bytes": o.level1_bytes, "level_multiplier": o.level_multiplier,
        "target_file_bytes": o.target_file_bytes, "replica_id": o.replica_id,
        "create_if_missing": o.create_if_missing, "paranoid_checks": o.paranoid_checks,
    }


cdef int _set_option(dc_options *o, str name, object value) except -1:
    kind = OPTION_TYPES.get(name)
    if kind is None:
        raise TypeError(f"unknown engine option {name!r}")
    if not isinstance(value, int):
        raise TypeError(f"option {name} must be an int, not {type(value).__name__}")
    if kind == "u32" and not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"option {name} must be in [0, 2**32), not {value}")
    if kind == "u64" and not 0 <= value <= 0xFFFFFFFFFFFFFFFF:
        raise ValueError(f"option {name} must be in [0, 2**64), not {value}")
    if kind == "int" and not -0x80000000 <= value <= 0x7FFFFFFF:
        raise ValueError(f"option {name} is out of range: {value}")
    if name == "sync_mode": o.sync_mode = value
    elif name == "sync_interval_ms": o.sync_interval_ms = value
    elif name == "cache_bytes": o.cache_bytes = value
    elif name == "memtable_bytes": o.memtable_bytes = value
    elif name == "max_imm_memtables": o.max_imm_memtables = value
    elif name == "block_bytes": o.block_bytes = value
    elif name == "restart_interval": o.restart_interval = value
    elif name == "bloom_bits_per_key": o.bloom_bits_per_key = value
    elif name == "compression_level": o.compression_level = value
    elif name == "l0_compaction_trigger": o.l0_compaction_trigger = value
    elif name == "l0_slowdown_trigger": o.l0_slowdown_trigger = value
    elif name == "l0_stop_trigger": o.l0_stop_trigger = value
    elif name == "level1_bytes": o.level1_bytes = value
    elif name == "level_multiplier": o.level_multiplier = value
    elif name == "target_file_bytes": o.target_file_bytes = value
    elif name == "replica_id": o.replica_id = value
    elif name == "create_if_missing": o.create_if_missing = value
    elif name == "paranoid_checks": o.paranoid_checks = value
    return 0


cdef class DB:
    """One open engine directory. dyncore.engine.Engine is the public face.

    `DB()` makes a closed object; `_open(path, options, zstd_library)` opens it.
    """
    cdef dc_db *_db
    cdef int _active          # calls in flight (changed with the GIL held)
    cdef bint _closing        # close() or _open() in progress: refuse new calls
    cdef int _writing         # writes in flight (a subset of _active)
    cdef bint _frozen         # freeze(): refuse new writes, reads go on
    cdef PyObject *_children  # newest open _Child (borrowed), see _child.pxi
    cdef bytes _zstd_library  # kept alive while the db is open
    cdef SharedCache _cache   # the "cache" option while the db is open, else None
    cdef readonly str path
    cdef object __weakref__

    def __cinit__(self, *args, **kwargs):
        self._db = NULL
        self._active = 0
        self._closing = False
        self._writing = 0
        self._frozen = False
        self._children = NULL
        self._cache = None
        self.path = None

    def __dealloc__(self):
        cdef dc_error err
        cdef dc_db *db = self._db
        if db == NULL:
            return
        # Children hold a reference to their DB, so none is left here.
        self._close_children()
        self._db = NULL
        _err_init(&err)
        with nogil:
            dc_close(db, &err)

    # -- opening and closing --------------------------------------------------

    def _open(self, path, dict options, zstd_library=None):
        """Open `path` with dc_options fields by name (see OPTION_TYPES), and
        "cache": a SharedCache to keep blocks in (None: the db's own cache of
        cache_bytes)."""
        cdef dc_options opt
        cdef dc_error err
        cdef dc_db *db = NULL
        cdef int rc
        cdef SharedCache cache = None
        cdef bytes bpath = _os.fsencode(path)
        cdef const char *cpath
        if b"\0" in bpath:
            raise ValueError("path contains a NUL byte")
        cpath = bpath
        dc_options_init(&opt)
        for name, value in options.items():
            if name == "cache":
                if value is not None and not isinstance(value, SharedCache):
                    raise TypeError(f"option cache must be a SharedCache or None, "
                                    f"not {type(value).__name__}")
                cache = value
            else:
                _set_option(&opt, name, value)
        if zstd_library is not None:
            self._zstd_library = _os.fsencode(zstd_library)
            opt.zstd_library = self._zstd_library
        else:
            self._zstd_library = None
            opt.zstd_library = NULL
        if self._db != NULL or self._closing:
            _raise_misuse("the engine is already open")
        if cache is not None:
            cache._enter()  # ClosedError if closed; a close() waits for dc_open
            opt.shared_cache = cache._c
        self._closing = True  # no calls while opening
        _err_init(&err)
        try:
            with nogil:
                rc = dc_open(cpath, &opt, &db, &err)
        finally:
            self._closing = False
            if cache is not None:
                cache._leave()
        if rc != DC_OK:
            _raise(rc, &err)
        self._db = db
        self._cache = cache
        self.path = _os.fsdecode(bpath)

    def close(self):
        """Close the engine: waits for calls in flight, closes open iterators,
        snapshots and tails (later use of them raises ClosedError), syncs the
        WAL and releases the directory lock. Closing twice is a no-op."""
        cdef dc_error err
        cdef dc_db *db
        cdef int rc
        if self._closing:
            # Another thread is closing (or opening): wait until it is done.
            while self._closing:
                with nogil:
                    usleep(200)
            return
        if self._db == NULL:
            return
        self._closing = True
        try:
            while self._active > 0:
                with nogil:
                    usleep(100)
            self._close_children()
            db = self._db
            self._db = NULL
            _err_init(&err)
            with nogil:
                rc = dc_close(db, &err)
            self._cache = None
        finally:
            self._closing = False
        if rc != DC_OK:
            _raise(rc, &err)

    @cython.final
    cdef void _close_children(self) noexcept:
        cdef _Child child
        while self._children != NULL:
            child = <_Child>self._children
            child._shutdown()  # unlinks it

    @property
    def closed(self):
        return self._db == NULL or self._closing

    @property
    def cache(self):
        """The SharedCache the engine was opened with (while it is open), or
        None: the engine has a cache of its own."""
        return self._cache

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the in-flight counter --------------------------------------------------

    @cython.final
    cdef inline int _enter(self) except -1:
        if self._db == NULL or self._closing:
            _raise_closed("the engine is closed")
        self._active += 1
        return 0

    @cython.final
    cdef inline bint _try_enter(self) noexcept:
        if self._db == NULL or self._closing:
            return False
        self._active += 1
        return True

    @cython.final
    cdef inline void _leave(self) noexcept:
        self._active -= 1

    @cython.final
    cdef inline int _enter_write(self) except -1:
        if self._db == NULL or self._closing:
            _raise_closed("the engine is closed")
        if self._frozen:
            _raise_closed("the engine is frozen for writes")
        self._active += 1
        self._writing += 1
        return 0

    @cython.final
    cdef inline void _leave_write(self) noexcept:
        self._writing -= 1
        self._active -= 1

    def freeze(self):
        """Refuse new writes (put, delete, write_batch raise ClosedError) and
        wait until the writes in flight are done; reads, iterators and tails go
        on. After it returns, last_sequence() no longer moves until thaw().
        Used to hand a partition over to its successors."""
        self._frozen = True
        while self._writing > 0:
            with nogil:
                usleep(50)

    def thaw(self):
        """Accept writes again after freeze()."""
        self._frozen = False

    @property
    def frozen(self):
        return self._frozen

    # -- reads and writes --------------------------------------------------------

    def put(self, key, value):
        """Set key to value (both bytes)."""
        cdef dc_error err
        cdef int rc
        cdef dc_db *db
        if not _plain_bytes(key):
            key = _coerce_bytes(key, "key")
        if not _plain_bytes(value):
            value = _coerce_bytes(value, "value")
        cdef const char *k = PyBytes_AS_STRING(key)
        cdef size_t kn = <size_t>PyBytes_GET_SIZE(key)
        cdef const char *v = PyBytes_AS_STRING(value)
        cdef size_t vn = <size_t>PyBytes_GET_SIZE(value)
        _err_init(&err)
        self._enter_write()
        db = self._db
        with nogil:
            rc = dc_put(db, k, kn, v, vn, &err)
        self._leave_write()
        if rc != DC_OK:
            _raise(rc, &err)

    def delete(self, key):
        """Remove key (no error if it is absent)."""
        cdef dc_error err
        cdef int rc
        cdef dc_db *db
        if not _plain_bytes(key):
            key = _coerce_bytes(key, "key")
        cdef const char *k = PyBytes_AS_STRING(key)
        cdef size_t kn = <size_t>PyBytes_GET_SIZE(key)
        _err_init(&err)
        self._enter_write()
        db = self._db
        with nogil:
            rc = dc_delete(db, k, kn, &err)
        self._leave_write()
        if rc != DC_OK:
            _raise(rc, &err)

    def get(self, key, Snapshot snapshot=None):
        """The value of key (bytes), or None; as of `snapshot` if given."""
        cdef dc_error err
        cdef int rc
        cdef dc_db *db
        cdef const dc_snapshot *snap = NULL
        cdef char *val = NULL
        cdef size_t vlen = 0
        if not _plain_bytes(key):
            key = _coerce_bytes(key, "key")
        cdef const char *k = PyBytes_AS_STRING(key)
        cdef size_t kn = <size_t>PyBytes_GET_SIZE(key)
        if snapshot is not None:
            snap = snapshot._pin(self)  # a release() meanwhile waits for _unpin
        _err_init(&err)
        if not self._try_enter():
            if snapshot is not None:
                snapshot._unpin()
            _raise_closed("the engine is closed")
        db = self._db
        with nogil:
            rc = dc_get(db, snap, k, kn, &val, &vlen, &err)
        self._leave()
        if snapshot is not None:
            snapshot._unpin()
        if rc == DC_OK:
            return _take_bytes(val, vlen)
        if rc == DC_NOTFOUND:
            return None
        _raise(rc, &err)

    def write_batch(self, ops, *, sync=None, uint64_t hlc=0, uint32_t origin=0):
        """Apply `ops`, an iterable of (key, value) pairs (value None deletes)
        or a dict, atomically. Every pair is checked before anything is written.

        sync: None (the engine's mode) or "commit" / "interval" / "none" for
        this write. hlc, origin: the WAL record's stamp (0: assigned by the
        engine) — for applying another replica's writes. Returns the sequence
        number of the batch's last operation (last_sequence for an empty batch).
        """
        cdef dc_write_options wo
        cdef dc_error err
        cdef int rc
        cdef dc_db *db
        cdef uint64_t seq = 0
        cdef dc_batch *b
        dc_write_options_init(&wo)
        wo.hlc = hlc
        wo.origin = origin
        if sync is not None:
            mode = SYNC_MODES.get(sync)
            if mode is None:
                raise ValueError(f"sync must be one of {', '.join(SYNC_MODES)}, not {sync!r}")
            wo.sync_mode = mode
        cdef size_t kn, vn
        if isinstance(ops, dict):
            ops = ops.items()
        b = dc_batch_new()
        if b == NULL:
            raise MemoryError("dc_batch_new")
        try:
            for op in ops:
                key, value = op
                if not _plain_bytes(key):
                    key = _coerce_bytes(key, "key")
                kn = <size_t>PyBytes_GET_SIZE(key)
                if value is None:
                    rc = dc_batch_delete(b, PyBytes_AS_STRING(key), kn)
                else:
                    if not _plain_bytes(value):
                        value = _coerce_bytes(value, "value")
                    vn = <size_t>PyBytes_GET_SIZE(value)
                    rc = dc_batch_put(b, PyBytes_AS_STRING(key), kn, PyBytes_AS_STRING(value), vn)
                if rc != DC_OK:
                    _raise(rc, NULL)
            self._enter_write()
            db = self._db
            if dc_batch_count(b) == 0:
                seq = dc_last_sequence(db)
                self._leave_write()
                return seq
            _err_init(&err)
            with nogil:
                rc = dc_write(db, &wo, b, &seq, &err)
            self._leave_write()
        finally:
            dc_batch_free(b)
        if rc != DC_OK:
            _raise(rc, &err)
        return seq

    # -- snapshots, iterators, tails -------------------------------------------

    def snapshot(self):
        """A Snapshot: reads through it see the db as of now."""
        cdef const dc_snapshot *snap
        cdef dc_db *db
        cdef Snapshot s = Snapshot.__new__(Snapshot)
        self._enter()
        db = self._db
        with nogil:
            snap = dc_snapshot_new(db)
        self._leave()
        if snap == NULL:
            raise MemoryError("dc_snapshot_new")
        s._snap = snap
        s._sequence = dc_snapshot_seq(snap)
        s._link(self)
        return s

    def scan(self, start=None, end=None, bint reverse=False, Snapshot snapshot=None):
        """An Iterator of (key, value) over [start, end) (None: unbounded), in
        key order or, with reverse, backwards; as of `snapshot` if given (else
        as of now)."""
        cdef Iterator it = Iterator.__new__(Iterator)
        cdef const char *lo = NULL
        cdef const char *up = NULL
        cdef size_t lon = 0, upn = 0
        cdef const dc_snapshot *snap = NULL
        cdef dc_iterator *cit
        cdef dc_error err
        cdef dc_db *db
        if start is not None:
            start = _coerce_bytes(start, "start")
            lo = PyBytes_AS_STRING(start)
            lon = <size_t>PyBytes_GET_SIZE(start)
        if end is not None:
            end = _coerce_bytes(end, "end")
            up = PyBytes_AS_STRING(end)
            upn = <size_t>PyBytes_GET_SIZE(end)
        if snapshot is not None:
            snap = snapshot._pin(self)  # unpinned when the iterator is closed
            it._snapshot = snapshot
        it._lower = start   # the C iterator may keep pointers to its bounds
        it._upper = end
        it._reverse = reverse
        _err_init(&err)
        self._enter()
        db = self._db
        with nogil:
            cit = dc_iter_new(db, snap, lo, lon, up, upn, &err)
        self._leave()
        if cit == NULL:
            it._release_handle()  # unpins the snapshot
            _raise(err.code if err.code != DC_OK else DC_NOMEM, &err)
        it._it = cit
        it._link(self)
        return it

    def tail(self, uint64_t from_seq=0):
        """A Tail over WAL records from sequence number `from_seq`."""
        cdef Tail t = Tail.__new__(Tail)
        cdef dc_tail *ct = NULL
        cdef dc_error err
        cdef dc_db *db
        cdef int rc
        _err_init(&err)
        self._enter()
        db = self._db
        with nogil:
            rc = dc_tail_open(db, from_seq, &ct, &err)
        self._leave()
        if rc != DC_OK:
            _raise(rc, &err)
        t._tail = ct
        t._link(self)
        return t

    # -- maintenance ------------------------------------------------------------

    def flush(self):
        """Write the memtable to a table file and wait for it."""
        cdef dc_error err
        cdef int rc
        cdef dc_db *db
        _err_init(&err)
        self._enter()
        db = self._db
        with nogil:
            rc = dc_flush(db, &err)
        self._leave()
        if rc != DC_OK:
            _raise(rc, &err)

    def compact(self):
        """Compact everything down to the last level and wait for it."""
        cdef dc_error err
        cdef int rc
        cdef dc_db *db
        _err_init(&err)
        self._enter()
        db = self._db
        with nogil:
            rc = dc_compact(db, &err)
        self._leave()
        if rc != DC_OK:
            _raise(rc, &err)

    def stats_json(self):
        """dc_stats: the engine's statistics as JSON text."""
        cdef dc_error err
        cdef int rc
        cdef dc_db *db
        cdef char *js = NULL
        _err_init(&err)
        self._enter()
        db = self._db
        with nogil:
            rc = dc_stats(db, &js, &err)
        self._leave()
        if rc != DC_OK:
            _raise(rc, &err)
        text = _take_bytes(js, strlen(js))
        return text.decode("utf-8", "replace")

    @property
    def last_sequence(self):
        """Sequence number of the last write."""
        cdef uint64_t seq
        self._enter()
        seq = dc_last_sequence(self._db)
        self._leave()
        return seq
