"""A block cache shared by several dbs (dc_shared_cache, dc_options.shared_cache),
through the public C API: keys of different dbs never collide (they number
their files alike), one byte budget for all, a db's blocks leave the cache
when its files go or it closes, reference counting, and many threads
(shared_stress.c, also under the sanitizers: DYNCORE_TSAN / DYNCORE_SANITIZE)."""
import json
import os
import subprocess
import threading

import pytest

from tests.c_api.capi import CDB, CError, SharedCache, capi
from tests.c_api.test_stress import build

DC_CORRUPT, DC_INVALID = 2, 9
OPTS = dict(sync="none", compression_level=0, memtable_bytes=256 << 10, block_bytes=1024)


def key(i: int) -> bytes:
    return b"k%05d" % i


def value(tag: bytes, i: int) -> bytes:
    return tag + b":" + key(i) + b"=" + bytes([65 + i % 26]) * 60


def fill(db, tag: bytes, n: int):
    for start in range(0, n, 500):
        db.write([(key(i), value(tag, i)) for i in range(start, min(n, start + 500))])
    db.flush()


def check_all(db, tag: bytes, n: int):
    for i in range(n):
        assert db.get(key(i)) == value(tag, i), (tag, i)


def test_dbs_with_the_same_file_numbers_read_their_own_blocks(tmp_path):
    sc = SharedCache(8 << 20)
    a = CDB(tmp_path / "a", shared_cache=sc.c, **OPTS)
    b = CDB(tmp_path / "b", shared_cache=sc.c, **OPTS)
    n = 3000
    fill(a, b"A", n)
    fill(b, b"B", n)
    # Same options, same history: file numbers in common (background
    # compactions may number a file or two differently under load).
    common = set(os.listdir(tmp_path / "a" / "sst")) & set(os.listdir(tmp_path / "b" / "sst"))
    assert common, "the two dbs should share table file numbers"
    check_all(a, b"A", n)
    check_all(b, b"B", n)
    st = sc.stats()
    assert st["dbs"] == 2 and st["usage"] > 0 and st["misses"] > 0
    # Second round: everything from the cache, still each db's own values.
    check_all(b, b"B", n)
    check_all(a, b"A", n)
    assert sc.stats()["misses"] == st["misses"]
    assert a.items() == [(key(i), value(b"A", i)) for i in range(n)]
    assert b.items(reverse=True) == [(key(i), value(b"B", i)) for i in reversed(range(n))]
    # The per-db stats describe the shared cache, and say so.
    bc_a, bc_b = a.stats()["block_cache"], b.stats()["block_cache"]
    assert bc_a == bc_b and bc_a["shared"] is True
    assert bc_a["capacity"] == 8 << 20
    assert {k: bc_a[k] for k in ("hits", "misses", "usage")} == \
        {k: v for k, v in sc.stats().items() if k in ("hits", "misses", "usage")}
    # A's compaction deletes A's files, numbered like B's live ones: only A's
    # blocks may leave the cache.
    a.compact()
    before = sc.stats()
    check_all(b, b"B", n)
    assert sc.stats()["misses"] == before["misses"]
    check_all(a, b"A", n)
    # Closing A drops A's blocks; B's stay and still hit.
    usage_both = sc.stats()["usage"]
    a.close()
    st = sc.stats()
    assert st["dbs"] == 1 and 0 < st["usage"] < usage_both
    check_all(b, b"B", n)
    assert sc.stats()["misses"] == st["misses"]
    b.close()
    st = sc.stats()
    assert st["dbs"] == 0 and st["usage"] == 0
    sc.unref()


def test_one_budget_for_all_dbs(tmp_path):
    cap = 16 * (16 << 10)  # 256 KiB for three dbs of ~0.3 MiB of blocks each
    sc = SharedCache(cap)
    dbs = [CDB(tmp_path / f"d{i}", shared_cache=sc.c, cache_bytes=64 << 20, **OPTS)
           for i in range(3)]
    n = 3000
    for i, db in enumerate(dbs):
        fill(db, b"%d" % i, n)
    for _ in range(2):
        for i, db in enumerate(dbs):
            check_all(db, b"%d" % i, n)
            st = sc.stats()
            assert 0 < st["usage"] <= cap
    st = sc.stats()
    assert st["evictions"] > 0 and st["capacity"] == cap
    # cache_bytes is ignored when a shared cache is given.
    assert dbs[0].stats()["block_cache"]["capacity"] == cap
    for db in dbs:
        db.close()
    assert sc.stats()["usage"] == 0
    sc.unref()


def test_private_cache_by_default(tmp_path):
    with CDB(tmp_path, cache_bytes=1 << 20, **OPTS) as db:
        fill(db, b"P", 200)
        check_all(db, b"P", 200)
        bc = db.stats()["block_cache"]
        assert bc["shared"] is False and bc["capacity"] == 1 << 20 and bc["usage"] > 0


def test_reference_counting(tmp_path):
    """The cache outlives the caller's reference and the first db closed; the
    last dc_close frees it (shared_stress.c checks that under ASan)."""
    sc = SharedCache(4 << 20)
    a = CDB(tmp_path / "a", shared_cache=sc.c, **OPTS)
    b = CDB(tmp_path / "b", shared_cache=sc.c, **OPTS)
    assert sc.stats()["dbs"] == 2
    sc.unref()  # the dbs hold theirs
    fill(a, b"A", 500)
    fill(b, b"B", 500)
    check_all(a, b"A", 500)
    a.close()
    check_all(b, b"B", 500)
    check_all(b, b"B", 500)
    bc = b.stats()["block_cache"]
    assert bc["shared"] is True and bc["hits"] > 0 and bc["usage"] > 0
    b.close()  # frees the cache


