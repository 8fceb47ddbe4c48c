"""Sorted string tables (sst_builder.c, sst_reader.c, transform.c) against a
Python model: gets at snapshots, iteration, compression, damage."""
import bisect
import os
import random
import struct
import threading

import pytest

from tests.cbuild import BUF_CDEF, ENV_CDEF, ERROR_CDEF, ITER_CDEF, load

CDEF = ERROR_CDEF + BUF_CDEF + ITER_CDEF + ENV_CDEF + """

int dc_err_set(dc_error *err, int code, const char *fmt, ...);

typedef struct dc_cache dc_cache;
dc_cache *dc_cache_new(size_t capacity_bytes);
void dc_cache_free(dc_cache *c);
typedef struct dc_cache_stats {
  uint64_t hits, misses, inserts, evictions;
  size_t usage, capacity;
} dc_cache_stats;
void dc_cache_get_stats(dc_cache *c, dc_cache_stats *s);
typedef struct dc_cache_handle dc_cache_handle;
dc_cache_handle *dc_cache_lookup(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset);
void dc_cache_release(dc_cache *c, dc_cache_handle *h);

typedef struct dc_transform { int zstd_level; } dc_transform;
int dc_zstd_load(const char *library_path, dc_error *err);
int dc_zstd_available(void);
int dc_transform_encode(const dc_transform *t, const char *raw, size_t len, dc_buf *out,
                        dc_error *err);
int dc_transform_decode(const char *stored, size_t len, const char **raw, size_t *raw_len,
                        int *owned, const char *file, uint64_t offset, dc_error *err);

typedef struct dc_sst_options {
  size_t block_bytes;
  int restart_interval;
  int bloom_bits_per_key;
  dc_transform transform;
} dc_sst_options;
typedef struct dc_sst_meta {
  uint64_t file_size;
  uint64_t entries;
  char *smallest, *largest;
  size_t smallest_len, largest_len;
  uint64_t min_seq, max_seq;
} dc_sst_meta;
void dc_sst_meta_free(dc_sst_meta *m);
typedef struct dc_sst_builder dc_sst_builder;
int dc_sst_builder_new(dc_env *env, const char *path, const dc_sst_options *opt,
                       dc_sst_builder **out, dc_error *err);
int dc_sst_builder_add(dc_sst_builder *b, const char *ikey, size_t klen, const char *val,
                       size_t vlen, dc_error *err);
uint64_t dc_sst_builder_entries(const dc_sst_builder *b);
uint64_t dc_sst_builder_size(const dc_sst_builder *b);
int dc_sst_builder_finish(dc_sst_builder *b, dc_sst_meta *meta, dc_error *err);
void dc_sst_builder_abandon(dc_sst_builder *b);
typedef struct dc_sst dc_sst;
int dc_sst_open(dc_env *env, const char *path, uint64_t file_number, dc_cache *cache,
                uint64_t cache_owner, int paranoid, dc_sst **out, dc_error *err);
void dc_sst_close(dc_sst *t);
int dc_sst_get(dc_sst *t, const char *ukey, size_t ulen, uint64_t snap_seq, int *result,
               dc_buf *val, dc_error *err);
int dc_sst_may_contain(dc_sst *t, const char *ukey, size_t ulen);
dc_iter *dc_sst_iter(dc_sst *t);
uint64_t dc_sst_file_size(const dc_sst *t);
typedef struct dc_sst_read_stats { uint64_t bloom_useful; uint64_t blocks_read; } dc_sst_read_stats;
void dc_sst_get_read_stats(dc_sst_read_stats *s);
void free(void *);
"""
SOURCES = ["block_builder.c", "block_reader.c", "bloom.c", "transform.c", "cache.c",
           "sst_builder.c", "sst_reader.c", "env.c", "env_posix.c", "status.c", "xxh64.c"]
ffi, lib = load(CDEF, SOURCES)

DC_OK, DC_NOTFOUND, DC_CORRUPT, DC_IOERR, DC_MISUSE, DC_INVALID = 0, 1, 2, 3, 7, 9
MISS, FOUND, DELETED = 0, 1, 2
PUT, DEL = 1, 0
MAX_SEQ = (1 << 56) - 1


def zstd_path() -> str:
    import backports.zstd._zstd as z

    return z.__file__


def load_zstd():
    err = ffi.new("dc_error *")
    assert lib.dc_zstd_load(zstd_path().encode(), err) == DC_OK, ffi.string(err.message)
    assert lib.dc_zstd_available()


# ---------------------------------------------------------------- model

def ikey(ukey: bytes, seq: int, kind: int) -> bytes:
    return ukey + struct.pack("<Q", (seq << 8) | kind)


def order(k: bytes):
    return (k[:-8], -struct.unpack("<Q", k[-8:])[0])


class Model:
    """Entries sorted in internal-key order; get(ukey, snap) as the table should answer."""

    def __init__(self, entries):
        self.entries = sorted(entries, key=lambda e: order(e[0]))
        self.orders = [order(k) for k, _ in self.entries]

    def get(self, ukey, snap):
        i = bisect.bisect_left(self.orders, (ukey, -((snap << 8) | 1)))
        if i == len(self.entries):
            return MISS, None
        k, v = self.entries[i]
        if k[:-8] != ukey:
            return MISS, None
        return (FOUND, v) if k[-8] & 0xFF == PUT else (DELETED, None)

    def seek(self, target):
        return bisect.bisect_left(self.orders, order(target))


# ---------------------------------------------------------------- helpers

def opts(block_bytes=4096, restart=16, bloom=10, zstd=0):
    o = ffi.new("dc_sst_options *")
    o.block_bytes = block_bytes
    o.restart_interval = restart
    o.bloom_bits_per_key = bloom
    o.transform.zstd_level = zstd
    return o


