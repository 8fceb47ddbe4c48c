"""The bloom filter (bloom.c): format against a Python model, no false
negatives, false-positive rate, damaged filters."""
import os
import random

import xxhash

from tests.cbuild import BUF_CDEF, load

CDEF = BUF_CDEF + """
int dc_bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, dc_buf *out);
uint64_t dc_bloom_hash(const char *key, size_t len);
int dc_bloom_may_contain(const char *filter, size_t len, uint64_t hash);
void free(void *);
"""
ffi, lib = load(CDEF, ["bloom.c", "xxh64.c"])
SEED = 0x9747B28C


def h(key: bytes) -> int:
    return lib.dc_bloom_hash(key, len(key))


def build(hashes, bits_per_key=10) -> bytes:
    arr = ffi.new("uint64_t[]", list(hashes) or [0])
    buf = ffi.new("dc_buf *")
    assert lib.dc_bloom_build(arr, len(hashes), bits_per_key, buf) == 0
    data = ffi.buffer(buf.data, buf.len)[:]
    lib.free(buf.data)
    return data


def may(filt: bytes, hv: int) -> bool:
    return bool(lib.dc_bloom_may_contain(filt, len(filt), hv))


def model_filter(hashes, bits_per_key):
    """FORMATS.md: nbits = max(64, n*bpk) rounded up to 8; k = round(bpk*ln2)
    clamped to [1, 30]; probe i = (h1 + i*h2) mod nbits."""
    k = min(30, max(1, int(bits_per_key * 0.69 + 0.5)))
    nbits = max(64, len(hashes) * bits_per_key)
    nbytes = (nbits + 7) // 8
    nbits = nbytes * 8
    bits = bytearray(nbytes)
    for hv in hashes:
        h1, h2 = hv & 0xFFFFFFFF, hv >> 32
        for i in range(k):
            p = (h1 + i * h2) % nbits
            bits[p >> 3] |= 1 << (p & 7)
    return bytes(bits) + bytes([k])


def test_hash_is_xxh64_with_seed():
    for n in (0, 1, 7, 8, 31, 32, 33, 100, 1000):
        key = os.urandom(n)
        assert h(key) == xxhash.xxh64_intdigest(key, SEED)


def test_format_matches_model():
    rnd = random.Random(3)
    for n in (0, 1, 5, 100, 1000):
        for bpk in (1, 4, 10, 16, 50):
            hashes = [rnd.getrandbits(64) for _ in range(n)]
            assert build(hashes, bpk) == model_filter(hashes, bpk), (n, bpk)
    assert build([1, 2, 3], 10)[-1] == 7  # k = 7 at 10 bits per key


def test_no_false_negatives_and_fp_rate():
    keys = [b"user-%08d" % i for i in range(20000)]
    filt = build([h(k) for k in keys], 10)
    assert all(may(filt, h(k)) for k in keys)
    absent = [b"other-%08d" % i for i in range(100000)]
    fp = sum(may(filt, h(k)) for k in absent) / len(absent)
    print(f"false positives at 10 bits/key: {fp:.4%}")
    assert 0.002 < fp < 0.02


def test_fp_rate_falls_with_bits_per_key():
    keys = [os.urandom(16) for _ in range(5000)]
    absent = [os.urandom(17) for _ in range(50000)]
    rates = []
    for bpk in (4, 8, 16):
        filt = build([h(k) for k in keys], bpk)
        assert all(may(filt, h(k)) for k in keys)
        rates.append(sum(may(filt, h(k)) for k in absent) / len(absent))
    assert rates[0] > rates[1] > rates[2]
    assert rates[2] < 0.003


def test_empty_key_set_answers_no():
    filt = build([], 10)
    assert len(filt) == 9  # 64 bits + k
    assert not any(may(filt, h(b"k%d" % i)) for i in range(100))


def test_damaged_or_empty_filter_answers_yes():
    assert may(b"", 123)
    assert may(b"\x00", 123)
    body = bytes(16)
    assert may(body + b"\x00", 123)   # k = 0: not a filter we understand
    assert may(body + b"\x1f", 123)   # k = 31: too many probes
    assert not may(body + b"\x07", 123)
