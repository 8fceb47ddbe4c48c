"""Generic iterators (csrc/iter.c): empty/error, merge and concat, over
memtables and over test-side iterators written in Python (cffi callbacks),
which let a test watch children being opened and destroyed and make a child
fail in the middle of a scan."""
import bisect
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.test_memtable import (DEL, IOERR, CORRUPT, MAX_SEQ, NOMEM, OK, PUT, SEEK, It,
                                        Mem, ffi, ikey, lib, order, random_walk,
                                        split_ikey)

# ---- a dc_iter implemented in Python ----

_live = {}  # id -> PyIter, while C may call it
_errors = []  # exceptions raised inside callbacks (cffi would only print them)
_next_id = [1]


def _cb(sig):
    def wrap(fn):
        def call(it, *args):
            try:
                return fn(_live[ffi.cast("py_iter *", it).id], *args)
            except BaseException as e:  # pragma: no cover - surfaced by the fixture
                _errors.append(e)
                raise
        return ffi.callback(sig, call)
    return wrap


class PyIter:
    """Sorted (ikey, value) entries; optionally fails (sticky) when a move
    lands on entry `fail_at`."""

    destroyed = 0

    def __init__(self, entries, fail_at=None, code=IOERR):
        self.entries = sorted(entries, key=lambda e: order(*e[0]))
        self.keys = [ikey(*k) for k, _ in self.entries]
        self.pos = -1
        self.fail_at, self.code, self.failed = fail_at, code, False
        self.c = ffi.new("py_iter *")
        self.c.base.vt = VT
        self.c.id = _next_id[0]
        _next_id[0] += 1
        _live[self.c.id] = self
        self._buf = None

    @property
    def ptr(self):
        return ffi.cast("dc_iter *", self.c)

    def land(self, pos):
        self.pos = pos if 0 <= pos < len(self.entries) else -1
        if self.fail_at is not None and self.pos == self.fail_at:
            self.failed = True
        if self.failed:
            self.pos = -1


@_cb("int(dc_iter *)")
def _valid(s):
    return int(s.pos >= 0)


@_cb("void(dc_iter *)")
def _seek_first(s):
    s.land(0)


@_cb("void(dc_iter *)")
def _seek_last(s):
    s.land(len(s.entries) - 1)


@_cb("void(dc_iter *, const char *, size_t)")
def _seek(s, k, n):
    target = ffi.unpack(k, n)
    orders = [order(*e[0]) for e in s.entries]
    s.land(bisect.bisect_left(orders, order(*split_ikey(target))))


@_cb("void(dc_iter *)")
def _next(s):
    assert s.pos >= 0
    s.land(s.pos + 1)


@_cb("void(dc_iter *)")
def _prev(s):
    assert s.pos >= 0
    s.land(s.pos - 1)


@_cb("const char *(dc_iter *, size_t *)")
def _key(s, n):
    assert s.pos >= 0
    s._buf = ffi.new("char[]", s.keys[s.pos])
    n[0] = len(s.keys[s.pos])
    return s._buf


@_cb("const char *(dc_iter *, size_t *)")
def _value(s, n):
    assert s.pos >= 0
    v = s.entries[s.pos][1]
    s._vbuf = ffi.new("char[]", v)
    n[0] = len(v)
    return s._vbuf


@_cb("int(dc_iter *, dc_error *)")
def _status(s, err):
    if not s.failed:
        return OK
    if err != ffi.NULL and err.code == OK:
        err.code = s.code
        msg = b"child failed at entry %d" % s.fail_at
        ffi.memmove(err.message, msg + b"\0", len(msg) + 1)
    return s.code


@_cb("void(dc_iter *)")
def _destroy(s):
    PyIter.destroyed += 1
    del _live[s.c.id]


VT = ffi.new("dc_iter_vt *", {
    "valid": _valid, "seek_first": _seek_first, "seek_last": _seek_last, "seek": _seek,
    "next": _next, "prev": _prev, "key": _key, "value": _value, "status": _status,
    "destroy": _destroy})


@pytest.fixture(autouse=True)
def no_callback_errors():
    _errors.clear()
    yield
    assert not _errors, _errors


# ---- helpers ----

def entries_of(model):
    """(ukey, seq, kind, value) tuples -> PyIter entries."""
    return [((k, s, kd), v) for k, s, kd, v in model]


def spread(rnd, n_entries, n_mems, alphabet=b"abcd", maxlen=3):
    """Distinct entries spread at random over n_mems memtables."""
    mems = [Mem() for _ in range(n_mems)]
    seqs = rnd.sample(range(1, 20 * n_entries + 10), n_entries)
    for s in seqs:
        k = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(maxlen + 1)))
        m = rnd.choice(mems)
        if rnd.random() < 0.2:
            m.delete(s, k)
        else:
            m.put(s, k, rnd.randbytes(rnd.randrange(8)))
    model = sorted((e for m in mems for e in m.model_sorted()), key=lambda e: order(*e[:3]))
    return mems, model


