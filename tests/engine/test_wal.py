"""The write-ahead log (csrc/wal_writer.c, csrc/wal_reader.c) through cffi.

Records are built here independently of the C code (struct + the xxhash
package), so the tests pin the byte format of FORMATS.md "WAL" as well as the
behaviour. Damage is made by byte surgery on real segment files, and each test
asserts exactly what is reported: which records were delivered, valid_end, the
code, and that the message names the file and the offset.
"""
import os
import random
import struct

import pytest
import xxhash

from tests.cbuild import ERROR_CDEF, load

CDEF = ERROR_CDEF + """
typedef struct dc_env dc_env;
dc_env *dc_env_posix(void);

typedef struct dc_wal dc_wal;
int dc_wal_create(dc_env *env, const char *path, dc_wal **out, dc_error *err);
int dc_wal_reopen(dc_env *env, const char *path, uint64_t valid_end, dc_wal **out,
                  dc_error *err);
int dc_wal_add(dc_wal *w, uint64_t seq, uint64_t hlc, uint32_t origin, uint32_t count,
               const char *body, size_t len, dc_error *err);
int dc_wal_write(dc_wal *w, dc_error *err);
int dc_wal_sync(dc_wal *w, dc_error *err);
uint64_t dc_wal_size(const dc_wal *w);
int dc_wal_close(dc_wal *w, dc_error *err);

typedef struct dc_wal_rec {
  uint64_t seq, hlc;
  uint32_t origin, count;
  const char *body;
  size_t len;
  uint64_t offset;
} dc_wal_rec;
typedef int (*dc_wal_replay_fn)(void *ctx, const dc_wal_rec *rec, dc_error *err);
int dc_wal_replay(dc_env *env, const char *path, int is_last, dc_wal_replay_fn fn, void *ctx,
                  uint64_t *valid_end, dc_error *err);

typedef struct dc_wal_reader dc_wal_reader;
int dc_wal_reader_open(dc_env *env, const char *path, dc_wal_reader **out, dc_error *err);
int dc_wal_reader_next(dc_wal_reader *r, uint64_t limit, dc_wal_rec *rec, dc_error *err);
void dc_wal_reader_close(dc_wal_reader *r);
"""
ffi, lib = load(CDEF, ["wal_writer.c", "wal_reader.c", "env.c", "env_posix.c", "status.c",
                       "batch.c", "xxh64.c"])

OK, NOTFOUND, CORRUPT, IOERR, MISUSE, INVALID = 0, 1, 2, 3, 7, 9
HEADER = 32
NO_LIMIT = 2**64 - 1
ENV = lib.dc_env_posix()

# Field offsets within a record header (wal.h).
FIELDS = {"checksum": (0, 4), "length": (4, 4), "seq": (8, 8), "hlc": (16, 8),
          "origin": (24, 4), "count": (28, 4)}


# ---- building records in Python ----

def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_ops(ops) -> bytes:
    """ops: [(key, value-or-None)]: None is a delete (kind 0), else a put (kind 1)."""
    out = bytearray()
    for key, val in ops:
        out += bytes([0 if val is None else 1]) + varint(len(key)) + key
        if val is not None:
            out += varint(len(val)) + val
    return bytes(out)


def random_ops(rnd: random.Random, max_ops: int = 6, max_val: int = 300):
    ops = []
    for _ in range(rnd.randrange(1, max_ops + 1)):
        key = rnd.randbytes(rnd.randrange(0, 24))
        val = None if rnd.random() < 0.2 else rnd.randbytes(rnd.randrange(0, max_val))
        ops.append((key, val))
    return ops


class Rec:
    """One record as the test expects to read it back."""

    def __init__(self, seq, hlc, origin, count, body):
        self.seq, self.hlc, self.origin, self.count, self.body = seq, hlc, origin, count, body

    def encode(self) -> bytes:
        rest = struct.pack("<IQQII", len(self.body), self.seq, self.hlc, self.origin,
                           self.count) + self.body
        return struct.pack("<I", xxhash.xxh64_intdigest(rest) & 0xFFFFFFFF) + rest

    def key(self):
        return (self.seq, self.hlc, self.origin, self.count, self.body)


