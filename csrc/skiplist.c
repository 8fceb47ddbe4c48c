/* skiplist.c — see skiplist.h for layout and the concurrency contract.
 *
 * Searches start at the head on the highest level in use and move right
 * while the next node sorts before the key, else down. The writer records the
 * last node visited on each level (prev[]) and links the new node after them,
 * level 0 first, each link a release store.
 */
#include "skiplist.h"

#include "status.h"

static inline dc_sl_node *load_next(const dc_sl_node *n, int level) {
  return atomic_load_explicit(&((dc_sl_node *)n)->next[level], memory_order_acquire);
}

static inline int top_level(const dc_skiplist *sl) {
  return atomic_load_explicit(&((dc_skiplist *)sl)->max_height, memory_order_relaxed) - 1;
}

/* xorshift64*; the high bits are the good ones. */
static uint32_t next_random(dc_skiplist *sl) {
  uint64_t x = sl->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  sl->rng = x;
  return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/* 1 + the number of consecutive 1-in-4 successes, capped. */
static uint32_t random_height(dc_skiplist *sl) {
  uint32_t r = next_random(sl), h = 1;
  while (h < DC_SL_MAX_HEIGHT && (r & 3) == 0) {
    h++;
    r >>= 2;
  }
  return h;
}

static dc_sl_node *alloc_node(dc_arena *a, uint32_t height, size_t klen, size_t extra) {
  size_t links = sizeof(dc_sl_node) + height * sizeof(_Atomic(dc_sl_node *));
  if (klen > UINT32_MAX || extra > SIZE_MAX - links - klen) return NULL;
  dc_sl_node *n = dc_arena_alloc_aligned(a, links + klen + extra);
  if (!n) return NULL;
  n->klen = (uint32_t)klen;
  n->height = height;
  for (uint32_t i = 0; i < height; i++) atomic_init(&n->next[i], NULL);
  return n;
}

int dc_sl_init(dc_skiplist *sl, dc_arena *arena, uint64_t seed) {
  sl->arena = arena;
  sl->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
  atomic_init(&sl->max_height, 1);
  sl->head = alloc_node(arena, DC_SL_MAX_HEIGHT, 0, 0);
  return sl->head ? 0 : -1;
}

dc_sl_node *dc_sl_alloc(dc_skiplist *sl, size_t klen, size_t extra) {
  DC_ASSERT(klen >= 8);
  return alloc_node(sl->arena, random_height(sl), klen, extra);
}

/* First node >= k; when prev is non-NULL, prev[i] gets the last node < k on
 * every level i up to the current top. A node found >= k on one level is not
 * compared again on the levels below (it is the same answer). */
static dc_sl_node *find_ge(const dc_skiplist *sl, const dc_sl_probe *k, dc_sl_node **prev) {
  dc_sl_node *x = sl->head, *bigger = NULL;
  int level = top_level(sl);
  for (;;) {
    dc_sl_node *next = load_next(x, level);
    if (next && next != bigger) {
      /* Start loading both possible successors while `next` is compared:
       * further right on this level, or down from x. */
      if (level > 0) __builtin_prefetch(load_next(x, level - 1));
      __builtin_prefetch(load_next(next, level));
      if (dc_sl_probe_cmp(next, k) < 0) {
        x = next;
        continue;
      }
    }
    if (prev) prev[level] = x;
    if (level == 0) return next;
    bigger = next;
    level--;
  }
}

dc_sl_node *dc_sl_seek(const dc_skiplist *sl, const dc_sl_probe *k) {
  return find_ge(sl, k, NULL);
}

dc_sl_node *dc_sl_before(const dc_skiplist *sl, const dc_sl_probe *k) {
  dc_sl_node *x = sl->head, *bigger = NULL;
  int level = top_level(sl);
  for (;;) {
    dc_sl_node *next = load_next(x, level);
    if (next && next != bigger && dc_sl_probe_cmp(next, k) < 0) {
      x = next;
      continue;
    }
    if (level == 0) return x == sl->head ? NULL : x;
    bigger = next;
    level--;
  }
}

dc_sl_node *dc_sl_first(const dc_skiplist *sl) { return load_next(sl->head, 0); }

dc_sl_node *dc_sl_last(const dc_skiplist *sl) {
  dc_sl_node *x = sl->head;
  int level = top_level(sl);
  for (;;) {
    dc_sl_node *next = load_next(x, level);
    if (next) {
      x = next;
    } else if (level == 0) {
      return x == sl->head ? NULL : x;
    } else {
      level--;
    }
  }
}

void dc_sl_insert(dc_skiplist *sl, dc_sl_node *n) {
  dc_sl_node *prev[DC_SL_MAX_HEIGHT];
  dc_sl_probe k = dc_sl_probe_ikey(dc_sl_key(n), n->klen);
  dc_sl_node *at = find_ge(sl, &k, prev);
  (void)at;
  DC_ASSERT(at == NULL || dc_sl_probe_cmp(at, &k) > 0); /* no duplicate key */
  int height = (int)n->height, top = top_level(sl) + 1;
  if (height > top) {
    for (int i = top; i < height; i++) prev[i] = sl->head;
    /* A reader that sees the new height before the links below just finds
     * NULL at the head on the new levels and moves down. */
    atomic_store_explicit(&sl->max_height, height, memory_order_relaxed);
  }
  for (int i = 0; i < height; i++) {
    dc_sl_node *next = atomic_load_explicit(&prev[i]->next[i], memory_order_relaxed);
    atomic_store_explicit(&n->next[i], next, memory_order_relaxed);
    atomic_store_explicit(&prev[i]->next[i], n, memory_order_release);
  }
}
