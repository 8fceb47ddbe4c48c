#!/usr/bin/env python3
"""Storage-engine benchmark: dyncore's engine beside RocksDB, LevelDB, LMDB and SQLite.

Every engine runs the same workloads on the same data in the same invocation, each
engine in its own child process (so that peak RSS is per engine) and in a fresh
directory. See bench/README.md for the workloads and the fairness rules.

    python bench/kv.py                          # 1,000,000 keys, every engine
    python bench/kv.py --num 100000 --only dyncore,rocksdb --workloads fillrandom,readrandom
    python bench/kv.py --repeat 3 --json bench/out/kv.json

Peers come from PyPI: rocksdict, plyvel, lmdb (sqlite3 is in the standard library).
An engine whose module is missing, or whose child fails, is reported and skipped.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ["dyncore", "rocksdb", "leveldb", "lmdb", "sqlite"]
# Canonical order: the fills that use their own fresh directory first, then the
# workloads that share the "main" database (filled by fillrandom).
WORKLOADS = ["fillseq", "fillsync1", "fillsync8", "fillrandom", "readrandom", "readmissing",
             "scan", "overwrite"]
MAIN_WORKLOADS = ("readrandom", "readmissing", "scan", "overwrite")
MiB = 1 << 20


# --------------------------------------------------------------------------- data

class Data:
    """The benchmark's keys and values, generated from a seed (identical in every child).

    Keys are 16 bytes, b"%016d" of an even number: present keys are 2*i, absent keys
    (readmissing) are 2*i+1, so a missing key falls between two present ones and only a
    filter (or a search) can reject it. Values are half compressible, like db_bench's
    generator at compression ratio 0.5: a random half, then that half repeated.
    """

    def __init__(self, a):
        n = a.num
        rnd = random.Random(a.seed)
        self.keys = [b"%016d" % (2 * i) for i in range(n)]  # sorted
        vs = a.value_size
        rlen = max(1, vs // 2)
        blob = rnd.randbytes(rlen * n)
        if vs == 2 * rlen:
            self.values = [blob[i * rlen:(i + 1) * rlen] * 2 for i in range(n)]
        else:
            reps = vs // rlen + 1
            self.values = [(blob[i * rlen:(i + 1) * rlen] * reps)[:vs] for i in range(n)]
        del blob
        order = list(range(n))
        rnd.shuffle(order)  # fillrandom order
        self.fill_keys = [self.keys[i] for i in order]
        self.fill_vals = [self.values[i] for i in order]
        rnd.shuffle(order)  # readrandom order
        nr = a.reads or n
        self.read_keys = [self.keys[order[j % n]] for j in range(nr)]
        rnd.shuffle(order)  # readmissing
        self.missing_keys = [b"%016d" % (2 * order[j % n] + 1) for j in range(nr)]
        span = max(1, n - a.scan_len)
        nscan = a.scans or max(100, n // 100)
        self.scan_starts = [self.keys[rnd.randrange(span)] for _ in range(nscan)]
        rnd.shuffle(order)  # overwrite: every key once, with another key's value
        self.over_keys = [self.keys[i] for i in order]
        self.over_vals = [self.values[(i + 1) % n] for i in order]
        ns = min(a.sync_num, n)
        pick = rnd.sample(range(n), ns)
        self.sync_keys = [self.keys[i] for i in pick]
        self.sync_vals = [self.values[i] for i in pick]
        del order


# --------------------------------------------------------------------------- adapters
#
# Every adapter exposes the same shapes, so that the timed loops are identical:
#   put(k, v), get(k) -> bytes | None    bound methods where the binding allows
#   write_chunk(list of (k, v))          one atomic batch, with the binding's bulk API
#   scan_iter(start) -> iterator of (k, v) from the first key >= start
#   putter() -> put callable for one writer thread (its own connection/txn where needed)
#   begin_reads()/end_reads()            one read transaction around a read workload
#                                        (LMDB and SQLite; no-op for the LSMs)
#   compact(), close()


class Adapter:
    name = "?"
    compact_noop = False  # the engine has nothing to compact (its time is not reported)

    def __init__(self, a, path: Path, durable: bool):
        self.a, self.path, self.durable = a, path, durable

    def begin_reads(self):
        pass

    def end_reads(self):
        pass

    def putter(self):
        return self.put

    def stats(self):
        return None

    def runtime_info(self):
        return {}


class DyncoreAdapter(Adapter):
    name = "dyncore"

    @staticmethod
    def info(a):
        from dyncore import engine  # noqa: F401
        return {"module": "dyncore.engine", "compression": f"zstd level {a.compression_level}",
                "notes": "sync='commit' for fillsync, 'none' otherwise"}

    def __init__(self, a, path, durable):
        super().__init__(a, path, durable)
        from dyncore.engine import Engine
        self.db = db = Engine(str(path), sync="commit" if durable else "none",
                              cache_bytes=a.cache_bytes, bloom_bits_per_key=10,
                              compression_level=a.compression_level,
                              **({"memtable_bytes": a.memtable_bytes} if a.memtable_bytes else {}))
        self.put, self.get, self.write_chunk = db.put, db.get, db.write_batch
        self.scan_iter = lambda k: db.scan(start=k)

    def runtime_info(self):
        return {"compression": getattr(self.db, "compression", "?")}

    def compact(self):
        self.db.compact()

    def stats(self):
        try:
            return self.db.stats()
        except Exception as e:  # a benchmark must not die for a stats call
            return {"error": repr(e)}

    def close(self):
        self.db.close()


class RocksAdapter(Adapter):
    name = "rocksdb"

    @staticmethod
    def info(a):
        import importlib.metadata as md
        return {"module": f"rocksdict {md.version('rocksdict')}",
                "compression": f"zstd level {a.compression_level}",
                "notes": "rocksdict holds the GIL during put (incl. fsync): its writer "
                         "threads cannot overlap, so fillsync8 is the binding's limit"}

    def __init__(self, a, path, durable):
        super().__init__(a, path, durable)
        import rocksdict as r
        self.r = r
        opts = r.Options(raw_mode=True)
        opts.create_if_missing(True)
        bbo = r.BlockBasedOptions()
        bbo.set_bloom_filter(10, False)  # full (not block-based) filter, 10 bits/key
        bbo.set_block_cache(r.Cache(a.cache_bytes))
        opts.set_block_based_table_factory(bbo)
        opts.set_compression_type(r.DBCompressionType.zstd())
        opts.set_compression_options(-14, a.compression_level, 0, 0)
        if a.memtable_bytes:
            opts.set_write_buffer_size(a.memtable_bytes)
        # Options must be passed again on every open, including for the default column
        # family, or RocksDB reopens with defaults (no bloom filter): see peers.md.
        self.db = db = r.Rdict(str(path), opts, column_families={"default": opts})
        wo = r.WriteOptions()
        wo.sync = bool(durable)
        db.set_write_options(wo)
        self.put, self.get = db.put, db.get
        self.scan_iter = lambda k: db.items(from_key=k)

    def write_chunk(self, chunk):
        wb = self.r.WriteBatch(raw_mode=True)
        put = wb.put
        for k, v in chunk:
            put(k, v)
        self.db.write(wb)

    def compact(self):
        co = self.r.CompactOptions()
        co.set_bottommost_level_compaction(self.r.BottommostLevelCompaction.force())
        self.db.compact_range(None, None, co)

    def close(self):
        self.db.close()


class LevelAdapter(Adapter):
    name = "leveldb"

    @staticmethod
    def info(a):
        import plyvel
        return {"module": f"plyvel {plyvel.__version__} (LevelDB {plyvel.__leveldb_version__})",
                "compression": "snappy (LevelDB has no zstd)", "notes": ""}

    def __init__(self, a, path, durable):
        super().__init__(a, path, durable)
        import functools
        import plyvel
        self.db = db = plyvel.DB(str(path), create_if_missing=True, bloom_filter_bits=10,
                                 lru_cache_size=a.cache_bytes, compression="snappy",
                                 **({"write_buffer_size": a.memtable_bytes} if a.memtable_bytes else {}))
        self.put = functools.partial(db.put, sync=True) if durable else db.put
        self.get = db.get
        self.scan_iter = lambda k: db.iterator(start=k)

    def write_chunk(self, chunk):
        wb = self.db.write_batch()
        put = wb.put
        for k, v in chunk:
            put(k, v)
        wb.write()

    def compact(self):
        # plyvel turns stop=None into an empty key, and LevelDB then compacts nothing
        # in level 0: give explicit bounds past every benchmark key.
        self.db.compact_range(start=b"", stop=b"\xff" * 64)

    def close(self):
        self.db.close()


class LmdbAdapter(Adapter):
    name = "lmdb"

    @staticmethod
    def info(a):
        import lmdb
        return {"module": f"lmdb {lmdb.__version__} (LMDB {'.'.join(map(str, lmdb.version()))})",
                "compression": "none (LMDB does not compress)",
                "notes": "B+tree on mmap; no cache setting (the OS page cache); "
                         "one write txn per put; 'compact' is a no-op"}

    def __init__(self, a, path, durable):
        super().__init__(a, path, durable)
        import lmdb
        self.env = env = lmdb.open(str(path), map_size=1 << 36, writemap=False, sync=durable,
                                   metasync=durable, lock=True, max_readers=256)
        begin = env.begin

        def put(k, v):
            txn = begin(write=True)
            txn.put(k, v)
            txn.commit()
        self.put = put
        self.txn = None

    def write_chunk(self, chunk):
        with self.env.begin(write=True) as txn:
            txn.cursor().putmulti(chunk)

    def begin_reads(self):
        self.txn = txn = self.env.begin()
        self.get = txn.get
        tcur = txn.cursor

        def scan_iter(k):
            c = tcur()
            c.set_range(k)
            return c.iternext()
        self.scan_iter = scan_iter

    def end_reads(self):
        self.txn.abort()
        self.txn = None

    compact_noop = True

    def compact(self):
        pass

    def close(self):
        self.env.close()


class SqliteAdapter(Adapter):
    name = "sqlite"
    INS = "INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)"
    SEL = "SELECT v FROM kv WHERE k = ?"
    SCAN = "SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?"

    @staticmethod
    def info(a):
        import sqlite3
        return {"module": f"sqlite3 (SQLite {sqlite3.sqlite_version})", "compression": "none",
                "notes": "WAL, WITHOUT ROWID; synchronous=NORMAL (FULL for fillsync); "
                         "one connection per writer thread; 'compact' = VACUUM + checkpoint"}

    def __init__(self, a, path, durable):
        super().__init__(a, path, durable)
        path.mkdir(parents=True, exist_ok=True)
        self.file = str(path / "kv.sqlite")
        self.conns = []
        self.conn = c = self._connect()
        c.execute("CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
        self.put, self.get, self.scan_iter = self._ops(c)

    def _connect(self):
        import sqlite3
        c = sqlite3.connect(self.file, isolation_level=None, check_same_thread=False)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
        c.execute(f"PRAGMA cache_size=-{max(1, self.a.cache_bytes // 1024)}")
        c.execute("PRAGMA busy_timeout=60000")
        self.conns.append(c)
        return c

    def _ops(self, c):
        ex = c.execute
        INS, SEL, SCAN, n = self.INS, self.SEL, self.SCAN, self.a.scan_len

        def put(k, v):
            ex(INS, (k, v))

        def get(k):
            r = ex(SEL, (k,)).fetchone()
            return None if r is None else r[0]

        def scan_iter(k):
            return ex(SCAN, (k, n))
        return put, get, scan_iter

    def putter(self):
        return self._ops(self._connect())[0]

    def write_chunk(self, chunk):
        c = self.conn
        c.execute("BEGIN")
        c.executemany(self.INS, chunk)
        c.execute("COMMIT")

    def begin_reads(self):
        self.conn.execute("BEGIN")

    def end_reads(self):
        self.conn.execute("COMMIT")

    def compact(self):
        self.conn.execute("VACUUM")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self):
        for c in self.conns:
            c.close()


ADAPTERS = {"dyncore": DyncoreAdapter, "rocksdb": RocksAdapter, "leveldb": LevelAdapter,
            "lmdb": LmdbAdapter, "sqlite": SqliteAdapter}


# --------------------------------------------------------------------------- child

def disk_usage(path: Path) -> tuple[int, int]:
    """(allocated bytes, apparent bytes) of every file under path."""
    alloc = size = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except FileNotFoundError:
                continue
            alloc += st.st_blocks * 512
            size += st.st_size
    return alloc, size


def rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_now() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def log(msg: str):
    print(msg, file=sys.stderr, flush=True)


def timed(name, eng, ops, fn, out, **extra):
    """Run fn() with the GC off and record wall time, CPU time (all threads) and extras."""
    gc.collect()
    gc.disable()
    c0 = cpu_now()
    t0 = time.perf_counter()
    try:
        check = fn()
    finally:
        t1 = time.perf_counter()
        c1 = cpu_now()
        gc.enable()
    sec = t1 - t0
    rec = {"ops": ops, "seconds": sec, "cpu_seconds": c1 - c0,
           "ops_per_s": ops / sec if sec > 0 else None,
           "us_per_op": sec / ops * 1e6 if ops else None, **extra}
    if check is not None:
        rec["check"] = check
    out[name] = rec
    log(f"  [{eng}] {name:<12} {ops:>9,} ops {sec:8.3f} s {rec['us_per_op']:9.3f} us/op"
        f" {rec['ops_per_s']:>12,.0f} ops/s")
    return rec


def run_fillsync(ad, keys, vals, nthreads):
    per = [(keys[t::nthreads], vals[t::nthreads]) for t in range(nthreads)]
    barrier = threading.Barrier(nthreads + 1)
    errors = []

    def worker(t):
        try:
            put = ad.putter()
        except BaseException as e:  # still reach the barrier
            errors.append(e)
            barrier.wait()
            return
        barrier.wait()
        ks, vs = per[t]
        try:
            for k, v in zip(ks, vs):
                put(k, v)
        except BaseException as e:
            errors.append(e)

    ths = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for th in ths:
        th.start()

    def body():
        barrier.wait()
        for th in ths:
            th.join()
    return body, errors


def child(spec_path: str, out_path: str):
    spec = json.loads(Path(spec_path).read_text())
    a = argparse.Namespace(**spec["args"])
    eng = spec["engine"]
    base = Path(spec["dir"])
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    cls = ADAPTERS[eng]
    res = {"engine": eng, "info": cls.info(a), "workloads": {}, "pid": os.getpid()}
    W = res["workloads"]
    wl = spec["workloads"]

    t = time.perf_counter()
    data = Data(a)
    res["datagen_seconds"] = time.perf_counter() - t
    gc.collect()
    res["baseline_rss"] = rss_now()
    log(f"[{eng}] data ready in {res['datagen_seconds']:.1f} s, "
        f"baseline RSS {res['baseline_rss'] / MiB:.0f} MiB")
    n = a.num

    if "fillseq" in wl:
        ad = cls(a, base / "fillseq", durable=False)
        B = a.batch
        chunks = [list(zip(data.keys[i:i + B], data.values[i:i + B])) for i in range(0, n, B)]
        wc = ad.write_chunk

        def fillseq():
            for ch in chunks:
                wc(ch)
        timed("fillseq", eng, n, fillseq, W, batch=B)
        del chunks
        ad.close()
        shutil.rmtree(base / "fillseq", ignore_errors=True)

    for nt, name in ((1, "fillsync1"), (8, "fillsync8")):
        if name not in wl:
            continue
        ad = cls(a, base / name, durable=True)
        body, errors = run_fillsync(ad, data.sync_keys, data.sync_vals, nt)
        timed(name, eng, len(data.sync_keys), body, W, threads=nt)
        if errors:
            raise RuntimeError(f"{name}: {errors[0]!r}")
        ad.close()
        shutil.rmtree(base / name, ignore_errors=True)

    if any(w in wl for w in ("fillrandom",) + MAIN_WORKLOADS):
        main = base / "main"
        ad = cls(a, main, durable=False)
        res["info"].update(ad.runtime_info())
        if "fillrandom" in wl:
            put = ad.put
            fk, fv = data.fill_keys, data.fill_vals

            def fillrandom():
                for k, v in zip(fk, fv):
                    put(k, v)
            timed("fillrandom", eng, n, fillrandom, W)
        else:  # reads need a database: load it untimed, in batches
            B = a.batch
            for i in range(0, n, B):
                ad.write_chunk(list(zip(data.fill_keys[i:i + B], data.fill_vals[i:i + B])))
        # Reopen with the same options (as an application would), untimed.
        t = time.perf_counter()
        ad.close()
        ad = cls(a, main, durable=False)
        res["reopen_seconds"] = time.perf_counter() - t
        res["engine_stats_after_reopen"] = ad.stats()

        if "readrandom" in wl or "readmissing" in wl:
            for name, keys, expect in (("readrandom", data.read_keys, len(data.read_keys)),
                                       ("readmissing", data.missing_keys, 0)):
                if name not in wl:
                    continue
                ad.begin_reads()
                get = ad.get

                def reads():
                    found = 0
                    for k in keys:
                        if get(k) is not None:
                            found += 1
                    return found
                rec = timed(name, eng, len(keys), reads, W)
                ad.end_reads()
                if rec["check"] != expect:
                    rec["check_failed"] = f"found {rec['check']}, expected {expect}"
                    log(f"  [{eng}] {name}: CHECK FAILED: {rec['check_failed']}")

        if "scan" in wl:
            ad.begin_reads()
            it = ad.scan_iter
            L = a.scan_len
            starts = data.scan_starts

            def scans():
                rows = 0
                for k in starts:
                    for _kv in islice(it(k), L):
                        rows += 1
                return rows
            rec = timed("scan", eng, len(starts), scans, W, scan_len=L)
            ad.end_reads()
            if rec["check"] != L * len(starts):
                rec["check_failed"] = f"{rec['check']} rows, expected {L * len(starts)}"
                log(f"  [{eng}] scan: CHECK FAILED: {rec['check_failed']}")

        if "overwrite" in wl:
            put = ad.put
            ok, ov = data.over_keys, data.over_vals

            def overwrite():
                for k, v in zip(ok, ov):
                    put(k, v)
            timed("overwrite", eng, n, overwrite, W)
            # spot check: a sample of keys reads back the overwritten value
            ad.begin_reads()
            bad = sum(1 for k, v in zip(ok[:1000], ov[:1000]) if ad.get(k) != v)
            ad.end_reads()
            if bad:
                W["overwrite"]["check_failed"] = f"{bad} of 1000 sampled keys read back wrong"
                log(f"  [{eng}] overwrite: CHECK FAILED: {W['overwrite']['check_failed']}")

        t = time.perf_counter()
        ad.compact()
        res["compact_seconds"] = None if ad.compact_noop else time.perf_counter() - t
        res["engine_stats"] = ad.stats()
        ad.close()
        res["disk_bytes"], res["disk_apparent_bytes"] = disk_usage(main)
        log(f"  [{eng}] compact {res['compact_seconds'] or 0:.2f} s; on disk "
            f"{res['disk_bytes'] / MiB:.1f} MiB (apparent {res['disk_apparent_bytes'] / MiB:.1f})")

    res["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    Path(out_path).write_text(json.dumps(res, default=repr))


# --------------------------------------------------------------------------- parent

def default_dir() -> Path:
    """A temporary directory on the same file system as the repository."""
    tmp = Path(tempfile.gettempdir())
    try:
        if os.stat(tmp).st_dev == os.stat(ROOT).st_dev:
            return tmp
    except OSError:
        pass
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    return out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def aggregate(runs: list[dict]) -> dict:
    """Median over repeats of each engine's figures."""
    agg = {"runs": len(runs), "info": runs[0]["info"], "workloads": {}}
    names = [w for w in WORKLOADS if any(w in r["workloads"] for r in runs)]
    for w in names:
        recs = [r["workloads"][w] for r in runs if w in r["workloads"]]
        us = median([x["us_per_op"] for x in recs])
        agg["workloads"][w] = {
            "ops": recs[0]["ops"], "us_per_op": us, "ops_per_s": 1e6 / us if us else None,
            "cpu_us_per_op": median([x["cpu_seconds"] / x["ops"] * 1e6 for x in recs]),
            "all_us_per_op": [x["us_per_op"] for x in recs],
            "checks_failed": [x["check_failed"] for x in recs if "check_failed" in x]}
    for k in ("disk_bytes", "disk_apparent_bytes", "peak_rss", "baseline_rss", "compact_seconds",
              "reopen_seconds"):
        agg[k] = median([r.get(k) for r in runs])
    agg["engine_stats"] = runs[-1].get("engine_stats")
    agg["engine_stats_after_reopen"] = runs[-1].get("engine_stats_after_reopen")
    return agg