def random_records(rnd: random.Random, n: int, seq: int = 1, **kw):
    recs = []
    for _ in range(n):
        ops = random_ops(rnd, **kw)
        recs.append(Rec(seq, rnd.getrandbits(64), rnd.getrandbits(32), len(ops),
                        encode_ops(ops)))
        seq += len(ops)
    return recs


# ---- thin wrappers over the C API ----

def check(rc, err, what=""):
    assert rc == OK, (what, rc, ffi.string(err.message).decode())


class Writer:
    def __init__(self, path, valid_end=None):
        self.err = ffi.new("dc_error *")
        out = ffi.new("dc_wal **")
        p = str(path).encode()
        if valid_end is None:
            check(lib.dc_wal_create(ENV, p, out, self.err), self.err, "create")
        else:
            check(lib.dc_wal_reopen(ENV, p, valid_end, out, self.err), self.err, "reopen")
        self.w = out[0]

    def add(self, rec: Rec):
        check(lib.dc_wal_add(self.w, rec.seq, rec.hlc, rec.origin, rec.count, rec.body,
                             len(rec.body), self.err), self.err, "add")

    def write(self):
        check(lib.dc_wal_write(self.w, self.err), self.err, "write")

    def put(self, *recs):
        for r in recs:
            self.add(r)
        self.write()

    def sync(self):
        check(lib.dc_wal_sync(self.w, self.err), self.err, "sync")

    def size(self):
        return lib.dc_wal_size(self.w)

    def close(self):
        check(lib.dc_wal_close(self.w, self.err), self.err, "close")
        self.w = None


def write_segment(path, recs, group=1):
    w = Writer(path)
    for i in range(0, len(recs), group):
        w.put(*recs[i:i + group])
    w.close()


@ffi.callback("int(void *, const dc_wal_rec *, dc_error *)")
def _collect(ctx, rec, err):
    out = ffi.from_handle(ctx)
    out.append((rec.offset, Rec(rec.seq, rec.hlc, rec.origin, rec.count,
                                bytes(ffi.buffer(rec.body, rec.len)))))
    return OK


def replay(path, is_last=True):
    """Returns (rc, [(offset, Rec)], valid_end, message)."""
    out = []
    handle = ffi.new_handle(out)
    ve = ffi.new("uint64_t *", 12345)
    err = ffi.new("dc_error *")
    rc = lib.dc_wal_replay(ENV, str(path).encode(), 1 if is_last else 0, _collect, handle, ve,
                           err)
    assert err.code == rc
    return rc, out, ve[0], ffi.string(err.message).decode()


class Reader:
    def __init__(self, path):
        self.err = ffi.new("dc_error *")
        out = ffi.new("dc_wal_reader **")
        check(lib.dc_wal_reader_open(ENV, str(path).encode(), out, self.err), self.err)
        self.r = out[0]
        self.rec = ffi.new("dc_wal_rec *")

    def next(self, limit=NO_LIMIT):
        """Returns (rc, (offset, Rec) or None, message)."""
        self.err.code = OK
        self.err.message = b""
        rc = lib.dc_wal_reader_next(self.r, limit, self.rec, self.err)
        if rc != OK:
            return rc, None, ffi.string(self.err.message).decode()
        r = self.rec
        return rc, (r.offset, Rec(r.seq, r.hlc, r.origin, r.count,
                                  bytes(ffi.buffer(r.body, r.len)))), ""

    def close(self):
        lib.dc_wal_reader_close(self.r)


def offsets_of(recs, start=0):
    offs, off = [], start
    for r in recs:
        offs.append(off)
        off += HEADER + len(r.body)
    return offs, off


def assert_records(got, recs, start=0):
    offs, _ = offsets_of(recs, start)
    assert [o for o, _ in got] == offs
    assert [r.key() for _, r in got] == [r.key() for r in recs]


