"""A short tour of the storage engine: `python -m dyncore.demo`.

Opens an engine in a temporary directory, writes keys in batches, reads them
back one by one, scans forwards and backwards, takes a snapshot, flushes,
compacts, reopens, and prints timings and the engine's statistics.
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
import time

from dyncore.engine import Engine


def _timed(label: str, n: int, fn):
    t0 = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    per = f"{dt / n * 1e6:8.2f} µs/op" if n else ""
    print(f"  {label:<34} {dt * 1000:9.1f} ms  {per}")
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m dyncore.demo", description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=100_000, help="keys to write (default 100000)")
    ap.add_argument("--batch", type=int, default=1000, help="keys per write batch")
    ap.add_argument("--value-bytes", type=int, default=100)
    ap.add_argument("--sync", default="commit", choices=["commit", "interval", "none"])
    ap.add_argument("--dir", help="use this directory instead of a temporary one")
    args = ap.parse_args(argv)

    rnd = random.Random(42)
    keys = [rnd.randbytes(16) for _ in range(args.keys)]
    value = os.urandom(args.value_bytes)
    n = len(keys)

    with tempfile.TemporaryDirectory(prefix="dyncore-demo-") as tmp:
        path = args.dir or os.path.join(tmp, "db")
        print(f"dyncore engine demo: {n} random 16-byte keys, {args.value_bytes}-byte values, "
              f"sync={args.sync}, in {path}")
        db = Engine(path, sync=args.sync)

        def write_batches():
            for i in range(0, n, args.batch):
                db.write_batch((k, value) for k in keys[i:i + args.batch])

        _timed(f"write_batch x{(n + args.batch - 1) // args.batch} ({args.batch}/batch)", n,
               write_batches)
        order = keys[:]
        rnd.shuffle(order)
        get = db.get
        found = _timed("get, random order (memtable)", n, lambda: sum(get(k) is not None for k in order))
        assert found == n, found
        _timed("flush", 0, db.flush)
        found = _timed("get, random order (tables)", n, lambda: sum(get(k) is not None for k in order))
        assert found == n, found
        misses = [rnd.randbytes(16) for _ in range(n // 10)]
        _timed("get, absent keys (bloom filters)", len(misses),
               lambda: sum(get(k) is None for k in misses))
        count = _timed("scan forward", n, lambda: sum(1 for _ in db.scan()))
        assert count == n, count
        count = _timed("scan reverse", n, lambda: sum(1 for _ in db.scan(reverse=True)))
        assert count == n, count

        snap = db.snapshot()
        _timed("delete every other key (1 batch)", n // 2,
               lambda: db.write_batch((k, None) for k in keys[::2]))
        print(f"  live keys now {sum(1 for _ in db.scan())}, "
              f"through the snapshot {sum(1 for _ in snap.scan())}")
        snap.release()
        _timed("compact", 0, db.compact)
        _print_stats(db.stats())
        seq = db.last_sequence
        db.close()
        db = _timed("reopen", 0, lambda: Engine(path, sync=args.sync))
        live = sum(1 for _ in db.scan())
        print(f"  after reopen: {live} keys, last sequence {db.last_sequence} (was {seq})")
        assert live == n - len(keys[::2]) and db.last_sequence == seq
        db.close()


def _print_stats(stats: dict) -> None:
    print("statistics:")
    levels = ", ".join(f"L{i}: {lv['files']} files {lv['bytes']} B"
                       for i, lv in enumerate(stats.pop("levels", [])) if lv.get("files"))
    for key, val in stats.items():
        print(f"  {key:<26} {val}")
    print(f"  {'levels':<26} {levels or '(empty)'}")


if __name__ == "__main__":
    main()
