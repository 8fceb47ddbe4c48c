"""WAL: add one record and write it (one append system call each, no fsync), as a
lone writer does; and groups of 8 records per write, as a group-commit leader does."""
import random

import pytest

CDEF = """
int bm_wal_add_write(const char *path, const char *body, size_t len, size_t n, size_t group,
                     uint64_t *size);
"""
N = 10_000


@pytest.fixture(scope="module")
def c(clib):
    return clib(CDEF, ["wal_writer.c", "env_posix.c", "env.c", "status.c", "xxh64.c"], "bm_wal.c")


def put_body(key: bytes, val: bytes) -> bytes:
    """One put in batch.h's encoding (key and value shorter than 128 bytes)."""
    return bytes([1, len(key)]) + key + bytes([len(val)]) + val


@pytest.mark.parametrize("group", [1, 8], ids=["1-per-write", "8-per-write"])
def test_wal_add_write(benchmark, per_op, c, tmp_path, group):
    ffi, lib = c
    body = put_body(b"%016d" % 42, random.Random(9).randbytes(50) * 2)
    path = str(tmp_path / "00000000000000000001.log").encode()
    size = ffi.new("uint64_t *")
    rc = benchmark(lib.bm_wal_add_write, path, body, len(body), N, group, size)
    assert rc == 0 and size[0] == N * (32 + len(body))
    benchmark.extra_info["record_bytes"] = 32 + len(body)
    per_op(N)