def assert_corrupt_at(rc, msg, path, offset):
    assert rc == CORRUPT, (rc, msg)
    assert str(path) in msg, msg
    assert f"at offset {offset}:" in msg, (offset, msg)


# ---- round trips ----

def test_round_trip_many_records(tmp_path):
    rnd = random.Random(1)
    recs = random_records(rnd, 600)
    path = tmp_path / "00000000000000000001.log"
    w = Writer(path)
    i = 0
    while i < len(recs):  # random group sizes: one append per group
        g = rnd.randrange(1, 8)
        for r in recs[i:i + g]:
            w.add(r)
        assert w.size() == offsets_of(recs[:i])[1]  # add does no I/O
        w.write()
        i += g
        assert w.size() == offsets_of(recs[:i])[1] == path.stat().st_size
    w.sync()
    w.close()
    # byte-exact format
    assert path.read_bytes() == b"".join(r.encode() for r in recs)
    for is_last in (True, False):
        rc, got, ve, msg = replay(path, is_last)
        assert rc == OK, msg
        assert_records(got, recs)
        assert ve == path.stat().st_size


def test_large_records_cross_read_chunks(tmp_path):
    # Bodies of up to ~1.5 MB straddle the reader's chunk boundaries.
    rnd = random.Random(2)
    recs, seq = [], 1
    for n in (10, 300_000, 5, 1_500_000, 70_000, 4_500_000, 3, 1):
        ops = [(b"k%d" % n, rnd.randbytes(n))]
        recs.append(Rec(seq, n, 7, 1, encode_ops(ops)))
        seq += 1
    recs += random_records(rnd, 50, seq=seq)
    path = tmp_path / "big.log"
    write_segment(path, recs, group=3)
    rc, got, ve, msg = replay(path)
    assert rc == OK, msg
    assert_records(got, recs)
    assert ve == path.stat().st_size
    r = Reader(path)
    got = [r.next()[1] for _ in recs]
    assert_records(got, recs)
    assert r.next()[0] == NOTFOUND
    r.close()


def test_empty_segment_and_empty_records(tmp_path):
    path = tmp_path / "e.log"
    write_segment(path, [])
    assert path.stat().st_size == 0
    assert replay(path) == (OK, [], 0, "")
    assert replay(path, False) == (OK, [], 0, "")
    # a zero-length body with count 0 is allowed
    recs = [Rec(5, 1, 2, 0, b""), Rec(5, 2, 2, 1, encode_ops([(b"a", b"b")])),
            Rec(6, 3, 2, 0, b"")]
    write_segment(path, recs)
    rc, got, ve, msg = replay(path)
    assert rc == OK, msg
    assert_records(got, recs)
    assert ve == 32 + 32 + 5 + 32


def test_write_with_nothing_added_is_a_noop(tmp_path):
    path = tmp_path / "n.log"
    w = Writer(path)
    w.write()
    w.write()
    assert w.size() == 0
    w.put(Rec(1, 1, 1, 1, encode_ops([(b"k", None)])))
    w.write()
    assert w.size() == 35 == path.stat().st_size
    w.close()


def test_missing_file(tmp_path):
    rc, got, ve, msg = replay(tmp_path / "nope.log")
    assert rc == NOTFOUND and "nope.log" in msg


def test_reopen_and_append(tmp_path):
    rnd = random.Random(3)
    recs = random_records(rnd, 40)
    path = tmp_path / "r.log"
    write_segment(path, recs, group=4)
    rc, got, ve, msg = replay(path)
    assert rc == OK and ve == path.stat().st_size
    more = random_records(rnd, 25, seq=recs[-1].seq + recs[-1].count)
    w = Writer(path, valid_end=ve)
    assert w.size() == ve
    w.put(*more[:10])
    w.put(*more[10:])
    assert w.size() == path.stat().st_size
    w.close()
    rc, got, ve2, msg = replay(path)
    assert rc == OK, msg
    assert_records(got, recs + more)
    assert ve2 == path.stat().st_size
    assert path.read_bytes() == b"".join(r.encode() for r in recs + more)


