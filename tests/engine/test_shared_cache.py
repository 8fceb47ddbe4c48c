"""Engines sharing one block cache: dyncore.engine.SharedCache and
Engine(..., cache=...)."""
import gc
import os
import random
import threading

import pytest

from dyncore.engine import Engine, SharedCache
from dyncore.errors import ClosedError

OPTS = dict(sync="none", compression_level=0, block_bytes=1024, memtable_bytes=256 << 10)


def key(i: int) -> bytes:
    return b"k%05d" % i


def value(tag: bytes, i: int) -> bytes:
    return tag + b":" + key(i) + b"=" + bytes([65 + i % 26]) * 60


def fill(db, tag: bytes, n: int):
    for start in range(0, n, 500):
        db.write_batch([(key(i), value(tag, i)) for i in range(start, min(n, start + 500))])
    db.flush()


def check_all(db, tag: bytes, n: int):
    for i in range(n):
        assert db.get(key(i)) == value(tag, i), (tag, i)


def test_engines_share_a_cache_and_read_their_own_data(tmp_path):
    cache = SharedCache(8 << 20)
    assert cache.capacity == 8 << 20 and not cache.closed
    # memtables large enough that only fill()'s own flush writes a table, so
    # both engines number their files alike however the machine is loaded
    # (with small ones, background flushes and compactions could differ)
    opts = dict(OPTS, memtable_bytes=8 << 20)
    a = Engine(tmp_path / "a", cache=cache, **opts)
    b = Engine(tmp_path / "b", cache=cache, **opts)
    assert a.cache is cache and b.cache is cache
    n = 3000
    fill(a, b"A", n)
    fill(b, b"B", n)
    # the same table file numbers in both: the cache must still tell them apart
    assert sorted(os.listdir(tmp_path / "a" / "sst")) == sorted(os.listdir(tmp_path / "b" / "sst"))
    for _ in range(2):
        check_all(a, b"A", n)
        check_all(b, b"B", n)
    assert list(a.scan()) == [(key(i), value(b"A", i)) for i in range(n)]
    assert list(b.scan(reverse=True)) == [(key(i), value(b"B", i)) for i in reversed(range(n))]
    st = cache.stats()
    assert st["dbs"] == 2 and st["capacity"] == 8 << 20
    assert st["usage"] > 0 and st["hits"] > 0 and st["misses"] > 0
    bc = a.stats()["block_cache"]
    assert bc["shared"] is True and bc == b.stats()["block_cache"]
    assert {k: bc[k] for k in ("hits", "misses", "usage", "capacity")} == \
        {k: st[k] for k in ("hits", "misses", "usage", "capacity")}
    a.close()
    assert a.cache is None
    st = cache.stats()
    assert st["dbs"] == 1 and st["usage"] > 0
    check_all(b, b"B", n)
    b.close()
    st = cache.stats()
    assert st["dbs"] == 0 and st["usage"] == 0  # closed engines leave nothing behind
    cache.close()
    assert cache.closed


def test_usage_bounded_by_capacity(tmp_path):
    cap = 16 * (16 << 10)
    cache = SharedCache(cap)
    dbs = [Engine(tmp_path / f"d{i}", cache=cache, cache_bytes=64 << 20, **OPTS)
           for i in range(3)]
    n = 3000
    for i, db in enumerate(dbs):
        fill(db, b"%d" % i, n)
    for _ in range(2):
        for i, db in enumerate(dbs):
            check_all(db, b"%d" % i, n)
            assert 0 < cache.stats()["usage"] <= cap
    st = cache.stats()
    assert st["evictions"] > 0
    assert all(db.stats()["block_cache"]["capacity"] == cap for db in dbs)  # cache_bytes ignored
    for db in dbs:
        db.close()
    cache.close()


def test_own_cache_by_default(tmp_path):
    with Engine(tmp_path, cache_bytes=1 << 20, **OPTS) as db:
        assert db.cache is None
        fill(db, b"P", 100)
        check_all(db, b"P", 100)
        bc = db.stats()["block_cache"]
        assert bc["shared"] is False and bc["capacity"] == 1 << 20


