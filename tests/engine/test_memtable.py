"""The memtable (csrc/memtable.c over skiplist.c and arena.c), driven through
cffi and checked against a plain Python model of internal keys.

Internal-key order in the model: (user key, -(seq << 8 | kind)), i.e. user
key ascending (bytewise, shorter first), then newest first.
"""
import bisect
import os
import random
import shutil
import struct
import subprocess
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cbuild import CC, CSRC, ERROR_CDEF, ITER_CDEF, SANITIZE, load

CDEF = ERROR_CDEF + ITER_CDEF + """
typedef struct { dc_iter base; int id; } py_iter;  /* test-side iterators */

typedef struct dc_memtable dc_memtable;
dc_memtable *dc_mem_new(void);
void dc_mem_ref(dc_memtable *m);
void dc_mem_unref(dc_memtable *m);
int dc_mem_add(dc_memtable *m, uint64_t seq, int kind, const char *key, size_t klen,
               const char *val, size_t vlen);
int dc_mem_get(dc_memtable *m, const char *key, size_t klen, uint64_t snap_seq,
               const char **val, size_t *vlen);
dc_iter *dc_mem_iter(dc_memtable *m);
size_t dc_mem_bytes(const dc_memtable *m);
uint64_t dc_mem_count(const dc_memtable *m);

dc_iter *dc_iter_empty(int code, const char *msg);
dc_iter *dc_merge_iter_new(dc_iter **children, int n);
dc_iter *dc_concat_iter_new(int n, dc_iter *(*open_child)(void *arg, int i), void *arg,
                            const char *const *largest, const size_t *largest_len,
                            void (*release)(void *arg));
"""
SOURCES = ["arena.c", "skiplist.c", "memtable.c", "iter.c", "status.c", "xxh64.c"]
ffi, lib = load(CDEF, SOURCES)

DEL, PUT, SEEK = 0, 1, 1
MAX_SEQ = (1 << 56) - 1
OK, IOERR, CORRUPT, NOMEM, INVALID = 0, 3, 2, 8, 9
MISS, FOUND, DELETED = 0, 1, 2


# ---- helpers shared with test_iterators.py ----

def ikey(ukey: bytes, seq: int, kind: int) -> bytes:
    return ukey + struct.pack("<Q", (seq << 8) | kind)


def split_ikey(k: bytes):
    (t,) = struct.unpack("<Q", k[-8:])
    return k[:-8], t >> 8, t & 0xFF


def order(ukey: bytes, seq: int, kind: int):
    """Sort key of an internal key in the model."""
    return (ukey, -((seq << 8) | kind))


class It:
    """Calls through a dc_iter's vtable; entries come back as (ukey, seq, kind, value)."""

    def __init__(self, p):
        assert p != ffi.NULL
        self.p = p
        self.vt = p.vt
        self._n = ffi.new("size_t *")

    def valid(self):
        return bool(self.vt.valid(self.p))

    def seek_first(self):
        self.vt.seek_first(self.p)

    def seek_last(self):
        self.vt.seek_last(self.p)

    def seek(self, ukey: bytes, seq: int = MAX_SEQ, kind: int = SEEK):
        k = ikey(ukey, seq, kind)
        self.vt.seek(self.p, k, len(k))

    def next(self):
        self.vt.next(self.p)

    def prev(self):
        self.vt.prev(self.p)

    def raw_key(self):
        k = self.vt.key(self.p, self._n)
        return ffi.unpack(k, self._n[0])

    def entry(self):
        v = self.vt.value(self.p, self._n)
        val = ffi.unpack(v, self._n[0]) if self._n[0] else b""
        return (*split_ikey(self.raw_key()), val)

    def status(self):
        e = ffi.new("dc_error *")
        rc = self.vt.status(self.p, e)
        return rc, ffi.string(e.message).decode()

    def forward(self):
        out = []
        self.seek_first()
        while self.valid():
            out.append(self.entry())
            self.next()
        return out

    def backward(self):
        out = []
        self.seek_last()
        while self.valid():
            out.append(self.entry())
            self.prev()
        return out

    def destroy(self):
        self.vt.destroy(self.p)
        self.p = None