def test_reopen_past_end_is_misuse(tmp_path):
    path = tmp_path / "m.log"
    write_segment(path, random_records(random.Random(4), 2))
    err = ffi.new("dc_error *")
    out = ffi.new("dc_wal **")
    rc = lib.dc_wal_reopen(ENV, str(path).encode(), path.stat().st_size + 1, out, err)
    assert rc == MISUSE and str(path) in ffi.string(err.message).decode()


# ---- torn tails ----

def test_torn_tail_at_every_length(tmp_path):
    rnd = random.Random(5)
    recs = random_records(rnd, 6, max_ops=3, max_val=40)
    src = tmp_path / "src.log"
    write_segment(src, recs, group=6)  # one append: a crash tears inside it
    data = src.read_bytes()
    offs, end = offsets_of(recs)
    last = offs[-1]
    assert end == len(data)
    more = random_records(rnd, 3, seq=recs[-1].seq + recs[-1].count)
    path = tmp_path / "t.log"
    for cut in range(last, end):
        path.write_bytes(data[:cut])
        rc, got, ve, msg = replay(path, True)
        assert rc == OK, (cut, msg)
        assert_records(got, recs[:-1])
        assert ve == last, cut
        rc, got, ve, msg = replay(path, False)
        if cut == last:  # a clean end: nothing torn
            assert rc == OK and ve == last
        else:
            assert_corrupt_at(rc, msg, path, last)
            assert "not the last" in msg
            assert_records(got, recs[:-1])
        # recovery: truncate at valid_end and keep appending
        w = Writer(path, valid_end=last)
        w.put(*more)
        w.close()
        rc, got, ve, msg = replay(path, True)
        assert rc == OK, (cut, msg)
        assert_records(got, recs[:-1] + more)
        assert ve == path.stat().st_size


def test_torn_tail_inside_earlier_records_of_one_append(tmp_path):
    # A cut inside any record of the last append drops it and all after it.
    rnd = random.Random(6)
    recs = random_records(rnd, 5, max_ops=2, max_val=20)
    path = tmp_path / "t.log"
    write_segment(path, recs, group=5)
    data = path.read_bytes()
    offs, end = offsets_of(recs)
    for cut in range(0, end):
        k = max(i for i, o in enumerate(offs) if o <= cut)
        path.write_bytes(data[:cut])
        rc, got, ve, msg = replay(path, True)
        assert rc == OK, (cut, msg)
        assert_records(got, recs[:k])
        assert ve == offs[k]


@pytest.mark.parametrize("zeros", [1, 5, 31, 32, 33, 100, 4096, 300_000, 5_000_000])
def test_zero_filled_tail(tmp_path, zeros):
    rnd = random.Random(7)
    recs = random_records(rnd, 8)
    path = tmp_path / "z.log"
    write_segment(path, recs)
    _, end = offsets_of(recs)
    with open(path, "ab") as f:
        f.write(b"\0" * zeros)
    rc, got, ve, msg = replay(path, True)
    assert rc == OK, msg
    assert_records(got, recs)
    assert ve == end
    rc, got, ve, msg = replay(path, False)
    assert_corrupt_at(rc, msg, path, end)
    # reopen truncates the zeros and appends after the last record
    more = random_records(rnd, 2, seq=100)
    w = Writer(path, valid_end=end)
    w.put(*more)
    w.close()
    rc, got, ve, msg = replay(path, True)
    assert rc == OK
    assert_records(got, recs + more)


def test_zeros_over_the_end_of_the_last_record(tmp_path):
    # A crash after the file grew but before some of its pages were written:
    # the last record is cut short and zeros follow, past its declared end or not.
    rnd = random.Random(8)
    recs = random_records(rnd, 4, max_ops=3, max_val=60)
    path = tmp_path / "z.log"
    write_segment(path, recs)
    data = path.read_bytes()
    offs, end = offsets_of(recs)
    for keep in range(offs[-1], end):
        for extra in (0, 7, end - keep, end - keep + 50, 10_000):
            path.write_bytes(data[:keep] + b"\0" * extra)
            rc, got, ve, msg = replay(path, True)
            if keep == offs[-1] and extra == 0:
                assert rc == OK and ve == offs[-1]
                continue
            assert rc == OK, (keep, extra, msg)
            assert_records(got, recs[:-1])
            assert ve == offs[-1]


