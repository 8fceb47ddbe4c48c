/* arena.h — a bump allocator over big blocks, for the memtable.
 *
 * Memory is carved from blocks of DC_ARENA_BLOCK bytes; a request larger than
 * a quarter block gets a block of its own (so a 1 MB value wastes nothing and
 * does not retire the current block). Nothing is freed before the whole arena
 * is destroyed; pointers stay valid and never move until then.
 *
 * Thread-safety: one thread allocates at a time (the memtable's single
 * writer). dc_arena_usage may be read from any thread at
 * any time (relaxed atomics: a recent, never torn, value).
 *
 * Accounting: usage = bytes of all blocks obtained from malloc (headers
 * included) minus the still-unused tail of the current block, i.e. what the
 * arena really holds on to; it only grows.
 */
#ifndef DC_ARENA_H
#define DC_ARENA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define DC_ARENA_BLOCK ((size_t)256 * 1024)
#define DC_ARENA_ALIGN (sizeof(void *)) /* alignment of dc_arena_alloc_aligned */

struct dc_arena_block;

typedef struct dc_arena {
  char *ptr;                     /* next free byte of the current block */
  size_t left;                   /* free bytes at ptr */
  struct dc_arena_block *blocks; /* every block, newest first */
  size_t reserved_w;             /* bytes of all blocks (writer only) */
  atomic_size_t usage;
} dc_arena;

void dc_arena_init(dc_arena *a); /* allocates nothing */
void dc_arena_destroy(dc_arena *a); /* frees every block; the arena may be re-initialised */

/* The slow path: a new block (or an own block for a large n). */
void *dc_arena_alloc_slow(dc_arena *a, size_t n, size_t align);

/* n bytes aligned to DC_ARENA_ALIGN. NULL when out of memory. */
static inline void *dc_arena_alloc_aligned(dc_arena *a, size_t n) {
  size_t pad = (size_t)(-(uintptr_t)a->ptr) & (DC_ARENA_ALIGN - 1);
  if (a->left >= pad && n <= a->left - pad) {
    char *p = a->ptr + pad;
    a->ptr = p + n;
    a->left -= pad + n;
    atomic_store_explicit(&a->usage, a->reserved_w - a->left, memory_order_relaxed);
    return p;
  }
  return dc_arena_alloc_slow(a, n, DC_ARENA_ALIGN);
}

static inline size_t dc_arena_usage(const dc_arena *a) {
  return atomic_load_explicit(&((dc_arena *)a)->usage, memory_order_relaxed);
}

#endif
