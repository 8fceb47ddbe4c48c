"""The engine's Python face: dyncore.engine.Engine and the _core binding."""
import gc
import os
import pickle
import random
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from dyncore import errors
from dyncore.engine import KIND_DELETE, KIND_PUT, Engine, Iterator, Snapshot, Tail, zstd_library
from dyncore.errors import ClosedError, LockedError, MisuseError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "db"


@pytest.fixture
def db(path):
    e = Engine(path, sync="none")
    yield e
    e.close()


def fill(db, n, prefix=b"k"):
    data = {prefix + b"%06d" % i: b"v%d" % i for i in range(n)}
    db.write_batch(data.items())
    return data


# -- basic operations -----------------------------------------------------------

def test_put_get_delete(db):
    assert db.get(b"a") is None
    db.put(b"a", b"1")
    assert db.get(b"a") == b"1"
    db.put(b"a", b"2")
    assert db.get(b"a") == b"2"
    db.delete(b"a")
    assert db.get(b"a") is None
    db.delete(b"never-there")  # deleting an absent key is fine
    assert db.get(b"never-there") is None


def test_binary_keys_and_values(db):
    pairs = {b"\x00": b"", b"\x00\x00": b"\x00", b"\xff" * 300: os.urandom(100_000),
             b"a\x00b": b"\xff\x00"}
    for k, v in pairs.items():
        db.put(k, v)
    for k, v in pairs.items():
        assert db.get(k) == v
    assert list(db.scan()) == sorted(pairs.items())


def test_bytes_like_arguments(db):
    class B(bytes):
        pass

    db.put(bytearray(b"k1"), memoryview(b"v1"))
    db.put(B(b"k2"), bytearray(b"v2"))
    db.write_batch([(memoryview(b"k3"), bytearray(b"v3")), (bytearray(b"k1"), None)])
    assert db.get(memoryview(b"k2")) == b"v2"
    assert db.get(bytearray(b"k3")) == b"v3"
    assert db.get(b"k1") is None
    assert [k for k, _ in db.scan(bytearray(b"k2"), memoryview(b"k4"))] == [b"k2", b"k3"]
    assert type(db.get(B(b"k2"))) is bytes


BAD = ["str", None, 1, 1.5, ["b"], object()]


@pytest.mark.parametrize("bad", BAD, ids=lambda b: type(b).__name__)
def test_type_errors_and_nothing_written(db, bad):
    db.put(b"k", b"v")
    seq = db.last_sequence
    with pytest.raises(TypeError):
        db.put(bad, b"v")
    if bad is not None:  # value None is a delete in write_batch only; put needs bytes
        with pytest.raises(TypeError):
            db.put(b"k", bad)
    else:
        with pytest.raises(TypeError):
            db.put(b"k", None)
    with pytest.raises(TypeError):
        db.get(bad)
    with pytest.raises(TypeError):
        db.delete(bad)
    with pytest.raises(TypeError):
        db.write_batch([(b"x", b"1"), (bad, b"v")])
    if bad is not None:
        with pytest.raises(TypeError):
            db.write_batch([(b"x", b"1"), (b"y", bad)])
        with pytest.raises(TypeError):
            db.scan(bad)
        with pytest.raises(TypeError):
            db.scan(None, bad)
    assert db.last_sequence == seq
    assert db.get(b"x") is None and db.get(b"k") == b"v"


def test_write_batch_bad_shapes(db):
    for ops in ([(b"a",)], [(b"a", b"1", b"2")], [b"ab"], [None], 5):
        with pytest.raises((TypeError, ValueError)):
            db.write_batch(ops)
    assert db.last_sequence == 0
    assert list(db.scan()) == []


def test_write_batch_sequence_numbers(db):
    assert db.last_sequence == 0
    db.put(b"a", b"1")
    assert db.last_sequence == 1
    assert db.write_batch([(b"b", b"2"), (b"c", b"3"), (b"a", None)]) == 4
    assert db.last_sequence == 4
    assert db.write_batch([]) == 4  # empty: nothing written
    assert db.write_batch(iter([(b"d", b"4")]), sync="commit") == 5
    assert db.write_batch(((b"e", b"5") for _ in range(1)), sync="none") == 6
    with pytest.raises(ValueError):
        db.write_batch([(b"x", b"1")], sync="always")
    assert db.get(b"x") is None
    assert dict(db.scan()) == {b"b": b"2", b"c": b"3", b"d": b"4", b"e": b"5"}