def _flip_positions(rec_len):
    """(field, byte index within the record) for every header byte and some body bytes."""
    out = []
    for name, (off, n) in FIELDS.items():
        out += [(name, off + i) for i in range(n)]
    out += [("body", i) for i in sorted({HEADER, HEADER + 1, HEADER + 2, rec_len // 2 + 16,
                                         rec_len - 1})]
    return out


def test_flipped_byte_in_a_middle_record_is_corrupt(tmp_path):
    rnd = random.Random(9)
    recs = random_records(rnd, 9, max_ops=4, max_val=80)
    path = tmp_path / "000007.log"
    write_segment(path, recs, group=2)
    data = path.read_bytes()
    offs, end = offsets_of(recs)
    for k in (0, 4, 7):  # first, middle, second to last
        start, rec_len = offs[k], offs[k + 1] - offs[k]
        for field, i in _flip_positions(rec_len):
            for mask in (0x01, 0x80, 0xFF):
                bad = bytearray(data)
                bad[start + i] ^= mask
                path.write_bytes(bytes(bad))
                for is_last in (True, False):
                    rc, got, ve, msg = replay(path, is_last)
                    assert_corrupt_at(rc, msg, path, start)
                    assert_records(got, recs[:k])
                    assert ve == start
                    if field == "length":
                        assert "bad record length" in msg, msg
                    else:
                        assert "checksum mismatch" in msg, (field, msg)
                # the tailing reader reports the same place
                r = Reader(path)
                for _ in range(k):
                    assert r.next()[0] == OK
                rc, _, msg = r.next()
                assert_corrupt_at(rc, msg, path, start)
                rc2, _, msg2 = r.next()  # stays there
                assert (rc2, msg2) == (rc, msg)
                r.close()


def test_flipped_byte_in_the_last_record_is_a_torn_tail(tmp_path):
    rnd = random.Random(10)
    recs = random_records(rnd, 5, max_ops=4, max_val=80)
    path = tmp_path / "000008.log"
    write_segment(path, recs)
    data = path.read_bytes()
    offs, end = offsets_of(recs)
    start, rec_len = offs[-1], end - offs[-1]
    for field, i in _flip_positions(rec_len):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(data)
            bad[start + i] ^= mask
            path.write_bytes(bytes(bad))
            rc, got, ve, msg = replay(path, True)
            assert rc == OK, (field, i, mask, msg)
            assert_records(got, recs[:-1])
            assert ve == start
            rc, got, ve, msg = replay(path, False)
            assert_corrupt_at(rc, msg, path, start)
            assert "not the last" in msg


def test_length_damage_does_not_hide_later_records(tmp_path):
    # A middle record whose length now points past EOF must not be taken for a
    # torn tail (that would silently drop every record after it).
    rnd = random.Random(11)
    recs = random_records(rnd, 6)
    path = tmp_path / "l.log"
    write_segment(path, recs)
    data = bytearray(path.read_bytes())
    offs, end = offsets_of(recs)
    struct.pack_into("<I", data, offs[2] + 4, 0x7FFFFFF0)
    path.write_bytes(bytes(data))
    rc, got, ve, msg = replay(path, True)
    assert_corrupt_at(rc, msg, path, offs[2])
    assert "bad record length" in msg
    assert_records(got, recs[:2])
    # ... and the same in the last record is a torn tail
    data = bytearray(b"".join(r.encode() for r in recs))
    struct.pack_into("<I", data, offs[-1] + 4, 0x7FFFFFF0)
    path.write_bytes(bytes(data))
    rc, got, ve, msg = replay(path, True)
    assert rc == OK and ve == offs[-1]
    assert_records(got, recs[:-1])


