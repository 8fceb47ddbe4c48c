"""The fault-injecting environment (csrc/env_fault.c), called through its vtable."""
import errno
import os
import threading

import pytest

from tests.cbuild import ENV_CDEF, ERROR_CDEF, load

CDEF = ERROR_CDEF + ENV_CDEF + """
void dc_env_free_list(char **names, int count);
dc_env *dc_env_fault_new(dc_env *base);
void dc_env_fault_set(dc_env *env, uint32_t kind_mask, uint64_t nth, int errno_value,
                      int persistent, const char *path_substr);
uint64_t dc_env_fault_count(dc_env *env, uint32_t kind_mask);
void dc_env_fault_reset_counts(dc_env *env);
uint64_t dc_env_fault_injected(dc_env *env);
int dc_env_fault_power_cut(dc_env *env, dc_error *err);
"""
ffi, lib = load(CDEF, ["env_fault.c", "env.c", "env_posix.c", "status.c"])

OK, IOERR, NOSPC, MISUSE = 0, 3, 4, 7
READ, WRITE, APPEND = 0, 1, 2
K = dict(OPEN=1 << 0, READ=1 << 1, APPEND=1 << 2, SYNC=1 << 3, CLOSE=1 << 4, RENAME=1 << 5,
         REMOVE=1 << 6, TRUNCATE=1 << 7, SYNC_DIR=1 << 8, MKDIR=1 << 9, LIST=1 << 10)
ALL = 0x7FF


class CError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Env:
    """Thin Python face over a dc_env vtable: each method raises CError on failure."""

    def __init__(self, base=None):
        self.e = lib.dc_env_fault_new(base if base is not None else lib.dc_env_posix())
        assert self.e != ffi.NULL

    def close_env(self):
        self.e.destroy(self.e)

    def _call(self, fn, *args):
        err = ffi.new("dc_error *")
        rc = fn(self.e, *args, err)
        if rc != OK:
            assert err.code == rc
            raise CError(rc, ffi.string(err.message).decode())
        return rc

    def open(self, path, mode):
        out = ffi.new("dc_file **")
        self._call(self.e.open, str(path).encode(), mode, out)
        return out[0]

    def read(self, f, off, n):
        buf = ffi.new("char[]", max(n, 1))
        got = ffi.new("size_t *")
        self._call(self.e.read, f, off, n, buf, got)
        return ffi.buffer(buf, got[0])[:]

    def append(self, f, data):
        self._call(self.e.append, f, data, len(data))

    def sync(self, f):
        self._call(self.e.sync, f)

    def size(self, f):
        out = ffi.new("uint64_t *")
        self._call(self.e.size, f, out)
        return out[0]

    def truncate(self, f, n):
        self._call(self.e.truncate, f, n)

    def close(self, f):
        self._call(self.e.close, f)

    def rename(self, a, b):
        self._call(self.e.rename, str(a).encode(), str(b).encode())

    def remove(self, p):
        self._call(self.e.remove, str(p).encode())

    def list(self, d):
        names = ffi.new("char ***")
        count = ffi.new("int *")
        self._call(self.e.list, str(d).encode(), names, count)
        out = sorted(ffi.string(names[0][i]).decode() for i in range(count[0]))
        lib.dc_env_free_list(names[0], count[0])
        return out

    def mkdir(self, p):
        self._call(self.e.mkdir, str(p).encode())

    def sync_dir(self, p):
        self._call(self.e.sync_dir, str(p).encode())

    def lock(self, p):
        out = ffi.new("dc_file **")
        self._call(self.e.lock, str(p).encode(), out)
        return out[0]

    def unlock(self, f):
        self._call(self.e.unlock, f)

    def exists(self, p):
        return bool(self.e.exists(self.e, str(p).encode()))

    def write_atomic(self, d, name, data):
        """The atomic-replace protocol: write tmp, sync, close, rename, sync dir; on
        a failure after the open, remove tmp. The first error is raised."""
        tmp, dst = f"{d}/{name}.tmp", f"{d}/{name}"
        f = self.open(tmp, WRITE)
        try:
            try:
                self.append(f, data)
                self.sync(f)
            finally:
                self.close(f)  # a failed close still releases the handle
            self.rename(tmp, dst)
            self.sync_dir(d)
        except CError:
            self.e.remove(self.e, tmp.encode(), ffi.NULL)
            raise

    # fault controls
    def set(self, mask, nth, err=errno.EIO, persistent=False, path=None):
        lib.dc_env_fault_set(self.e, mask, nth, err, int(persistent),
                             path.encode() if path is not None else ffi.NULL)

    def count(self, mask=ALL):
        return lib.dc_env_fault_count(self.e, mask)

    def injected(self):
        return lib.dc_env_fault_injected(self.e)

    def power_cut(self):
        err = ffi.new("dc_error *")
        rc = lib.dc_env_fault_power_cut(self.e, err)
        assert rc == OK, ffi.string(err.message)