def build(path, entries, env=None, **kw):
    """Write entries (sorted already) to path; returns the meta as a dict."""
    err = ffi.new("dc_error *")
    b = ffi.new("dc_sst_builder **")
    rc = lib.dc_sst_builder_new(env or ffi.NULL, str(path).encode(), opts(**kw), b, err)
    assert rc == DC_OK, ffi.string(err.message)
    for k, v in entries:
        rc = lib.dc_sst_builder_add(b[0], k, len(k), v, len(v), err)
        if rc:
            lib.dc_sst_builder_abandon(b[0])
            raise AssertionError(ffi.string(err.message))
    assert lib.dc_sst_builder_entries(b[0]) == len(entries)
    m = ffi.new("dc_sst_meta *")
    rc = lib.dc_sst_builder_finish(b[0], m, err)
    assert rc == DC_OK, ffi.string(err.message)
    meta = dict(file_size=m.file_size, entries=m.entries, min_seq=m.min_seq, max_seq=m.max_seq,
                smallest=ffi.buffer(m.smallest, m.smallest_len)[:] if m.smallest else None,
                largest=ffi.buffer(m.largest, m.largest_len)[:] if m.largest else None)
    lib.dc_sst_meta_free(m)
    return meta


class DcError(Exception):
    def __init__(self, code, msg):
        super().__init__(code, msg)
        self.code, self.msg = code, msg


class Table:
    def __init__(self, path, number=1, cache=ffi.NULL, paranoid=0, env=None, owner=0):
        self.path = str(path)
        err = ffi.new("dc_error *")
        out = ffi.new("dc_sst **")
        self.rc = lib.dc_sst_open(env or ffi.NULL, self.path.encode(), number, cache, owner,
                                  paranoid, out, err)
        self.msg = ffi.string(err.message).decode()
        self.t = out[0] if self.rc == DC_OK else None

    def get(self, ukey, snap=MAX_SEQ):
        res = ffi.new("int *")
        buf = ffi.new("dc_buf *")
        err = ffi.new("dc_error *")
        rc = lib.dc_sst_get(self.t, ukey, len(ukey), snap, res, buf, err)
        v = ffi.buffer(buf.data, buf.len)[:] if buf.data else b""
        lib.free(buf.data)
        if rc != DC_OK:
            raise DcError(rc, ffi.string(err.message).decode())
        return res[0], (v if res[0] == FOUND else None)

    def iter(self):
        return Iter(lib.dc_sst_iter(self.t))

    def close(self):
        if self.t is not None:
            lib.dc_sst_close(self.t)
            self.t = None


class Iter:
    def __init__(self, it):
        assert it != ffi.NULL
        self.it, self.vt = it, it.vt

    def valid(self):
        return bool(self.vt.valid(self.it))

    def key(self):
        n = ffi.new("size_t *")
        return ffi.buffer(self.vt.key(self.it, n), n[0])[:]

    def value(self):
        n = ffi.new("size_t *")
        p = self.vt.value(self.it, n)
        return ffi.buffer(p, n[0])[:] if n[0] else b""

    def seek(self, k):
        self.vt.seek(self.it, k, len(k))

    def status(self):
        e = ffi.new("dc_error *")
        rc = self.vt.status(self.it, e)
        return rc, ffi.string(e.message).decode()

    def forward(self):
        out = []
        self.vt.seek_first(self.it)
        while self.valid():
            out.append((self.key(), self.value()))
            self.vt.next(self.it)
        return out

    def backward(self):
        out = []
        self.vt.seek_last(self.it)
        while self.valid():
            out.append((self.key(), self.value()))
            self.vt.prev(self.it)
        return out

    def close(self):
        self.vt.destroy(self.it)


def read_stats():
    s = ffi.new("dc_sst_read_stats *")
    lib.dc_sst_get_read_stats(s)
    return s.bloom_useful, s.blocks_read


def gen_entries(rnd, nkeys, max_versions=3, vlen=(0, 60), seq_start=1):
    """Distinct user keys, each with 1..max_versions versions (puts and deletes)."""
    entries = []
    seq = seq_start
    ukeys = sorted({b"user%09d" % rnd.randrange(10 * nkeys) for _ in range(nkeys)})
    for u in ukeys:
        for _ in range(rnd.randrange(1, max_versions + 1)):
            seq += rnd.randrange(1, 4)
            if rnd.random() < 0.2:
                entries.append((ikey(u, seq, DEL), b""))
            else:
                entries.append((ikey(u, seq, PUT), rnd.randbytes(rnd.randrange(*vlen))))
    entries.sort(key=lambda e: order(e[0]))
    return entries, seq


def check_gets(table, model, rnd, n, max_seq):
    ukeys = sorted({k[:-8] for k, _ in model.entries})
    for _ in range(n):
        r = rnd.random()
        if r < 0.6:
            u = rnd.choice(ukeys)
        elif r < 0.8:
            u = b"user%09d" % rnd.randrange(10 ** 9)  # mostly absent
        else:
            u = rnd.choice(ukeys) + b"\0"  # absent, sorts right after a present key
        snap = rnd.choice((MAX_SEQ, max_seq, rnd.randrange(max_seq + 1), 0))
        assert table.get(u, snap) == model.get(u, snap), (u, snap)