def test_zeroed_middle_record_is_corrupt(tmp_path):
    # A lost page in the middle (zeros) with valid records after it.
    rnd = random.Random(12)
    recs = random_records(rnd, 6)
    path = tmp_path / "zm.log"
    write_segment(path, recs)
    data = bytearray(path.read_bytes())
    offs, end = offsets_of(recs)
    data[offs[3]:offs[4]] = bytes(offs[4] - offs[3])
    path.write_bytes(bytes(data))
    rc, got, ve, msg = replay(path, True)
    assert_corrupt_at(rc, msg, path, offs[3])
    assert_records(got, recs[:3])


def test_checksum_right_but_body_malformed_is_corrupt(tmp_path):
    good = Rec(1, 1, 1, 1, encode_ops([(b"k", b"v")]))
    bad_bodies = [
        Rec(3, 1, 1, 2, encode_ops([(b"k", b"v")])),        # count says 2, body has 1
        Rec(3, 1, 1, 1, encode_ops([(b"k", b"v")]) + b"x"),  # trailing byte
        Rec(3, 1, 1, 1, b"\x07\x01k"),                      # unknown kind
        Rec(3, 1, 1, 1, b"\x01\x05k"),                      # key runs past the body
        Rec(3, 1, 1, 0, b"\x00\x00"),                       # count 0 with a body
    ]
    path = tmp_path / "b.log"
    for bad in bad_bodies:
        for last in (True, False):  # malformed is never a torn tail
            recs = [good, bad] if last else [good, bad, good]
            path.write_bytes(b"".join(r.encode() for r in recs))
            for is_last in (True, False):
                rc, got, ve, msg = replay(path, is_last)
                assert_corrupt_at(rc, msg, path, HEADER + len(good.body))
                assert "malformed" in msg
                assert_records(got, [good])
            r = Reader(path)
            assert r.next()[0] == OK
            rc, _, msg = r.next()
            assert_corrupt_at(rc, msg, path, HEADER + len(good.body))
            r.close()


def test_callback_error_stops_replay(tmp_path):
    recs = random_records(random.Random(13), 10)
    path = tmp_path / "c.log"
    write_segment(path, recs)
    seen = []

    @ffi.callback("int(void *, const dc_wal_rec *, dc_error *)")
    def stop_at_4(ctx, rec, err):
        seen.append(rec.offset)
        if len(seen) == 4:
            err.code = INVALID
            err.message = b"callback says no"
            return INVALID
        return OK

    err = ffi.new("dc_error *")
    ve = ffi.new("uint64_t *")
    rc = lib.dc_wal_replay(ENV, str(path).encode(), 1, stop_at_4, ffi.NULL, ve, err)
    assert rc == INVALID and ffi.string(err.message) == b"callback says no"
    assert len(seen) == 4
    assert ve[0] == offsets_of(recs)[0][3]


# ---- the tailing reader ----

def test_tailing_reader_follows_a_writer(tmp_path):
    rnd = random.Random(14)
    path = tmp_path / "tail.log"
    w = Writer(path)
    r = Reader(path)
    assert r.next(w.size())[0] == NOTFOUND  # empty
    assert r.next(NO_LIMIT)[0] == NOTFOUND
    expect, seq, read = [], 1, []
    caught_up = True
    for step in range(300):
        group = random_records(rnd, rnd.randrange(1, 4), seq=seq)
        seq = group[-1].seq + group[-1].count
        for rec in group:
            w.add(rec)
        if caught_up:  # added but not written: nothing new for the reader
            assert r.next(w.size())[0] == NOTFOUND
        w.write()
        expect += group
        limit = w.size()
        caught_up = rnd.random() >= 0.3
        if not caught_up:
            continue  # let the reader fall behind
        while True:
            rc, got, msg = r.next(limit)
            if rc == NOTFOUND:
                break
            assert rc == OK, msg
            read.append(got)
        assert len(read) == len(expect)
    assert_records(read, expect)
    w.close()
    r.close()


