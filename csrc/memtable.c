/* memtable.c — memtable.h on the skiplist (skiplist.h) and arena (arena.h).
 *
 * Entry: one skiplist node per (key, seq, kind); its key is the internal key
 * (user key + 8-byte trailer) and its extra bytes are varint32 vlen + value.
 * A delete stores an empty value (any value passed with it is ignored).
 *
 * dc_mem_add refuses (DC_INVALID) what memtable.h rules out: an unknown kind,
 * seq > DC_MAX_SEQ, a key or value that does not fit 32 bits.
 *
 * Ownership: the memtable owns its arena; every key and value pointer handed
 * out points into it and stays valid while a reference is held. Iterators
 * hold a reference each. Counters are atomics: one writer stores, anyone
 * loads.
 *
 * Bloom filter: a point read of a key the memtable does not hold (most reads
 * of a large store: the memtable has a few MiB of it) would otherwise walk
 * the skiplist, a cache miss per level. A blocked bloom filter over user keys
 * answers most of those with one cache line: 2,048 lines of 512 bits (128
 * KiB), 6 bits per key in the line chosen by the key's xxh64. An 8 MiB
 * memtable of 150-byte entries holds about 55,000 keys, about 19 bits per key
 * (well under 1% false positives); bigger memtables of smaller entries only
 * raise the false-positive rate, never give a wrong answer. The writer sets a
 * key's bits (relaxed atomic OR) before the skiplist insert publishes the
 * node with a release store, and the store publishes the sequence number
 * after that; a reader whose snapshot includes the write has acquired that
 * sequence number, so it sees the bits.
 */
#include "memtable.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ikey.h"
#include "skiplist.h"
#include "status.h"
#include "xxh64.h"

#define MEM_BLOOM_LINES 2048u /* a power of two */
#define MEM_BLOOM_PROBES 6

struct dc_memtable {
  atomic_int refs;
  atomic_uint_fast64_t count;
  dc_arena arena;
  dc_skiplist list;
  _Atomic uint64_t *bloom; /* MEM_BLOOM_LINES x 8 words */
};

/* The line (8 words) of hash h, and its probe bits from h's other bits. */
static inline _Atomic uint64_t *bloom_line(const dc_memtable *m, uint64_t h) {
  return m->bloom + (size_t)((h >> 53) & (MEM_BLOOM_LINES - 1)) * 8;
}

static void bloom_add(dc_memtable *m, const char *key, size_t klen) {
  uint64_t h = dc_xxh64(key, klen, 0);
  _Atomic uint64_t *line = bloom_line(m, h);
  for (int i = 0; i < MEM_BLOOM_PROBES; i++) {
    unsigned bit = (unsigned)(h >> (9 * i)) & 511u;
    atomic_fetch_or_explicit(&line[bit >> 6], 1ull << (bit & 63), memory_order_relaxed);
  }
}

static int bloom_may_contain(const dc_memtable *m, const char *key, size_t klen) {
  uint64_t h = dc_xxh64(key, klen, 0);
  _Atomic uint64_t *line = bloom_line(m, h);
  for (int i = 0; i < MEM_BLOOM_PROBES; i++) {
    unsigned bit = (unsigned)(h >> (9 * i)) & 511u;
    if (!(atomic_load_explicit(&line[bit >> 6], memory_order_relaxed) & (1ull << (bit & 63))))
      return 0;
  }
  return 1;
}

dc_memtable *dc_mem_new(void) {
  dc_memtable *m = malloc(sizeof *m);
  if (!m) return NULL;
  atomic_init(&m->refs, 1);
  atomic_init(&m->count, 0);
  dc_arena_init(&m->arena);
  m->bloom = calloc((size_t)MEM_BLOOM_LINES * 8, sizeof *m->bloom);
  if (!m->bloom || dc_sl_init(&m->list, &m->arena, 0x5DEECE66DULL)) {
    free(m->bloom);
    dc_arena_destroy(&m->arena);
    free(m);
    return NULL;
  }
  return m;
}

void dc_mem_ref(dc_memtable *m) { atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed); }

void dc_mem_unref(dc_memtable *m) {
  /* acq_rel: the last holder sees every other holder's last use (a fence
   * would do, but ThreadSanitizer does not model fences). */
  int old = atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel);
  DC_ASSERT(old > 0);
  if (old == 1) {
    dc_arena_destroy(&m->arena);
    free(m->bloom);
    free(m);
  }
}