@pytest.fixture
def env():
    e = Env()
    yield e
    e.close_env()


def put(path, data):
    with open(path, "wb") as fh:
        fh.write(data)


def get(path):
    with open(path, "rb") as fh:
        return fh.read()


def durable_file(env, path, data):
    """A file whose bytes and directory entry are both synced."""
    f = env.open(path, WRITE)
    env.append(f, data)
    env.sync(f)
    env.close(f)
    env.sync_dir(os.path.dirname(path))


# ---------------------------------------------------------------- counting


def test_struct_header_and_posix_base(env):
    assert env.e.struct_size == ffi.sizeof("dc_env")
    assert env.e.version == 1


def test_counts_per_kind(env, tmp_path):
    d = tmp_path
    env.mkdir(d / "sub")
    f = env.open(d / "a", WRITE)
    env.append(f, b"hello")
    env.append(f, b" world")
    env.sync(f)
    env.truncate(f, 5)
    assert env.size(f) == 5
    env.close(f)
    f = env.open(d / "a", READ)
    assert env.read(f, 0, 100) == b"hello"
    assert env.read(f, 1, 2) == b"el"
    env.close(f)
    env.rename(d / "a", d / "b")
    assert env.list(d) == ["b", "sub"]
    env.sync_dir(d)
    env.remove(d / "b")
    lk = env.lock(d / "LOCK")  # lock, unlock, size, exists: forwarded, not counted
    env.unlock(lk)
    assert env.exists(d / "sub") and not env.exists(d / "b")
    expect = dict(OPEN=2, READ=2, APPEND=2, SYNC=1, CLOSE=2, RENAME=1, REMOVE=1, TRUNCATE=1,
                  SYNC_DIR=1, MKDIR=1, LIST=1)
    for k, n in expect.items():
        assert env.count(K[k]) == n, k
    assert env.count(ALL) == sum(expect.values())
    assert env.count(K["OPEN"] | K["CLOSE"]) == 4
    assert env.injected() == 0
    lib.dc_env_fault_reset_counts(env.e)
    assert env.count(ALL) == 0


def test_failed_calls_are_counted(env, tmp_path):
    f = env.open(tmp_path / "a", WRITE)
    env.set(K["APPEND"], 1)
    with pytest.raises(CError):
        env.append(f, b"x")
    env.append(f, b"y")
    env.close(f)
    with pytest.raises(CError):  # fails in the base env
        env.open(tmp_path / "missing", READ)
    assert env.count(K["APPEND"]) == 2
    assert env.count(K["OPEN"]) == 2


# ---------------------------------------------------------------- nth failure

CODES = [(errno.EIO, IOERR, "Input/output error"), (errno.ENOSPC, NOSPC, "No space left")]


@pytest.mark.parametrize("eno,code,text", CODES)
def test_nth_append_fails_and_writes_nothing(env, tmp_path, eno, code, text):
    p = tmp_path / "wal.log"
    f = env.open(p, WRITE)
    env.append(f, b"a")
    env.set(K["APPEND"], 3, eno)  # counted from now: b, c pass; d fails
    env.append(f, b"b")
    env.append(f, b"c")
    with pytest.raises(CError) as ei:
        env.append(f, b"d")
    assert ei.value.code == code
    assert ei.value.message == f"append {p}: {os.strerror(eno)}"
    assert text in ei.value.message
    assert get(p) == b"abc"
    env.append(f, b"e")  # one-shot: the rule is spent
    env.close(f)
    assert get(p) == b"abce"
    assert env.injected() == 1


@pytest.mark.parametrize("eno,code,text", CODES)
def test_nth_sync_fails_and_is_not_durable(env, tmp_path, eno, code, text):
    p = tmp_path / "f"
    durable_file(env, p, b"")
    f = env.open(p, APPEND)
    env.append(f, b"one")
    env.sync(f)
    env.append(f, b"two")
    env.set(K["SYNC"], 1, eno)
    with pytest.raises(CError) as ei:
        env.sync(f)
    assert ei.value.code == code and ei.value.message.startswith(f"sync {p}: ")
    assert get(p) == b"onetwo"  # the data is written, just not durable
    env.close(f)
    env.power_cut()
    assert get(p) == b"one"