def test_tailing_reader_limit_inside_a_record(tmp_path):
    rnd = random.Random(15)
    recs = random_records(rnd, 3, max_ops=3, max_val=50)
    path = tmp_path / "lim.log"
    w = Writer(path)
    w.put(recs[0])
    r = Reader(path)
    assert r.next(w.size())[1][1].key() == recs[0].key()
    a = w.size()
    w.put(recs[1], recs[2])  # one append of two records
    b = a + HEADER + len(recs[1].body)
    for limit in range(a, b):  # any limit inside the record: not yet
        assert r.next(limit)[0] == NOTFOUND, limit
    rc, got, _ = r.next(b)
    assert rc == OK and got == (a, got[1]) and got[1].key() == recs[1].key()
    for limit in range(b, w.size()):
        assert r.next(limit)[0] == NOTFOUND, limit
    assert r.next(w.size())[1][1].key() == recs[2].key()
    assert r.next(w.size())[0] == NOTFOUND
    assert r.next(NO_LIMIT)[0] == NOTFOUND
    w.close()
    r.close()


def test_tailing_reader_rereads_after_eof(tmp_path):
    # With no limit (a closed segment) the reader hits EOF; the file can still
    # grow afterwards (here: reopened) and the reader must see it.
    rnd = random.Random(16)
    recs = random_records(rnd, 4)
    path = tmp_path / "g.log"
    write_segment(path, recs[:2])
    r = Reader(path)
    assert r.next()[0] == OK and r.next()[0] == OK
    assert r.next()[0] == NOTFOUND
    w = Writer(path, valid_end=path.stat().st_size)
    w.put(recs[2])
    assert r.next()[1][1].key() == recs[2].key()
    assert r.next()[0] == NOTFOUND
    w.put(recs[3])
    assert r.next()[1][1].key() == recs[3].key()
    w.close()
    r.close()


def test_tailing_reader_damage_below_the_limit(tmp_path):
    rnd = random.Random(17)
    recs = random_records(rnd, 5)
    path = tmp_path / "d.log"
    write_segment(path, recs)
    offs, end = offsets_of(recs)
    data = path.read_bytes()
    # truncated inside the last record: a closed segment must not end there
    path.write_bytes(data[:end - 3])
    r = Reader(path)
    for _ in range(4):
        assert r.next()[0] == OK
    rc, _, msg = r.next()
    assert_corrupt_at(rc, msg, path, offs[4])
    assert r.next(offs[4] + 10)[0] == NOTFOUND  # ... but that limit does not reach its end
    r.close()
    # a bad length that points past the limit is still found
    bad = bytearray(data)
    struct.pack_into("<I", bad, offs[1] + 4, 0x40000000)
    path.write_bytes(bytes(bad))
    r = Reader(path)
    assert r.next(end)[0] == OK
    rc, _, msg = r.next(end)
    assert_corrupt_at(rc, msg, path, offs[1])
    assert "bad record length" in msg
    r.close()


def test_reader_does_not_read_past_the_limit(tmp_path):
    # Garbage beyond the limit (an append in progress) is never looked at.
    recs = random_records(random.Random(18), 3)
    path = tmp_path / "p.log"
    write_segment(path, recs)
    _, end = offsets_of(recs)
    with open(path, "ab") as f:
        f.write(os.urandom(1000))
    r = Reader(path)
    for _ in range(3):
        assert r.next(end)[0] == OK
    assert r.next(end)[0] == NOTFOUND
    assert r.next()[0] == CORRUPT  # once no limit hides it
    r.close()


def test_add_writes_nothing_until_write(tmp_path):
    path = tmp_path / "a.log"
    w = Writer(path)
    recs = random_records(random.Random(19), 20)
    for rec in recs:
        w.add(rec)
    assert path.stat().st_size == 0 and w.size() == 0
    w.close()  # unwritten records are dropped
    assert path.stat().st_size == 0
