"""Blocks (block_builder.c, block_reader.c) against a sorted Python model.

Keys are internal keys: user key + 8-byte little-endian trailer (seq << 8 | kind),
ordered by user key ascending, then trailer descending.
"""
import random
import struct

import pytest

from tests.cbuild import BUF_CDEF, ERROR_CDEF, ITER_CDEF, load

CDEF = ERROR_CDEF + BUF_CDEF + ITER_CDEF + """

typedef struct dc_block_builder {
  dc_buf buf;
  dc_buf last_key;
  uint32_t *restarts;
  int nrestarts, cap_restarts;
  int counter;
  int restart_interval;
  int entries;
} dc_block_builder;
void dc_block_builder_init(dc_block_builder *b, int restart_interval);
void dc_block_builder_reset(dc_block_builder *b);
void dc_block_builder_free(dc_block_builder *b);
int dc_block_builder_add(dc_block_builder *b, const char *key, size_t klen, const char *val,
                         size_t vlen);
size_t dc_block_builder_estimate(const dc_block_builder *b);
const char *dc_block_builder_finish(dc_block_builder *b, size_t *len);

typedef struct dc_block { const char *data; size_t size; uint32_t nrestarts; int owned; } dc_block;
int dc_block_parse(const char *data, size_t len, int owned, dc_block **out, const char *file,
                   uint64_t offset, dc_error *err);
void dc_block_free(dc_block *b);
dc_iter *dc_block_iter(const dc_block *b, void (*release)(void *), void *arg);
"""
SOURCES = ["block_builder.c", "block_reader.c", "status.c"]
ffi, lib = load(CDEF, SOURCES)

DC_OK, DC_CORRUPT = 0, 2


def ikey(ukey: bytes, seq: int, kind: int = 1) -> bytes:
    return ukey + struct.pack("<Q", (seq << 8) | kind)


def order(k: bytes):
    return (k[:-8], -struct.unpack("<Q", k[-8:])[0])


def build_block(entries, restart_interval: int) -> bytes:
    b = ffi.new("dc_block_builder *")
    lib.dc_block_builder_init(b, restart_interval)
    try:
        for k, v in entries:
            assert lib.dc_block_builder_add(b, k, len(k), v, len(v)) == DC_OK
        est = lib.dc_block_builder_estimate(b)
        n = ffi.new("size_t *")
        p = lib.dc_block_builder_finish(b, n)
        data = ffi.buffer(p, n[0])[:]
        if entries:
            assert est == len(data)
        return data
    finally:
        lib.dc_block_builder_free(b)


class Block:
    """A parsed block over bytes kept alive by this object."""

    def __init__(self, data: bytes, path=b"/some/file.sst", offset=1234):
        self.mem = ffi.new("char[]", data or b"\0")
        self.err = ffi.new("dc_error *")
        out = ffi.new("dc_block **")
        self.rc = lib.dc_block_parse(self.mem, len(data), 0, out, path, offset, self.err)
        self.blk = out[0] if self.rc == DC_OK else None

    def iter(self):
        return Iter(lib.dc_block_iter(self.blk, ffi.NULL, ffi.NULL))

    def close(self):
        if self.blk is not None:
            lib.dc_block_free(self.blk)
            self.blk = None


class Iter:
    def __init__(self, it):
        assert it != ffi.NULL
        self.it = it
        self.vt = it.vt

    def valid(self):
        return bool(self.vt.valid(self.it))

    def seek_first(self):
        self.vt.seek_first(self.it)

    def seek_last(self):
        self.vt.seek_last(self.it)

    def seek(self, k):
        self.vt.seek(self.it, k, len(k))

    def next(self):
        self.vt.next(self.it)

    def prev(self):
        self.vt.prev(self.it)

    def key(self):
        n = ffi.new("size_t *")
        p = self.vt.key(self.it, n)
        return ffi.buffer(p, n[0])[:]

    def value(self):
        n = ffi.new("size_t *")
        p = self.vt.value(self.it, n)
        return ffi.buffer(p, n[0])[:] if n[0] else b""

    def status(self):
        e = ffi.new("dc_error *")
        rc = self.vt.status(self.it, e)
        return rc, ffi.string(e.message).decode()

    def forward(self):
        out = []
        self.seek_first()
        while self.valid():
            out.append((self.key(), self.value()))
            self.next()
        return out

    def backward(self):
        out = []
        self.seek_last()
        while self.valid():
            out.append((self.key(), self.value()))
            self.prev()
        return out

    def close(self):
        self.vt.destroy(self.it)