@pytest.mark.parametrize("eno,code,text", CODES)
def test_nth_rename_fails_and_renames_nothing(env, tmp_path, eno, code, text):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    put(a, b"A")
    put(c, b"C")
    env.set(K["RENAME"], 2, eno)
    env.rename(a, b)
    with pytest.raises(CError) as ei:
        env.rename(b, c)
    assert ei.value.code == code and text in ei.value.message
    assert get(b) == b"A" and get(c) == b"C" and not a.exists()
    env.rename(b, c)
    assert get(c) == b"A" and not b.exists()


def test_every_kind_fails_without_effect(env, tmp_path):
    d = tmp_path
    put(d / "x", b"12345")

    def expect_fail(kind, fn):
        env.set(K[kind], 1, errno.EIO)
        with pytest.raises(CError) as ei:
            fn()
        assert ei.value.code == IOERR
        return ei.value.message

    assert expect_fail("OPEN", lambda: env.open(d / "new", WRITE)).startswith("open ")
    assert not (d / "new").exists()
    assert expect_fail("MKDIR", lambda: env.mkdir(d / "dir")).startswith("mkdir ")
    assert not (d / "dir").exists()
    assert expect_fail("REMOVE", lambda: env.remove(d / "x")).startswith("remove ")
    assert (d / "x").exists()
    assert expect_fail("LIST", lambda: env.list(d)).startswith("list ")
    assert expect_fail("SYNC_DIR", lambda: env.sync_dir(d)).startswith("sync dir ")
    f = env.open(d / "x", APPEND)
    assert expect_fail("TRUNCATE", lambda: env.truncate(f, 1)).startswith("truncate ")
    assert get(d / "x") == b"12345"
    env.close(f)
    f = env.open(d / "x", READ)
    assert expect_fail("READ", lambda: env.read(f, 0, 5)).startswith("read ")
    assert env.read(f, 0, 5) == b"12345"
    # A failed close still releases the handle (close(2) does too): no leak, no retry.
    assert expect_fail("CLOSE", lambda: env.close(f)) == f"close {d / 'x'}: {os.strerror(errno.EIO)}"
    assert env.injected() == 8


def test_persistent_mode(env, tmp_path):
    p = tmp_path / "f"
    f = env.open(p, APPEND)  # (WRITE mode: an append after truncate leaves a hole)
    env.set(K["APPEND"] | K["SYNC"], 2, errno.ENOSPC, persistent=True)
    env.append(f, b"a")
    for _ in range(5):
        with pytest.raises(CError) as ei:
            env.append(f, b"b")
        assert ei.value.code == NOSPC
        with pytest.raises(CError):
            env.sync(f)
    env.truncate(f, 0)  # not in the mask
    assert env.injected() == 10
    env.set(ALL, 0)  # nth = 0 clears
    env.append(f, b"c")
    env.sync(f)
    env.close(f)
    assert get(p) == b"c"


def test_path_filter(env, tmp_path):
    wal, sst = tmp_path / "000001.log", tmp_path / "000002.sst"
    fw, fs = env.open(wal, WRITE), env.open(sst, WRITE)
    env.set(ALL, 2, errno.EIO, path=".sst")
    env.append(fw, b"w")
    env.append(fs, b"s")  # 1st .sst call
    env.sync(fw)
    env.append(fw, b"w")
    with pytest.raises(CError) as ei:
        env.sync(fs)  # 2nd .sst call
    assert str(sst) in ei.value.message
    env.sync(fs)
    # Renames match on either name.
    env.set(K["RENAME"], 1, errno.EIO, persistent=True, path="MANIFEST")
    put(tmp_path / "t1", b"")
    env.rename(tmp_path / "t1", tmp_path / "t2")
    with pytest.raises(CError):
        env.rename(tmp_path / "t2", tmp_path / "MANIFEST-1")
    put(tmp_path / "MANIFEST-0", b"")
    with pytest.raises(CError):
        env.rename(tmp_path / "MANIFEST-0", tmp_path / "t3")
    assert (tmp_path / "t2").exists() and (tmp_path / "MANIFEST-0").exists()
    env.close(fw)
    env.close(fs)
    assert get(wal) == b"ww" and get(sst) == b"s"


