"""Online partition split: one partition becomes two, while reads and writes
go on, with no item lost or duplicated.

Protocol (theory of operation)
------------------------------
1. Choose the split hash m: the partition-key hash at which the running sum
   of item bytes passes half of the partition (a boundary between item
   collections, so a collection never straddles two partitions). The children
   cover [lo, m-1] and [m, hi]. A partition that holds a single item
   collection cannot split.
2. Open a WAL tail on the parent at last_sequence + 1, then take a snapshot.
   Every write after the snapshot is in the tail; a write in both the
   snapshot and the tail is applied twice, which is harmless (same key, same
   value, in order).
3. Copy the snapshot into the two children (new engines), routing each key by
   its hash. Writes keep going to the parent.
4. Apply the tail to the children until it is nearly drained.
5. Freeze the parent: new writes get ClosedError and wait for the new map;
   freeze() returns when the writes in flight are done, so the parent's last
   sequence is final. Drain the tail to that sequence; sync the children.
6. Commit: the catalog replaces the parent by the children in one durable
   update, and the router publishes the children and wakes the waiting
   writers (commit() may do both under one lock); the parent engine is
   closed and its directory removed.
A crash before 6 leaves the parent in the catalog and the children's
directories as garbage (removed at open); after 6, the parent's directory is
the garbage. A failure before 6 thaws the parent and removes the children.
"""
from __future__ import annotations

import shutil
import time

from dyncore.table.partition import Partition, hash_bytes

__all__ = ["choose_split_hash", "split"]

_BATCH_BYTES = 1 << 20


def choose_split_hash(part: Partition, item_size) -> int | None:
    """The first hash of the upper child, or None if the partition holds
    fewer than two item collections."""
    total = 0
    with part.engine.scan(*part.key_range()) as it:
        for _, v in it:
            total += item_size(v)
    half = total / 2
    run = 0
    first = None
    with part.engine.scan(*part.key_range()) as it:
        for k, v in it:
            h = int.from_bytes(k[:8], "big")
            if first is None:
                first = h
            run += item_size(v)
            if h != first and run >= half:
                return h
    # The upper half was one collection: split just above the first hash, if
    # any other hash exists.
    with part.engine.scan(hash_bytes(first + 1) if first is not None and first + 1 <= part.hi
                          else b"\xff" * 9, part.key_range()[1]) as it:
        for k, _ in it:
            return int.from_bytes(k[:8], "big")
    return None


def _copy(src_iter, children, m) -> None:
    batches = ([], [])
    sizes = [0, 0]
    for k, v in src_iter:
        i = 0 if int.from_bytes(k[:8], "big") < m else 1
        batches[i].append((k, v))
        sizes[i] += len(k) + len(v)
        if sizes[i] >= _BATCH_BYTES:
            children[i].write_batch(batches[i], sync="none")
            batches[i].clear()
            sizes[i] = 0
    for i in (0, 1):
        if batches[i]:
            children[i].write_batch(batches[i], sync="none")


def _apply(record, children, m) -> None:
    ops = ([], [])
    for kind, k, v in record[3]:
        ops[0 if int.from_bytes(k[:8], "big") < m else 1].append((k, v if kind == 1 else None))
    for i in (0, 1):
        if ops[i]:
            children[i].write_batch(ops[i], sync="none")


def split(store, part: Partition, item_size, open_child, commit) -> bool:
    """Split `part` of TableStore `store`. open_child(lo, hi) -> Partition
    makes a new, empty partition; commit(parent, children) makes the change
    durable (the catalog). Returns False if the partition cannot split."""
    m = choose_split_hash(part, item_size)
    if m is None or not (part.lo < m <= part.hi):
        return False
    left = open_child(part.lo, m - 1)
    right = None
    frozen = False
    try:
        right = open_child(m, part.hi)
        children = (left.engine, right.engine)
        parent = part.engine
        seq = parent.last_sequence   # the last write the children have
        with parent.tail(seq + 1) as tail:
            with parent.snapshot() as snap:
                with parent.scan(*part.key_range(), snapshot=snap) as it:
                    _copy(it, children, m)
            for _ in range(3):  # catch up while writes go on
                n = 0
                for rec in iter(tail.poll, None):
                    _apply(rec, children, m)
                    seq = rec[0] + len(rec[3]) - 1
                    n += 1
                if n < 16:
                    break
            parent.freeze()
            frozen = True
            last = parent.last_sequence
            deadline = time.monotonic() + 30
            while seq < last:
                rec = tail.poll()
                if rec is None:  # not readable yet: the WAL writer is behind
                    if time.monotonic() > deadline:
                        raise TimeoutError("split: the WAL tail did not reach the last write")
                    time.sleep(0.0005)
                    continue
                _apply(rec, children, m)
                seq = rec[0] + len(rec[3]) - 1
        for child in children:
            child.write_batch([], sync="commit")
            child.flush()
        commit(part, [left, right])
    except BaseException:
        if frozen:
            part.engine.thaw()
            store.router.notify()
        for child in (left, right):
            if child is not None:
                child.engine.close()
                shutil.rmtree(child.path, ignore_errors=True)
        raise
    if not part.retired:  # commit() may have published the children itself
        store.router.replace(part, [left, right])
    part.engine.close()
    shutil.rmtree(part.path, ignore_errors=True)
    return True