class Mem:
    """A memtable plus its model: entries[(ukey, seq, kind)] = value."""

    def __init__(self):
        self.m = lib.dc_mem_new()
        assert self.m != ffi.NULL
        self.entries = {}
        self._v = ffi.new("const char **")
        self._n = ffi.new("size_t *")

    def add(self, seq, kind, key: bytes, val: bytes = b"") -> int:
        rc = lib.dc_mem_add(self.m, seq, kind, key, len(key), val, len(val))
        if rc == OK:
            self.entries[(key, seq, kind)] = val if kind == PUT else b""
        return rc

    def put(self, seq, key, val):
        assert self.add(seq, PUT, key, val) == OK

    def delete(self, seq, key):
        assert self.add(seq, DEL, key) == OK

    def get(self, key: bytes, snap: int = MAX_SEQ):
        rc = lib.dc_mem_get(self.m, key, len(key), snap, self._v, self._n)
        if rc == FOUND:
            assert self._v[0] != ffi.NULL
            return rc, ffi.unpack(self._v[0], self._n[0]) if self._n[0] else b""
        return rc, None

    def model_get(self, key: bytes, snap: int = MAX_SEQ):
        best = None
        for (k, seq, kind), val in self.entries.items():
            if k == key and seq <= snap and (best is None or seq > best[0]):
                best = (seq, kind, val)
        if best is None:
            return MISS, None
        return (FOUND, best[2]) if best[1] == PUT else (DELETED, None)

    def model_sorted(self):
        return sorted(((k, s, kd, v) for (k, s, kd), v in self.entries.items()),
                      key=lambda e: order(e[0], e[1], e[2]))

    def iter(self) -> It:
        return It(lib.dc_mem_iter(self.m))

    def count(self):
        return lib.dc_mem_count(self.m)

    def bytes(self):
        return lib.dc_mem_bytes(self.m)

    def free(self):
        lib.dc_mem_unref(self.m)
        self.m = None


def random_walk(it: It, model, rnd: random.Random, steps: int, seek_keys):
    """Drive `it` with random moves and compare every position with the
    sorted entry list `model` ((ukey, seq, kind, value) tuples)."""
    orders = [order(k, s, kd) for k, s, kd, _ in model]
    pos = None
    for _ in range(steps):
        op = rnd.random()
        if pos is None or op < 0.1:
            which = rnd.randrange(3)
            if which == 0:
                it.seek_first()
                pos = 0 if model else None
            elif which == 1:
                it.seek_last()
                pos = len(model) - 1 if model else None
            else:
                uk = rnd.choice(seek_keys)
                snap = rnd.choice([0, 1, rnd.randrange(0, 200), MAX_SEQ])
                it.seek(uk, snap)
                i = bisect.bisect_left(orders, order(uk, snap, SEEK))
                pos = i if i < len(model) else None
        elif op < 0.55:
            it.next()
            pos = pos + 1 if pos + 1 < len(model) else None
        else:
            it.prev()
            pos = pos - 1 if pos > 0 else None
        assert it.valid() == (pos is not None)
        if pos is not None:
            assert it.entry() == model[pos]
    assert it.status()[0] == OK


# ---- basic visibility ----

def test_empty_memtable():
    m = Mem()
    assert m.count() == 0
    assert 0 < m.bytes() < 4096  # an empty memtable does not look full
    assert m.get(b"a") == (MISS, None)
    assert m.get(b"") == (MISS, None)
    it = m.iter()
    for move in (it.seek_first, it.seek_last, lambda: it.seek(b"a")):
        move()
        assert not it.valid()
    assert it.status() == (OK, "")
    it.destroy()
    m.free()


def test_bloom_never_hides_a_key():
    """Far more keys than the memtable's bloom filter is sized for: every
    key is still found (no false negatives), and absent keys still miss."""
    m = Mem()
    n = 150_000
    for i in range(n):
        m.put(i + 1, b"k%08d" % i, b"v")
    for i in range(0, n, 7):
        assert m.get(b"k%08d" % i) == (FOUND, b"v")
    for i in range(0, n, 101):
        assert m.get(b"x%08d" % i) == (MISS, None)
    m.free()