def test_count_once_then_fail_each_call_in_turn(tmp_path):
    """The errorfs pattern over the atomic-replace protocol: every failure leaves the
    old or the new content, and the temporary file never survives."""
    e = Env()
    (tmp_path / "base").mkdir()
    e.write_atomic(tmp_path / "base", "CURRENT", b"new")
    n = e.count(ALL)
    assert n == 6  # open, append, sync, close, rename, sync_dir
    e.close_env()
    for i in range(1, n + 2):
        d = tmp_path / f"run{i}"
        d.mkdir()
        put(d / "CURRENT", b"old")
        e = Env()
        e.set(ALL, i, errno.EIO)
        try:
            e.write_atomic(d, "CURRENT", b"new")
            assert i > n, i  # nothing was left to fail
        except CError as ex:
            assert ex.code == IOERR
        assert get(d / "CURRENT") in (b"old", b"new")
        assert not (d / "CURRENT.tmp").exists()
        assert e.injected() == (1 if i <= n else 0)
        e.close_env()


def test_injection_counter_is_thread_safe(env, tmp_path):
    nthreads, per = 8, 300
    files = [env.open(tmp_path / f"t{i}", WRITE) for i in range(nthreads)]
    env.set(K["APPEND"], 1000, errno.EIO)
    failures = []

    def work(f):
        for _ in range(per):
            try:
                env.append(f, b"x")
            except CError:
                failures.append(1)

    ts = [threading.Thread(target=work, args=(f,)) for f in files]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for f in files:
        env.close(f)
    assert len(failures) == 1 and env.injected() == 1
    assert env.count(K["APPEND"]) == nthreads * per
    assert sum(len(get(tmp_path / f"t{i}")) for i in range(nthreads)) == nthreads * per - 1


# ---------------------------------------------------------------- power cut


def test_power_cut_truncates_to_last_sync(env, tmp_path):
    p = tmp_path / "wal"
    f = env.open(p, WRITE)
    env.sync_dir(tmp_path)  # the creation is durable
    env.append(f, b"abc")
    env.sync(f)
    env.append(f, b"def")
    env.close(f)
    env.power_cut()
    assert get(p) == b"abc"


def test_power_cut_write_mode_is_empty_until_first_sync(env, tmp_path):
    p = tmp_path / "f"
    put(p, b"previous content")
    f = env.open(p, WRITE)  # truncating open of an existing file
    env.append(f, b"unsynced")
    env.close(f)
    env.power_cut()
    assert get(p) == b""


def test_power_cut_append_mode_keeps_size_at_open(env, tmp_path):
    p = tmp_path / "f"
    put(p, b"existing")
    f = env.open(p, APPEND)
    env.append(f, b"+more")
    env.close(f)
    env.power_cut()
    assert get(p) == b"existing"
    # Reopening a tracked file keeps its durable length, not its size at reopen.
    f = env.open(p, APPEND)
    env.append(f, b"+synced")
    env.sync(f)
    env.append(f, b"+lost")
    env.close(f)
    f = env.open(p, APPEND)
    env.append(f, b"+lost too")
    env.close(f)
    env.power_cut()
    assert get(p) == b"existing+synced"


def test_power_cut_keeps_shrinking_truncate(env, tmp_path):
    p = tmp_path / "f"
    durable_file(env, p, b"abcdef")
    f = env.open(p, APPEND)
    env.truncate(f, 2)
    env.append(f, b"XY")
    env.close(f)
    env.power_cut()
    assert get(p) == b"ab"


def test_power_cut_removes_unsynced_creations(env, tmp_path):
    (tmp_path / "wal").mkdir()
    a, b = tmp_path / "a", tmp_path / "wal" / "b"
    for p in (a, b):
        f = env.open(p, WRITE)
        env.append(f, b"data")
        env.sync(f)  # the bytes are durable, the directory entry is not
        env.close(f)
    env.sync_dir(tmp_path)  # only a's directory; b lives in wal/
    env.power_cut()
    assert get(a) == b"data"
    assert not b.exists()
    assert (tmp_path / "wal").exists()  # mkdir is not undone
    # A file that existed before is not a creation, even when opened with WRITE.
    put(b, b"x")
    f = env.open(b, WRITE)
    env.close(f)
    env.power_cut()
    assert b.exists()


def test_sync_dir_spelling_with_trailing_slash(env, tmp_path):
    p = tmp_path / "f"
    f = env.open(p, WRITE)
    env.close(f)
    env.sync_dir(str(tmp_path) + "/")
    env.power_cut()
    assert p.exists()