def test_write_batch_dict(db):
    db.write_batch({b"a": b"1", b"b": None, b"c": bytearray(b"3")})
    assert list(db.scan()) == [(b"a", b"1"), (b"c", b"3")]


def test_write_batch_later_op_wins(db):
    db.write_batch([(b"k", b"1"), (b"k", b"2"), (b"j", b"x"), (b"j", None)])
    assert db.get(b"k") == b"2"
    assert db.get(b"j") is None
    assert list(db.scan()) == [(b"k", b"2")]


def test_flush_compact_keep_data(db):
    data = fill(db, 3000)
    for i in range(0, 3000, 3):
        k = b"k%06d" % i
        db.delete(k)
        del data[k]
    db.flush()
    assert dict(db.scan()) == data
    db.compact()
    assert dict(db.scan()) == data
    assert db.get(b"k000001") == b"v1" and db.get(b"k000000") is None


def test_stats(db):
    fill(db, 100)
    s = db.stats()
    assert isinstance(s, dict)
    assert s["last_sequence"] == 100
    assert s["zstd_library"] == zstd_library()


def test_compression_off_without_library(path, monkeypatch):
    monkeypatch.setenv("DYNCORE_ZSTD_LIBRARY", "")
    zstd_library.cache_clear()
    try:
        with Engine(path) as e:
            e.put(b"a", b"b" * 10000)
            e.flush()
            s = e.stats()
            assert s["zstd_library"] is None
            assert s["compression_codec"] == "off"
            assert e.get(b"a") == b"b" * 10000
    finally:
        monkeypatch.delenv("DYNCORE_ZSTD_LIBRARY")
        zstd_library.cache_clear()
    with Engine(path, compression_level=0) as e:
        assert e.stats()["compression_codec"] == "off"
        assert e.get(b"a") == b"b" * 10000
    with Engine(path) as e:
        if zstd_library():
            assert e.stats()["compression_codec"] == "zstd:3"


def test_compression_off_still_reads_compressed_tables(path):
    assert zstd_library(), "zstd is a dependency (backports.zstd or Python 3.14's _zstd)"
    with Engine(path) as e:                       # zstd:3
        for i in range(200):
            e.put(b"k%04d" % i, b"v" * 3000)
        e.flush()
        assert e.stats()["compression_codec"] == "zstd:3"
    with Engine(path, compression_level=0) as e:  # reads the zstd table, writes plain ones
        assert e.stats()["compression_codec"] == "off"
        assert all(e.get(b"k%04d" % i) == b"v" * 3000 for i in range(200))
        e.put(b"new", b"w" * 3000)
        e.flush()
        e.compact()
        assert e.get(b"k0007") == b"v" * 3000 and e.get(b"new") == b"w" * 3000


def test_zstd_library_found():
    # The dev environment has backports.zstd (or Python 3.14's _zstd).
    assert zstd_library() is not None


# -- options --------------------------------------------------------------------

@pytest.mark.parametrize("sync", ["commit", "interval", "none"])
def test_sync_modes(path, sync):
    with Engine(path, sync=sync, sync_interval_ms=5) as e:
        e.put(b"a", b"1")
        assert e.get(b"a") == b"1"
    with Engine(path) as e:
        assert e.get(b"a") == b"1"


@pytest.mark.parametrize("sync", ["Commit", "fsync", "", None, 0])
def test_bad_sync(path, sync):
    with pytest.raises(ValueError):
        Engine(path, sync=sync)


def test_bad_options(path):
    with pytest.raises(TypeError):
        Engine(path, no_such_option=1)
    with pytest.raises(TypeError):
        Engine(path, env=1)  # not settable from Python
    with pytest.raises(ValueError):
        Engine(path, cache_bytes=-1)
    with pytest.raises(ValueError):
        Engine(path, block_bytes=2**32)
    with pytest.raises(TypeError):
        Engine(path, memtable_bytes="big")
    with pytest.raises(ValueError):
        Engine(str(path) + "\0x")
    Engine(path).close()  # no failed open left the directory locked