def test_closing_the_cache_object_while_engines_use_it(tmp_path):
    cache = SharedCache(4 << 20)
    a = Engine(tmp_path / "a", cache=cache, **OPTS)
    cache.close()  # a keeps the C cache alive
    cache.close()  # twice: a no-op
    with pytest.raises(ClosedError):
        cache.stats()
    with pytest.raises(ClosedError):
        Engine(tmp_path / "b", cache=cache, **OPTS)
    assert not (tmp_path / "b").exists() or not os.listdir(tmp_path / "b")
    fill(a, b"A", 500)
    check_all(a, b"A", 500)
    check_all(a, b"A", 500)
    bc = a.stats()["block_cache"]
    assert bc["shared"] is True and bc["hits"] > 0
    a.close()  # frees the cache


def test_dropping_the_cache_object_while_engines_use_it(tmp_path):
    cache = SharedCache(4 << 20)
    a = Engine(tmp_path / "a", cache=cache, **OPTS)
    b = Engine(tmp_path / "b", cache=cache, **OPTS)
    del cache
    gc.collect()
    assert a.cache is b.cache  # the engines keep the object while open
    fill(a, b"A", 300)
    fill(b, b"B", 300)
    a.close()
    check_all(b, b"B", 300)
    b.close()


def test_context_manager_and_repr(tmp_path):
    with SharedCache(1 << 20) as cache:
        assert "open" in repr(cache)
        with Engine(tmp_path, cache=cache, **OPTS) as db:
            db.put(b"k", b"v")
            assert db.get(b"k") == b"v"
    assert cache.closed and "closed" in repr(cache)


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError):
        SharedCache("big")
    with pytest.raises(ValueError):
        SharedCache(-1)
    with pytest.raises(ValueError):
        SharedCache(1 << 64)
    with pytest.raises(TypeError, match="SharedCache"):
        Engine(tmp_path, cache=64 << 20)
    zero = SharedCache(0)  # caches nothing, but works
    with Engine(tmp_path, cache=zero, **OPTS) as db:
        fill(db, b"Z", 200)
        check_all(db, b"Z", 200)
        assert db.stats()["block_cache"]["usage"] == 0
    zero.close()


def test_reopen_with_another_cache(tmp_path):
    c1, c2 = SharedCache(1 << 20), SharedCache(2 << 20)
    with Engine(tmp_path, cache=c1, **OPTS) as db:
        fill(db, b"R", 300)
    db = Engine(tmp_path, cache=c2, **OPTS)
    check_all(db, b"R", 300)
    assert db.stats()["block_cache"]["capacity"] == 2 << 20
    assert c1.stats()["dbs"] == 0 and c2.stats()["dbs"] == 1
    db.close()
    c1.close()
    c2.close()


def test_threads_read_while_other_engines_open_and_close(tmp_path):
    cache = SharedCache(16 * (8 << 10))  # small: the engines evict each other's blocks
    n = 1500
    keep = [Engine(tmp_path / f"keep{i}", cache=cache, **OPTS) for i in range(2)]
    for i, db in enumerate(keep):
        fill(db, b"K%d" % i, n)
    stop = threading.Event()
    errors = []

    def reader(t):
        rnd = random.Random(t)
        db = keep[t % 2]
        try:
            while not stop.is_set():
                j = rnd.randrange(n)
                got = db.get(key(j))
                if got != value(b"K%d" % (t % 2), j):
                    errors.append((t, j, got))
                if rnd.random() < 0.01:
                    cache.stats()
        except Exception as e:  # pragma: no cover
            errors.append(e)

    ths = [threading.Thread(target=reader, args=(t,)) for t in range(4)]
    for th in ths:
        th.start()
    try:
        for cycle in range(6):
            with Engine(tmp_path / "cycled", cache=cache, **OPTS) as db:
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
    st = cache.stats()
    assert st["dbs"] == 2 and st["usage"] <= 16 * (8 << 10)
    for db in keep:
        db.close()
    assert cache.stats()["usage"] == 0
    cache.close()


def test_close_waits_for_stats_in_other_threads(tmp_path):
    for _ in range(20):
        cache = SharedCache(1 << 20)
        db = Engine(tmp_path / "db", cache=cache, **OPTS)
        results = []

        def poll():
            for _ in range(200):
                try:
                    results.append(cache.stats()["dbs"])
                except ClosedError:
                    results.append("closed")
                    return

        th = threading.Thread(target=poll)
        th.start()
        cache.close()
        th.join()
        assert set(results) <= {1, "closed"}
        db.close()