def test_power_cut_undoes_unsynced_rename(env, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    durable_file(env, a, b"A")
    env.rename(a, b)
    env.power_cut()
    assert get(a) == b"A" and not b.exists()
    env.rename(a, b)
    env.sync_dir(tmp_path)
    env.power_cut()
    assert get(b) == b"A" and not a.exists()


def test_power_cut_rename_chain_undone_newest_first(env, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    durable_file(env, a, b"A")
    env.rename(a, b)
    env.rename(b, c)
    env.power_cut()
    assert get(a) == b"A" and not b.exists() and not c.exists()


def test_power_cut_restores_replaced_target(env, tmp_path):
    """An atomic replace whose final sync_dir fails: the cut must leave the old
    CURRENT, not none (a rename is atomic: old or new)."""
    cur = tmp_path / "CURRENT"
    durable_file(env, cur, b"MANIFEST-1")
    env.set(K["SYNC_DIR"], 1, errno.EIO)
    with pytest.raises(CError):
        env.write_atomic(tmp_path, "CURRENT", b"MANIFEST-2")
    assert get(cur) == b"MANIFEST-2"
    env.power_cut()
    assert get(cur) == b"MANIFEST-1"
    assert not (tmp_path / "CURRENT.tmp").exists()
    # and when it succeeds, the new content survives
    env.write_atomic(tmp_path, "CURRENT", b"MANIFEST-3")
    env.power_cut()
    assert get(cur) == b"MANIFEST-3"
    assert sorted(os.listdir(tmp_path)) == ["CURRENT"]


def test_power_cut_restores_replaced_target_only_up_to_its_durable_length(env, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    durable_file(env, a, b"new")
    durable_file(env, b, b"old")
    f = env.open(b, APPEND)
    env.append(f, b"-unsynced")
    env.close(f)
    env.rename(a, b)
    env.power_cut()
    assert get(a) == b"new" and get(b) == b"old"


def test_rename_of_unsynced_creation_onto_unsynced_creation(env, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for p in (a, b):
        f = env.open(p, WRITE)
        env.append(f, p.name.encode())
        env.sync(f)
        env.close(f)
    env.rename(a, b)
    env.power_cut()
    assert not a.exists() and not b.exists()


def test_cross_directory_rename_needs_target_dir_sync(env, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a, b = tmp_path / "x" / "f", tmp_path / "y" / "f"
    durable_file(env, a, b"data")
    env.rename(a, b)
    env.sync_dir(tmp_path / "x")  # the source directory does not count
    env.power_cut()
    assert get(a) == b"data" and not b.exists()
    env.rename(a, b)
    env.sync_dir(tmp_path / "y")
    env.power_cut()
    assert get(b) == b"data" and not a.exists()


def test_power_cut_keeps_removes(env, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    durable_file(env, a, b"A")
    durable_file(env, b, b"B")
    env.remove(a)
    env.power_cut()
    assert not a.exists()
    # removing a rename's target forgets the rename
    put(tmp_path / "c", b"C")
    env.rename(tmp_path / "c", tmp_path / "d")
    env.remove(tmp_path / "d")
    env.power_cut()
    assert not (tmp_path / "c").exists() and not (tmp_path / "d").exists()
    assert get(b) == b"B"


def test_power_cut_with_open_handle_and_second_cut(env, tmp_path):
    p = tmp_path / "f"
    f = env.open(p, APPEND)  # O_APPEND: writes after the cut go to the new end
    env.sync_dir(tmp_path)
    env.append(f, b"abc")
    env.sync(f)
    env.append(f, b"def")
    env.power_cut()  # abandon the handle's unsynced bytes
    assert get(p) == b"abc"
    env.append(f, b"ghi")  # the handle still works; it is no longer tracked
    env.sync(f)
    env.close(f)
    env.power_cut()
    assert get(p) == b"abcghi"


def test_power_cut_on_non_fault_env_is_misuse():
    err = ffi.new("dc_error *")
    assert lib.dc_env_fault_power_cut(lib.dc_env_posix(), err) == MISUSE
    assert lib.dc_env_fault_count(lib.dc_env_posix(), ALL) == 0


def test_list_and_lock_through_fault_env(env, tmp_path):
    lk = env.lock(tmp_path / "LOCK")
    with pytest.raises(CError) as ei:
        env.lock(tmp_path / "LOCK")
    assert ei.value.code == 5  # DC_LOCKED from the base env
    env.unlock(lk)
    env.unlock(env.lock(tmp_path / "LOCK"))
    assert env.list(tmp_path) == ["LOCK"]