def random_entries(rnd: random.Random, n: int):
    keys = set()
    out = []
    while len(out) < n:
        u = bytes(rnd.choice(b"abcd") for _ in range(rnd.choice((rnd.randrange(0, 12), rnd.randrange(0, 30)))))
        seq = rnd.randrange(1, 1 << 56)
        k = ikey(u, seq, rnd.randrange(2))
        if k[:-8] in keys and rnd.random() < 0.5:
            continue
        keys.add(k[:-8])
        if any(k == e[0] for e in out):
            continue
        v = bytes(rnd.getrandbits(8) for _ in range(rnd.choice((0, 1, 5, 40, 300))))
        out.append((k, v))
    out.sort(key=lambda e: order(e[0]))
    # equal (ukey, trailer) pairs cannot happen: dedup on full key above
    return out


@pytest.mark.parametrize("interval", [1, 2, 16, 1000])
def test_round_trip_seek_next_prev(interval):
    rnd = random.Random(interval)
    entries = random_entries(rnd, 1500)
    blk = Block(build_block(entries, interval))
    assert blk.rc == DC_OK
    it = blk.iter()
    try:
        assert it.forward() == entries
        assert it.backward() == entries[::-1]
        keys = [k for k, _ in entries]
        orders = [order(k) for k in keys]
        import bisect

        targets = keys[::7] + [ikey(bytes(rnd.choice(b"abcde") for _ in range(rnd.randrange(0, 31))),
                                    rnd.randrange(1 << 56), 1) for _ in range(300)]
        targets += [ikey(b"", (1 << 56) - 1, 1), ikey(b"\xff" * 20, 0, 0)]
        for t in targets:
            i = bisect.bisect_left(orders, order(t))
            it.seek(t)
            if i == len(keys):
                assert not it.valid()
                continue
            assert it.valid() and it.key() == keys[i]
            assert it.value() == entries[i][1]
            # walk a few steps either way from a seek
            j = i
            for _ in range(rnd.randrange(0, 20)):
                if rnd.random() < 0.5:
                    it.next()
                    j += 1
                else:
                    it.prev()
                    j -= 1
                if j < 0 or j >= len(keys):
                    assert not it.valid()
                    break
                assert it.valid() and it.key() == keys[j], (interval, i, j)
        assert it.status()[0] == DC_OK
    finally:
        it.close()
        blk.close()


def test_empty_block():
    data = build_block([], 16)
    assert data == b"\0\0\0\0"
    blk = Block(data)
    assert blk.rc == DC_OK
    it = blk.iter()
    it.seek_first()
    assert not it.valid()
    it.seek_last()
    assert not it.valid()
    it.seek(ikey(b"a", 1))
    assert not it.valid()
    assert it.status()[0] == DC_OK
    it.close()
    blk.close()


def test_single_entry_and_prefix_sharing():
    big = b"k" * 1000
    entries = [(ikey(big + bytes([i]), 5), b"v%d" % i) for i in range(50)]
    for interval in (1, 16):
        data = build_block(entries, interval)
        blk = Block(data)
        it = blk.iter()
        assert it.forward() == entries
        assert it.backward() == entries[::-1]
        it.close()
        blk.close()
    # prefix compression: interval 16 stores far less than interval 1
    assert len(build_block(entries, 16)) < len(build_block(entries, 1)) / 5
    one = [(ikey(b"x", 1), b"y")]
    blk = Block(build_block(one, 16))
    it = blk.iter()
    assert it.forward() == one and it.backward() == one
    it.close()
    blk.close()


def test_builder_reset_reuses_buffers():
    b = ffi.new("dc_block_builder *")
    lib.dc_block_builder_init(b, 4)
    n = ffi.new("size_t *")
    for round_ in range(3):
        entries = [(ikey(b"r%d-%03d" % (round_, i), 1), b"v") for i in range(20)]
        for k, v in entries:
            lib.dc_block_builder_add(b, k, len(k), v, len(v))
        p = lib.dc_block_builder_finish(b, n)
        data = ffi.buffer(p, n[0])[:]
        blk = Block(data)
        it = blk.iter()
        assert it.forward() == entries
        it.close()
        blk.close()
        lib.dc_block_builder_reset(b)
    lib.dc_block_builder_free(b)


def parse_rc(data: bytes):
    blk = Block(data)
    msg = ffi.string(blk.err.message).decode()
    blk.close()
    return blk.rc, msg