def test_tuning_options_accepted(path):
    with Engine(path, memtable_bytes=4096, level1_bytes=16384, target_file_bytes=8192,
                l0_compaction_trigger=2, max_imm_memtables=2, restart_interval=4,
                level_multiplier=4, paranoid_checks=True, replica_id=7) as e:
        fill(e, 2000)
        e.compact()
        assert len(list(e.scan())) == 2000


def test_create_if_missing_false(path):
    with pytest.raises(errors.EngineError):
        Engine(path, create_if_missing=False)


# -- closing ----------------------------------------------------------------------

def test_closed_engine_raises(path):
    e = Engine(path)
    e.put(b"a", b"1")
    e.close()
    assert e.closed
    e.close()  # idempotent
    calls = [lambda: e.put(b"a", b"1"), lambda: e.get(b"a"), lambda: e.delete(b"a"),
             lambda: e.write_batch([(b"a", b"1")]), lambda: e.scan(), e.snapshot, e.flush,
             e.compact, e.stats, lambda: e.last_sequence, lambda: e.tail(0)]
    for call in calls:
        with pytest.raises(ClosedError) as info:
            call()
        assert isinstance(info.value, ValueError)
        assert info.value.code == errors.ClosedError.code


def test_type_error_before_closed_check_is_fine(path):
    e = Engine(path)
    e.close()
    with pytest.raises((TypeError, ClosedError)):
        e.put("a", b"1")


def test_context_manager(path):
    with Engine(path) as e:
        e.put(b"a", b"1")
    assert e.closed
    with pytest.raises(ClosedError):
        e.get(b"a")
    with Engine(path) as e:
        assert e.get(b"a") == b"1"


def test_reopen_keeps_data(path):
    e = Engine(path, sync="commit")
    data = fill(e, 5000)
    e.flush()
    e.put(b"after-flush", b"x")  # only in the WAL
    e.delete(b"k000007")
    data[b"after-flush"] = b"x"
    del data[b"k000007"]
    seq = e.last_sequence
    e.close()
    e = Engine(path)
    assert dict(e.scan()) == data
    assert e.last_sequence == seq
    e.put(b"z", b"1")
    assert e.last_sequence == seq + 1
    e.close()


def test_dealloc_closes(path):
    e = Engine(path)
    e.put(b"a", b"1")
    del e
    gc.collect()
    with Engine(path) as e:  # the lock was released
        assert e.get(b"a") == b"1"


def test_dealloc_in_reference_cycle(path):
    e = Engine(path)
    e.put(b"a", b"1")
    e.cycle = [e, e.scan(), e.snapshot(), e.tail(0)]
    next(e.cycle[1])
    del e
    gc.collect()
    with Engine(path) as e:
        assert e.get(b"a") == b"1"


def test_open_iterator_snapshot_tail_at_close(path):
    e = Engine(path, sync="none")
    fill(e, 2000)
    it = e.scan()
    assert next(it) == (b"k000000", b"v0")
    snap = e.snapshot()
    it2 = snap.scan()
    tail = e.tail(0)
    e.close()  # closes them first; does not raise
    with pytest.raises(ClosedError):
        next(it)
    with pytest.raises(ClosedError):
        next(it2)
    with pytest.raises(ClosedError):
        snap.get(b"k000001")
    with pytest.raises(ClosedError):
        tail.poll()
    assert snap.released and it.closed and tail.closed
    it.close()
    snap.release()
    tail.close()  # all idempotent
    with Engine(path) as e2:
        assert e2.get(b"k000001") == b"v1"


def test_iterator_close_and_exhaust(db):
    fill(db, 1000)
    it = db.scan()
    assert next(it)[0] == b"k000000"
    it.close()
    assert list(it) == []  # closed by the user: yields nothing, like a generator
    with db.scan() as it:
        assert len(list(it)) == 1000
        assert list(it) == []
    assert db.stats().get("iterators", 0) == 0


def test_many_unclosed_iterators_are_freed(db):
    fill(db, 100)
    for _ in range(2000):
        it = db.scan()
        next(it)
    del it
    gc.collect()
    assert db.stats().get("iterators", 0) == 0