int dc_mem_add(dc_memtable *m, uint64_t seq, int kind, const char *key, size_t klen,
               const char *val, size_t vlen) {
  /* Out-of-contract input is refused, not trusted: a bad trailer would corrupt
   * the order of everything after it. */
  if (seq > DC_MAX_SEQ || (kind != DC_KIND_PUT && kind != DC_KIND_DEL)) return DC_INVALID;
  if (kind == DC_KIND_DEL) vlen = 0; /* a tombstone has no value, whatever was passed */
  if (klen > UINT32_MAX - 8 || vlen > UINT32_MAX) return DC_INVALID;
  size_t iklen = klen + 8;
  dc_sl_node *n = dc_sl_alloc(&m->list, iklen, (size_t)dc_varint_len(vlen) + vlen);
  if (!n) return DC_NOMEM;
  char *p = dc_sl_node_key_w(n);
  if (klen) memcpy(p, key, klen);
  dc_enc64(p + klen, dc_pack_trailer(seq, kind));
  p = dc_put_varint32(p + iklen, (uint32_t)vlen);
  if (vlen) memcpy(p, val, vlen);
  bloom_add(m, key, klen); /* before the insert publishes the node */
  dc_sl_insert(&m->list, n);
  uint64_t c = atomic_load_explicit(&m->count, memory_order_relaxed);
  atomic_store_explicit(&m->count, c + 1, memory_order_relaxed);
  return DC_OK;
}

/* The value stored in node n. */
static const char *node_value(const dc_sl_node *n, size_t *vlen) {
  const unsigned char *p = (const unsigned char *)dc_sl_extra(n);
  uint32_t v = 0;
  for (int shift = 0;; shift += 7) { /* always complete: dc_mem_add wrote it */
    uint32_t b = *p++;
    v |= (b & 127) << shift;
    if (b < 128) break;
  }
  *vlen = v;
  return (const char *)p;
}

int dc_mem_get(dc_memtable *m, const char *key, size_t klen, uint64_t snap_seq,
               const char **val, size_t *vlen) {
  if (snap_seq > DC_MAX_SEQ) snap_seq = DC_MAX_SEQ;
  if (!bloom_may_contain(m, key, klen)) return DC_GET_MISS;
  dc_sl_probe k = dc_sl_probe_make(key, klen, dc_pack_trailer(snap_seq, DC_KIND_SEEK));
  const dc_sl_node *n = dc_sl_seek(&m->list, &k);
  if (!n || n->klen - 8 != klen || (klen && memcmp(dc_sl_key(n), key, klen) != 0))
    return DC_GET_MISS;
  if (dc_ikey_kind(dc_sl_key(n), n->klen) == DC_KIND_DEL) return DC_GET_DELETED;
  *val = node_value(n, vlen);
  return DC_GET_FOUND;
}

size_t dc_mem_bytes(const dc_memtable *m) { return dc_arena_usage(&m->arena); }

uint64_t dc_mem_count(const dc_memtable *m) {
  return atomic_load_explicit(&((dc_memtable *)m)->count, memory_order_relaxed);
}

/* ---- iterator ---- */

typedef struct mem_iter {
  dc_iter base;
  dc_memtable *m;
  const dc_sl_node *node; /* NULL: not valid */
} mem_iter;

static int mi_valid(dc_iter *it) { return ((mem_iter *)it)->node != NULL; }

static void mi_seek_first(dc_iter *it) {
  mem_iter *mi = (mem_iter *)it;
  mi->node = dc_sl_first(&mi->m->list);
}

static void mi_seek_last(dc_iter *it) {
  mem_iter *mi = (mem_iter *)it;
  mi->node = dc_sl_last(&mi->m->list);
}

static void mi_seek(dc_iter *it, const char *ikey, size_t n) {
  mem_iter *mi = (mem_iter *)it;
  DC_ASSERT(n >= 8);
  dc_sl_probe k = dc_sl_probe_ikey(ikey, n);
  mi->node = dc_sl_seek(&mi->m->list, &k);
}

static void mi_next(dc_iter *it) {
  mem_iter *mi = (mem_iter *)it;
  DC_ASSERT(mi->node);
  mi->node = dc_sl_next(mi->node);
}

static void mi_prev(dc_iter *it) {
  mem_iter *mi = (mem_iter *)it;
  DC_ASSERT(mi->node);
  mi->node = dc_sl_prev(&mi->m->list, mi->node);
}

static const char *mi_key(dc_iter *it, size_t *n) {
  const dc_sl_node *node = ((mem_iter *)it)->node;
  DC_ASSERT(node);
  *n = node->klen;
  return dc_sl_key(node);
}

static const char *mi_value(dc_iter *it, size_t *n) {
  const dc_sl_node *node = ((mem_iter *)it)->node;
  DC_ASSERT(node);
  return node_value(node, n);
}

static int mi_status(dc_iter *it, dc_error *err) {
  (void)it;
  (void)err;
  return DC_OK;
}

static void mi_destroy(dc_iter *it) {
  mem_iter *mi = (mem_iter *)it;
  dc_mem_unref(mi->m);
  free(mi);
}

static const dc_iter_vt mem_iter_vt = {mi_valid, mi_seek_first, mi_seek_last, mi_seek,
                                       mi_next,  mi_prev,       mi_key,       mi_value,
                                       mi_status, mi_destroy};

dc_iter *dc_mem_iter(dc_memtable *m) {
  mem_iter *mi = malloc(sizeof *mi);
  if (!mi) return dc_iter_empty(DC_NOMEM, "memtable iterator: out of memory");
  mi->base.vt = &mem_iter_vt;
  mi->m = m;
  mi->node = NULL;
  dc_mem_ref(m);
  return &mi->base;
}
