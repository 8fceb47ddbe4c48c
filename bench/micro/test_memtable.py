"""Memtable: inserts into a fresh memtable (random key order), and point lookups."""
import random

import pytest

CDEF = """
typedef struct dc_memtable dc_memtable;
int bm_mem_fill(const char *keys, size_t klen, size_t n, const char *val, size_t vlen,
                uint64_t *bytes);
dc_memtable *bm_mem_make(const char *keys, size_t klen, size_t n, const char *val, size_t vlen);
uint64_t bm_mem_get(dc_memtable *m, const char *keys, size_t klen, size_t n);
void bm_mem_free(dc_memtable *m);
"""
NKEYS = 100_000


@pytest.fixture(scope="module")
def c(clib):
    return clib(CDEF, ["memtable.c", "skiplist.c", "arena.c", "iter.c", "status.c"],
                "bm_memtable.c")


@pytest.fixture(scope="module")
def keys():
    rnd = random.Random(5)
    return b"".join(b"%016d" % k for k in rnd.sample(range(10**15), NKEYS))


def test_memtable_insert(benchmark, per_op, c, keys):
    ffi, lib = c
    val = random.Random(6).randbytes(50) * 2
    nbytes = ffi.new("uint64_t *")
    rc = benchmark(lib.bm_mem_fill, keys, 16, NKEYS, val, len(val), nbytes)
    assert rc == 0
    benchmark.extra_info["arena_bytes"] = nbytes[0]
    per_op(NKEYS)


def test_memtable_get(benchmark, per_op, c, keys):
    ffi, lib = c
    val = b"v" * 100
    m = lib.bm_mem_make(keys, 16, NKEYS, val, len(val))
    assert m != ffi.NULL
    try:
        rnd = random.Random(8)
        idx = [rnd.randrange(NKEYS) for _ in range(NKEYS // 10)]
        probe = b"".join(keys[i * 16:(i + 1) * 16] for i in idx)
        hits = benchmark(lib.bm_mem_get, m, probe, 16, len(idx))
        assert hits == len(idx)
        per_op(len(idx))
    finally:
        lib.bm_mem_free(m)