def test_failed_open_gives_its_reference_back(tmp_path):
    sc = SharedCache(1 << 20)
    with CDB(tmp_path / "a", shared_cache=sc.c, **OPTS) as a:
        fill(a, b"A", 300)
    (tmp_path / "a" / "CURRENT").write_bytes(b"garbage\n")  # recovery fails
    with pytest.raises(CError) as e:
        CDB(tmp_path / "a", shared_cache=sc.c, **OPTS)
    assert e.value.code == DC_CORRUPT
    st = sc.stats()
    assert st["dbs"] == 0 and st["usage"] == 0
    with CDB(tmp_path / "b", shared_cache=sc.c, **OPTS) as b:
        fill(b, b"B", 300)
        check_all(b, b"B", 300)
        assert sc.stats()["dbs"] == 1
    sc.unref()


def test_an_older_callers_smaller_options_struct(tmp_path):
    """A caller built against API version 1 passes a dc_options without
    shared_cache: whatever lies past its size is not read."""
    ffi, lib = capi()
    opt = ffi.new("dc_options*")
    lib.dc_options_init(opt)
    assert opt.version == 2 and opt.shared_cache == ffi.NULL
    opt.size = ffi.offsetof("dc_options", "shared_cache")
    opt.version = 1
    opt.cache_bytes = 3 << 20
    opt.shared_cache = ffi.cast("dc_shared_cache *", 0x10)  # garbage past the old end
    out = ffi.new("dc_db**")
    err = ffi.new("dc_error*")
    assert lib.dc_open(str(tmp_path).encode(), opt, out, err) == 0, ffi.string(err.message)
    db = out[0]
    js = ffi.new("char**")
    assert lib.dc_stats(db, js, err) == 0
    bc = json.loads(ffi.string(js[0]))["block_cache"]
    lib.dc_free(js[0])
    assert bc["shared"] is False and bc["capacity"] == 3 << 20
    assert lib.dc_close(db, err) == 0


def test_open_and_stats_arguments(tmp_path):
    ffi, lib = capi()
    out = ffi.new("dc_shared_cache**")
    err = ffi.new("dc_error*")
    assert lib.dc_shared_cache_open(0, out, err) == 0  # caches nothing, but works
    sc = out[0]
    with CDB(tmp_path, shared_cache=sc, **OPTS) as db:
        fill(db, b"Z", 300)
        check_all(db, b"Z", 300)
        check_all(db, b"Z", 300)
        bc = db.stats()["block_cache"]
        assert bc["capacity"] == 0 and bc["usage"] == 0 and bc["hits"] == 0
    assert lib.dc_shared_cache_stats(ffi.NULL, ffi.new("char**"), err) == 7  # DC_MISUSE
    lib.dc_shared_cache_unref(sc)
    lib.dc_shared_cache_unref(ffi.NULL)  # a no-op


def test_close_one_db_while_others_read_from_threads(tmp_path):
    sc = SharedCache(16 * (8 << 10))  # small: constant eviction across dbs
    n = 1500
    keep = [CDB(tmp_path / f"keep{i}", shared_cache=sc.c, **OPTS) for i in range(2)]
    for i, db in enumerate(keep):
        fill(db, b"K%d" % i, n)
    stop = threading.Event()
    errors = []

    def reader(i):
        import random  # noqa: PLC0415

        rnd = random.Random(i)
        db = keep[i % 2]
        try:
            while not stop.is_set():
                j = rnd.randrange(n)
                got = db.get(key(j))
                if got != value(b"K%d" % (i % 2), j):
                    errors.append((i, j, got))
        except Exception as e:  # pragma: no cover
            errors.append(e)

    ths = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for th in ths:
        th.start()
    try:
        for cycle in range(6):
            with CDB(tmp_path / "cycled", shared_cache=sc.c, **OPTS) as db:
                fill(db, b"C%d" % cycle, n)
                check_all(db, b"C%d" % cycle, n)
                if cycle % 2:
                    db.compact()
                    check_all(db, b"C%d" % cycle, n)
    finally:
        stop.set()
        for th in ths:
            th.join()
    assert not errors, errors[:5]
    for db in keep:
        db.close()
    st = sc.stats()
    assert st["dbs"] == 0 and st["usage"] == 0
    sc.unref()


def test_threads_on_stores_sharing_a_cache(tmp_path):
    exe = build(tmp_path, "shared_stress.c")
    seconds = os.environ.get("DYNCORE_STRESS_SECONDS", "4")
    cap = 16 * (16 << 10)  # less than the stores' blocks: hits and evictions
    (tmp_path / "db").mkdir()
    # Not the Python process's LD_PRELOAD (libasan for cffi), and with ASan's
    # leak check on: the last dc_close must free the cache.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
    r = subprocess.run([str(exe), str(tmp_path / "db"), seconds, str(cap)], capture_output=True,
                       text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr[-3000:]
    out = json.loads(r.stdout)
    cache, db0 = out["cache"], out["db0"]
    assert cache["dbs"] == 3 and cache["capacity"] == cap
    assert cache["usage"] <= cap and cache["evictions"] > 0 and cache["hits"] > 0
    assert db0["block_cache"]["shared"] is True
    assert db0["flushes"] > 0 and db0["compactions"] > 0 and not db0["background_error"]
    assert out["cycles"] >= 3 and out["cycle_reads"] > 0
