"""Item storage of one table: single-item reads and writes, atomic
per-partition batches, ordered range reads across partitions, item counts.

This module works on encoded keys and values (bytes from the item codec);
request parsing and value forms are the API layer's business.

Rules
-----
- Every single-item write takes the item's stripe lock (64 stripes by hash),
  so a read-modify-write (ReturnValues, conditions, updates:
  `read_modify_write`) sees no other write to the item between its read and
  its write. A transaction holds the stripe locks of all its items while it
  commits (dyncore.table.txn).
- While a transaction that spans partitions applies its writes, its keys are
  in `committing`; a point read of such a key waits for the commit to finish,
  so GetItem never sees half a transaction.
- A write to a partition that is being handed to its successors (frozen, or
  closed after a split) waits for the new partition map and goes again; a
  range read restarts after the last key it returned. See partition.py.
"""
from __future__ import annotations

import threading
import time

from dyncore.errors import ClosedError
from dyncore.table.partition import HASH_SPACE, Partition, Router, hash_bytes

__all__ = ["TableStore", "PAGE_BYTES"]

PAGE_BYTES = 1 << 20   # Query and Scan read at most 1 MB of items per call
RECOUNT_LARGE = 1_000_000  # items: a partition this big is recounted ...
RECOUNT_SECONDS = 5.0      # ... at most this often
_STRIPES = 64
COLLECTION_CACHE_SIZE = 100_000   # item collections whose sizes are kept
KEEP = object()   # read_modify_write: leave the item as it is


def _hash_of(key: bytes) -> int:
    return int.from_bytes(key[:8], "big")


