/* arena.c — see arena.h. Only the slow path lives here: a fresh block. */
#include "arena.h"

#include <stdlib.h>

struct dc_arena_block {
  struct dc_arena_block *next;
  size_t size;         /* bytes of this block, header included */
  max_align_t data[];  /* so that block data is maximally aligned */
};

void dc_arena_init(dc_arena *a) {
  a->ptr = NULL;
  a->left = 0;
  a->blocks = NULL;
  a->reserved_w = 0;
  atomic_init(&a->usage, 0);
}

void dc_arena_destroy(dc_arena *a) {
  struct dc_arena_block *b = a->blocks;
  while (b) {
    struct dc_arena_block *next = b->next;
    free(b);
    b = next;
  }
  dc_arena_init(a);
}

/* A block with `n` data bytes, linked in and counted; NULL when out of memory. */
static char *new_block(dc_arena *a, size_t n) {
  if (n > SIZE_MAX - sizeof(struct dc_arena_block)) return NULL;
  size_t size = sizeof(struct dc_arena_block) + n;
  struct dc_arena_block *b = malloc(size);
  if (!b) return NULL;
  b->next = a->blocks;
  b->size = size;
  a->blocks = b;
  a->reserved_w += size;
  return (char *)b->data;
}

void *dc_arena_alloc_slow(dc_arena *a, size_t n, size_t align) {
  (void)align; /* fresh block data is maximally aligned */
  char *p;
  if (n > DC_ARENA_BLOCK / 4) {
    /* Its own block: the current block keeps serving small requests. */
    p = new_block(a, n);
  } else {
    p = new_block(a, DC_ARENA_BLOCK);
    if (p) {
      a->ptr = p + n;
      a->left = DC_ARENA_BLOCK - n;
    }
  }
  if (p) atomic_store_explicit(&a->usage, a->reserved_w - a->left, memory_order_relaxed);
  return p;
}
