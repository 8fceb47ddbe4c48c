"""Partitions and the router from a partition-key hash to a partition.

A table's partitions cover the 64-bit xxh64 hash space [0, 2**64) without gap
or overlap; partition i covers the hashes [lo, hi] (inclusive). Keys inside a
partition's engine start with the 8-byte big-endian hash (DESIGN.md), so a
partition's keys are one contiguous key range and a split is a range split.

Theory of operation
-------------------
`Router.parts` is an immutable tuple, sorted by `lo`, replaced whole when a
split finishes; readers take the current tuple without a lock. A writer that
races with a split writes to the parent until the parent is frozen, then gets
ClosedError from the frozen engine and calls `Router.wait_retired(part)`,
which returns once the new tuple is published; it then looks up again. A
reader that finds the parent closed does the same. So every operation runs
against exactly one live partition.
"""
from __future__ import annotations

import bisect
import threading

__all__ = ["HASH_SPACE", "Partition", "Router", "hash_bytes"]

HASH_SPACE = 1 << 64


def hash_bytes(h: int) -> bytes:
    """The 8-byte big-endian form of hash h: the first bytes of every key."""
    return h.to_bytes(8, "big")


class Partition:
    """One hash range of a table and the engine that stores it."""

    __slots__ = ("id", "lo", "hi", "engine", "path", "retired", "count_cache",
                 "written", "unsplittable_below")

    def __init__(self, pid: int, lo: int, hi: int, engine, path: str):
        self.id = pid
        self.lo = lo
        self.hi = hi
        self.engine = engine
        self.path = path
        self.retired = False
        self.count_cache = None       # (last_sequence, item count, bytes, when)
        self.written = 0              # value bytes written since the last size check
        self.unsplittable_below = 0   # a split found one item collection: wait for this size

    def key_range(self) -> tuple[bytes | None, bytes | None]:
        """[start, end) engine key bounds of this partition (None: unbounded)."""
        start = hash_bytes(self.lo) if self.lo else None
        end = hash_bytes(self.hi + 1) if self.hi + 1 < HASH_SPACE else None
        return start, end

    def size_bytes(self) -> int:
        """Bytes the partition's engine holds: table files plus memtables."""
        s = self.engine.stats()
        return s["sst_bytes"] + s["memtable_bytes"] + s["immutable_bytes"]

    def describe(self) -> dict:
        return {"PartitionId": self.id, "HashRangeStart": self.lo, "HashRangeEnd": self.hi}

    def __repr__(self):
        return f"<Partition {self.id} [{self.lo:#018x}, {self.hi:#018x}]>"


class Router:
    """The partitions of one table, found by hash."""

    def __init__(self, parts):
        self._cond = threading.Condition()
        self._set(tuple(sorted(parts, key=lambda p: p.lo)))
        self.closed = False

    def _set(self, parts):
        assert parts and parts[0].lo == 0 and parts[-1].hi == HASH_SPACE - 1
        for a, b in zip(parts, parts[1:]):
            assert a.hi + 1 == b.lo, "partitions must tile the hash space"
        self.parts = parts
        self._los = [p.lo for p in parts]

    def lookup(self, h: int) -> Partition:
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        return parts[bisect.bisect_right(self._los, h) - 1]

    def replace(self, old: Partition, new: list[Partition]) -> None:
        """Publish `new` in place of `old` and wake everyone waiting on it."""
        with self._cond:
            parts = [p for p in self.parts if p is not old] + list(new)
            self._set(tuple(sorted(parts, key=lambda p: p.lo)))
            old.retired = True
            self._cond.notify_all()

    def wait_retired(self, part: Partition, timeout: float = 30.0) -> bool:
        """Wait until `part` is replaced (a split finished), takes writes again
        (a split gave up) or the table is closed. Returns False if the table
        closed or nothing changed in `timeout` (the caller re-raises)."""
        def changed():
            eng = part.engine
            return part.retired or self.closed or not (eng.frozen or eng.closed)
        with self._cond:
            ok = self._cond.wait_for(changed, timeout)
        return ok and not self.closed

    def notify(self) -> None:
        """Wake waiters after a partition was thawed."""
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
