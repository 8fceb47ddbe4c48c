"""Fault injection through the environment interface.

Each I/O call site in turn (by kind: open, append, sync, rename, remove,
sync_dir, truncate, close, read, mkdir, list) fails once, with EIO or ENOSPC, during a
workload that writes, flushes and compacts. Afterwards the directory must
open with the real environment and hold every write that was acknowledged.
A simulated power cut must lose only unsynced writes, and only a suffix.
"""
import errno

import pytest

from tests.c_api.capi import CDB, CError, SharedCache, capi

KINDS = {
    "open": 1 << 0, "read": 1 << 1, "append": 1 << 2, "sync": 1 << 3, "close": 1 << 4,
    "rename": 1 << 5, "remove": 1 << 6, "truncate": 1 << 7, "sync_dir": 1 << 8,
    "mkdir": 1 << 9, "list": 1 << 10,
}
ALL = 0x7FF
OPTS = dict(memtable_bytes=4 << 10, level1_bytes=16 << 10, target_file_bytes=8 << 10,
            l0_compaction_trigger=2)


def value(k: bytes) -> bytes:
    return k * 20


def workload(path, env, acked, **extra):
    try:
        db = CDB(path, env=env, sync="commit", **OPTS, **extra)
    except CError:
        return
    for i in range(60):
        k = b"k%04d" % i
        try:
            db.put(k, value(k))
            acked.append(k)
        except CError:
            pass
        try:
            if i == 25:
                db.flush()
            if i == 45:
                db.compact()
        except CError:
            pass
    try:
        db.close()
    except CError:
        pass


def check(path, acked):
    with CDB(path, sync="commit", **OPTS) as db:
        for k in acked:
            assert db.get(k) == value(k), f"lost acknowledged {k!r}"
        for k, v in db.items():
            assert v == value(k)


def fault_env():
    ffi, lib = capi()
    return ffi, lib, lib.dc_env_fault_new(lib.dc_env_posix())


def test_counts_are_seen(tmp_path):
    ffi, lib, env = fault_env()
    acked = []
    workload(tmp_path, env, acked)
    assert len(acked) == 60
    for kind in ("open", "append", "sync", "rename", "sync_dir", "read"):
        assert lib.dc_env_fault_count(env, KINDS[kind]) > 0, kind
    check(tmp_path, acked)


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_call_site_fails_in_turn(tmp_path, kind):
    ffi, lib, env = fault_env()
    workload(tmp_path / "count", env, [])
    total = lib.dc_env_fault_count(env, KINDS[kind])
    assert total > 0 or kind in ("truncate", "remove", "close", "mkdir")
    step = max(1, total // 40)  # at most ~40 positions per kind
    injected = 0
    for n in range(1, total + 1, step):
        ffi, lib, env = fault_env()
        e = errno.ENOSPC if n % 2 else errno.EIO
        lib.dc_env_fault_set(env, KINDS[kind], n, e, 0, ffi.NULL)
        d = tmp_path / f"run{n}"
        acked = []
        workload(d, env, acked)
        injected += lib.dc_env_fault_injected(env)
        check(d, acked)
    assert injected > 0 or total == 0


@pytest.mark.parametrize("kind", ["open", "read", "append", "sync", "rename"])
def test_faults_in_a_db_that_shares_a_cache(tmp_path, kind):
    """A db on a shared cache fails at a call site (at open, at a block read,
    in a flush...): it still gives its reference back and leaves no blocks in
    the cache, and the other db on the cache reads on, right."""
    sc = SharedCache(16 * (4 << 10))  # small: the two dbs evict each other's blocks
    other = CDB(tmp_path / "other", sync="none", shared_cache=sc.c, **OPTS)
    for i in range(200):
        other.put(b"o%04d" % i, b"other" * 10)
    other.flush()

    def other_reads():
        for i in range(0, 200, 3):
            assert other.get(b"o%04d" % i) == b"other" * 10

    ffi, lib, env = fault_env()
    workload(tmp_path / "count", env, [], shared_cache=sc.c)
    total = lib.dc_env_fault_count(env, KINDS[kind])
    assert total > 0
    injected = 0
    for n in range(1, total + 1, max(1, total // 12)):
        ffi, lib, env = fault_env()
        lib.dc_env_fault_set(env, KINDS[kind], n, errno.EIO, 0, ffi.NULL)
        d = tmp_path / f"run{n}"
        acked = []
        workload(d, env, acked, shared_cache=sc.c)
        injected += lib.dc_env_fault_injected(env)
        assert sc.stats()["dbs"] == 1
        other_reads()
        check(d, acked)
    assert injected > 0
    other.close()
    st = sc.stats()
    assert st["dbs"] == 0 and st["usage"] == 0  # no failed db left blocks behind
    sc.unref()


def test_persistent_failure_then_recovery(tmp_path):
    ffi, lib, env = fault_env()
    lib.dc_env_fault_set(env, KINDS["sync"], 30, errno.EIO, 1, ffi.NULL)
    acked = []
    workload(tmp_path, env, acked)
    assert 0 < len(acked) < 60  # writes stopped once syncs failed
    check(tmp_path, acked)


def test_power_cut_loses_only_an_unsynced_suffix(tmp_path):
    for trial in range(5):
        d = tmp_path / f"t{trial}"
        ffi, lib, env = fault_env()
        db = CDB(d, env=env, sync="commit", **OPTS)
        durable = []
        for i in range(40 + trial * 10):
            k = b"d%04d" % i
            db.put(k, value(k))
            durable.append(k)
        unsynced = []
        for i in range(30):
            k = b"u%04d" % i
            db.write([(k, value(k))], sync="none")
            unsynced.append(k)
        # The machine stops: no I/O from the background threads gets through
        # from here on; then everything not synced is lost.
        lib.dc_env_fault_set(env, ALL, 1, errno.EIO, 1, ffi.NULL)
        err = ffi.new("dc_error*")
        assert lib.dc_env_fault_power_cut(env, err) == 0, ffi.string(err.message)
        try:
            db.close()
        except CError:
            pass
        with CDB(d) as db2:
            for k in durable:
                assert db2.get(k) == value(k), f"lost synced {k!r}"
            present = [db2.get(k) is not None for k in unsynced]
            # only a suffix may be missing: no hole followed by a survivor
            assert present == sorted(present, reverse=True), present
