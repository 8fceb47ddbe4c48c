"""The user-facing iterator (csrc/dbiter.c) over a test-only vector iterator,
checked step by step against a plain model of what a snapshot sees."""
import bisect
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cbuild import ERROR_CDEF, load

CDEF = ERROR_CDEF + """
typedef struct dc_iter dc_iter;
typedef struct dc_dbiter dc_dbiter;
dc_iter *test_vec_iter_new(int n, const char **keys, size_t *klens, const char **vals,
                           size_t *vlens);
void test_vec_iter_fail_at(dc_iter *it, int index, int code);
int test_vec_iter_live(void);
dc_dbiter *dc_dbiter_new(dc_iter *internal, uint64_t snap_seq, const char *lower,
                         size_t lower_len, const char *upper, size_t upper_len,
                         void (*cleanup)(void *arg), void *arg);
void dc_dbiter_seek_first(dc_dbiter *it);
void dc_dbiter_seek_last(dc_dbiter *it);
void dc_dbiter_seek(dc_dbiter *it, const char *key, size_t klen);
void dc_dbiter_seek_for_prev(dc_dbiter *it, const char *key, size_t klen);
void dc_dbiter_next(dc_dbiter *it);
void dc_dbiter_prev(dc_dbiter *it);
int dc_dbiter_valid(const dc_dbiter *it);
const char *dc_dbiter_key(const dc_dbiter *it, size_t *klen);
const char *dc_dbiter_value(const dc_dbiter *it, size_t *vlen);
int dc_dbiter_status(const dc_dbiter *it, dc_error *err);
void dc_dbiter_free(dc_dbiter *it);
"""
VEC = str(Path(__file__).resolve().parent / "csrc_vec_iter.c")
ffi, lib = load(CDEF, ["dbiter.c", "status.c", VEC])

DEL, PUT = 0, 1
MAX_SEQ = (1 << 56) - 1
OK, CORRUPT, IOERR = 0, 2, 3


def ikey(ukey: bytes, seq: int, kind: int) -> bytes:
    return ukey + struct.pack("<Q", (seq << 8) | kind)


def vec_iter(raw):
    """raw: list of (internal key bytes, value bytes)."""
    n = len(raw)
    keep = [ffi.new("char[]", k) for k, _ in raw] + [ffi.new("char[]", v) for _, v in raw]
    keys = ffi.new("const char *[]", keep[:n]) if n else ffi.NULL
    vals = ffi.new("const char *[]", keep[n:]) if n else ffi.NULL
    klens = ffi.new("size_t[]", [len(k) for k, _ in raw]) if n else ffi.NULL
    vlens = ffi.new("size_t[]", [len(v) for _, v in raw]) if n else ffi.NULL
    it = lib.test_vec_iter_new(n, keys, klens, vals, vlens)
    assert it != ffi.NULL
    return it


class DBIter:
    def __init__(self, entries, snap, lower=None, upper=None, fail_at=None, raw=None,
                 cleanup=ffi.NULL):
        """entries: (user key, seq, kind, value); raw: internal entries as is."""
        raw = list(raw or []) + [(ikey(k, s, t), v) for k, s, t, v in entries]
        inner = vec_iter(raw)
        if fail_at is not None:
            lib.test_vec_iter_fail_at(inner, fail_at, IOERR)
        lo = (lower, len(lower)) if lower is not None else (ffi.NULL, 0)
        hi = (upper, len(upper)) if upper is not None else (ffi.NULL, 0)
        self.it = lib.dc_dbiter_new(inner, snap, lo[0], lo[1], hi[0], hi[1], cleanup, ffi.NULL)
        assert self.it != ffi.NULL

    def free(self):
        lib.dc_dbiter_free(self.it)
        self.it = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.free()

    def first(self):
        lib.dc_dbiter_seek_first(self.it)
        return self.cur()

    def last(self):
        lib.dc_dbiter_seek_last(self.it)
        return self.cur()

    def seek(self, k):
        lib.dc_dbiter_seek(self.it, k, len(k))
        return self.cur()

    def seek_for_prev(self, k):
        lib.dc_dbiter_seek_for_prev(self.it, k, len(k))
        return self.cur()

    def next(self):
        lib.dc_dbiter_next(self.it)
        return self.cur()

    def prev(self):
        lib.dc_dbiter_prev(self.it)
        return self.cur()

    def cur(self):
        if not lib.dc_dbiter_valid(self.it):
            return None
        n = ffi.new("size_t *")
        k = ffi.buffer(lib.dc_dbiter_key(self.it, n), n[0])[:]
        v = ffi.buffer(lib.dc_dbiter_value(self.it, n), n[0])[:]
        return k, v

    def status(self):
        err = ffi.new("dc_error *")
        rc = lib.dc_dbiter_status(self.it, err)
        assert rc == err.code
        return rc, ffi.string(err.message).decode()

    def scan(self):
        out, c = [], self.first()
        while c:
            out.append(c)
            c = self.next()
        return out

    def rscan(self):
        out, c = [], self.last()
        while c:
            out.append(c)
            c = self.prev()
        return out