def test_parse_rejects_bad_restart_arrays():
    entries = [(ikey(b"key%03d" % i, 1), b"v" * 10) for i in range(40)]
    good = build_block(entries, 4)
    nr = struct.unpack("<I", good[-4:])[0]
    assert nr == 10
    cases = [
        b"",                                     # no restart count
        b"\1\0",                                 # too short
        good[:-4] + struct.pack("<I", 10 ** 6),  # count out of range
        good[:-4] + struct.pack("<I", 0),        # entries without restarts
    ]
    body = good[: len(good) - 4 - 4 * nr]
    restarts = list(struct.unpack("<%dI" % nr, good[len(body):-4]))
    bad = restarts[:]
    bad[3] = len(body) + 5                       # past the entries
    cases.append(body + struct.pack("<%dI" % nr, *bad) + good[-4:])
    bad = restarts[:]
    bad[4] = bad[3]                              # not ascending
    cases.append(body + struct.pack("<%dI" % nr, *bad) + good[-4:])
    bad = restarts[:]
    bad[0] = 1                                   # first restart must be 0
    cases.append(body + struct.pack("<%dI" % nr, *bad) + good[-4:])
    for c in cases:
        rc, msg = parse_rc(c)
        assert rc == DC_CORRUPT, c
        assert "/some/file.sst" in msg and "1234" in msg


def exercise(data: bytes, expected):
    """Parse and drive damaged bytes every way; never crash. Returns the set of
    outcomes; any entry produced must be decodable bytes (no checking of
    content: damage may change keys)."""
    blk = Block(data)
    if blk.rc != DC_OK:
        assert blk.rc == DC_CORRUPT
        return "parse"
    it = blk.iter()
    try:
        fwd = it.forward()
        rc1 = it.status()[0]
        it2 = blk.iter()
        bwd = it2.backward()
        rc2 = it2.status()[0]
        for k, _ in expected[::5]:
            it2.seek(k)
            if it2.valid():
                it2.key(), it2.value()
                it2.prev()
        it2.close()
        assert rc1 in (DC_OK, DC_CORRUPT) and rc2 in (DC_OK, DC_CORRUPT)
        return "ok" if (rc1 == rc2 == DC_OK and fwd == expected and bwd == expected[::-1]) else "damaged"
    finally:
        it.close()
        blk.close()


def test_damaged_bytes_never_crash():
    rnd = random.Random(7)
    entries = [(k, v[:8]) for k, v in random_entries(rnd, 60)]
    good = build_block(entries, 8)
    assert exercise(good, entries) == "ok"
    for pos in range(len(good)):
        d = bytearray(good)
        d[pos] ^= (0x01, 0x80, 0xFF, 0x3C)[pos % 4]
        exercise(bytes(d), entries)
    for cut in range(0, len(good), 7):
        exercise(good[:cut], entries)


def test_entry_damage_reported_by_status():
    entries = [(ikey(b"key%03d" % i, 1), b"v" * 10) for i in range(40)]
    good = bytearray(build_block(entries, 4))
    # entry 1 (not a restart point): claim more shared bytes than the previous key has
    off = 0
    # skip entry 0: shared 0, unshared 14, vlen 10
    assert good[0:3] == bytes([0, 14, 10])
    off = 3 + 14 + 10
    good[off] = 100  # shared = 100 > length of the previous key
    blk = Block(bytes(good))
    assert blk.rc == DC_OK
    it = blk.iter()
    it.seek_first()
    assert it.valid()
    it.next()
    # either a clean stop with an error status, never a bogus entry
    assert not it.valid()
    rc, msg = it.status()
    assert rc == DC_CORRUPT and "offset %d" % off in msg
    it.close()
    blk.close()


from hypothesis import given, settings, strategies as st  # noqa: E402

ukeys = st.binary(min_size=0, max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(ukeys, st.integers(0, (1 << 56) - 1), st.integers(0, 1)),
                min_size=0, max_size=80, unique_by=lambda t: (t[0], t[1], t[2])),
       st.lists(st.tuples(ukeys, st.integers(0, (1 << 56) - 1)), max_size=20),
       st.sampled_from([1, 3, 16]))
def test_seek_property(raw, probes, interval):
    """Arbitrary bytes in keys (zeros, 0xff, prefixes of each other): seek finds
    the first key >= the target in internal-key order."""
    import bisect

    entries = sorted(((ikey(u, s, k), b"%d" % i) for i, (u, s, k) in enumerate(raw)),
                     key=lambda e: order(e[0]))
    blk = Block(build_block(entries, interval))
    it = blk.iter()
    try:
        assert it.forward() == entries
        orders = [order(k) for k, _ in entries]
        targets = [ikey(u, s, 1) for u, s in probes] + [k for k, _ in entries[::3]]
        for t in targets:
            i = bisect.bisect_left(orders, order(t))
            it.seek(t)
            if i == len(entries):
                assert not it.valid()
            else:
                assert it.valid() and it.key() == entries[i][0]
                it.prev()
                assert (not it.valid()) if i == 0 else it.key() == entries[i - 1][0]
    finally:
        it.close()
        blk.close()
