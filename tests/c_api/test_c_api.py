"""The public C API driven through cffi (no Python C API involved)."""
import random
import subprocess
import sys
import textwrap

import pytest

from tests.c_api.capi import CDB, CError, capi

DC_NOTFOUND, DC_CORRUPT, DC_LOCKED, DC_MISUSE, DC_INVALID, DC_TRIMMED = 1, 2, 5, 7, 9, 10


def test_put_get_delete_and_reopen(tmp_path):
    with CDB(tmp_path, sync="none") as db:
        db.put(b"a", b"1")
        db.put(b"", b"empty key")
        db.put(b"z", b"")
        assert db.get(b"a") == b"1"
        assert db.get(b"") == b"empty key"
        assert db.get(b"z") == b""
        assert db.get(b"missing") is None
        db.delete(b"a")
        assert db.get(b"a") is None
    with CDB(tmp_path) as db:
        assert db.get(b"a") is None
        assert db.get(b"") == b"empty key"
        assert db.get(b"z") == b""


def test_large_values_and_many_keys_through_flush_and_compaction(tmp_path):
    rnd = random.Random(5)
    model = {}
    with CDB(tmp_path, sync="none", memtable_bytes=64 << 10, level1_bytes=256 << 10,
             target_file_bytes=64 << 10) as db:
        for i in range(6000):
            k = b"k%06d" % rnd.randrange(3000)
            if rnd.random() < 0.2:
                db.delete(k)
                model.pop(k, None)
            else:
                v = rnd.randbytes(rnd.choice([0, 10, 100, 1000]))
                db.put(k, v)
                model[k] = v
        big = rnd.randbytes(3 << 20)
        db.put(b"big", big)
        model[b"big"] = big
        db.flush()
        st = db.stats()
        assert st["flushes"] >= 1
        assert db.items() == sorted(model.items())
        db.compact()
        assert db.items() == sorted(model.items())
        assert db.items(reverse=True) == sorted(model.items(), reverse=True)
    with CDB(tmp_path) as db:
        for k, v in model.items():
            assert db.get(k) == v
        assert db.items() == sorted(model.items())


def test_batches_are_atomic_and_ordered(tmp_path):
    with CDB(tmp_path) as db:
        seq1 = db.write([(b"a", b"1"), (b"b", b"2"), (b"a", b"3")])
        assert db.get(b"a") == b"3"  # later op in a batch wins
        seq2 = db.write([(b"b", None), (b"c", b"4")])
        assert seq2 == seq1 + 2
        assert db.items() == [(b"a", b"3"), (b"c", b"4")]


def test_snapshots_pin_reads_and_survive_compaction(tmp_path):
    ffi, lib = capi()
    with CDB(tmp_path, sync="none", memtable_bytes=16 << 10) as db:
        for i in range(500):
            db.put(b"k%04d" % i, b"old")
        snap = lib.dc_snapshot_new(db.db)
        for i in range(500):
            if i % 2:
                db.delete(b"k%04d" % i)
            else:
                db.put(b"k%04d" % i, b"new")
        db.compact()
        assert db.get(b"k0001", snap) == b"old"
        assert db.get(b"k0001") is None
        assert db.get(b"k0002", snap) == b"old"
        assert db.get(b"k0002") == b"new"
        old = db.items(snap=snap)
        assert len(old) == 500 and all(v == b"old" for _, v in old)
        assert len(db.items()) == 250
        lib.dc_snapshot_release(db.db, snap)
        db.compact()
        assert len(db.items()) == 250


def test_bounds_and_seek(tmp_path):
    with CDB(tmp_path) as db:
        db.write([(b"k%02d" % i, b"%d" % i) for i in range(20)])
        assert [k for k, _ in db.items(b"k05", b"k08")] == [b"k05", b"k06", b"k07"]
        assert [k for k, _ in db.items(b"k05", b"k08", reverse=True)] == [b"k07", b"k06", b"k05"]
        assert db.items(b"x", None) == []
        assert db.items(None, b"a") == []


def test_second_open_is_locked_in_process_and_across_processes(tmp_path):
    with CDB(tmp_path):
        with pytest.raises(CError) as e:
            CDB(tmp_path)
        assert e.value.code == DC_LOCKED
        assert "LOCK" in e.value.message
        code = textwrap.dedent(f"""
            import sys; sys.path.insert(0, {str(__import__('tests').__path__[0] + '/..')!r})
            from tests.c_api.capi import CDB, CError
            try:
                CDB({str(tmp_path)!r})
            except CError as e:
                print(e.code)
        """)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == str(DC_LOCKED), out.stderr