def model(entries, snap, lower=None, upper=None):
    """Sorted (key, value) pairs visible at snap within [lower, upper)."""
    newest = {}
    for k, s, t, v in entries:
        if s <= snap and (k not in newest or s > newest[k][0]):
            newest[k] = (s, t, v)
    return sorted((k, v) for k, (s, t, v) in newest.items()
                  if t == PUT and (lower is None or k >= lower) and (upper is None or k < upper))


# ---------------------------------------------------------------- examples

E = [
    (b"a", 1, PUT, b"a1"), (b"a", 5, PUT, b"a5"), (b"a", 9, DEL, b""),
    (b"b", 3, DEL, b""), (b"b", 2, PUT, b"b2"),
    (b"c", 4, PUT, b"c4"), (b"c", 7, PUT, b"c7"),
    (b"d", 6, DEL, b""),
    (b"e", 8, PUT, b"e8"),
]


@pytest.mark.parametrize("snap", range(0, 11))
def test_scan_both_ways_at_every_snapshot(snap):
    with DBIter(E, snap) as it:
        want = model(E, snap)
        assert it.scan() == want
        assert it.rscan() == want[::-1]


def test_snapshot_examples():
    with DBIter(E, 10) as it:
        assert it.scan() == [(b"c", b"c7"), (b"e", b"e8")]
    with DBIter(E, 5) as it:
        assert it.scan() == [(b"a", b"a5"), (b"c", b"c4")]
    with DBIter(E, 2) as it:
        assert it.scan() == [(b"a", b"a1"), (b"b", b"b2")]


def test_direction_switches():
    with DBIter(E, 8) as it:  # a's tombstone (seq 9) is not visible yet
        assert it.seek(b"b") == (b"c", b"c7")
        assert it.prev() == (b"a", b"a5")
        assert it.prev() is None
        assert it.seek(b"c") == (b"c", b"c7")
        assert it.next() == (b"e", b"e8")
        assert it.prev() == (b"c", b"c7")
        assert it.next() == (b"e", b"e8")
        assert it.next() is None
        assert it.last() == (b"e", b"e8")
        assert it.prev() == (b"c", b"c7")
        assert it.next() == (b"e", b"e8")
        assert it.prev() == (b"c", b"c7")
    with DBIter(E, 6) as it:
        assert it.scan() == [(b"a", b"a5"), (b"c", b"c4")]
        assert it.seek_for_prev(b"b") == (b"a", b"a5")
        assert it.next() == (b"c", b"c4")
        assert it.prev() == (b"a", b"a5")
        assert it.prev() is None


def test_seek_and_seek_for_prev():
    with DBIter(E, 10) as it:
        assert it.seek(b"") == (b"c", b"c7")
        assert it.seek(b"c") == (b"c", b"c7")
        assert it.seek(b"c\x00") == (b"e", b"e8")
        assert it.seek(b"f") is None
        assert it.seek_for_prev(b"e") == (b"e", b"e8")
        assert it.seek_for_prev(b"d\xff") == (b"c", b"c7")
        assert it.seek_for_prev(b"c") == (b"c", b"c7")
        assert it.seek_for_prev(b"b") is None
        assert it.seek_for_prev(b"zzz") == (b"e", b"e8")