def fmt_ops(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def fmt_us(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def fmt_mib(x):
    return "-" if x is None else f"{x / MiB:.1f}"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}x"


def build_rows(agg: dict, engines: list[str]) -> tuple[list[str], list[list[str]]]:
    peers = [e for e in engines if e != "dyncore"]
    have_dc = "dyncore" in agg
    header = ["workload"] + [f"{e} µs/op (ops/s)" for e in engines]
    if have_dc:
        header += [f"dyncore/{p}" for p in peers]
    rows = []
    names = [w for w in WORKLOADS if any(w in agg[e]["workloads"] for e in engines)]
    for w in names:
        row = [w + (" (per scan)" if w == "scan" else "")]
        for e in engines:
            r = agg[e]["workloads"].get(w)
            row.append("-" if r is None
                       else f"{fmt_us(r['us_per_op'])} ({fmt_ops(r['ops_per_s'])})")
        if have_dc:
            d = agg["dyncore"]["workloads"].get(w)
            for p in peers:
                r = agg[p]["workloads"].get(w)
                row.append(fmt_ratio(r["us_per_op"] / d["us_per_op"]) if d and r else "-")
        rows.append(row)
    for key, label in (("compact_seconds", "compact (s)"),
                       ("disk_bytes", "disk after compact (MiB)"),
                       ("peak_rss", "peak RSS (MiB)"),
                       ("rss_over_baseline", "peak RSS over baseline (MiB)")):
        vals = {}
        for e in engines:
            g = agg[e]
            v = (g["peak_rss"] - g["baseline_rss"]) if key == "rss_over_baseline" and \
                g.get("peak_rss") is not None and g.get("baseline_rss") is not None else g.get(key)
            vals[e] = v
        if all(v is None for v in vals.values()):
            continue
        row = [label]
        for e in engines:
            v = vals[e]
            row.append("-" if v is None
                       else f"{v:.2f}" if key == "compact_seconds" else fmt_mib(v))
        if have_dc:
            for p in peers:
                d, r = vals.get("dyncore"), vals.get(p)
                if key == "compact_seconds":  # a speed ratio, like the workload rows
                    d, r = r, d
                row.append(fmt_ratio(d / r) if d is not None and r else "-")
        rows.append(row)
    return header, rows


def text_table(header, rows) -> str:
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).rjust(w[i]) if i else str(x).ljust(w[i])  # noqa: E731
                               for i, x in enumerate(r))
    return "\n".join([line(header), line(["-" * n for n in w])] + [line(r) for r in rows])


