/* skiplist.h — an ordered set of internal keys in an arena, one writer and
 * lock-free readers. The memtable (memtable.c) is built on it.
 *
 * Order: dc_ikey_cmp (ikey.h). Keys are compared against a dc_sl_probe, an
 * internal key given as its parts (user key, trailer), so that a lookup never
 * has to build a key; dc_sl_probe_cmp orders exactly like dc_ikey_cmp. It
 * first compares the user keys' first 8 bytes as big-endian numbers (the
 * probe's is computed once per search); engine keys start with a hash, so
 * that usually decides without a memcmp call.
 *
 * Node layout (one arena allocation, DC_ARENA_ALIGN-aligned):
 *   u32 klen | u32 height | next[height] (atomic pointers) |
 *   internal key (klen bytes) | `extra` caller bytes (the memtable puts
 *   varint32 vlen + value there)
 * Level 0 links every node in order; level i > 0 links a subset. Height is
 * 1 + the number of leading "1 in 4" successes of a per-list xorshift RNG,
 * capped at DC_SL_MAX_HEIGHT.
 *
 * Concurrency: ONE writer at a time (external synchronization) calls
 * dc_sl_alloc/dc_sl_insert; any number of readers search and iterate
 * concurrently without locks. A node is fully written before it is linked;
 * links are published with release stores, bottom level first, and followed
 * with acquire loads, so a reader that reaches a node sees its key and data.
 * Nodes are never unlinked or changed after insertion; they live as long as
 * the arena.
 */
#ifndef DC_SKIPLIST_H
#define DC_SKIPLIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "ikey.h"

#define DC_SL_MAX_HEIGHT 12

typedef struct dc_sl_node dc_sl_node;
struct dc_sl_node {
  uint32_t klen;   /* internal key length (>= 8) */
  uint32_t height; /* entries in next[] */
  _Atomic(dc_sl_node *) next[];
};

typedef struct dc_skiplist {
  dc_arena *arena;
  dc_sl_node *head; /* sentinel of full height, no key */
  atomic_int max_height;
  uint64_t rng; /* writer only */
} dc_skiplist;

/* A search key: user key bytes + trailer (seq << 8 | kind), and the user
 * key's first 8 bytes as a big-endian number (zero-padded), which orders
 * like the bytes when it differs: most comparisons end there. */
typedef struct dc_sl_probe {
  const char *ukey;
  size_t ulen;
  uint64_t trailer;
  uint64_t prefix;
} dc_sl_probe;

static inline uint64_t dc_sl_prefix(const char *p, size_t n) {
  uint64_t v = 0;
  if (n >= 8) {
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
  }
  for (size_t i = 0; i < n; i++) v |= (uint64_t)(unsigned char)p[i] << (56 - 8 * i);
  return v;
}

static inline dc_sl_probe dc_sl_probe_make(const char *ukey, size_t ulen, uint64_t trailer) {
  dc_sl_probe p = {ukey, ulen, trailer, dc_sl_prefix(ukey, ulen)};
  return p;
}

static inline const char *dc_sl_key(const dc_sl_node *n) {
  return (const char *)(n->next + n->height);
}
/* The caller bytes that follow the key. */
static inline const char *dc_sl_extra(const dc_sl_node *n) { return dc_sl_key(n) + n->klen; }

static inline dc_sl_probe dc_sl_probe_ikey(const char *ikey, size_t n) {
  return dc_sl_probe_make(ikey, n - 8, dc_dec64(ikey + n - 8));
}

/* <0, 0, >0 as node n sorts before, equal to, after probe k. */
static inline int dc_sl_probe_cmp(const dc_sl_node *n, const dc_sl_probe *k) {
  const char *nk = dc_sl_key(n);
  size_t nu = n->klen - 8;
  uint64_t np = dc_sl_prefix(nk, nu);
  if (np != k->prefix) return np < k->prefix ? -1 : 1;
  int r = dc_bytes_cmp(nk, nu, k->ukey, k->ulen);
  if (r) return r;
  uint64_t t = dc_dec64(nk + nu);
  return t > k->trailer ? -1 : (t < k->trailer ? 1 : 0);
}

/* Set up an empty list in `arena` (which must outlive it). Returns 0, or -1
 * when out of memory. There is no destroy: the arena owns every node. */
int dc_sl_init(dc_skiplist *sl, dc_arena *arena, uint64_t seed);

/* Writer: allocate a node of random height with room for a klen-byte key
 * (klen >= 8) and `extra` bytes after it; the caller then fills
 * dc_sl_node_key_w(n) (and the extra bytes) and calls dc_sl_insert. NULL
 * when out of memory or klen does not fit 32 bits. */
dc_sl_node *dc_sl_alloc(dc_skiplist *sl, size_t klen, size_t extra);
static inline char *dc_sl_node_key_w(dc_sl_node *n) { return (char *)(n->next + n->height); }

/* Writer: link node n (from dc_sl_alloc, key written). REQUIRES: no equal key
 * in the list (checked in debug builds). */
void dc_sl_insert(dc_skiplist *sl, dc_sl_node *n);

/* Readers. Each returns NULL when there is no such node. */
dc_sl_node *dc_sl_seek(const dc_skiplist *sl, const dc_sl_probe *k); /* first >= k */
dc_sl_node *dc_sl_before(const dc_skiplist *sl, const dc_sl_probe *k); /* last < k */
dc_sl_node *dc_sl_first(const dc_skiplist *sl);
dc_sl_node *dc_sl_last(const dc_skiplist *sl);
static inline dc_sl_node *dc_sl_next(const dc_sl_node *n) {
  return atomic_load_explicit(&((dc_sl_node *)n)->next[0], memory_order_acquire);
}
/* The node before n (a search: O(log n)). */
static inline dc_sl_node *dc_sl_prev(const dc_skiplist *sl, const dc_sl_node *n) {
  dc_sl_probe k = dc_sl_probe_ikey(dc_sl_key(n), n->klen);
  return dc_sl_before(sl, &k);
}

#endif
