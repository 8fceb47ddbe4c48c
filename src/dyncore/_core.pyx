# cython: language_level=3
"""dyncore._core — the Cython binding of the storage engine (csrc/dyncore.h).

This module wraps the engine's public C API and the item codec's
(csrc/dyncore_codec.h; _codec.pxi, whose own header comment explains its
theory of operation), and nothing else. The Python face
(option names, zstd discovery, stats parsing) is dyncore.engine, whose Engine
subclasses `DB`; engine errors are built by a factory that dyncore.engine
registers with `set_error_factory` (so this module imports nothing of dyncore).

Theory of operation
-------------------
Handles. `DB` owns one `dc_db *`. A `SharedCache` (_cache.pxi) owns one
reference to a `dc_shared_cache *`; a DB opened with one keeps the object
while it is open (the C db holds a reference of its own to the cache).
Every object that holds a C handle of the db
(`Snapshot`, `Iterator`, `Tail`; base class `_Child`) keeps a strong reference
to its DB and sits in the DB's intrusive list of open children (borrowed
pointers: the list never keeps a child alive, a child unlinks itself when it
is closed or deallocated). `DB.close()` closes the children first, newest
first (an iterator is always newer than the snapshot it reads), then the db;
a child closed that way raises ClosedError when used later. Because a child
references its DB, a DB is never deallocated before its children; the child
classes are `no_gc_clear` so that the garbage collector keeps that order.

The GIL. Every call that can block or do I/O runs inside `with nogil`. The
header promises that blocking calls take no lock of ours, so that is safe.

Concurrency. Many Python threads may use one DB. A call in flight is counted
in `DB._active` (`_enter` / `_leave`); `_enter` refuses once `DB._closing` is
set; `close()` sets it, waits (GIL released) until `_active` drops to zero,
closes the children and then the C handle. The counter and flags are plain C
fields changed only with the GIL held and without releasing it between the
check and the change, so the GIL makes each `_enter` atomic. (A free-threaded
build would need atomics here; this module does not declare itself
free-threading compatible.) `Iterator` and `Tail` wrap single-threaded C
objects: using one from two threads at once raises RuntimeError, as a
generator does.

Bytes. Keys and values are `bytes`; `bytearray` and `memoryview` are copied to
bytes first (so that no other thread can resize the buffer while the GIL is
released); anything else (str, None, int) is a TypeError.
"""

cimport cython
from cpython.bytes cimport (PyBytes_AS_STRING, PyBytes_Check, PyBytes_FromStringAndSize,
                            PyBytes_GET_SIZE)
from cpython.ref cimport Py_DECREF, PyObject
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport strlen
from posix.unistd cimport usleep

from dyncore._dyncore cimport *

import os as _os

API_VERSION = DYNCORE_API_VERSION

include "_errors.pxi"
include "_cache.pxi"
include "_db.pxi"
include "_child.pxi"
include "_iter.pxi"
include "_tail.pxi"
include "_codec.pxi"
include "_count.pxi"
