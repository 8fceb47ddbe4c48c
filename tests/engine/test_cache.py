"""The sharded LRU block cache (cache.c)."""
import random
import threading

from tests.cbuild import load

CDEF = """
typedef struct dc_cache dc_cache;
typedef struct dc_cache_handle dc_cache_handle;
dc_cache *dc_cache_new(size_t capacity_bytes);
void dc_cache_free(dc_cache *c);
dc_cache_handle *dc_cache_lookup(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset);
dc_cache_handle *dc_cache_insert(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset,
                                 void *value, size_t charge, void (*deleter)(void *value));
void *dc_cache_value(dc_cache_handle *h);
void dc_cache_release(dc_cache *c, dc_cache_handle *h);
void dc_cache_erase(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset);
void dc_cache_erase_file(dc_cache *c, uint64_t owner, uint64_t file);
typedef struct dc_cache_stats {
  uint64_t hits, misses, inserts, evictions;
  size_t usage, capacity;
} dc_cache_stats;
void dc_cache_get_stats(dc_cache *c, dc_cache_stats *s);
"""
ffi, lib = load(CDEF, ["cache.c"])

deleted = []
_lock = threading.Lock()


@ffi.callback("void(void *)")
def deleter(v):
    with _lock:
        deleted.append(int(ffi.cast("uintptr_t", v)))


def val(n: int):
    return ffi.cast("void *", n)


def stats(c):
    s = ffi.new("dc_cache_stats *")
    lib.dc_cache_get_stats(c, s)
    return s


def insert(c, fid, off, v, charge, release=True, owner=0):
    h = lib.dc_cache_insert(c, owner, fid, off, val(v), charge, deleter)
    assert h != ffi.NULL
    if release:
        lib.dc_cache_release(c, h)
    return h


def lookup(c, fid, off, owner=0):
    h = lib.dc_cache_lookup(c, owner, fid, off)
    if h == ffi.NULL:
        return None
    v = int(ffi.cast("uintptr_t", lib.dc_cache_value(h)))
    lib.dc_cache_release(c, h)
    return v


def setup_function(_):
    deleted.clear()


def test_insert_lookup_stats():
    c = lib.dc_cache_new(1 << 20)
    insert(c, 1, 0, 100, 10)
    insert(c, 1, 4096, 101, 10)
    insert(c, 2, 0, 200, 10)
    assert lookup(c, 1, 0) == 100
    assert lookup(c, 1, 4096) == 101
    assert lookup(c, 2, 0) == 200
    assert lookup(c, 3, 0) is None
    s = stats(c)
    assert (s.hits, s.misses, s.inserts, s.evictions) == (3, 1, 3, 0)
    assert s.usage == 30 and s.capacity == 1 << 20
    lib.dc_cache_free(c)
    assert sorted(deleted) == [100, 101, 200]


def test_budget_respected_and_lru_evicts_oldest():
    cap = 16 * 1000
    c = lib.dc_cache_new(cap)
    for i in range(1000):
        insert(c, 7, i * 4096, i + 1, 100)
        assert stats(c).usage <= cap
    s = stats(c)
    assert s.evictions == 1000 - s.usage // 100 and s.evictions > 800
    assert len(deleted) == s.evictions
    # the newest entries survive, the oldest are gone
    assert lookup(c, 7, 999 * 4096) == 1000
    assert lookup(c, 7, 0) is None
    lib.dc_cache_free(c)
    assert sorted(deleted) == list(range(1, 1001))


M64 = (1 << 64) - 1


def shard_of(fid: int, off: int) -> int:
    """cache.c's shard choice (top 4 bits of a mix of the key) for owner 0,
    to pick keys that compete for one shard's budget."""
    h = ((fid * 0x9E3779B97F4A7C15) & M64) ^ ((off + 0x632BE59BD9B4E019) & M64)
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    h ^= h >> 33
    return h >> 60


def test_lookup_refreshes_recency():
    c = lib.dc_cache_new(16 * 300)  # 300 bytes per shard
    offs = [o for o in range(1000) if shard_of(5, o) == 3][:4]
    a, b, d, e = offs
    insert(c, 5, a, 1, 100)
    insert(c, 5, b, 2, 100)
    insert(c, 5, d, 3, 100)
    assert lookup(c, 5, a) == 1  # a is now the most recent
    insert(c, 5, e, 4, 100)  # evicts b, the least recently used
    assert deleted == [2]
    assert lookup(c, 5, b) is None
    assert [lookup(c, 5, o) for o in (a, d, e)] == [1, 3, 4]
    assert stats(c).evictions == 1
    lib.dc_cache_free(c)


def test_pinned_entries_survive_eviction():
    c = lib.dc_cache_new(16 * 100)
    pinned = insert(c, 1, 0, 42, 100, release=False)
    for i in range(1, 2000):
        insert(c, 2, i, 1000 + i, 100)
    assert 42 not in deleted
    assert int(ffi.cast("uintptr_t", lib.dc_cache_value(pinned))) == 42
    # still findable: it was never evictable while pinned
    assert lookup(c, 1, 0) == 42
    lib.dc_cache_release(c, pinned)
    # usage comes back within budget once unpinned entries can go
    for i in range(2000, 2100):
        insert(c, 2, i, 1000 + i, 100)
    assert stats(c).usage <= 16 * 100
    lib.dc_cache_free(c)