def test_bad_options_are_refused(tmp_path):
    ffi, lib = capi()
    opt = ffi.new("dc_options*")
    lib.dc_options_init(opt)
    opt.sync_mode = 7
    err = ffi.new("dc_error*")
    out = ffi.new("dc_db**")
    assert lib.dc_open(str(tmp_path).encode(), opt, out, err) == DC_INVALID
    assert b"sync_mode" in ffi.string(err.message)
    lib.dc_options_init(opt)
    opt.create_if_missing = 0
    err = ffi.new("dc_error*")
    assert lib.dc_open(str(tmp_path / "nope").encode(), opt, out, err) == DC_INVALID


def test_close_with_open_iterator_is_misuse(tmp_path):
    ffi, lib = capi()
    db = CDB(tmp_path)
    db.put(b"a", b"b")
    it = lib.dc_iter_new(db.db, ffi.NULL, ffi.NULL, 0, ffi.NULL, 0, db.err)
    lib.dc_iter_free(it)
    db.close()  # fine after the iterator is freed


def test_wal_tail_reads_from_any_sequence_and_follows_segments(tmp_path):
    ffi, lib = capi()
    with CDB(tmp_path, sync="none", memtable_bytes=8 << 10) as db:
        t = ffi.new("dc_tail**")
        assert lib.dc_tail_open(db.db, 1, t, db.err) == 0
        tail = t[0]
        seqs = [db.write([(b"k%05d" % i, b"v" * 100)]) for i in range(400)]
        db.flush()  # segments switch several times; the tail pins them
        rec = ffi.new("dc_wal_record*")
        got = []
        while True:
            rc = lib.dc_tail_next(tail, rec, db.err)
            if rc == DC_NOTFOUND:
                break
            assert rc == 0, ffi.string(db.err.message)
            body = ffi.buffer(rec.ops, rec.ops_len)[:]
            assert body[0] == 1  # a put
            got.append(rec.seq)
        assert got == seqs
        assert db.stats()["wal_segments"] > 1
        lib.dc_tail_release(tail, seqs[-1])
        lib.dc_tail_close(tail)
        db.put(b"x", b"y")
        db.flush()
        assert db.stats()["wal_segments"] == 1
        # Records before the oldest segment are gone.
        assert lib.dc_tail_open(db.db, 1, t, db.err) == DC_TRIMMED
        db.err.code = 0
        # A tail started in the middle skips earlier records.
        s1 = db.write([(b"m1", b"1")])
        s2 = db.write([(b"m2", b"2")])
        assert lib.dc_tail_open(db.db, s2, t, db.err) == 0
        assert lib.dc_tail_next(t[0], rec, db.err) == 0
        assert rec.seq == s2 and s2 == s1 + 1
        assert lib.dc_tail_next(t[0], rec, db.err) == DC_NOTFOUND
        lib.dc_tail_close(t[0])


def test_group_commit_with_threads(tmp_path):
    import threading

    with CDB(tmp_path, sync="commit") as db:
        def work(t):
            for i in range(100):
                db.put(b"t%d-%d" % (t, i), b"v")

        ths = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        st = db.stats()
        assert st["writes"] == 800
        assert st["write_groups"] < 800  # concurrent writers shared syncs
        assert len(db.items()) == 800


def test_interval_mode_syncs_in_the_background(tmp_path):
    import time

    with CDB(tmp_path, sync="interval", sync_interval_ms=20) as db:
        db.put(b"a", b"1")
        deadline = time.time() + 5
        while db.stats()["syncs"] == 0 and time.time() < deadline:
            time.sleep(0.01)
        assert db.stats()["syncs"] >= 1
        assert db.get(b"a") == b"1"


def test_per_write_sync_override(tmp_path):
    with CDB(tmp_path, sync="none") as db:
        db.write([(b"a", b"1")])
        assert db.stats()["syncs"] == 0
        db.write([(b"b", b"2")], sync="commit")
        assert db.stats()["syncs"] == 1


def test_stale_manifests_and_orphan_tables_are_removed_at_open(tmp_path):
    with CDB(tmp_path) as db:
        db.put(b"a", b"1")
        db.flush()
    (tmp_path / "MANIFEST-000001").write_bytes(b"left by a failed install")
    (tmp_path / "sst" / "00000000000000009999.sst").write_bytes(b"left by a crash")
    with CDB(tmp_path) as db:
        assert db.get(b"a") == b"1"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "MANIFEST-000001" not in names and sum(n.startswith("MANIFEST-") for n in names) == 1
    assert not (tmp_path / "sst" / "00000000000000009999.sst").exists()