def test_bounds():
    es = [(bytes([c]), 1, PUT, bytes([c]) * 2) for c in b"abcdef"]
    with DBIter(es, 5, lower=b"b", upper=b"e") as it:
        assert it.scan() == [(b"b", b"bb"), (b"c", b"cc"), (b"d", b"dd")]
        assert it.rscan() == [(b"d", b"dd"), (b"c", b"cc"), (b"b", b"bb")]
        assert it.seek(b"a") == (b"b", b"bb")
        assert it.prev() is None
        assert it.seek(b"e") is None
        assert it.seek_for_prev(b"z") == (b"d", b"dd")
        assert it.next() is None
        assert it.seek_for_prev(b"a") is None
        assert it.seek_for_prev(b"b") == (b"b", b"bb")
    with DBIter(es, 5, lower=b"", upper=b"") as it:  # empty range
        assert it.first() is None and it.last() is None
    with DBIter(es, 5, lower=b"c\x00", upper=b"d\x00") as it:
        assert it.scan() == [(b"d", b"dd")] and it.rscan() == [(b"d", b"dd")]


def test_stops_at_upper_without_reading_past_it():
    # An entry past `upper` that would fail the internal iterator is never reached.
    es = [(b"a", 1, PUT, b"1"), (b"b", 1, PUT, b"2"), (b"c", 1, PUT, b"3")]
    with DBIter(es, 9, upper=b"b", fail_at=2) as it:
        assert it.scan() == [(b"a", b"1")]
        assert it.status() == (OK, "")


def test_empty_user_key_and_extreme_sequence_numbers():
    es = [(b"", MAX_SEQ, PUT, b"top"), (b"", 0, PUT, b"zero"), (b"\x00", 0, PUT, b"nul")]
    for snap in (MAX_SEQ, 2**64 - 1):  # snapshots above the maximum are clamped
        with DBIter(es, snap) as it:
            assert it.scan() == [(b"", b"top"), (b"\x00", b"nul")]
            assert it.rscan() == [(b"\x00", b"nul"), (b"", b"top")]
            assert it.seek(b"") == (b"", b"top")
            assert it.seek_for_prev(b"") == (b"", b"top")
    with DBIter(es, 0) as it:
        assert it.scan() == [(b"", b"zero"), (b"\x00", b"nul")]


def test_empty_internal_iterator():
    with DBIter([], 5) as it:
        assert it.first() is None and it.last() is None
        assert it.seek(b"a") is None and it.seek_for_prev(b"a") is None
        assert it.status() == (OK, "")


def test_many_versions_and_tombstones():
    es = [(b"k", s, PUT if s % 3 else DEL, b"v%d" % s) for s in range(1, 200)]
    es += [(b"j%03d" % i, 5, DEL, b"") for i in range(100)]
    es += [(b"z", 1, PUT, b"z")]
    for snap in (1, 2, 3, 150, 198, 199, 500):
        with DBIter(es, snap) as it:
            want = model(es, snap)
            assert it.scan() == want and it.rscan() == want[::-1]


# ---------------------------------------------------------------- errors and ownership


def test_internal_error_surfaces_and_is_sticky():
    es = [(bytes([c]), 1, PUT, b"v") for c in b"abcde"]
    with DBIter(es, 9, fail_at=3) as it:
        assert it.first() == (b"a", b"v")
        assert it.next() == (b"b", b"v")
        assert it.next() == (b"c", b"v")
        assert it.next() is None
        assert it.status() == (IOERR, "vec iter: injected failure at entry 3")
        assert it.first() is None and it.last() is None and it.seek(b"a") is None
        assert it.status()[0] == IOERR
    with DBIter(es, 9, fail_at=1) as it:
        assert it.last() == (b"e", b"v")
        assert it.prev() == (b"d", b"v")
        assert it.prev() is None  # backward: c sits at index 2, then b (1) fails
        assert it.status()[0] == IOERR
    with DBIter(es, 9, fail_at=3) as it:  # fails on the seek itself (lands on d)
        assert it.seek_for_prev(b"c") is None
        assert it.status()[0] == IOERR


def test_corrupt_internal_keys():
    with DBIter([], 9, raw=[(b"short", b"v")]) as it:
        assert it.first() is None
        code, msg = it.status()
        assert code == CORRUPT and "trailer" in msg
    bad_kind = b"k" + struct.pack("<Q", (3 << 8) | 7)
    with DBIter([(b"a", 1, PUT, b"1")], 9, raw=[(bad_kind, b"v")]) as it:
        assert it.last() is None
        code, msg = it.status()
        assert code == CORRUPT and "kind" in msg
        assert it.first() is None  # sticky


