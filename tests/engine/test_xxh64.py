"""xxh64 in C against the xxhash package."""
import os
import random

import xxhash

from tests.cbuild import load

CDEF = "uint64_t dc_xxh64(const void *data, size_t len, uint64_t seed);"
ffi, lib = load(CDEF, ["xxh64.c"])


def c_xxh64(data: bytes, seed: int = 0) -> int:
    return lib.dc_xxh64(data, len(data), seed)


def test_every_length_0_to_300():
    rnd = random.Random(1)
    for n in range(301):
        data = bytes(rnd.getrandbits(8) for _ in range(n))
        for seed in (0, 1, 0x9747B28C, 2**64 - 1):
            assert c_xxh64(data, seed) == xxhash.xxh64_intdigest(data, seed), (n, seed)


def test_random_inputs_and_large():
    rnd = random.Random(2)
    for _ in range(2000):
        n = rnd.randrange(0, 5000)
        data = os.urandom(n)
        seed = rnd.getrandbits(64)
        assert c_xxh64(data, seed) == xxhash.xxh64_intdigest(data, seed)
    for n in (1 << 16, (1 << 20) + 7, 5 * (1 << 20) + 31):
        data = os.urandom(n)
        assert c_xxh64(data) == xxhash.xxh64_intdigest(data)


def test_known_vectors():
    # Published reference values of XXH64.
    assert c_xxh64(b"") == 0xEF46DB3751D8E999
    assert c_xxh64(b"a") == 0xD24EC4F1A98C6E5B
    assert c_xxh64(b"abc") == 0x44BC2CF5AD770999