def test_put_get_delete_by_snapshot():
    m = Mem()
    m.put(1, b"k", b"v1")
    m.put(3, b"k", b"v3")
    m.delete(5, b"k")
    m.put(7, b"k", b"v7")
    expect = {0: (MISS, None), 1: (FOUND, b"v1"), 2: (FOUND, b"v1"), 3: (FOUND, b"v3"),
              4: (FOUND, b"v3"), 5: (DELETED, None), 6: (DELETED, None), 7: (FOUND, b"v7"),
              100: (FOUND, b"v7"), MAX_SEQ: (FOUND, b"v7"), 2**64 - 1: (FOUND, b"v7")}
    for snap, want in expect.items():
        assert m.get(b"k", snap) == want, snap
    assert m.count() == 4
    m.free()


def test_neighbouring_user_keys_are_not_confused():
    m = Mem()
    keys = [b"", b"\x00", b"a", b"a\x00", b"ab", b"b", b"\xff", b"\xff\xff"]
    for i, k in enumerate(keys):
        m.put(10 + i, k, b"val-" + k)
    for k in keys:
        assert m.get(k) == (FOUND, b"val-" + k)
        assert m.get(k, 9) == (MISS, None)
    for k in (b"aa", b"a\x00\x00", b"c", b"\x01", b"\xff\xff\xff"):
        assert m.get(k) == (MISS, None)
    it = m.iter()
    assert [e[0] for e in it.forward()] == sorted(keys)
    it.destroy()
    m.free()


def test_tombstone_only_and_delete_then_reput():
    m = Mem()
    m.delete(4, b"gone")
    assert m.get(b"gone") == (DELETED, None)
    assert m.get(b"gone", 3) == (MISS, None)
    m.put(9, b"gone", b"back")
    assert m.get(b"gone") == (FOUND, b"back")
    assert m.get(b"gone", 8) == (DELETED, None)
    m.free()


def test_put_and_delete_at_same_seq_order_by_kind():
    # (key, seq) pairs are unique in practice, but the kind is part of the
    # order: PUT (1) sorts before DEL (0) at the same seq.
    m = Mem()
    m.put(5, b"k", b"p")
    m.delete(5, b"k")
    it = m.iter()
    assert [(e[1], e[2]) for e in it.forward()] == [(5, PUT), (5, DEL)]
    it.destroy()
    assert m.get(b"k", 5) == (FOUND, b"p")
    m.free()


def test_many_versions_of_one_key():
    rnd = random.Random(7)
    m = Mem()
    seqs = rnd.sample(range(1, 100000), 3000)
    for s in seqs:  # arrival order need not be seq order
        if rnd.random() < 0.2:
            m.delete(s, b"hot")
        else:
            m.put(s, b"hot", str(s).encode())
    m.put(50, b"hot\x00", b"neighbour")
    m.put(50, b"hos", b"neighbour")
    for snap in rnd.sample(range(0, 100001), 500) + sorted(seqs)[:5] + [MAX_SEQ]:
        assert m.get(b"hot", snap) == m.model_get(b"hot", snap), snap
    it = m.iter()
    assert it.forward() == m.model_sorted()
    assert it.backward() == m.model_sorted()[::-1]
    it.destroy()
    m.free()


def test_empty_keys_and_values():
    m = Mem()
    m.put(1, b"", b"")
    m.put(2, b"x", b"")
    m.put(3, b"", b"later")
    assert m.get(b"", 1) == (FOUND, b"")
    assert m.get(b"", 2) == (FOUND, b"")
    assert m.get(b"") == (FOUND, b"later")
    assert m.get(b"x") == (FOUND, b"")
    m.delete(4, b"")
    assert m.get(b"") == (DELETED, None)
    it = m.iter()
    assert it.forward() == m.model_sorted()
    it.destroy()
    m.free()


def test_large_values_and_keys():
    rnd = random.Random(3)
    m = Mem()
    big = {}
    # around the arena's own-block threshold (a quarter of 256 KiB) and beyond
    for i, n in enumerate([1 << 20, 65536 - 40, 65536, 65537, 300000, (1 << 20) + 3]):
        v = rnd.randbytes(n)
        k = b"big%02d" % i
        m.put(i + 1, k, v)
        big[k] = v
        m.put(100 + i, b"small%02d" % i, b"s")  # small entries between the big ones
    long_key = rnd.randbytes(100000)
    m.put(1000, long_key, b"long-key")
    for k, v in big.items():
        assert m.get(k) == (FOUND, v)
    assert m.get(long_key) == (FOUND, b"long-key")
    assert m.get(long_key[:-1]) == (MISS, None)
    assert m.bytes() >= sum(map(len, big.values())) + len(long_key)
    it = m.iter()
    assert it.forward() == m.model_sorted()
    it.destroy()
    m.free()