def test_free_destroys_internal_then_runs_cleanup():
    calls = []

    @ffi.callback("void(void *)")
    def cleanup(arg):
        calls.append(lib.test_vec_iter_live())

    before = lib.test_vec_iter_live()
    it = DBIter(E, 5, cleanup=cleanup)
    assert lib.test_vec_iter_live() == before + 1
    it.first()
    it.free()
    assert calls == [before]  # the internal iterator was gone when cleanup ran
    assert lib.test_vec_iter_live() == before


# ---------------------------------------------------------------- against the model

KEY = st.lists(st.sampled_from([0, 1, 0x61, 0x62, 0xFF]), max_size=3).map(bytes)
SEQ = st.one_of(st.integers(0, 24), st.just(MAX_SEQ))
ENTRY = st.tuples(KEY, SEQ, st.sampled_from([DEL, PUT]), st.binary(max_size=4))
SNAP = st.one_of(st.integers(0, 26), st.just(MAX_SEQ), st.just(2**64 - 1))
OP = st.one_of(
    st.tuples(st.just("first")), st.tuples(st.just("last")),
    st.tuples(st.just("seek"), KEY), st.tuples(st.just("sfp"), KEY),
    st.tuples(st.just("next")), st.tuples(st.just("next")),
    st.tuples(st.just("prev")), st.tuples(st.just("prev")),
)


def dedupe(entries):
    """One entry per (user key, seq): sequence numbers name one write each."""
    seen, out = set(), []
    for e in entries:
        if (e[0], e[1]) not in seen:
            seen.add((e[0], e[1]))
            out.append(e)
    return out


class Cursor:
    """The model's iterator over a sorted list of visible (key, value)."""

    def __init__(self, vis):
        self.vis, self.keys, self.i = vis, [k for k, _ in vis], None

    def _at(self, i):
        self.i = i if 0 <= i < len(self.vis) else None
        return self.vis[self.i] if self.i is not None else None

    def apply(self, op):
        name = op[0]
        if name == "first":
            return self._at(0)
        if name == "last":
            return self._at(len(self.vis) - 1)
        if name == "seek":
            return self._at(bisect.bisect_left(self.keys, op[1]))
        if name == "sfp":
            return self._at(bisect.bisect_right(self.keys, op[1]) - 1)
        if name == "next":
            return self._at(self.i + 1)
        return self._at(self.i - 1)


def run_op(it, op):
    return {"first": it.first, "last": it.last, "next": it.next, "prev": it.prev,
            "seek": lambda: it.seek(op[1]), "sfp": lambda: it.seek_for_prev(op[1])}[op[0]]()


BOUND = st.one_of(st.none(), KEY)
SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(entries=st.lists(ENTRY, max_size=40).map(dedupe), snap=SNAP, lower=BOUND,
       upper=BOUND, ops=st.lists(OP, max_size=40))
def test_matches_model(entries, snap, lower, upper, ops):
    vis = model(entries, snap, lower, upper)
    m = Cursor(vis)
    with DBIter(entries, snap, lower, upper) as it:
        assert it.scan() == vis
        assert it.rscan() == vis[::-1]
        for op in ops:
            if op[0] in ("next", "prev") and m.i is None:
                continue  # REQUIRES: valid
            want = m.apply(op)
            got = run_op(it, op)
            assert got == want, (op, vis)
        assert it.status() == (OK, "")


@SETTINGS
@given(entries=st.lists(ENTRY, min_size=1, max_size=30).map(dedupe), snap=SNAP,
       lower=BOUND, upper=BOUND, ops=st.lists(OP, max_size=30), data=st.data())
def test_errors_never_give_wrong_answers(entries, snap, lower, upper, ops, data):
    """With the internal iterator failing at a random entry, every answer is either
    the model's or 'invalid with an error', and the error is sticky."""
    fail_at = data.draw(st.integers(0, len(entries) - 1))
    vis = model(entries, snap, lower, upper)
    m = Cursor(vis)
    errored = False
    with DBIter(entries, snap, lower, upper, fail_at=fail_at) as it:
        for op in [("first",)] + ops:
            if op[0] in ("next", "prev") and (m.i is None or errored):
                continue
            want = m.apply(op)
            got = run_op(it, op)
            code, msg = it.status()
            if code != OK:
                assert code == IOERR and msg == f"vec iter: injected failure at entry {fail_at}"
                assert got is None
                errored = True
            else:
                assert not errored
                assert got == want, (op, vis)