def merge(children):
    arr = ffi.new("dc_iter *[]", children) if children else ffi.NULL
    return It(lib.dc_merge_iter_new(arr, len(children)))


class Concat:
    """dc_concat_iter_new over child factories; counts opens and releases."""

    def __init__(self, makers, largest):
        self.makers = makers
        self.opens = []
        self.released = 0
        self._largest = [ffi.new("char[]", k) for k in largest]
        self.largest = ffi.new("const char *[]", self._largest) if largest else ffi.NULL
        self.lens = ffi.new("size_t[]", [len(k) for k in largest]) if largest else ffi.NULL
        self._open = ffi.callback("dc_iter *(void *, int)", self._open_child)
        self._release = ffi.callback("void(void *)", self._rel)
        self.it = It(lib.dc_concat_iter_new(len(makers), self._open, ffi.NULL, self.largest,
                                            self.lens, self._release))

    def _open_child(self, arg, i):
        self.opens.append(i)
        return self.makers[i]()

    def _rel(self, arg):
        self.released += 1


def mem_maker(m: Mem):
    return lambda: lib.dc_mem_iter(m.m)


def level_of(rnd, n_children, n_entries, empty_every=3):
    """Memtables holding disjoint, ascending user-key ranges (every
    empty_every-th one empty), their largest keys, and the model."""
    keys = sorted({b"%05d" % rnd.randrange(100000) for _ in range(n_entries)})
    cuts = sorted(rnd.sample(range(1, len(keys)), n_children - 1)) if n_children > 1 else []
    groups = [keys[a:b] for a, b in zip([0] + cuts, cuts + [len(keys)])]
    mems, largest, model, seq = [], [], [], 0
    for i, g in enumerate(groups):
        m = Mem()
        if empty_every and i % empty_every == 1:
            g = []  # an empty child: its "largest" is the previous one's
        for k in g:
            for _ in range(rnd.randrange(1, 3)):
                seq += 1
                if rnd.random() < 0.2:
                    m.delete(seq, k)
                else:
                    m.put(seq, k, b"v%d" % seq)
        mems.append(m)
        ms = m.model_sorted()
        model += ms
        largest.append(ikey(*ms[-1][:3]) if ms else (largest[-1] if largest else ikey(b"", MAX_SEQ, SEEK)))
    model.sort(key=lambda e: order(*e[:3]))
    return mems, largest, model


# ---- empty ----

def test_empty_iterator_ok():
    it = It(lib.dc_iter_empty(OK, ffi.NULL))
    for move in (it.seek_first, it.seek_last, lambda: it.seek(b"x")):
        move()
        assert not it.valid()
    assert it.status() == (OK, "")
    it.destroy()


def test_empty_iterator_with_error():
    it = It(lib.dc_iter_empty(IOERR, b"disk on fire"))
    it.seek_first()
    assert not it.valid()
    assert it.status() == (IOERR, "disk on fire")
    it.destroy()
    it = It(lib.dc_iter_empty(CORRUPT, ffi.NULL))
    assert it.status()[0] == CORRUPT
    it.destroy()


# ---- merge ----

@pytest.mark.parametrize("seed,n_mems", [(0, 2), (1, 3), (2, 5), (3, 8), (4, 4)])
def test_merge_memtables_against_model(seed, n_mems):
    rnd = random.Random(seed)
    mems, model = spread(rnd, 1200, n_mems)
    it = merge([lib.dc_mem_iter(m.m) for m in mems])
    assert it.forward() == model
    assert it.backward() == model[::-1]
    keys = sorted({e[0] for e in model}) + [b"", b"zz", b"b\x00"]
    random_walk(it, model, rnd, 4000, keys)
    it.destroy()
    for m in mems:
        m.free()


def test_merge_direction_switch_with_interleaved_children():
    # child i holds keys i, i+3, i+6, ...: every step changes child
    mems = [Mem() for _ in range(3)]
    for i in range(30):
        mems[i % 3].put(i + 1, b"%02d" % i, b"v%d" % i)
    it = merge([lib.dc_mem_iter(m.m) for m in mems])
    it.seek(b"10")
    got = []
    for move in "nnpppnpnnnppp":
        (it.next if move == "n" else it.prev)()
        got.append(it.entry()[0])
    want, pos = [], 10
    for move in "nnpppnpnnnppp":
        pos += 1 if move == "n" else -1
        want.append(b"%02d" % pos)
    assert got == want
    it.seek_first()
    it.prev()
    assert not it.valid()
    it.seek_last()
    it.next()
    assert not it.valid()
    it.destroy()
    for m in mems:
        m.free()