def half_compressible(rnd, n=100):
    return rnd.randbytes(n // 2) + bytes(n - n // 2)


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("zstd", [0, 3])
def test_round_trip_100k(tmp_path, zstd):
    if zstd:
        load_zstd()
    rnd = random.Random(100 + zstd)
    entries, max_seq = gen_entries(rnd, 60000, vlen=(0, 40))
    assert len(entries) > 100000
    path = tmp_path / "000001.sst"
    meta = build(path, entries, zstd=zstd)
    assert meta["entries"] == len(entries)
    assert meta["file_size"] == os.path.getsize(path)
    assert meta["smallest"] == entries[0][0] and meta["largest"] == entries[-1][0]
    seqs = [struct.unpack("<Q", k[-8:])[0] >> 8 for k, _ in entries]
    assert (meta["min_seq"], meta["max_seq"]) == (min(seqs), max(seqs))
    model = Model(entries)
    cache = lib.dc_cache_new(8 << 20)
    t = Table(path, 1, cache)
    assert t.rc == DC_OK, t.msg
    assert lib.dc_sst_file_size(t.t) == meta["file_size"]
    check_gets(t, model, rnd, 20000, max_seq)
    it = t.iter()
    assert it.forward() == entries
    assert it.backward() == entries[::-1]
    for _ in range(500):
        k = rnd.choice(entries)[0]
        target = rnd.choice([k, k[:-8] + b"\0" + k[-8:], ikey(k[:-8], rnd.randrange(max_seq), 1)])
        i = model.seek(target)
        it.seek(target)
        if i == len(entries):
            assert not it.valid()
        else:
            assert it.valid() and (it.key(), it.value()) == entries[i]
            for j in range(i + 1, min(i + 5, len(entries))):
                it.vt.next(it.it)
                assert it.key() == entries[j][0]
            for j in range(min(i + 4, len(entries) - 1) - 1, max(i - 5, -1), -1):
                it.vt.prev(it.it)
                assert it.valid() and it.key() == entries[j][0]
    assert it.status()[0] == DC_OK
    it.close()
    t.close()
    # the same answers without a cache, and with paranoid checks at open
    t = Table(path, 1, ffi.NULL, paranoid=1)
    assert t.rc == DC_OK, t.msg
    check_gets(t, model, rnd, 2000, max_seq)
    t.close()
    lib.dc_cache_free(cache)


def test_versions_span_block_boundaries(tmp_path):
    rnd = random.Random(5)
    entries = [(ikey(b"a", 1, PUT), b"first")]
    # 400 versions of "hot" with 100-byte values: ~10 blocks of 4 KiB
    for seq in range(10, 810, 2):
        kind = DEL if seq % 14 == 0 else PUT
        entries.append((ikey(b"hot", seq, kind), b"" if kind == DEL else b"%06d" % seq + rnd.randbytes(94)))
    entries.append((ikey(b"zz", 5, PUT), b"last"))
    entries.sort(key=lambda e: order(e[0]))
    model = Model(entries)
    path = tmp_path / "t.sst"
    build(path, entries, block_bytes=4096, restart=4)
    cache = lib.dc_cache_new(1 << 20)
    t = Table(path, 9, cache)
    for snap in range(0, 820):
        for u in (b"hot", b"a", b"zz", b"ho", b"hotter", b"b"):
            assert t.get(u, snap) == model.get(u, snap), (u, snap)
    it = t.iter()
    assert it.forward() == model.entries
    assert it.backward() == model.entries[::-1]
    it.close()
    t.close()
    # the same with tiny blocks: every entry its own block
    build(path, entries, block_bytes=1, restart=1)
    t = Table(path, 10, cache, paranoid=1)
    for snap in range(0, 820, 3):
        assert t.get(b"hot", snap) == model.get(b"hot", snap)
    it = t.iter()
    assert it.forward() == model.entries
    assert it.backward() == model.entries[::-1]
    it.close()
    t.close()
    lib.dc_cache_free(cache)


def test_bloom_skips_absent_keys_and_cache_saves_reads(tmp_path):
    rnd = random.Random(8)
    entries = [(ikey(b"k%06d" % i, i + 1, PUT), rnd.randbytes(50)) for i in range(20000)]
    path = tmp_path / "b.sst"
    build(path, entries)
    cache = lib.dc_cache_new(64 << 20)
    t = Table(path, 3, cache)
    useful0, reads0 = read_stats()
    absent = [b"x%06d" % i for i in range(5000)]
    assert all(t.get(u) == (MISS, None) for u in absent)
    useful1, reads1 = read_stats()
    assert useful1 - useful0 > 4850  # ~1% false positives
    assert sum(lib.dc_sst_may_contain(t.t, u, len(u)) for u in absent) < 150
    assert all(lib.dc_sst_may_contain(t.t, k[:-8], len(k) - 8) for k, _ in entries)
    for k, v in entries[:2000]:
        assert t.get(k[:-8]) == (FOUND, v)
    _, reads2 = read_stats()
    for k, v in entries[:2000]:
        assert t.get(k[:-8]) == (FOUND, v)
    _, reads3 = read_stats()
    assert reads2 - reads1 > 0 and reads3 == reads2  # second pass: all from the cache
    s = ffi.new("dc_cache_stats *")
    lib.dc_cache_get_stats(cache, s)
    assert s.hits >= 2000 and s.usage > 0
    t.close()
    lib.dc_cache_free(cache)


def test_owners_share_a_cache_and_close_drops_own_blocks(tmp_path):
    """Two tables with the same file number (as two dbs would have) under two
    cache owners: each reads its own blocks, and closing one takes exactly
    its blocks out of the cache."""
    cache = lib.dc_cache_new(64 << 20)
    tables, models = [], []
    for owner in (1, 2):
        entries = [(ikey(b"k%05d" % i, 1, PUT), b"owner%d-%d" % (owner, i)) for i in range(4000)]
        path = tmp_path / f"o{owner}.sst"
        build(path, entries)
        tables.append(Table(path, 5, cache, owner=owner))
        models.append(entries)

    def usage():
        st = ffi.new("dc_cache_stats *")
        lib.dc_cache_get_stats(cache, st)
        return st.usage

    for _ in range(2):  # the second round is served from the cache
        for t, entries in zip(tables, models):
            for k, v in entries[::7]:
                assert t.get(k[:-8]) == (FOUND, v)
    both = usage()
    tables[0].close()
    one = usage()
    assert 0 < one < both
    for k, v in models[1][::7]:
        assert tables[1].get(k[:-8]) == (FOUND, v)
    assert usage() == one  # all hits: nothing read again
    h = lib.dc_cache_lookup(cache, 1, 5, 0)
    assert h == ffi.NULL  # owner 1's first block is gone
    tables[1].close()
    assert usage() == 0
    lib.dc_cache_free(cache)


def test_no_bloom_filter(tmp_path):
    entries = [(ikey(b"k%04d" % i, 7, PUT), b"v%d" % i) for i in range(3000)]
    path = tmp_path / "nb.sst"
    build(path, entries, bloom=0)
    t = Table(path)
    assert t.rc == DC_OK
    assert t.get(b"k0042") == (FOUND, b"v42")
    assert t.get(b"k0042", 6) == (MISS, None)
    assert t.get(b"nope") == (MISS, None)
    assert lib.dc_sst_may_contain(t.t, b"nope", 4) == 1
    t.close()


def test_empty_table(tmp_path):
    path = tmp_path / "e.sst"
    meta = build(path, [])
    assert meta["entries"] == 0 and meta["smallest"] is None
    t = Table(path, paranoid=1)
    assert t.rc == DC_OK, t.msg
    assert t.get(b"a") == (MISS, None)
    it = t.iter()
    assert it.forward() == [] and it.backward() == []
    it.seek(ikey(b"a", 1, 1))
    assert not it.valid() and it.status()[0] == DC_OK
    it.close()
    t.close()


def test_compression_shrinks_half_compressible_values(tmp_path):
    load_zstd()
    rnd = random.Random(11)
    entries = [(ikey(b"key%08d" % i, i + 1, PUT), half_compressible(rnd)) for i in range(20000)]
    raw = build(tmp_path / "raw.sst", entries, zstd=0)["file_size"]
    comp = build(tmp_path / "z.sst", entries, zstd=3)["file_size"]
    ratio = comp / raw
    print(f"half-compressible 100-byte values: {raw} -> {comp} bytes, ratio {ratio:.3f}")
    assert ratio < 0.75
    t = Table(tmp_path / "z.sst")
    for k, v in entries[::97]:
        assert t.get(k[:-8]) == (FOUND, v)
    t.close()
    # random values do not compress: zstd declines, blocks are stored raw
    entries = [(ikey(b"key%08d" % i, i + 1, PUT), rnd.randbytes(100)) for i in range(5000)]
    build(tmp_path / "r1.sst", entries, zstd=0)
    build(tmp_path / "r2.sst", entries, zstd=3)
    r1, r2 = regions(tmp_path / "r1.sst"), regions(tmp_path / "r2.sst")
    assert r1["data"] == r2["data"]  # (the index, with its similar keys, does compress)
    end = r1["data"][1]
    assert (tmp_path / "r1.sst").read_bytes()[:end] == (tmp_path / "r2.sst").read_bytes()[:end]


def test_transform_round_trip_and_declines():
    load_zstd()
    err = ffi.new("dc_error *")
    t = ffi.new("dc_transform *")
    for level, data, compressed in [(0, b"a" * 1000, False), (3, b"a" * 1000, True),
                                    (3, os.urandom(1000), False), (3, b"", False),
                                    (-5, b"ab" * 5000, True)]:
        t.zstd_level = level
        buf = ffi.new("dc_buf *")
        assert lib.dc_transform_encode(t, data, len(data), buf, err) == DC_OK
        stored = ffi.buffer(buf.data, buf.len)[:]
        lib.free(buf.data)
        steps, raw_len, _ = struct.unpack("<BII", stored[-9:])
        assert steps == (1 if compressed else 0) and raw_len == len(data)
        if not compressed:
            assert stored[:-9] == data
        raw = ffi.new("char **")
        rl = ffi.new("size_t *")
        owned = ffi.new("int *")
        rc = lib.dc_transform_decode(stored, len(stored), ffi.cast("const char **", raw), rl,
                                     owned, b"f", 0, err)
        assert rc == DC_OK
        assert ffi.buffer(raw[0], rl[0])[:] == data
        assert owned[0] == (1 if compressed else 0)
        if owned[0]:
            lib.free(raw[0])


def test_zstd_load_errors():
    err = ffi.new("dc_error *")
    # a missing library is an error; an already-loaded zstd stays loaded
    rc = lib.dc_zstd_load(b"/nonexistent/libzstd.so", err)
    if not lib.dc_zstd_available():
        assert rc == DC_INVALID and b"/nonexistent/libzstd.so" in ffi.string(err.message)
    load_zstd()
    assert lib.dc_zstd_load(zstd_path().encode(), err) == DC_OK  # idempotent


def test_builder_rejects_bad_keys(tmp_path):
    err = ffi.new("dc_error *")
    b = ffi.new("dc_sst_builder **")
    path = tmp_path / "bad.sst"
    assert lib.dc_sst_builder_new(ffi.NULL, str(path).encode(), ffi.NULL, b, err) == DC_OK
    k1, k2 = ikey(b"b", 5, PUT), ikey(b"a", 5, PUT)
    assert lib.dc_sst_builder_add(b[0], k1, len(k1), b"", 0, err) == DC_OK
    assert lib.dc_sst_builder_add(b[0], k2, len(k2), b"", 0, err) == DC_MISUSE
    assert b"out of order" in ffi.string(err.message)
    err = ffi.new("dc_error *")
    assert lib.dc_sst_builder_add(b[0], k1, len(k1), b"", 0, err) == DC_MISUSE  # equal
    err = ffi.new("dc_error *")
    assert lib.dc_sst_builder_add(b[0], b"short", 5, b"", 0, err) == DC_MISUSE
    assert lib.dc_sst_builder_size(b[0]) > 0
    lib.dc_sst_builder_abandon(b[0])
    assert not path.exists()


def test_open_missing_or_foreign_files(tmp_path):
    t = Table(tmp_path / "missing.sst")
    assert t.rc == DC_NOTFOUND
    p = tmp_path / "short.sst"
    p.write_bytes(b"x" * 10)
    t = Table(p)
    assert t.rc == DC_CORRUPT and str(p) in t.msg
    p.write_bytes(os.urandom(5000))
    t = Table(p)
    assert t.rc == DC_CORRUPT and str(p) in t.msg and "magic" in t.msg


def test_newer_format_version_is_invalid(tmp_path):
    p = tmp_path / "v.sst"
    build(p, [(ikey(b"a", 1, PUT), b"x")])
    d = bytearray(p.read_bytes())
    assert struct.unpack("<I", d[-16:-12])[0] == 1
    d[-16:-12] = struct.pack("<I", 2)
    p.write_bytes(bytes(d))
    t = Table(p)
    assert t.rc == DC_INVALID and "version 2" in t.msg and str(p) in t.msg


# ---------------------------------------------------------------- damage

def regions(path):
    """(name, offset range) of each region, from the footer."""
    d = open(path, "rb").read()
    foot = d[-48:]

    def varint(p):
        r = s = 0
        while True:
            b = foot[p]
            r |= (b & 127) << s
            p += 1
            s += 7
            if b < 128:
                return r, p

    foff, p = varint(0)
    fsize, p = varint(p)
    ioff, p = varint(p)
    isize, p = varint(p)
    return {"data": (0, foff), "filter": (foff, ioff), "index": (ioff, len(d) - 48),
            "footer": (len(d) - 48, len(d))}


def outcome(path, model, number, cache, env=None):
    """Open and read everything. Returns 'ok' if every answer matched the
    model, or the first error (code, message). Never anything else."""
    t = Table(path, number, cache, env=env)
    if t.rc != DC_OK:
        return t.rc, t.msg
    try:
        it = t.iter()
        fwd = it.forward()
        rc, msg = it.status()
        if rc != DC_OK:
            it.close()
            return rc, msg
        bwd = it.backward()
        rc, msg = it.status()
        it.close()
        if rc != DC_OK:
            return rc, msg
        assert fwd == model.entries and bwd == model.entries[::-1]
        for u in sorted({k[:-8] for k, _ in model.entries}) + [b"absent", b"user0"]:
            for snap in (MAX_SEQ, 3, 0):
                try:
                    got = t.get(u, snap)
                except DcError as e:
                    return e.code, e.msg
                assert got == model.get(u, snap)
        return "ok"
    finally:
        t.close()


@pytest.mark.parametrize("zstd", [0, 3])
def test_every_single_byte_flip_is_detected(tmp_path, zstd):
    """Flip each byte of a small table in turn: the damage must be reported as
    DC_CORRUPT naming the file (DC_INVALID for the format version field), and
    nothing may crash or read out of bounds."""
    if zstd:
        load_zstd()
    rnd = random.Random(21)
    entries, _ = gen_entries(rnd, 60, max_versions=2, vlen=(0, 30))
    model = Model(entries)
    good = tmp_path / "good.sst"
    build(good, entries, block_bytes=512, restart=4, zstd=zstd)
    data = good.read_bytes()
    reg = regions(good)
    assert all(b > a for a, b in reg.values()), reg
    bad = tmp_path / "bad.sst"
    cache = lib.dc_cache_new(1 << 20)
    assert outcome(good, model, 1, cache) == "ok"
    version_bytes = range(len(data) - 16, len(data) - 12)
    for pos in range(len(data)):
        d = bytearray(data)
        d[pos] ^= (0x01, 0x80, 0x10, 0xFF)[pos % 4]
        bad.write_bytes(bytes(d))
        # a fresh file number per try: cached blocks of an earlier try must not answer
        res = outcome(bad, model, 1000 + pos, cache)
        where = [n for n, (a, b) in reg.items() if a <= pos < b]
        assert res != "ok", (pos, where)
        code, msg = res
        if pos in version_bytes:
            assert code in (DC_INVALID, DC_CORRUPT), (pos, res)
        else:
            assert code == DC_CORRUPT, (pos, where, res)
        assert str(bad) in msg, (pos, msg)
    lib.dc_cache_free(cache)


def test_damage_in_each_region_of_a_large_table(tmp_path):
    rnd = random.Random(22)
    entries, _ = gen_entries(rnd, 5000, vlen=(10, 80))
    model = Model(entries)
    good = tmp_path / "good.sst"
    build(good, entries)
    data = good.read_bytes()
    reg = regions(good)
    bad = tmp_path / "bad.sst"
    for name, (a, b) in reg.items():
        for pos in {a, (a + b) // 2, b - 1, rnd.randrange(a, b)}:
            d = bytearray(data)
            d[pos] ^= 0x40
            bad.write_bytes(bytes(d))
            t = Table(bad)
            if name in ("index", "filter", "footer") and pos not in range(len(data) - 16, len(data) - 12):
                # index, filter and footer are read and verified at open
                assert t.rc == DC_CORRUPT and str(bad) in t.msg, (name, pos, t.msg)
                continue
            if name == "data":
                assert t.rc == DC_OK
                # a get that reaches the damaged block reports it; others answer right
                seen_corrupt = False
                for k, _ in entries:
                    try:
                        got = t.get(k[:-8])
                    except DcError as e:
                        assert e.code == DC_CORRUPT and str(bad) in e.msg
                        seen_corrupt = True
                    else:
                        assert got == model.get(k[:-8], MAX_SEQ)
                assert seen_corrupt, (name, pos)
                it = t.iter()
                it.forward()
                rc, msg = it.status()
                assert rc == DC_CORRUPT and str(bad) in msg
                it.close()
            t.close()


def test_truncated_files(tmp_path):
    rnd = random.Random(23)
    entries, _ = gen_entries(rnd, 200)
    good = tmp_path / "good.sst"
    build(good, entries, block_bytes=1024)
    data = good.read_bytes()
    bad = tmp_path / "bad.sst"
    for n in list(range(0, len(data), 97)) + [len(data) - 1, len(data) - 48]:
        bad.write_bytes(data[:n])
        t = Table(bad)
        assert t.rc == DC_CORRUPT and str(bad) in t.msg, n
    # garbage appended after a good table: the footer is no longer last
    bad.write_bytes(data + b"\0" * 10)
    assert Table(bad).rc == DC_CORRUPT


# ---------------------------------------------------------------- env faults

class FailingEnv:
    """The POSIX env with append or sync failing from the Nth call on."""

    def __init__(self, fail_append_at=None, fail_sync=False):
        self.base = lib.dc_env_posix()
        self.env = ffi.new("dc_env *")
        ffi.memmove(self.env, self.base, ffi.sizeof("dc_env"))
        self.appends = 0
        self.fail_append_at = fail_append_at
        self.fail_sync = fail_sync

        @ffi.callback("int(dc_env *, dc_file *, const void *, size_t, dc_error *)")
        def append(env, f, data, n, err):
            self.appends += 1
            if self.fail_append_at is not None and self.appends >= self.fail_append_at:
                return lib.dc_err_set(err, DC_IOERR, b"append %s: injected", ffi.cast("char **", f)[0])
            return self.base.append(self.base, f, data, n, err)

        @ffi.callback("int(dc_env *, dc_file *, dc_error *)")
        def sync(env, f, err):
            if self.fail_sync:
                return lib.dc_err_set(err, DC_IOERR, b"sync: injected")
            return self.base.sync(self.base, f, err)

        self._cbs = (append, sync)
        self.env.append = append
        self.env.sync = sync


@pytest.mark.parametrize("fault", ["append1", "append3", "sync"])
def test_finish_failure_removes_partial_file(tmp_path, fault):
    env = FailingEnv(fail_append_at=int(fault[6:]) if fault.startswith("append") else None,
                     fail_sync=fault == "sync")
    rnd = random.Random(30)
    entries = [(ikey(b"k%06d" % i, 1, PUT), rnd.randbytes(100)) for i in range(8000)]
    path = tmp_path / "f.sst"
    err = ffi.new("dc_error *")
    b = ffi.new("dc_sst_builder **")
    assert lib.dc_sst_builder_new(env.env, str(path).encode(), opts(), b, err) == DC_OK
    rc = DC_OK
    for k, v in entries:
        rc = lib.dc_sst_builder_add(b[0], k, len(k), v, len(v), err)
        if rc:
            break
    if fault == "append1":
        assert rc == DC_IOERR  # the first 256 KiB chunk fails during add
        # the error is sticky: later adds and finish report it too
        err2 = ffi.new("dc_error *")
        k = ikey(b"zzz", 1, PUT)
        assert lib.dc_sst_builder_add(b[0], k, len(k), b"", 0, err2) == DC_IOERR
    m = ffi.new("dc_sst_meta *")
    err3 = ffi.new("dc_error *")
    assert lib.dc_sst_builder_finish(b[0], m, err3) == DC_IOERR
    assert b"injected" in ffi.string(err3.message)
    assert m.smallest == ffi.NULL and m.file_size == 0
    assert not path.exists()


class ReadCountingEnv:
    def __init__(self):
        self.base = lib.dc_env_posix()
        self.env = ffi.new("dc_env *")
        ffi.memmove(self.env, self.base, ffi.sizeof("dc_env"))
        self.reads = 0
        self.fail = False

        @ffi.callback("int(dc_env *, dc_file *, uint64_t, size_t, char *, size_t *, dc_error *)")
        def read(env, f, off, n, buf, got, err):
            self.reads += 1
            if self.fail:
                return lib.dc_err_set(err, DC_IOERR, b"read %s: injected", ffi.cast("char **", f)[0])
            return self.base.read(self.base, f, off, n, buf, got, err)

        self._cb = read
        self.env.read = read


def test_reads_go_through_env_and_errors_surface(tmp_path):
    entries = [(ikey(b"k%05d" % i, 1, PUT), b"v" * 50) for i in range(5000)]
    path = tmp_path / "r.sst"
    build(path, entries)
    env = ReadCountingEnv()
    t = Table(path, env=env.env)
    assert t.rc == DC_OK
    assert env.reads == 3  # footer, index, filter
    assert t.get(b"k00010") == (FOUND, b"v" * 50)
    assert env.reads == 4  # one data block, no cache
    env.fail = True
    with pytest.raises(DcError) as e:
        t.get(b"k00020")
    assert e.value.code == DC_IOERR and "injected" in e.value.msg
    it = t.iter()
    it.forward()
    assert it.status()[0] == DC_IOERR
    it.close()
    t.close()


def test_concurrent_readers(tmp_path):
    load_zstd()
    rnd = random.Random(40)
    entries, max_seq = gen_entries(rnd, 20000, vlen=(20, 120))
    model = Model(entries)
    path = tmp_path / "c.sst"
    build(path, entries, zstd=1)
    cache = lib.dc_cache_new(256 << 10)  # small: blocks come and go
    t = Table(path, 77, cache)
    errors = []

    def reader(seed):
        r = random.Random(seed)
        try:
            check_gets(t, model, r, 3000, max_seq)
            it = t.iter()
            for _ in range(50):
                k = r.choice(entries)[0]
                it.seek(k)
                assert it.key() == k
            it.close()
        except AssertionError as e:
            errors.append(e)

    ts = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    assert not errors
    t.close()
    lib.dc_cache_free(cache)


# ---------------------------------------------------------------- the format, written by hand
# A minimal writer following FORMATS.md, to pin the byte format and to make
# damage that checksums cannot catch (a block with a valid checksum whose
# contents are wrong).

import xxhash  # noqa: E402


def py_varint(v: int) -> bytes:
    out = bytearray()
    while v >= 128:
        out.append((v & 127) | 128)
        v >>= 7
    out.append(v)
    return bytes(out)


def py_block(entries, interval=16) -> bytes:
    out, restarts, last = bytearray(), [], b""
    for i, (k, v) in enumerate(entries):
        shared = 0
        if i % interval == 0:
            restarts.append(len(out))
        else:
            while shared < min(len(k), len(last)) and k[shared] == last[shared]:
                shared += 1
        out += py_varint(shared) + py_varint(len(k) - shared) + py_varint(len(v)) + k[shared:] + v
        last = k
    for r in restarts:
        out += struct.pack("<I", r)
    return bytes(out + struct.pack("<I", len(restarts)))


def py_stored(raw: bytes) -> bytes:
    steps = 0
    return raw + struct.pack("<BII", steps, len(raw),
                             xxhash.xxh64_intdigest(raw + bytes([steps])) & 0xFFFFFFFF)


def py_bloom(ukeys, bits_per_key=10) -> bytes:
    k = min(30, max(1, int(bits_per_key * 0.69 + 0.5)))
    nbits = max(64, len(ukeys) * bits_per_key)
    nbytes = (nbits + 7) // 8
    nbits = nbytes * 8
    bits = bytearray(nbytes)
    for u in ukeys:
        hv = xxhash.xxh64_intdigest(u, 0x9747B28C)
        h1, h2 = hv & 0xFFFFFFFF, hv >> 32
        for i in range(k):
            p = (h1 + i * h2) % nbits
            bits[p >> 3] |= 1 << (p & 7)
    return bytes(bits) + bytes([k])


def py_sst(blocks, index_keys=None, bloom=10, version=1) -> bytes:
    """blocks: lists of (ikey, value); index_keys: per block (default: last key)."""
    out, index = bytearray(), []
    for i, b in enumerate(blocks):
        raw = py_block(b)
        off = len(out)
        out += py_stored(raw)
        index.append(((index_keys or [None] * len(blocks))[i] or b[-1][0],
                      py_varint(off) + py_varint(len(raw))))
    foff = fsize = 0
    if bloom:
        ukeys = []
        for b in blocks:
            for k, _ in b:
                if not ukeys or ukeys[-1] != k[:-8]:
                    ukeys.append(k[:-8])
        f = py_bloom(ukeys, bloom)
        foff, fsize = len(out), len(f)
        out += py_stored(f)
    raw = py_block(index, 1)
    ioff, isize = len(out), len(raw)
    out += py_stored(raw)
    handles = py_varint(foff) + py_varint(fsize) + py_varint(ioff) + py_varint(isize)
    out += handles + bytes(32 - len(handles)) + struct.pack("<IIQ", version, 0, 0x65726F636E7964)
    return bytes(out)


def split_blocks(entries, block_bytes=4096):
    """How the builder cuts blocks: after the entry that brings the estimate to block_bytes."""
    blocks, cur = [], []
    for e in entries:
        cur.append(e)
        if len(py_block(cur)) >= block_bytes:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def test_builder_output_matches_the_documented_format(tmp_path):
    rnd = random.Random(50)
    entries, _ = gen_entries(rnd, 300, vlen=(0, 50))
    path = tmp_path / "fmt.sst"
    build(path, entries, block_bytes=1024)
    assert path.read_bytes() == py_sst(split_blocks(entries, 1024))
    build(path, entries, block_bytes=1024, bloom=0)
    assert path.read_bytes() == py_sst(split_blocks(entries, 1024), bloom=0)


def test_hand_written_table_reads_back(tmp_path):
    rnd = random.Random(51)
    entries, max_seq = gen_entries(rnd, 500)
    path = tmp_path / "hand.sst"
    path.write_bytes(py_sst(split_blocks(entries, 700)))
    t = Table(path, paranoid=1)
    assert t.rc == DC_OK, t.msg
    check_gets(t, Model(entries), rnd, 2000, max_seq)
    t.close()


def test_index_separators_past_the_block_end(tmp_path):
    """An index key may be any key >= the block's last key and < the next
    block's first (a shortened separator); a lookup between the two must go on
    to the next block."""
    blocks = [
        [(ikey(b"apple", 9, PUT), b"a9"), (ikey(b"banana", 5, PUT), b"b5")],
        [(ikey(b"banana", 3, PUT), b"b3"), (ikey(b"banana", 1, DEL), b""),
         (ikey(b"cherry", 2, PUT), b"c2")],
        [(ikey(b"date", 4, PUT), b"d4")],
    ]
    seps = [ikey(b"banana", 4, PUT), ikey(b"czz", 0, PUT), None]
    path = tmp_path / "sep.sst"
    path.write_bytes(py_sst(blocks, seps))
    model = Model([e for b in blocks for e in b])
    t = Table(path, paranoid=1)
    assert t.rc == DC_OK, t.msg
    for u in (b"apple", b"banana", b"cherry", b"date", b"b", b"cz", b"zebra"):
        for snap in range(0, 11):
            assert t.get(u, snap) == model.get(u, snap), (u, snap)
    it = t.iter()
    assert it.forward() == model.entries and it.backward() == model.entries[::-1]
    for k, _ in model.entries:
        it.seek(k)
        assert it.key() == k
    it.close()
    t.close()


def test_damage_behind_a_valid_checksum(tmp_path):
    good = [[(ikey(b"k%03d" % (10 * j + i), 1, PUT), b"v") for i in range(10)] for j in range(3)]
    entries = [e for b in good for e in b]
    path = tmp_path / "d.sst"

    # index keys out of order: paranoid open refuses, a plain open does not look
    path.write_bytes(py_sst(good, [good[1][-1][0], good[0][-1][0], None]))
    t = Table(path, paranoid=1)
    assert t.rc == DC_CORRUPT and "out of order" in t.msg and str(path) in t.msg
    t = Table(path)
    assert t.rc == DC_OK
    t.close()

    # a data block whose entry claims more shared bytes than the previous key has
    raw = bytearray(py_block(good[1]))
    off = 3 + len(good[1][0][0]) + 1  # entry 1
    raw[off] = 60
    data = bytearray(py_sst(good))
    b1 = len(py_stored(py_block(good[0])))
    stored = py_stored(bytes(raw))
    data[b1:b1 + len(stored)] = stored
    path.write_bytes(bytes(data))
    t = Table(path)
    assert t.rc == DC_OK
    assert t.get(b"k005") == (FOUND, b"v")
    with pytest.raises(DcError) as e:
        t.get(b"k015")
    assert e.value.code == DC_CORRUPT and str(path) in e.value.msg and "offset %d" % b1 in e.value.msg
    it = t.iter()
    got = it.forward()
    assert got == entries[:11]
    rc, msg = it.status()
    assert rc == DC_CORRUPT and str(path) in msg
    it.close()
    t.close()

    # an index handle that leaves a gap between blocks
    blocks = py_stored(py_block(good[0])) + b"\0" * 5 + py_stored(py_block(good[2]))
    index = [(good[0][-1][0], py_varint(0) + py_varint(len(py_block(good[0])))),
             (good[2][-1][0], py_varint(len(py_stored(py_block(good[0]))) + 5) +
              py_varint(len(py_block(good[2]))))]
    raw = py_block(index, 1)
    ioff = len(blocks)
    handles = py_varint(0) + py_varint(0) + py_varint(ioff) + py_varint(len(raw))
    path.write_bytes(blocks + py_stored(raw) + handles + bytes(32 - len(handles)) +
                     struct.pack("<IIQ", 1, 0, 0x65726F636E7964))
    t = Table(path)
    assert t.rc == DC_CORRUPT and "bad block handle" in t.msg and str(path) in t.msg

    # a table that ends its index where the footer does not begin
    data = py_sst(good)
    path.write_bytes(data[:-48] + b"\0" + data[-48:])
    t = Table(path)
    assert t.rc == DC_CORRUPT and "out of place" in t.msg


from hypothesis import given, settings, strategies as st  # noqa: E402

_tmp_counter = [0]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from([b"", b"user00000", b"\x00\x00", b"\xff\xff\xff"]),
       st.lists(st.tuples(st.binary(max_size=12), st.integers(1, 50), st.integers(0, 1)),
                min_size=1, max_size=60, unique_by=lambda t: (t[0], t[1])),
       st.lists(st.tuples(st.binary(max_size=14), st.integers(0, 60)), max_size=30),
       st.sampled_from([1, 64, 300]))
def test_index_search_property(tmp_path_factory, common, raw, probes, block_bytes):
    """Keys with long shared prefixes, zero bytes, 0xff bytes and keys that are
    prefixes of others, in tables of many tiny blocks: gets and seeks answer
    as the model does (this exercises the index's prefix search)."""
    entries = sorted(((ikey(common + u, s, k), b"" if k == DEL else b"v%d" % s)
                      for u, s, k in raw), key=lambda e: order(e[0]))
    model = Model(entries)
    _tmp_counter[0] += 1
    path = tmp_path_factory.getbasetemp() / ("prop%d.sst" % _tmp_counter[0])
    build(path, entries, block_bytes=block_bytes, restart=2)
    t = Table(path, paranoid=1)
    assert t.rc == DC_OK, t.msg
    try:
        ukeys = [k[:-8] for k, _ in entries]
        cands = [(common + u, s) for u, s in probes] + [(u, s) for u in ukeys for s in (0, 25, 60)]
        cands += [(u[:-1], 60) for u in ukeys if u] + [(u + b"\0", 60) for u in ukeys[:5]]
        cands += [(common[:-1], 60), (b"", 60), (b"\xff" * 20, 60)]
        for u, s in cands:
            assert t.get(u, s) == model.get(u, s), (u, s)
        it = t.iter()
        assert it.forward() == entries
        for u, s in cands:
            target = ikey(u, s, 1)
            i = model.seek(target)
            it.seek(target)
            if i == len(entries):
                assert not it.valid()
            else:
                assert it.valid() and it.key() == entries[i][0], (u, s)
        it.close()
    finally:
        t.close()
        os.remove(path)
