"""Data blocks: building 4 KiB blocks, and seeking inside one."""
import random
import struct

import pytest

CDEF = """
typedef struct dc_block dc_block;
size_t bm_block_build(const char *ikeys, size_t iklen, size_t n, const char *val, size_t vlen,
                      int restart_interval, size_t block_bytes, uint64_t *nblocks);
dc_block *bm_block_make(const char *ikeys, size_t iklen, size_t n, const char *val, size_t vlen,
                        int restart_interval, size_t block_bytes, size_t *entries);
void bm_block_free(dc_block *b);
uint64_t bm_block_seek(const dc_block *blk, const char *targets, size_t tlen, size_t n);
int bm_have_seek_entry(void);
uint64_t bm_block_seek_entry(const dc_block *blk, const char *targets, size_t tlen, size_t n);
"""
NKEYS = 20_000
BLOCK = 4096          # the engine's default block_bytes
RESTART = 16          # and restart_interval
NSEEK = 10_000
MAX_SEQ = (1 << 56) - 1


def ikey(user: bytes, seq: int, kind: int = 1) -> bytes:
    return user + struct.pack("<Q", (seq << 8) | kind)


@pytest.fixture(scope="module")
def c(clib):
    return clib(CDEF, ["block_builder.c", "block_reader.c", "status.c"], "bm_block.c")


@pytest.fixture(scope="module")
def data():
    rnd = random.Random(3)
    users = sorted(b"%016d" % k for k in rnd.sample(range(10**15), NKEYS))
    ikeys = b"".join(ikey(u, 1000 + i) for i, u in enumerate(users))
    r = rnd.randbytes(50)
    return users, ikeys, r + r  # a 100-byte value, half compressible


def test_block_build(benchmark, per_op, c, data):
    ffi, lib = c
    _, ikeys, val = data
    nb = ffi.new("uint64_t *")
    total = benchmark(lib.bm_block_build, ikeys, 24, NKEYS, val, len(val), RESTART, BLOCK, nb)
    assert total > 0
    benchmark.extra_info["blocks"] = nb[0]
    per_op(NKEYS)  # per entry added


@pytest.fixture(scope="module")
def block(c, data):
    ffi, lib = c
    users, ikeys, val = data
    n = ffi.new("size_t *")
    b = lib.bm_block_make(ikeys, 24, NKEYS, val, len(val), RESTART, BLOCK, n)
    assert b != ffi.NULL
    rnd = random.Random(4)
    targets = b"".join(ikey(users[rnd.randrange(n[0])], MAX_SEQ) for _ in range(NSEEK))
    yield ffi.gc(b, lib.bm_block_free), n[0], targets


def test_block_seek_iterator(benchmark, per_op, c, block):
    ffi, lib = c
    b, entries, targets = block
    found = benchmark(lib.bm_block_seek, b, targets, 24, NSEEK)
    benchmark.extra_info["entries_in_block"] = entries
    assert found == NSEEK
    per_op(NSEEK)


def test_block_seek_point_lookup(benchmark, per_op, c, block):
    ffi, lib = c
    if not lib.bm_have_seek_entry():
        pytest.skip("dc_block_seek_entry is not in block_reader.c")
    b, entries, targets = block
    found = benchmark(lib.bm_block_seek_entry, b, targets, 24, NSEEK)
    assert found == NSEEK
    per_op(NSEEK)