def test_out_of_contract_arguments_are_refused():
    m = Mem()
    assert m.add(1, 7, b"k", b"v") == INVALID
    assert m.add(MAX_SEQ + 1, PUT, b"k", b"v") == INVALID
    assert m.count() == 0
    assert m.add(MAX_SEQ, PUT, b"k", b"v") == OK
    assert m.get(b"k") == (FOUND, b"v")
    m.free()


# ---- order and iteration against the model ----

def random_ops(rnd, m: Mem, n: int, alphabet=b"abc", maxlen=4):
    seqs = rnd.sample(range(1, 10 * n + 10), n)
    for s in seqs:
        k = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(maxlen + 1)))
        if rnd.random() < 0.25:
            m.delete(s, k)
        else:
            m.put(s, k, rnd.randbytes(rnd.randrange(0, 20)))


@pytest.mark.parametrize("seed", range(6))
def test_random_ops_against_model(seed):
    rnd = random.Random(seed)
    m = Mem()
    random_ops(rnd, m, 1500)
    model = m.model_sorted()
    assert m.count() == len(model)
    it = m.iter()
    assert it.forward() == model
    assert it.backward() == model[::-1]
    keys = sorted({e[0] for e in model}) + [b"zz", b"", b"ab\x00"]
    for k in keys:
        for snap in (0, rnd.randrange(1, 15000), MAX_SEQ):
            assert m.get(k, snap) == m.model_get(k, snap), (k, snap)
    random_walk(it, model, rnd, 3000, keys)
    it.destroy()
    m.free()


def test_direction_switches_in_the_middle():
    m = Mem()
    for i in range(100):
        m.put(i + 1, b"%03d" % i, b"v%d" % i)
    model = m.model_sorted()
    it = m.iter()
    it.seek(b"050")
    assert it.entry()[0] == b"050"
    it.prev()
    assert it.entry()[0] == b"049"
    it.next()
    it.next()
    assert it.entry()[0] == b"051"
    it.seek_last()
    it.prev()
    it.next()
    assert it.entry() == model[-1]
    it.next()
    assert not it.valid()
    it.seek_first()
    it.prev()
    assert not it.valid()
    it.destroy()
    m.free()


def test_seek_semantics():
    m = Mem()
    m.put(5, b"b", b"b5")
    m.put(9, b"b", b"b9")
    m.delete(7, b"b")
    m.put(3, b"d", b"d3")
    it = m.iter()
    it.seek(b"a")  # before everything: first entry
    assert it.entry() == (b"b", 9, PUT, b"b9")
    it.seek(b"b", 8)  # newest version visible at 8
    assert it.entry() == (b"b", 7, DEL, b"")
    it.seek(b"b", 7, PUT)  # exact entry (b, 7, PUT) is absent: next is (b, 7, DEL)
    assert it.entry()[1:3] == (7, DEL)
    it.seek(b"b", 7, DEL)  # exact match
    assert it.entry()[1:3] == (7, DEL)
    it.seek(b"b", 4)  # older than every version of b: next user key
    assert it.entry() == (b"d", 3, PUT, b"d3")
    it.seek(b"c")
    assert it.entry()[0] == b"d"
    it.seek(b"d", 2)
    assert not it.valid()
    it.seek(b"e")
    assert not it.valid()
    it.destroy()
    m.free()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=3), st.booleans(), st.binary(max_size=5)),
                max_size=60),
       st.randoms(use_true_random=False))
def test_hypothesis_model(ops, rnd):
    m = Mem()
    for seq, (k, is_put, v) in enumerate(ops, start=1):
        m.add(seq, PUT if is_put else DEL, k, v)
    model = m.model_sorted()
    it = m.iter()
    assert it.forward() == model
    assert it.backward() == model[::-1]
    keys = sorted({k for k, _, _ in ops} | {b"", b"\xff"})
    for k in keys:
        for snap in range(0, len(ops) + 2):
            assert m.get(k, snap) == m.model_get(k, snap)
    random_walk(it, model, rnd, 200, keys)
    it.destroy()
    m.free()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]), max_size=12).map(bytes),
                min_size=1, max_size=40, unique=True))