# -- locking ------------------------------------------------------------------------

def test_locked_same_process(path):
    with Engine(path):
        with pytest.raises(LockedError) as info:
            Engine(path)
        assert info.value.code == LockedError.code
        assert str(path) in str(info.value) or "LOCK" in str(info.value)
    Engine(path).close()


CHILD = textwrap.dedent("""
    import sys
    from dyncore.engine import Engine
    from dyncore.errors import LockedError
    try:
        e = Engine(sys.argv[1])
    except LockedError as exc:
        print("LOCKED", exc)
        sys.exit(0)
    print("OPEN", e.get(b"a"))
    e.close()
""")


def run_child(path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_locked_from_child_process(path):
    with Engine(path) as e:
        e.put(b"a", b"1")
        assert run_child(path).startswith("LOCKED")
    assert run_child(path).strip() == "OPEN b'1'"


# -- snapshots ----------------------------------------------------------------------

def test_snapshot_isolates_reads(db):
    db.put(b"a", b"1")
    db.put(b"b", b"1")
    with db.snapshot() as snap:
        assert isinstance(snap, Snapshot)
        assert snap.sequence == db.last_sequence == 2
        db.put(b"a", b"2")
        db.delete(b"b")
        db.put(b"c", b"2")
        db.flush()
        assert snap.get(b"a") == b"1" and db.get(b"a", snap) == b"1"
        assert snap.get(b"b") == b"1"
        assert snap.get(b"c") is None
        assert list(snap.scan()) == [(b"a", b"1"), (b"b", b"1")]
        assert list(db.scan(snapshot=snap, reverse=True)) == [(b"b", b"1"), (b"a", b"1")]
        db.compact()
        assert list(snap.scan()) == [(b"a", b"1"), (b"b", b"1")]
        assert dict(db.scan()) == {b"a": b"2", b"c": b"2"}
    assert snap.released
    with pytest.raises(ClosedError):
        snap.get(b"a")
    with pytest.raises(ClosedError):
        db.scan(snapshot=snap)
    snap.release()


def test_snapshot_of_another_engine(tmp_path):
    with Engine(tmp_path / "1") as a, Engine(tmp_path / "2") as b:
        with a.snapshot() as s:
            with pytest.raises(MisuseError):
                b.get(b"x", s)
            with pytest.raises(MisuseError):
                b.scan(snapshot=s)
    with pytest.raises(TypeError):
        a.get(b"x", snapshot="not a snapshot")
    a = Engine(tmp_path / "1")
    s = a.snapshot()
    a.close()
    with Engine(tmp_path / "1") as a2:
        with pytest.raises(ClosedError):  # closed with its engine, not "another engine"
            a2.get(b"x", s)


def test_iterator_outlives_released_snapshot(db):
    fill(db, 600)
    snap = db.snapshot()
    it = snap.scan()
    assert next(it) == (b"k000000", b"v0")
    snap.release()
    db.write_batch((b"k%06d" % i, None) for i in range(600))
    db.compact()
    assert len(list(it)) == 599
    assert db.stats().get("snapshots", 0) == 0


# -- scans -----------------------------------------------------------------------------

def test_scan_against_model(db):
    rnd = random.Random(5)
    model = {}
    for _ in range(3000):
        k = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4)))
        if rnd.random() < 0.25:
            db.delete(k)
            model.pop(k, None)
        else:
            v = os.urandom(rnd.randrange(0, 40))
            db.put(k, v)
            model[k] = v
        if rnd.random() < 0.002:
            db.flush()
    keys = sorted(model)
    snap = db.snapshot()
    frozen = dict(model)
    db.write_batch((k, None) for k in keys[::2])
    for _ in range(200):
        lo = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 3))) if rnd.random() < 0.8 else None
        hi = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 3))) if rnd.random() < 0.8 else None
        rev = rnd.random() < 0.5
        want = sorted((k, v) for k, v in frozen.items()
                      if (lo is None or k >= lo) and (hi is None or k < hi))
        if rev:
            want.reverse()
        assert list(db.scan(lo, hi, reverse=rev, snapshot=snap)) == want, (lo, hi, rev)
    snap.release()


