"""xxh64 of 16 B and 4 KiB; bloom filter probes (hash + probe, and probe alone)."""
import os
import random

import pytest

CDEF = """
uint64_t dc_xxh64(const void *data, size_t len, uint64_t seed);
uint64_t dc_bloom_hash(const char *key, size_t len);
int dc_bloom_may_contain(const char *filter, size_t len, uint64_t hash);
uint64_t bm_xxh64(const char *data, size_t len, uint64_t iters);
char *bm_bloom_make(const char *keys, size_t klen, size_t n, int bits_per_key, size_t *flen);
uint64_t bm_bloom_probe(const char *filter, size_t flen, const char *keys, size_t klen, size_t n);
uint64_t bm_bloom_probe_hashes(const char *filter, size_t flen, const uint64_t *hashes, size_t n);
void bm_free(void *p);
"""
ITERS = 10_000
NKEYS = 100_000  # keys in the filter: one table's worth (about 122 KiB at 10 bits/key)
NPROBE = 10_000


@pytest.fixture(scope="module")
def c(clib):
    return clib(CDEF, ["xxh64.c", "bloom.c"], "bm_hash.c")


@pytest.mark.parametrize("size", [16, 4096], ids=["16B", "4KiB"])
def test_xxh64(benchmark, per_op, c, size):
    ffi, lib = c
    data = os.urandom(size)
    benchmark(lib.bm_xxh64, data, size, ITERS)
    per_op(ITERS)


def test_xxh64_16B_one_cffi_call(benchmark, per_op, c):
    """For scale: one call through cffi (what a Python caller of the C API pays)."""
    ffi, lib = c
    data = os.urandom(16)
    benchmark(lib.dc_xxh64, data, 16, 0)
    per_op(1)


@pytest.fixture(scope="module")
def bloom(c):
    ffi, lib = c
    rnd = random.Random(7)
    ks = rnd.sample(range(10**15), 2 * NKEYS)
    present = b"".join(b"%016d" % k for k in ks[:NKEYS])
    absent = b"".join(b"%016d" % k for k in ks[NKEYS:])
    flen = ffi.new("size_t *")
    f = lib.bm_bloom_make(present, 16, NKEYS, 10, flen)
    assert f != ffi.NULL
    filt = ffi.gc(f, lib.bm_free)
    # probe keys: half present, half absent, shuffled
    probe = [present[i * 16:(i + 1) * 16] for i in rnd.sample(range(NKEYS), NPROBE // 2)]
    probe += [absent[i * 16:(i + 1) * 16] for i in rnd.sample(range(NKEYS), NPROBE // 2)]
    rnd.shuffle(probe)
    keys = b"".join(probe)
    hashes = ffi.new("uint64_t[]", [lib.dc_bloom_hash(k, 16) for k in probe])
    return filt, flen[0], keys, hashes


def test_bloom_hash_and_probe(benchmark, per_op, c, bloom):
    ffi, lib = c
    filt, flen, keys, _ = bloom
    hits = benchmark(lib.bm_bloom_probe, filt, flen, keys, 16, NPROBE)
    per_op(NPROBE)
    fp = (hits - NPROBE // 2) / (NPROBE // 2)
    benchmark.extra_info["false_positive_rate"] = fp
    assert NPROBE // 2 <= hits and fp < 0.03


def test_bloom_probe_only(benchmark, per_op, c, bloom):
    ffi, lib = c
    filt, flen, _, hashes = bloom
    benchmark(lib.bm_bloom_probe_hashes, filt, flen, hashes, NPROBE)
    per_op(NPROBE)