def test_bytewise_order_around_the_8_byte_prefix(keys):
    # The skiplist compares an 8-byte big-endian, zero-padded prefix first;
    # keys that differ only after byte 8, or only by trailing zero bytes,
    # must still sort bytewise (shorter first).
    m = Mem()
    for i, k in enumerate(keys):
        m.put(i + 1, k, k)
    it = m.iter()
    assert [e[0] for e in it.forward()] == sorted(keys)
    it.destroy()
    for k in keys:
        assert m.get(k) == (FOUND, k)
        assert m.get(k + b"\x00") == ((FOUND, k + b"\x00") if k + b"\x00" in keys else (MISS, None))
    m.free()


# ---- lifetime and memory ----

def test_iterator_holds_a_reference():
    m = Mem()
    for i in range(1000):
        m.put(i + 1, b"k%04d" % i, b"v" * 50)
    model = m.model_sorted()
    it = m.iter()
    it2 = m.iter()
    m.free()  # the iterators keep the memtable alive (ASan would catch a free)
    assert it.forward() == model
    it.destroy()
    assert it2.backward() == model[::-1]
    it2.destroy()


def test_ref_unref_counts():
    m = Mem()
    m.put(1, b"a", b"x")
    lib.dc_mem_ref(m.m)
    lib.dc_mem_ref(m.m)
    lib.dc_mem_unref(m.m)
    lib.dc_mem_unref(m.m)
    assert m.get(b"a") == (FOUND, b"x")
    m.free()


def test_memory_grows_with_inserts():
    m = Mem()
    before = m.bytes()
    last = before
    payload = 0
    for i in range(20000):
        k, v = b"key%08d" % i, b"v" * 100
        m.put(i + 1, k, v)
        payload += len(k) + 8 + len(v)
        now = m.bytes()
        assert now >= last  # never shrinks
        last = now
    assert m.count() == 20000
    assert last >= before + payload
    assert last < 2 * payload + (1 << 20)  # overhead stays modest
    m.free()


# ---- concurrency ----

def test_concurrent_readers_python_threads():
    """Readers call dc_mem_get and iterate while one writer inserts (cffi
    releases the GIL during each call, so calls really overlap)."""
    m = Mem()
    n = 20000
    order_ = list(range(n))
    random.Random(11).shuffle(order_)
    published = [0]
    done = threading.Event()
    errors = []

    def writer():
        try:
            for i, j in enumerate(order_):
                k = b"key%06d" % j
                rc = lib.dc_mem_add(m.m, i + 1, PUT, k, len(k), k * 3, len(k) * 3)
                assert rc == OK
                published[0] = i + 1
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            done.set()

    def reader(seed):
        rnd = random.Random(seed)
        v = ffi.new("const char **")
        vn = ffi.new("size_t *")
        kn = ffi.new("size_t *")
        try:
            while not done.is_set() or rnd.random() < 0.5:
                p = published[0]
                if p:
                    i = rnd.randrange(p)
                    k = b"key%06d" % order_[i]
                    assert lib.dc_mem_get(m.m, k, len(k), MAX_SEQ, v, vn) == FOUND
                    assert ffi.unpack(v[0], vn[0]) == k * 3
                    assert lib.dc_mem_get(m.m, k, len(k), i, v, vn) == MISS
                it = lib.dc_mem_iter(m.m)
                it.vt.seek_first(it)
                prev, c = None, 0
                while it.vt.valid(it) and c < 200:
                    cur = ffi.unpack(it.vt.key(it, kn), kn[0])
                    assert prev is None or prev[:-8] < cur[:-8]
                    prev = cur
                    it.vt.next(it)
                    c += 1
                it.vt.destroy(it)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(3)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert m.count() == n
    m.free()