def test_pinned_entry_replaced_lives_until_release():
    c = lib.dc_cache_new(1 << 20)
    h = insert(c, 1, 0, 5, 10, release=False)
    insert(c, 1, 0, 6, 10)  # replace
    assert lookup(c, 1, 0) == 6
    assert deleted == []
    assert int(ffi.cast("uintptr_t", lib.dc_cache_value(h))) == 5
    lib.dc_cache_release(c, h)
    assert deleted == [5]
    assert stats(c).usage == 10
    insert(c, 1, 0, 7, 10)  # replace an unpinned entry: freed at once
    assert deleted == [5, 6]
    lib.dc_cache_free(c)
    assert deleted == [5, 6, 7]


def test_capacity_zero_frees_on_release():
    c = lib.dc_cache_new(0)
    h = insert(c, 1, 0, 9, 1000, release=False)
    assert int(ffi.cast("uintptr_t", lib.dc_cache_value(h))) == 9
    assert lookup(c, 1, 0) is None
    assert deleted == []
    lib.dc_cache_release(c, h)
    assert deleted == [9]
    assert stats(c).usage == 0
    lib.dc_cache_free(c)


def test_oversized_entry_is_usable_then_dropped():
    c = lib.dc_cache_new(16 * 100)
    h = insert(c, 1, 0, 3, 10_000, release=False)
    assert int(ffi.cast("uintptr_t", lib.dc_cache_value(h))) == 3
    lib.dc_cache_release(c, h)
    assert deleted == [3] and stats(c).usage == 0
    lib.dc_cache_free(c)


def test_erase_file():
    c = lib.dc_cache_new(1 << 20)
    for i in range(100):
        insert(c, 1, i, 100 + i, 10)
        insert(c, 2, i, 300 + i, 10)
    h = lib.dc_cache_lookup(c, 0, 1, 5)  # pinned entry of the erased file
    lib.dc_cache_erase_file(c, 0, 1)
    assert sorted(deleted) == [100 + i for i in range(100) if i != 5]
    assert all(lookup(c, 1, i) is None for i in range(100))
    assert all(lookup(c, 2, i) == 300 + i for i in range(100))
    assert int(ffi.cast("uintptr_t", lib.dc_cache_value(h))) == 105
    lib.dc_cache_release(c, h)
    assert 105 in deleted
    assert stats(c).usage == 1000
    lib.dc_cache_free(c)
    assert len(deleted) == 200


def test_threads_hammer_one_cache():
    c = lib.dc_cache_new(16 * 2000)
    live = {}
    errors = []

    def work(seed):
        rnd = random.Random(seed)
        try:
            for _ in range(3000):
                fid, off = rnd.randrange(4), rnd.randrange(200)
                v = (fid << 20) | (off << 4) | 1
                if rnd.random() < 0.3:
                    insert(c, fid, off, v, rnd.randrange(1, 100))
                else:
                    got = lookup(c, fid, off)
                    if got is not None and got != v:
                        errors.append((fid, off, got))
                if rnd.random() < 0.002:
                    lib.dc_cache_erase_file(c, 0, rnd.randrange(4))
        except Exception as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    s = stats(c)
    assert s.usage <= 16 * 2000
    inserts = s.inserts
    lib.dc_cache_free(c)
    assert len(deleted) == inserts
    del live


def test_owners_keep_apart_and_erase_only_their_own():
    """Dbs sharing a cache number their files alike: the owner (the db's uid)
    keeps (owner, file, offset) keys apart; erasing is per owner."""
    c = lib.dc_cache_new(1 << 20)
    for owner in (1, 2, 3):
        for off in range(50):
            insert(c, 7, off, owner * 1000 + off, 10, owner=owner)
    assert all(lookup(c, 7, off, owner=o) == o * 1000 + off for o in (1, 2, 3) for off in range(50))
    assert lookup(c, 7, 0) is None  # owner 0 has nothing
    lib.dc_cache_erase_file(c, 2, 7)
    assert sorted(deleted) == [2000 + off for off in range(50)]
    assert all(lookup(c, 7, off, owner=2) is None for off in range(50))
    assert all(lookup(c, 7, off, owner=o) == o * 1000 + off for o in (1, 3) for off in range(50))
    assert stats(c).usage == 1000
    lib.dc_cache_free(c)
    assert len(deleted) == 150


def test_erase_one_key():
    c = lib.dc_cache_new(1 << 20)
    insert(c, 1, 0, 10, 10, owner=4)
    insert(c, 1, 8, 11, 10, owner=4)
    insert(c, 1, 0, 12, 10, owner=5)
    h = lib.dc_cache_lookup(c, 4, 1, 8)  # pinned: lives until released
    lib.dc_cache_erase(c, 4, 1, 0)
    lib.dc_cache_erase(c, 4, 1, 8)
    lib.dc_cache_erase(c, 4, 1, 16)  # absent: nothing happens
    assert deleted == [10]
    assert lookup(c, 1, 0, owner=4) is None and lookup(c, 1, 8, owner=4) is None
    assert lookup(c, 1, 0, owner=5) == 12
    assert stats(c).usage == 10
    lib.dc_cache_release(c, h)
    assert sorted(deleted) == [10, 11]
    lib.dc_cache_free(c)
    z = lib.dc_cache_new(0)  # capacity 0: nothing to erase
    lib.dc_cache_erase(z, 4, 1, 0)
    lib.dc_cache_free(z)