class TableStore:
    """The partitions of one table and the operations on encoded items."""

    def __init__(self, name: str, router: Router, on_write=None, check_every: int = 1 << 20):
        self.name = name
        self.router = router
        self.stripes = [threading.Lock() for _ in range(_STRIPES)]
        # key -> threading.Event, set when the transaction writing it is done
        self.committing: dict[bytes, threading.Event] = {}
        # on_write(partition) is called after a partition took in another
        # `check_every` bytes of writes (roughly: the count is not locked): the
        # split trigger.
        self.on_write = on_write
        self.check_every = check_every
        # Global secondary indexes (dyncore.table.index): every write of an
        # indexed table maintains them; () keeps the plain paths as they were.
        self.indexes = ()
        self.intents = None          # index.Intents, set with indexes
        self.table_id = ""
        # bytes an item collection (base items and local index entries) may
        # hold: set for a table with local secondary indexes, else None
        self.collection_limit = None
        # item collection -> its bytes, learned by reading it once, then kept
        # up to date by every write (all go through _indexed_batch, under the
        # collection's stripe), so a write does not read its collection again
        self.collection_cache: dict[bytes, int] = {}
        self._units = threading.local()   # .last: index write units of the last write

    # -- single items -----------------------------------------------------

    def stripe(self, h: int) -> threading.Lock:
        """The lock every write of an item with hash h takes."""
        return self.stripes[h & (_STRIPES - 1)]

    def get(self, h: int, key: bytes) -> bytes | None:
        if self.committing:
            done = self.committing.get(key)
            if done is not None:
                done.wait()
        return self._get(h, key)

    def _get(self, h: int, key: bytes) -> bytes | None:
        router = self.router
        while True:
            part = router.lookup(h)
            try:
                return part.engine.get(key)
            except ClosedError:
                if not router.wait_retired(part):
                    raise

    def put(self, h: int, key: bytes, value: bytes, *, want_old: bool = False):
        """Store value under key; returns the old value if want_old."""
        with self.stripes[h & (_STRIPES - 1)]:
            if self.indexes:
                return self._indexed_batch([(h, key, value)])[0]
            old = self.get(h, key) if want_old else None
            self._write(h, key, value)
        return old

    def delete(self, h: int, key: bytes, *, want_old: bool = False):
        with self.stripes[h & (_STRIPES - 1)]:
            if self.indexes:
                return self._indexed_batch([(h, key, None)])[0]
            old = self.get(h, key) if want_old else None
            self._write(h, key, None)
        return old

    def check_index_keys(self, value: bytes) -> None:
        """Refuse (ValidationException) an encoded item whose index key
        attribute has the wrong type or an empty value."""
        from dyncore.table.index import check_item
        check_item(self.indexes, value)

    def check_collections(self, ops) -> None:
        """Refuse (ItemCollectionSizeLimitExceededException) writes ops that
        would take an item collection past the limit; the caller holds the
        stripes (a transaction, before it logs anything)."""
        if self.collection_limit is not None and self.indexes:
            from dyncore.table.index import collection_sizes
            collection_sizes(self, ops, [self._get(h, k) for h, k, _ in ops],
                             self.collection_limit)   # (raises, or all fit)

    def collection_sizes(self) -> list:
        """Item collection bytes after this thread's last write, one per
        item written (tables with local secondary indexes)."""
        return getattr(self._units, "sizes", None) or []

    def index_units(self) -> dict:
        """{index name: write units} of this thread's last write (indexes
        only; {} for a table without indexes)."""
        return getattr(self._units, "last", None) or {}

    def _indexed_batch(self, ops, olds=None, sync=None, admit=True, charge=True) -> list:
        """Base writes ops with their index maintenance (dyncore.table.index,
        "Maintenance"); the caller holds the stripes. Returns the old values.
        Global indexes' meters are charged their entries' write units;
        admit: refuse the writes first (throttling error, nothing written)
        if one of those indexes has no write capacity left (False: a
        transaction, admitted before it logged: charged, never refused);
        charge False: neither (a TTL deletion, free in DynamoDB)."""
        from dyncore.table.index import admit_index_writes, collection_sizes, plan_changes
        if olds is None:
            olds = [self._get(h, k) for h, k, _ in ops]
        writes, listed, units, charges = plan_changes(self.indexes, ops, olds)
        self._units.last = units
        if self.collection_limit is not None:
            # local secondary indexes: item collection sizes (raises
            # ItemCollectionSizeLimitExceededException, nothing written)
            self._units.sizes, known = collection_sizes(self, ops, olds, self.collection_limit)
        else:
            known = None
        if charges and charge:
            admit_index_writes(charges, admit)
        intent = self.intents.begin(self.name, self.table_id, listed) if listed else None
        if len(ops) == 1:
            self._write(*ops[0])
        else:
            self._write_base(ops, sync)
        for idx, iops in writes.items():
            if len(iops) == 1:
                idx.store._write(*iops[0])
            else:
                idx.store.write_many_locked(iops)
        if intent is not None:
            self.intents.end(intent)
        if known:
            cache = self.collection_cache
            if len(cache) > COLLECTION_CACHE_SIZE:
                cache.clear()
            cache.update(known)
        return olds

    def read_modify_write(self, h: int, key: bytes, change):
        """Atomically: old = the stored value (None if absent);
        (new, result) = change(old); store new (None deletes, KEEP writes
        nothing); return result. change may raise to write nothing."""
        with self.stripes[h & (_STRIPES - 1)]:
            old = self._get(h, key)
            new, result = change(old)
            if new is not KEEP:
                if self.indexes:
                    self._indexed_batch([(h, key, new)], [old])
                else:
                    self._write(h, key, new)
        return result

    def _write(self, h: int, key: bytes, value: bytes | None) -> None:
        """One write, no lock taken (the caller holds the stripe)."""
        router = self.router
        while True:
            part = router.lookup(h)
            try:
                if value is None:
                    part.engine.delete(key)
                else:
                    part.engine.put(key, value)
                break
            except ClosedError:
                if not router.wait_retired(part):
                    raise
        part.written += len(key) + (len(value) if value else 0)
        if part.written >= self.check_every and self.on_write is not None:
            part.written = 0
            self.on_write(part)

    def write_many(self, ops: list[tuple[int, bytes, bytes | None]], sync=None, *,
                   want_old: bool = False):
        """Apply (hash, key, value or None) writes: all the writes to one
        partition in one atomic engine batch. Takes every stripe involved, in
        order, so no single-item read-modify-write interleaves. sync: the
        engine's write_batch sync mode (None: the engine's own). want_old:
        return the values the writes replace (None: absent), read under the
        same locks."""
        locks = [self.stripes[s] for s in sorted({op[0] & (_STRIPES - 1) for op in ops})]
        for lk in locks:
            lk.acquire()
        try:
            if self.indexes:
                olds = self._indexed_batch(ops, sync=sync)
                return olds if want_old else None
            olds = [self.get(h, k) for h, k, _ in ops] if want_old else None
            self.write_many_locked(ops, sync)
        finally:
            for lk in reversed(locks):
                lk.release()
        return olds

    def write_one_batch(self, ops: list[tuple[int, bytes, bytes | None]]) -> bool:
        """Apply ops as one atomic engine batch if they all belong to one
        partition that takes writes; False (nothing written) otherwise, and
        always for an indexed table. The caller holds the stripes."""
        if self.indexes:
            return False
        router = self.router
        part = router.lookup(ops[0][0])
        for op in ops:
            if router.lookup(op[0]) is not part:
                return False
        pairs = [(k, v) for _, k, v in ops]
        try:
            part.engine.write_batch(pairs)
        except ClosedError:
            return False
        self._written(part, pairs)
        return True

    def _written(self, part: Partition, pairs) -> None:
        part.written += sum(len(k) + (len(v) if v else 0) for k, v in pairs)
        if part.written >= self.check_every and self.on_write is not None:
            part.written = 0
            self.on_write(part)

    def write_many_locked(self, ops: list[tuple[int, bytes, bytes | None]], sync=None,
                          charge: bool = True) -> None:
        """write_many for a caller that holds the stripes; index entries are
        charged to their indexes' meters, never refused (charge False: not
        charged either, as for TTL deletions)."""
        if self.indexes:
            self._indexed_batch(ops, sync=sync, admit=False, charge=charge)
            return
        self._write_base(ops, sync)

    def _write_base(self, ops, sync=None) -> None:
        pending = ops
        while pending:
            parts = self.router.parts
            if len(parts) == 1:
                groups = [(parts[0], pending)]
            else:
                by_part: dict[int, tuple[Partition, list]] = {}
                for op in pending:
                    part = self.router.lookup(op[0])
                    by_part.setdefault(id(part), (part, []))[1].append(op)
                groups = list(by_part.values())
            pending = []
            for part, group in groups:
                pairs = [(k, v) for _, k, v in group]
                try:
                    part.engine.write_batch(pairs, sync=sync)
                except ClosedError:
                    if not self.router.wait_retired(part):
                        raise
                    pending.extend(group)
                    continue
                self._written(part, pairs)

    # -- ranges -------------------------------------------------------------

    def range(self, start: bytes | None, end: bytes | None, reverse: bool = False):
        """Yield (key, value) for start <= key < end (None: unbounded), in key
        order or reversed, across partitions and across splits."""
        if reverse:
            yield from self._range_reverse(start, end)
        else:
            yield from self._range_forward(start, end)

    def _range_forward(self, start, end):
        router = self.router
        cur = start
        while True:
            part = router.lookup(_hash_of(cur) if cur else 0)
            p_start, p_end = part.key_range()
            lo = cur if (p_start is None or (cur is not None and cur > p_start)) else p_start
            hi = end if (p_end is None or (end is not None and end < p_end)) else p_end
            last = None
            try:
                if lo is None or hi is None or lo < hi:
                    with part.engine.scan(lo, hi) as it:
                        for kv in it:
                            last = kv[0]
                            yield kv
            except ClosedError:
                if not router.wait_retired(part):
                    raise
                if last is not None:
                    cur = last + b"\x00"
                continue
            if p_end is None or (end is not None and end <= p_end):
                return
            cur = p_end

    def _range_reverse(self, start, end):
        router = self.router
        cur = end
        while True:
            if cur is None:
                part = router.parts[-1]
            else:
                h = _hash_of(cur)
                if len(cur) <= 8 and cur == hash_bytes(h)[:len(cur)]:
                    h -= 1   # keys below cur have a smaller hash
                if h < 0:
                    return
                part = router.lookup(h)
            p_start, p_end = part.key_range()
            lo = start if (p_start is None or (start is not None and start > p_start)) else p_start
            hi = cur if (p_end is None or (cur is not None and cur < p_end)) else p_end
            last = None
            try:
                if lo is None or hi is None or lo < hi:
                    with part.engine.scan(lo, hi, reverse=True) as it:
                        for kv in it:
                            last = kv[0]
                            yield kv
            except ClosedError:
                if not router.wait_retired(part):
                    raise
                if last is not None:
                    cur = last
                continue
            if p_start is None or (start is not None and start >= p_start):
                return
            cur = p_start

    def flush(self) -> None:
        """Write every partition's memtable to a table file (durable)."""
        for part in list(self.router.parts):
            part.engine.flush()

    # -- sizes ----------------------------------------------------------------

    def count(self, counter) -> tuple[int, int]:
        """(items, total item bytes by DynamoDB's rules) over all partitions;
        counter(engine, start, end) -> (items, bytes) counts one key range
        (dyncore._core.count_items: in C, about 0.1 s per million items).
        A partition's figures are cached until its next write; a partition
        of more than RECOUNT_LARGE items is counted again at most every
        RECOUNT_SECONDS (DynamoDB itself refreshes these figures about every
        six hours)."""
        items = size = 0
        now = time.monotonic()
        for part in self.router.parts:
            try:
                seq = part.engine.last_sequence
            except ClosedError:
                return self.count(counter) if self.router.parts else (0, 0)
            cache = part.count_cache
            stale = cache is None or (cache[0] != seq and (
                cache[1] < RECOUNT_LARGE or now - cache[3] >= RECOUNT_SECONDS))
            if stale:
                try:
                    n, b = counter(part.engine, *part.key_range())
                except ClosedError:
                    return self.count(counter)
                cache = part.count_cache = (seq, n, b, now)
            items += cache[1]
            size += cache[2]
        return items, size

    def engine_stats(self, keys) -> tuple[dict, dict]:
        """({key: sum over the partitions' engines of stats()[key]}, the
        block-cache stats of the last engine read: the cache is shared) for
        the numeric engine statistics named by keys; partitions retired by a
        split meanwhile are skipped."""
        sums = dict.fromkeys(keys, 0)
        cache: dict = {}
        sums["partitions"] = 0
        for p in self.router.parts:
            try:
                st = p.engine.stats()
            except ClosedError:
                continue
            sums["partitions"] += 1
            for k in keys:
                sums[k] += st.get(k, 0)
            cache = st.get("block_cache") or cache
        return sums, cache

    def partitions(self) -> list[dict]:
        out = []
        for p in self.router.parts:
            d = p.describe()
            try:
                d["SizeBytes"] = p.size_bytes()
            except ClosedError:
                continue
            out.append(d)
        return out


def segment_range(segment: int, total: int) -> tuple[int, int]:
    """The hash range [lo, hi] of parallel-scan segment `segment` of `total`:
    equal slices of the hash space, so the segments together cover every
    item exactly once."""
    lo = (segment * HASH_SPACE) // total
    hi = ((segment + 1) * HASH_SPACE) // total - 1
    return lo, hi