def md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--num", type=int, default=1_000_000, help="keys")
    p.add_argument("--reads", type=int, default=0,
                   help="gets for readrandom/readmissing (0: --num)")
    p.add_argument("--scans", type=int, default=0, help="scans (0: max(100, num/100))")
    p.add_argument("--scan-len", type=int, default=100, help="keys per scan")
    p.add_argument("--sync-num", type=int, default=5000,
                   help="durable puts per fillsync run (split over its threads)")
    p.add_argument("--batch", type=int, default=1000, help="fillseq batch size")
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--cache-bytes", type=int, default=64 * MiB,
                   help="block-cache budget, every engine")
    p.add_argument("--memtable-bytes", type=int, default=0,
                   help="write buffer of the LSM engines (dyncore, RocksDB, LevelDB); "
                        "0: each engine's own default (8 / 64 / 4 MiB)")
    p.add_argument("--compression-level", type=int, default=3, help="zstd level (dyncore, RocksDB)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--only", default=",".join(ENGINES), help="engines, comma-separated")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per engine (engine order rotates); the table shows medians")
    p.add_argument("--dir", default=None, help="parent of the temporary directories "
                   "(default: the system temp dir if on the same disk as the repo, else bench/out)")
    p.add_argument("--keep", action="store_true", help="keep the database directories")
    p.add_argument("--json", default=None, help="write the results as JSON here")
    p.add_argument("--md", default=None, help="also write the markdown block here")
    p.add_argument("--from-json", metavar="PATH",
                   help="do not run: print the tables again from an earlier --json file")
    p.add_argument("--child", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    return p, a


def main(argv=None):
    p, a = parse_args(argv)
    if a.child:
        child(*a.child)
        return 0
    if a.from_json:
        return rerender(a.from_json, a.json, a.md)
    engines = [e.strip() for e in a.only.split(",") if e.strip()]
    wl = [w.strip() for w in a.workloads.split(",") if w.strip()]
    for e in engines:
        if e not in ENGINES:
            p.error(f"unknown engine {e!r} (choose from {', '.join(ENGINES)})")
    for w in wl:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r} (choose from {', '.join(WORKLOADS)})")
    wl = [w for w in WORKLOADS if w in wl]

    base = Path(tempfile.mkdtemp(prefix="dyncore-kv-", dir=a.dir or default_dir()))
    cmdline = "python " + " ".join(shlex.quote(x) for x in [os.path.relpath(sys.argv[0], ROOT)]
                                   + sys.argv[1:])
    started = _dt.datetime.now(_dt.timezone.utc)
    log(f"kv bench: {a.num:,} keys, engines {engines}, workloads {wl}, dir {base}")
    childargs = {k: v for k, v in vars(a).items() if k != "child"}
    runs: dict[str, list] = {e: [] for e in engines}
    failed: dict[str, str] = {}
    try:
        for rep in range(a.repeat):
            order = engines[rep % len(engines):] + engines[:rep % len(engines)]
            for e in order:
                if e in failed:
                    continue
                d = base / f"{e}-{rep}"
                d.mkdir()
                spec = base / f"{e}-{rep}.spec.json"
                out = base / f"{e}-{rep}.out.json"
                spec.write_text(json.dumps({"engine": e, "dir": str(d), "workloads": wl,
                                            "args": childargs}))
                log(f"[{e}] run {rep + 1}/{a.repeat}")
                r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                                    str(spec), str(out)], cwd=ROOT)
                if r.returncode != 0 or not out.exists():
                    failed[e] = f"child exited with status {r.returncode}"
                    log(f"[{e}] FAILED ({failed[e]}); skipping this engine")
                else:
                    runs[e].append(json.loads(out.read_text()))
                if not a.keep:
                    shutil.rmtree(d, ignore_errors=True)
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)

    params = {k: getattr(a, k) for k in ("num", "reads", "scans", "scan_len", "sync_num", "batch",
                                         "value_size", "cache_bytes", "memtable_bytes",
                                         "compression_level", "seed", "repeat")}
    meta = {"command": cmdline, "date": started.isoformat(), "machine": machine(),
            "params": params, "workloads": wl, "engines_requested": engines}
    return report(meta, runs, failed, a.json, a.md)