def test_merge_versions_of_one_key_across_children():
    # The same user key with different seqs in every child (a key updated
    # across memtable switches): newest first, and prev/next across them.
    mems = [Mem() for _ in range(4)]
    for s in range(1, 41):
        mems[s % 4].put(s, b"k", b"%d" % s)
    mems[0].put(100, b"j", b"j")
    mems[3].put(101, b"l", b"l")
    it = merge([lib.dc_mem_iter(m.m) for m in mems])
    fwd = it.forward()
    assert [e[1] for e in fwd] == [100] + list(range(40, 0, -1)) + [101]
    it.seek(b"k", 20)
    assert it.entry()[1] == 20
    it.prev()
    assert it.entry()[1] == 21
    it.next()
    it.next()
    assert it.entry()[1] == 19
    it.destroy()
    for m in mems:
        m.free()


def test_merge_zero_one_and_empty_children():
    it = merge([])
    it.seek_first()
    assert not it.valid() and it.status()[0] == OK
    it.destroy()

    m = Mem()
    m.put(1, b"a", b"x")
    it = merge([lib.dc_mem_iter(m.m)])  # a single child is returned as is
    assert it.forward() == m.model_sorted()
    it.destroy()

    empty = Mem()
    it = merge([lib.dc_mem_iter(empty.m), lib.dc_iter_empty(OK, ffi.NULL),
                lib.dc_mem_iter(m.m), lib.dc_mem_iter(empty.m)])
    assert it.forward() == m.model_sorted()
    assert it.backward() == m.model_sorted()
    it.seek(b"a")
    it.prev()
    assert not it.valid()
    assert it.status() == (OK, "")
    it.destroy()
    m.free()
    empty.free()


def test_merge_reports_a_failed_child():
    m = Mem()
    m.put(1, b"a", b"x")
    it = merge([lib.dc_mem_iter(m.m), lib.dc_iter_empty(IOERR, b"read 000007.sst: EIO")])
    it.seek_first()
    assert not it.valid()  # never a partial answer
    assert it.status() == (IOERR, "read 000007.sst: EIO")
    it.destroy()
    m.free()


def test_merge_stops_when_a_child_fails_midway():
    base = [((b"%02d" % i, i + 1, PUT), b"v") for i in range(20)]
    ok_child = PyIter(base[0::2])
    bad_child = PyIter(base[1::2], fail_at=4)  # fails on landing on its 5th entry ("09")
    live_before = PyIter.destroyed
    it = merge([ok_child.ptr, bad_child.ptr])
    it.seek_first()
    seen = []
    while it.valid():
        seen.append(it.entry()[0])
        it.next()
    # "08" (healthy child) is not returned: the merge stops as soon as the
    # broken child fails, rather than continuing without it
    assert seen == [b"%02d" % i for i in range(8)]
    rc, msg = it.status()
    assert rc == IOERR and "entry 4" in msg
    it.seek_first()  # sticky
    assert not it.valid()
    it.destroy()
    assert PyIter.destroyed == live_before + 2  # children are owned and destroyed


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.binary(max_size=2), st.booleans()),
                max_size=50),
       st.randoms(use_true_random=False))
def test_merge_hypothesis(ops, rnd):
    mems = [Mem() for _ in range(4)]
    for seq, (which, k, is_put) in enumerate(ops, start=1):
        mems[which].add(seq, PUT if is_put else DEL, k, b"%d" % seq)
    model = sorted((e for m in mems for e in m.model_sorted()), key=lambda e: order(*e[:3]))
    it = merge([lib.dc_mem_iter(m.m) for m in mems])
    assert it.forward() == model
    assert it.backward() == model[::-1]
    random_walk(it, model, rnd, 150, sorted({k for _, k, _ in ops} | {b""}))
    it.destroy()
    for m in mems:
        m.free()


# ---- concat ----