def test_scan_bounds(db):
    for k in (b"a", b"b", b"bb", b"c"):
        db.put(k, k)
    keys = lambda **kw: [k for k, _ in db.scan(**kw)]
    assert keys() == [b"a", b"b", b"bb", b"c"]
    assert keys(start=b"b") == [b"b", b"bb", b"c"]
    assert keys(end=b"bb") == [b"a", b"b"]
    assert keys(start=b"b", end=b"c") == [b"b", b"bb"]
    assert keys(start=b"b", end=b"c", reverse=True) == [b"bb", b"b"]
    assert keys(start=b"c", end=b"a") == []
    assert keys(start=b"b", end=b"b") == []
    assert keys(end=b"", reverse=True) == []
    assert keys(start=b"", reverse=True) == [b"c", b"bb", b"b", b"a"]


def test_scan_large_values_and_many_pairs(db):
    # Values larger than a read batch, and more pairs than one batch holds.
    big = {b"big%d" % i: os.urandom(300_000) for i in range(3)}
    db.write_batch(big.items())
    small = fill(db, 5000, prefix=b"s")
    assert dict(db.scan()) == {**big, **small}
    assert list(db.scan(reverse=True)) == sorted({**big, **small}.items(), reverse=True)


def test_scan_sees_a_point_in_time(db):
    fill(db, 2000)
    it = db.scan()
    first = next(it)
    db.write_batch((b"k%06d" % i, b"new") for i in range(2000))
    db.put(b"k999999", b"x")
    rest = list(it)
    assert [first] + rest == [(b"k%06d" % i, b"v%d" % i) for i in range(2000)]


# -- threads ------------------------------------------------------------------------

def test_many_threads(db):
    n_threads, n_ops = 8, 1500
    failures = []

    def work(t):
        try:
            rnd = random.Random(t)
            mine = {}
            for i in range(n_ops):
                k = b"t%d-%05d" % (t, rnd.randrange(500))
                r = rnd.random()
                if r < 0.5:
                    v = b"%d-%d" % (t, i)
                    db.put(k, v)
                    mine[k] = v
                elif r < 0.6:
                    db.delete(k)
                    mine.pop(k, None)
                elif r < 0.7:
                    db.write_batch([(k, b"b"), (k + b"x", None)])
                    mine[k] = b"b"
                    mine.pop(k + b"x", None)
                elif r < 0.72:
                    got = dict(db.scan(b"t%d-" % t, b"t%d." % t))
                    assert got == mine
                else:
                    assert db.get(k) == mine.get(k)
            assert dict(db.scan(b"t%d-" % t, b"t%d." % t)) == mine
        except BaseException as exc:  # noqa: BLE001
            failures.append((t, exc))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    flusher_stop = threading.Event()

    def flusher():
        while not flusher_stop.is_set():
            db.flush()
            time.sleep(0.01)

    f = threading.Thread(target=flusher)
    f.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flusher_stop.set()
    f.join()
    assert not failures, failures[:3]


def test_write_batch_is_atomic_to_readers(db):
    keys = [b"acct%02d" % i for i in range(20)]
    db.write_batch((k, b"0") for k in keys)
    stop = threading.Event()
    bad = []

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            db.write_batch((k, b"%d" % i) for k in keys)

    def reader():
        while not stop.is_set():
            values = {v for _, v in db.scan()}
            if len(values) != 1:
                bad.append(values)
            with db.snapshot() as s:
                values = {s.get(k) for k in keys}
            if len(values) != 1:
                bad.append(values)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    assert not bad, bad[:3]


def test_close_while_threads_are_busy(path):
    db = Engine(path, sync="none")
    fill(db, 500)
    started = threading.Barrier(7)
    outcomes = []

    def work(t):
        started.wait()
        try:
            i = 0
            while True:
                i += 1
                db.put(b"t%d-%d" % (t, i % 100), b"x" * 100)
                db.get(b"k000001")
                if t % 2:
                    for _ in db.scan(b"k", b"k0001"):
                        pass
                if t == 5:
                    with db.snapshot() as s:
                        s.get(b"k000002")
        except ClosedError:
            outcomes.append("closed")
        except BaseException as exc:  # noqa: BLE001
            outcomes.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.3)
    db.close()
    for t in threads:
        t.join()
    assert outcomes == ["closed"] * 6
    with Engine(path) as db:
        assert db.get(b"k000001") == b"v1"