def cpu_rows(agg: dict, engines: list[str]) -> tuple[list[str], list[list[str]]]:
    """CPU time (user + sys, every thread of the engine's process) per operation."""
    peers = [e for e in engines if e != "dyncore"]
    have_dc = "dyncore" in agg
    header = ["workload"] + [f"{e} CPU µs/op" for e in engines]
    if have_dc:
        header += [f"dyncore/{p}" for p in peers]
    rows = []
    for w in [w for w in WORKLOADS if any(w in agg[e]["workloads"] for e in engines)]:
        row = [w + (" (per scan)" if w == "scan" else "")]
        for e in engines:
            r = agg[e]["workloads"].get(w)
            row.append("-" if r is None else fmt_us(r["cpu_us_per_op"]))
        if have_dc:
            d = agg["dyncore"]["workloads"].get(w)
            for p in peers:
                r = agg[p]["workloads"].get(w)
                ok = d and r and d["cpu_us_per_op"] and r["cpu_us_per_op"]
                row.append(fmt_ratio(r["cpu_us_per_op"] / d["cpu_us_per_op"]) if ok else "-")
        rows.append(row)
    return header, rows


def report(meta: dict, runs: dict, failed: dict, json_path=None, md_path=None) -> int:
    """Print the tables (text, then markdown) and write JSON / markdown files."""
    pa = meta["params"]
    engines = meta["engines_requested"]
    done = [e for e in engines if runs.get(e)]
    agg = {e: aggregate(runs[e]) for e in done}
    header, rows = build_rows(agg, done) if done else ([], [])
    cheader, crows = cpu_rows(agg, done) if done else ([], [])
    cmdline = meta["command"]
    date = _dt.datetime.fromisoformat(meta["date"]).strftime("%Y-%m-%d %H:%M UTC")
    mach = meta["machine"]
    L = pa["scan_len"]

    print()
    print(f"kv bench — {date} — {cmdline}")
    if rows:
        print(text_table(header, rows))
    print("µs/op = wall time / ops (fillsync8: for all 8 threads together); scan = one scan of "
          f"{L} keys. dyncore/peer = peer µs/op ÷ dyncore µs/op (>1: dyncore faster; "
          "compact: peer s ÷ dyncore s); disk and RSS: dyncore ÷ peer (<1: dyncore smaller).")
    if crows:
        print()
        print(text_table(cheader, crows))
        print("CPU µs/op = user+sys time of the engine's process (background threads included) "
              "/ ops; dyncore/peer = peer ÷ dyncore (>1: dyncore uses less CPU).")
    for e in done:
        i = agg[e]["info"]
        print(f"  {e}: {i['module']}; compression {i['compression']}"
              + (f"; {i['notes']}" if i.get("notes") else ""))
        for w, r in agg[e]["workloads"].items():
            for c in r["checks_failed"]:
                print(f"  {e} {w}: CHECK FAILED: {c}")
    for e, why in failed.items():
        print(f"  {e}: FAILED — {why}")

    md = [f"### kv bench, {date}", "",
          f"`{cmdline}`", "",
          f"{pa['num']:,} keys of 16 B, values {pa['value_size']} B (half compressible); "
          f"cache {pa['cache_bytes'] // MiB} MiB, memtable "
          f"{str(pa['memtable_bytes'] // MiB) + ' MiB' if pa.get('memtable_bytes') else 'per engine default'}; "
          f"{mach['cpus']} CPUs ({mach['cpu']}), Python {mach['python']}; "
          f"median of {pa['repeat']} run(s).", ""]
    if rows:
        md += [md_table(header, rows), ""]
    md += ["Engines: " + "; ".join(f"{e} — {agg[e]['info']['module']}, "
                                   f"{agg[e]['info']['compression']}" for e in done) + ".", ""]
    md += ["µs/op is wall time per operation (fillsync8: all 8 writer threads together); "
           f"scan is one scan of {L} keys. `dyncore/peer` is the speed ratio "
           "(peer µs/op ÷ dyncore µs/op, >1 means dyncore is faster; compact: peer seconds ÷ "
           "dyncore seconds); in the disk and RSS rows it is dyncore ÷ peer (<1 means dyncore "
           "is smaller). LMDB has nothing to compact."]
    if crows:
        md += ["", "CPU time per operation (user + sys of the engine's process, background "
               "threads included; less sensitive than wall time to a busy machine):", "",
               md_table(cheader, crows)]
    if failed:
        md += ["", "Not measured: " + "; ".join(f"{e} ({w})" for e, w in failed.items()) + "."]
    md_text = "\n".join(md)
    print()
    print(md_text)

    result = {**meta, "engines": agg, "failed": failed,
              "raw": {e: runs[e] for e in done}, "markdown": md_text}
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result, indent=1, default=repr))
    if md_path:
        Path(md_path).parent.mkdir(parents=True, exist_ok=True)
        Path(md_path).write_text(md_text + "\n")
    return 1 if failed or any(agg[e]["workloads"][w]["checks_failed"]
                              for e in done for w in agg[e]["workloads"]) else 0


def rerender(path: str, json_path=None, md_path=None) -> int:
    """Print the tables again from a --json file (e.g. after changing the report)."""
    d = json.loads(Path(path).read_text())
    meta = {k: d[k] for k in ("command", "date", "machine", "params", "workloads")}
    meta["engines_requested"] = d.get("engines_requested") or list(d["raw"]) + list(d["failed"])
    return report(meta, d["raw"], d["failed"], json_path, md_path)


if __name__ == "__main__":
    sys.exit(main())