@pytest.mark.parametrize("seed,n_children", [(0, 1), (1, 2), (2, 5), (3, 9), (4, 16)])
def test_concat_memtables_against_model(seed, n_children):
    rnd = random.Random(seed)
    mems, largest, model = level_of(rnd, n_children, 600)
    c = Concat([mem_maker(m) for m in mems], largest)
    it = c.it
    assert it.forward() == model
    assert it.backward() == model[::-1]
    keys = sorted({e[0] for e in model})
    seek_keys = keys + [b"", b"99999x", b"0", keys[len(keys) // 2][:-1]]
    seek_keys += [k + b"\x00" for k in keys[::7]]
    random_walk(it, model, rnd, 4000, seek_keys)
    it.destroy()
    assert c.released == 1
    for m in mems:
        m.free()


def test_concat_opens_lazily_and_one_child_at_a_time():
    groups = [[((b"%02d" % (10 * g + i), 1, PUT), b"v") for i in range(3)] for g in range(5)]
    groups[2] = []  # an empty child in the middle
    largest = [ikey(*g[-1][0]) if g else ikey(b"19", 1, PUT) for g in groups]
    kids = {}

    def open_now():
        return sum(1 for k in kids.values() if k.c.id in _live)

    def maker(i):
        def make():
            kids[i] = PyIter(groups[i])
            return kids[i].ptr
        return make

    d0 = PyIter.destroyed
    c = Concat([maker(i) for i in range(5)], largest)
    assert c.opens == []  # nothing opened before the first move
    it = c.it
    it.seek(b"31")
    assert it.entry()[0] == b"31" and c.opens == [3]
    it.prev()  # back across the empty child 2 into child 1
    assert it.entry()[0] == b"30"
    it.prev()
    assert it.entry()[0] == b"12" and c.opens == [3, 2, 1]
    assert open_now() == 1  # children left behind were destroyed
    it.next()
    assert it.entry()[0] == b"30" and c.opens == [3, 2, 1, 2, 3]
    it.seek(b"32")  # a seek within the open child reuses it
    assert c.opens[-1] == 3 and len(c.opens) == 5
    it.seek(b"99")  # beyond the last child: invalid, nothing left open
    assert not it.valid() and open_now() == 0
    it.seek(b"")  # before the first child
    assert it.entry()[0] == b"00"
    it.seek(b"15")  # in the gap after child 1: lands on child 3's first entry
    assert it.entry()[0] == b"30"
    it.destroy()
    assert c.released == 1 and open_now() == 0
    assert PyIter.destroyed - d0 == len(c.opens)


def test_concat_edge_cases():
    c = Concat([], [])  # no children
    for move in (c.it.seek_first, c.it.seek_last, lambda: c.it.seek(b"a")):
        move()
        assert not c.it.valid()
    assert c.it.status()[0] == OK
    c.it.destroy()
    assert c.released == 1

    e1, e2 = Mem(), Mem()  # only empty children
    c = Concat([mem_maker(e1), mem_maker(e2)], [ikey(b"a", 1, PUT), ikey(b"b", 1, PUT)])
    assert c.it.forward() == [] and c.it.backward() == []
    c.it.seek(b"a")
    assert not c.it.valid() and c.it.status()[0] == OK
    c.it.destroy()
    e1.free()
    e2.free()


def test_concat_child_errors():
    m = Mem()
    m.put(1, b"a", b"x")
    makers = [mem_maker(m), lambda: lib.dc_iter_empty(CORRUPT, b"bad block in 000009.sst")]
    c = Concat(makers, [ikey(b"a", 1, PUT), ikey(b"b", 1, PUT)])
    it = c.it
    it.seek_first()
    assert it.entry()[0] == b"a"
    it.next()  # moves into the failing child
    assert not it.valid()
    assert it.status() == (CORRUPT, "bad block in 000009.sst")
    it.seek_first()  # sticky
    assert not it.valid()
    it.destroy()

    c = Concat([lambda: ffi.NULL], [ikey(b"a", 1, PUT)])  # an open that returns NULL
    c.it.seek_first()
    assert not c.it.valid() and c.it.status()[0] == NOMEM
    c.it.destroy()

    child = PyIter([((b"%d" % i, 1, PUT), b"v") for i in range(5)], fail_at=3)
    c = Concat([lambda: child.ptr], [ikey(b"4", 1, PUT)])
    assert [e[0] for e in c.it.forward()] == [b"0", b"1", b"2"]
    assert c.it.status()[0] == IOERR
    c.it.destroy()
    m.free()


# ---- a whole read path: memtables + L0 + a level ----

@pytest.mark.parametrize("seed", range(4))
def test_merge_of_memtables_and_a_level(seed):
    rnd = random.Random(seed)
    level_mems, largest, level_model = level_of(rnd, 6, 400)
    base = max((e[1] for e in level_model), default=0)
    upper = [Mem() for _ in range(3)]  # mem, imm, one "L0 file"
    seqs = rnd.sample(range(base + 1, base + 5000), 600)
    for s in seqs:
        k = b"%05d" % rnd.randrange(100000) if rnd.random() < 0.5 else rnd.choice(level_model)[0]
        rnd.choice(upper).put(s, k, b"u%d" % s)
    model = sorted(level_model + [e for m in upper for e in m.model_sorted()],
                   key=lambda e: order(*e[:3]))
    c = Concat([mem_maker(m) for m in level_mems], largest)
    it = merge([lib.dc_mem_iter(m.m) for m in upper] + [c.it.p])
    assert it.forward() == model
    assert it.backward() == model[::-1]
    keys = sorted({e[0] for e in model})
    random_walk(it, model, rnd, 3000, keys + [b"", b"~"])
    it.destroy()
    assert c.released == 1
    for m in level_mems + upper:
        m.free()