def test_concurrent_close_calls(path):
    db = Engine(path)
    fill(db, 100)
    threads = [threading.Thread(target=db.close) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.closed
    Engine(path).close()


# -- WAL tail -------------------------------------------------------------------------

def test_tail_records(path):
    with Engine(path, replica_id=3) as db:
        db.put(b"a", b"1")
        db.write_batch([(b"b", b"2"), (b"a", None)])
        db.delete(b"b")
        db.write_batch([(b"c", b"3")], hlc=12345, origin=9)
        with db.tail(0) as tail:
            assert isinstance(tail, Tail)
            recs = list(tail)
            assert [r[0] for r in recs] == [1, 2, 4, 5]
            assert [r[2] for r in recs] == [3, 3, 3, 9]
            assert recs[3][1] == 12345
            assert all(r[1] > 0 for r in recs)
            assert recs[0][3] == [(KIND_PUT, b"a", b"1")]
            assert recs[1][3] == [(KIND_PUT, b"b", b"2"), (KIND_DELETE, b"a", None)]
            assert recs[2][3] == [(KIND_DELETE, b"b", None)]
            assert tail.poll() is None
            assert list(tail) == []
            db.put(b"d", b"4")  # the tail resumes
            rec = tail.poll()
            assert (rec[0], rec[2], rec[3]) == (6, 3, [(KIND_PUT, b"d", b"4")])
            assert rec[1] > recs[2][1]
            tail.release(6)
            assert tail.poll() is None
        assert tail.closed
        with pytest.raises(ClosedError):
            tail.poll()
        with db.tail(4) as tail:
            first = next(tail)  # the record holding sequence number 4
            assert first[0] <= 4 < first[0] + len(first[3])


def test_tail_trimmed(path):
    with Engine(path, sync="none") as db:
        fill(db, 100)
        held = db.tail(1)  # holds the WAL from 1 on
        db.flush()
        fill(db, 100, prefix=b"j")
        db.flush()
        assert next(held)[0] == 1
        held.close()
        fill(db, 100, prefix=b"i")
        db.flush()
        with pytest.raises(errors.TrimmedError):
            db.tail(1)
        with db.tail(db.last_sequence + 1) as t:  # the next write's number
            assert t.poll() is None
            db.put(b"x", b"1")
            assert next(t)[0] == 301


def test_tail_resumes_and_hlc_increases(db):
    tail = db.tail(1)
    assert tail.poll() is None
    for i in range(50):
        db.put(b"k%d" % i, b"v")
    recs = list(tail)
    assert [r[0] for r in recs] == list(range(1, 51))
    hlcs = [r[1] for r in recs]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == 50
    db.put(b"more", b"v")
    assert [r[0] for r in tail] == [51]
    tail.close()


# -- errors ---------------------------------------------------------------------------

def test_error_classes_as_data():
    for code, (name, cls) in errors.ENGINE_ERRORS.items():
        e = errors.engine_error(code, f"{name} at /x:12")
        assert type(e) is cls and e.code == code and e.name == name
        assert e.message == str(e) == f"{name} at /x:12"
        assert isinstance(e, errors.EngineError) and isinstance(e, errors.DyncoreError)
        e2 = pickle.loads(pickle.dumps(e))
        assert type(e2) is cls and e2.code == code and e2.message == e.message
    assert isinstance(errors.engine_error(4, "full"), OSError)
    assert isinstance(errors.engine_error(4, "full"), errors.EngineIOError)
    assert isinstance(errors.engine_error(3, "eio"), OSError)
    assert isinstance(errors.engine_error(6, "closed"), ValueError)
    assert isinstance(errors.engine_error(8, "nomem"), MemoryError)
    unknown = errors.engine_error(99, "")
    assert type(unknown) is errors.EngineError and unknown.code == 99


def test_public_names():
    import dyncore

    assert dyncore.Engine is Engine and dyncore.Snapshot is Snapshot
    assert dyncore.Iterator is Iterator and dyncore.Tail is Tail
    assert dyncore.ClosedError is ClosedError
    assert isinstance(dyncore.__version__, str)
