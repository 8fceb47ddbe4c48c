# _child.pxi — objects that hold a C handle of a DB, and Snapshot.
# Included by _core.pyx.
#
# A _Child references its DB (so the DB outlives it) and sits in the DB's list
# of open children, newest first, through borrowed pointers. It leaves the list
# when its handle is released: by close()/release(), when it is exhausted, when
# it is deallocated, or when the DB closes (`_shutdown`, which also marks it so
# that later use raises ClosedError).
#
# Never make an owned reference to `self` from code that runs in __dealloc__:
# the list walks only other children.

@cython.no_gc_clear
cdef class _Child:
    cdef DB _owner
    cdef PyObject *_prev
    cdef PyObject *_next
    cdef bint _linked
    cdef bint _engine_closed  # the DB closed this object

    cdef void _link(self, DB owner) noexcept:
        self._owner = owner
        self._prev = NULL
        self._next = owner._children
        if owner._children != NULL:
            (<_Child>owner._children)._prev = <PyObject *>self
        owner._children = <PyObject *>self
        self._linked = True

    cdef void _unlink(self) noexcept:
        if not self._linked:
            return
        if self._prev != NULL:
            (<_Child>self._prev)._next = self._next
        else:
            self._owner._children = self._next
        if self._next != NULL:
            (<_Child>self._next)._prev = self._prev
        self._prev = NULL
        self._next = NULL
        self._linked = False

    cdef void _release_handle(self) noexcept:
        """Free the C handle (once) and unlink. Subclasses override."""
        self._unlink()

    cdef void _shutdown(self) noexcept:
        """The DB is closing (no call in flight): free the handle now."""
        self._engine_closed = True
        self._release_handle()


@cython.no_gc_clear
@cython.final
cdef class Snapshot(_Child):
    """A consistent view of the engine as of one sequence number.

    Pass it to Engine.get/scan (or use its get/scan). release() (or leaving a
    `with` block) frees it; reads through a released snapshot raise
    ClosedError. Snapshots pin old versions: release them when done.
    """
    cdef const dc_snapshot *_snap
    cdef uint64_t _sequence
    cdef int _pins          # calls and iterators using the handle right now
    cdef bint _released     # release() was called; the handle goes at _pins == 0

    def __dealloc__(self):
        self._release_handle()

    cdef void _release_handle(self) noexcept:
        cdef const dc_snapshot *snap = self._snap
        cdef dc_db *db
        self._snap = NULL
        self._unlink()
        if snap == NULL:
            return
        db = self._owner._db
        if self._owner._try_enter():
            with nogil:
                dc_snapshot_release(db, snap)
            self._owner._leave()
        else:
            # The DB is closing and waits for no call: free with the GIL held.
            dc_snapshot_release(db, snap)

    cdef const dc_snapshot *_pin(self, DB db) except NULL:
        if self._snap == NULL or self._released:
            if self._engine_closed:
                _raise_closed("the snapshot's engine is closed")
            _raise_closed("the snapshot is released")
        if self._owner is not db:
            _raise_misuse("the snapshot belongs to another engine")
        self._pins += 1
        return self._snap

    cdef void _unpin(self) noexcept:
        self._pins -= 1
        if self._pins == 0 and self._released:
            self._release_handle()

    @property
    def sequence(self):
        """The sequence number this snapshot reads at."""
        return self._sequence

    @property
    def released(self):
        return self._released or self._snap == NULL

    def release(self):
        """Free the snapshot (idempotent). Iterators already open on it keep
        reading; the engine lets go of it when the last one closes."""
        if self._released:
            return
        self._released = True
        if self._pins == 0:
            self._release_handle()

    close = release

    def get(self, key):
        """Engine.get(key, snapshot=self)."""
        return self._owner.get(key, self)

    def scan(self, start=None, end=None, reverse=False):
        """Engine.scan(start, end, reverse, snapshot=self)."""
        return self._owner.scan(start, end, reverse, self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        state = "released" if self.released else "live"
        return f"<dyncore Snapshot seq={self._sequence} {state}>"