STRESS_C = r"""
/* One writer inserts random keys (some overwritten later); readers check,
 * concurrently, that every published key is found with a consistent value,
 * that no key is visible below its seq, and that iteration is ordered. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ikey.h"
#include "memtable.h"

#define N 200000
#define READERS 3
static dc_memtable *m;
static uint32_t perm[N];
static atomic_int published, done, failed;

static void fail(const char *what, int i) {
  fprintf(stderr, "FAIL %s at %d\n", what, i);
  atomic_store(&failed, 1);
}
static int key_of(uint32_t j, char *k) { return sprintf(k, "k%08x", j * 2654435761u); }

static void *writer(void *arg) {
  (void)arg;
  char k[32], v[64];
  for (int i = 0; i < N; i++) {
    uint32_t j = (i % 5 == 4) ? perm[i / 2] : perm[i]; /* some overwrites */
    int kl = key_of(j, k), vl = sprintf(v, "%s=%d", k, i);
    if (dc_mem_add(m, (uint64_t)i + 1, DC_KIND_PUT, k, kl, v, vl) != DC_OK) fail("add", i);
    atomic_store_explicit(&published, i + 1, memory_order_release);
  }
  atomic_store(&done, 1);
  return NULL;
}

static void *reader(void *arg) {
  uint64_t r = (uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
  char k[32];
  while (!atomic_load(&done) && !atomic_load(&failed)) {
    int p = atomic_load_explicit(&published, memory_order_acquire);
    for (int t = 0; t < 64 && p > 0; t++) {
      r ^= r << 13; r ^= r >> 7; r ^= r << 17;
      int i = (int)(r % (uint64_t)p);
      uint32_t j = (i % 5 == 4) ? perm[i / 2] : perm[i];
      int kl = key_of(j, k);
      const char *v; size_t vl;
      if (dc_mem_get(m, k, kl, DC_MAX_SEQ, &v, &vl) != DC_GET_FOUND) { fail("get", i); break; }
      if (vl <= (size_t)kl || memcmp(v, k, kl) != 0 || v[kl] != '=') { fail("value", i); break; }
      if (dc_mem_get(m, k, kl, (uint64_t)i + 1, &v, &vl) != DC_GET_FOUND) { fail("get@seq", i); break; }
    }
    dc_iter *it = dc_mem_iter(m);
    int back = (int)(r & 1), c = 0;
    char last[64]; size_t lastn = 0;
    if (back) it->vt->seek_last(it); else it->vt->seek_first(it);
    for (; it->vt->valid(it) && c < 2000; c++) {
      size_t n; const char *key = it->vt->key(it, &n);
      if (c && dc_ikey_cmp(last, lastn, key, n) * (back ? -1 : 1) >= 0) { fail("order", c); break; }
      memcpy(last, key, n); lastn = n;
      if (back) it->vt->prev(it); else it->vt->next(it);
    }
    it->vt->destroy(it);
  }
  return NULL;
}

int main(void) {
  for (uint32_t i = 0; i < N; i++) perm[i] = i;
  uint64_t r = 42;
  for (uint32_t i = N - 1; i > 0; i--) {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17;
    uint32_t j = (uint32_t)(r % (i + 1)), t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  m = dc_mem_new();
  pthread_t w, rd[READERS];
  for (long i = 0; i < READERS; i++) pthread_create(&rd[i], NULL, reader, (void *)(i + 1));
  pthread_create(&w, NULL, writer, NULL);
  pthread_join(w, NULL);
  for (int i = 0; i < READERS; i++) pthread_join(rd[i], NULL);
  if (dc_mem_count(m) != N) fail("count", (int)dc_mem_count(m));
  dc_mem_unref(m);
  if (atomic_load(&failed)) return 1;
  puts("ok");
  return 0;
}
"""


@pytest.mark.skipif(shutil.which(CC) is None, reason="no C compiler")
def test_concurrent_readers_c(tmp_path: Path):
    """A pthread stress program: one writer, three lock-free readers."""
    src = tmp_path / "stress.c"
    src.write_text(STRESS_C)
    exe = tmp_path / "stress"
    flags = ["-std=gnu11", "-O1", "-g", "-pthread", "-D_GNU_SOURCE", "-DDC_DEBUG=1", "-Wall",
             f"-I{CSRC}"]
    if SANITIZE:
        flags.append("-fsanitize=address,undefined")
    if os.environ.get("DYNCORE_TSAN") == "1":
        flags.append("-fsanitize=thread")
    cmd = [CC, *flags, str(src), *[str(CSRC / s) for s in SOURCES], "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr
