"""dyncore.engine — the storage engine's Python face.

An `Engine` is one LSM store in one directory (see DESIGN.md, "The engine").
Keys and values are bytes (bytearray and memoryview are accepted and copied);
keys sort bytewise. Everything that can block releases the GIL, and one Engine
may be shared by many threads.

    with Engine(path, sync="none") as db:
        db.put(b"k", b"v")
        db.write_batch([(b"a", b"1"), (b"b", None)])   # None deletes; atomic
        with db.snapshot() as snap:
            db.put(b"k", b"v2")
            assert snap.get(b"k") == b"v"
        for key, value in db.scan(b"a", b"z", reverse=True):
            ...

Closing the engine closes its open iterators, snapshots and WAL tails first;
using any of them afterwards raises ClosedError, as does using the engine.

Engines may share one block cache (one byte budget for all of them, e.g. the
engines of every partition of a database):

    cache = SharedCache(256 << 20)
    a, b = Engine(path_a, cache=cache), Engine(path_b, cache=cache)
    cache.stats()   # {"usage": ..., "capacity": ..., "dbs": 2, ...}
"""
from __future__ import annotations

import functools
import json
import os
import sys

from dyncore import _core, errors
from dyncore._core import KIND_DELETE, KIND_PUT, Iterator, SharedCache, Snapshot, Tail

__all__ = ["Engine", "SharedCache", "Snapshot", "Iterator", "Tail", "KIND_PUT", "KIND_DELETE",
           "SYNC_MODES", "zstd_library"]

_core.set_error_factory(errors.engine_error)

SYNC_MODES = tuple(_core.SYNC_MODES)  # ("commit", "interval", "none")

# Options Engine() takes by name; the rest of dc_options goes through **tuning.
_NAMED = {"sync_mode", "cache_bytes", "memtable_bytes", "bloom_bits_per_key",
          "compression_level", "sync_interval_ms", "replica_id", "block_bytes"}
TUNING_OPTIONS = frozenset(_core.OPTION_TYPES) - _NAMED


@functools.lru_cache(maxsize=None)
def zstd_library() -> str | None:
    """Path of a shared object exporting ZSTD_* for the engine, or None.

    Python < 3.14: backports.zstd's extension module (it links zstd in and
    exports its symbols). 3.14+: the stdlib `_zstd` module, if it exports
    them. DYNCORE_ZSTD_LIBRARY overrides ("" disables compression).
    """
    env = os.environ.get("DYNCORE_ZSTD_LIBRARY")
    if env is not None:
        return env or None
    try:
        if sys.version_info < (3, 14):
            from backports.zstd import _zstd
        else:
            import _zstd
    except ImportError:
        return None
    path = getattr(_zstd, "__file__", None)
    if not path or not _exports_zstd(path):
        return None
    return path


def _exports_zstd(path: str) -> bool:
    import ctypes

    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return False
    return all(hasattr(lib, name) for name in ("ZSTD_compress", "ZSTD_decompress",
                                               "ZSTD_compressBound", "ZSTD_isError"))


class Engine(_core.DB):
    """One engine directory, opened (and created if missing).

    sync: "commit" (a write returns after fsync; concurrent writers share
    one), "interval" (fsync every sync_interval_ms), "none" (never fsync; a
    process crash loses nothing, a power cut may).
    cache_bytes: block cache budget. cache: a SharedCache to keep blocks in
    instead, with other engines (cache_bytes is then ignored; the engine holds
    the cache until it is closed, as engine.cache; stats()["block_cache"]
    then describes the whole shared cache, with "shared": True).
    memtable_bytes: the memtable is flushed
    when it passes this (None: the engine's default). bloom_bits_per_key: 0
    disables bloom filters. compression_level: zstd level, 0 off (also off if
    no zstd library is found: stats()["compression_codec"] says which).
    replica_id: origin id stamped on this engine's WAL records.
    block_bytes: target uncompressed data block size.
    **tuning: the other dc_options fields by name (max_imm_memtables,
    restart_interval, l0_compaction_trigger, l0_slowdown_trigger,
    l0_stop_trigger, level1_bytes, level_multiplier, target_file_bytes,
    create_if_missing, paranoid_checks); None keeps the engine's default.

    Raises LockedError if another Engine (in this or another process) has the
    directory open.
    """

    def __init__(self, path, *, sync: str = "commit", cache_bytes: int = 64 << 20,
                 memtable_bytes: int | None = None, bloom_bits_per_key: int = 10,
                 compression_level: int = 3, sync_interval_ms: int | None = None,
                 replica_id: int = 0, block_bytes: int = 4096,
                 cache: SharedCache | None = None, **tuning):
        if not isinstance(sync, str) or sync not in _core.SYNC_MODES:
            raise ValueError(f"sync must be one of {', '.join(SYNC_MODES)}, not {sync!r}")
        for name in tuning:
            if name not in TUNING_OPTIONS:
                raise TypeError(f"Engine() got an unexpected keyword argument {name!r}")
        options = {
            "sync_mode": _core.SYNC_MODES[sync],
            "cache_bytes": cache_bytes,
            "memtable_bytes": memtable_bytes,
            "bloom_bits_per_key": bloom_bits_per_key,
            "compression_level": compression_level,
            "sync_interval_ms": sync_interval_ms,
            "replica_id": replica_id,
            "block_bytes": block_bytes,
            "cache": cache,
            **tuning,
        }
        options = {k: v for k, v in options.items() if v is not None}
        self.sync = sync
        # (given also with compression off, so that tables written earlier
        # with compression stay readable)
        self.zstd_library = zstd_library()
        self.compression = (f"zstd:{compression_level}"
                            if self.zstd_library and compression_level else "off")
        self._open(os.fspath(path), options, self.zstd_library)

    def stats(self) -> dict:
        """The engine's statistics (dc_stats) as a dict, plus the binding's
        compression setting: "compression_codec" is "zstd:<level>" or "off"
        (off when compression_level is 0 or no zstd library was found),
        "zstd_library" the shared object given to the engine (or None)."""
        stats = json.loads(self.stats_json())
        stats["compression_codec"] = self.compression
        stats["zstd_library"] = self.zstd_library
        return stats

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<dyncore Engine {self.path!r} {state}>"
