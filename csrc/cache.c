/* cache.c — sharded block cache with a byte budget (cache.h).
 *
 * 16 shards, chosen by the top bits of a hash of the key; each shard has
 * its own mutex, hash table (chained, doubled when it fills up), byte budget
 * (capacity / 16, rounded up) and a recency list of its entries.
 *
 * Replacement is LRU approximated by "second chance" (CLOCK): a hit only
 * marks the entry referenced, so lookup and release touch nothing but the
 * bucket and the entry itself (moving an entry in a linked list on every hit
 * writes to its two neighbours: two more cache misses per lookup on a big
 * cache). Eviction looks at the head of the list: an entry that is referenced
 * or pinned goes to the tail with its mark cleared; the first that is
 * neither is evicted. New entries join at the tail unreferenced, so a block
 * read once (by a scan) is the first to go.
 *
 * Reference counting: an entry in the table holds one reference for the
 * cache; each handle holds one more. Pinned entries are never evicted, so
 * usage may exceed the budget while they are pinned; once unpinned they are
 * evicted at their release if the shard is still over budget. An entry
 * removed from the table (evicted, replaced, erased) while pinned lives on
 * until its last release. Deleters run without the shard lock held.
 *
 * dc_cache_erase and dc_cache_erase_file take entries out of the table: the
 * unpinned ones are freed at once, pinned ones at their last release (the
 * file is gone, so nothing should find them again). A table erases its own
 * blocks, by offset, when it is closed (sst_reader.c): that costs one hash
 * lookup per block rather than a scan of a cache that other dbs may share.
 *
 * capacity 0: inserts are not cached at all; the returned handle is the only
 * reference and the entry is freed on its release.
 */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NSHARDS 16

struct dc_cache_handle {
  uint64_t owner, file, offset;
  uint64_t hash;
  void *value;
  dc_cache_handle *next_hash;
  uint32_t refs;
  uint8_t in_cache, referenced;
  size_t charge;
  void (*deleter)(void *);
  dc_cache_handle *prev, *next; /* recency list, while in_cache */
};

typedef struct shard {
  pthread_mutex_t mu;
  size_t capacity, usage;
  dc_cache_handle **table;
  size_t tsize, count; /* tsize: power of two */
  dc_cache_handle list; /* sentinel: list.next is the head (oldest) */
  uint64_t hits, misses, inserts, evictions;
  char pad[64];
} shard;

struct dc_cache {
  size_t capacity;
  shard shards[NSHARDS];
};

/* With owner 0 this is the hash of (file, offset) alone (tests/engine/test_cache.py
 * mirrors it to pick keys of one shard). */
static inline uint64_t hash_key(uint64_t owner, uint64_t file, uint64_t off) {
  uint64_t id = file ^ owner * 0xD6E8FEB86659FD93ULL;
  uint64_t h = id * 0x9E3779B97F4A7C15ULL ^ (off + 0x632BE59BD9B4E019ULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

static inline shard *shard_of(dc_cache *c, uint64_t h) { return &c->shards[h >> 60]; }

dc_cache *dc_cache_new(size_t capacity_bytes) {
  dc_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->capacity = capacity_bytes;
  size_t per = capacity_bytes / NSHARDS + (capacity_bytes % NSHARDS ? 1 : 0);
  for (int i = 0; i < NSHARDS; i++) {
    shard *s = &c->shards[i];
    pthread_mutex_init(&s->mu, NULL);
    s->capacity = per;
    s->tsize = 64;
    s->table = calloc(s->tsize, sizeof *s->table);
    s->list.next = s->list.prev = &s->list;
    if (!s->table) {
      for (int j = 0; j <= i; j++) {
        free(c->shards[j].table);
        pthread_mutex_destroy(&c->shards[j].mu);
      }
      free(c);
      return NULL;
    }
  }
  return c;
}

static inline void list_remove(dc_cache_handle *e) {
  e->next->prev = e->prev;
  e->prev->next = e->next;
  e->next = e->prev = NULL;
}

static inline void list_append(shard *s, dc_cache_handle *e) { /* at the tail */
  e->next = &s->list;
  e->prev = s->list.prev;
  e->prev->next = e;
  e->next->prev = e;
}

static dc_cache_handle **find_slot(shard *s, uint64_t owner, uint64_t file, uint64_t off,
                                   uint64_t h) {
  dc_cache_handle **p = &s->table[h & (s->tsize - 1)];
  while (*p && ((*p)->offset != off || (*p)->file != file || (*p)->owner != owner))
    p = &(*p)->next_hash;
  return p;
}

static void grow(shard *s) {
  size_t nsize = s->tsize * 2;
  dc_cache_handle **nt = calloc(nsize, sizeof *nt);
  if (!nt) return; /* keep the longer chains */
  for (size_t i = 0; i < s->tsize; i++) {
    dc_cache_handle *e = s->table[i];
    while (e) {
      dc_cache_handle *nx = e->next_hash;
      dc_cache_handle **slot = &nt[e->hash & (nsize - 1)];
      e->next_hash = *slot;
      *slot = e;
      e = nx;
    }
  }
  free(s->table);
  s->table = nt;
  s->tsize = nsize;
}

/* Take e (already unlinked from its hash chain) out of the cache and drop the
 * cache's reference; pushes e on *dead (linked through next_hash) if nothing
 * holds it any more. */
static void detach_locked(shard *s, dc_cache_handle *e, dc_cache_handle **dead) {
  e->in_cache = 0;
  s->usage -= e->charge;
  s->count--;
  list_remove(e);
  if (--e->refs == 0) {
    e->next_hash = *dead;
    *dead = e;
  }
}

static void unlink_hash(shard *s, dc_cache_handle *e) {
  dc_cache_handle **p = find_slot(s, e->owner, e->file, e->offset, e->hash);
  if (*p == e) *p = e->next_hash;
  e->next_hash = NULL;
}

/* Evict until the shard is within budget, giving referenced and pinned
 * entries a second chance (bounded: pinned entries may keep it over). */
static void evict_locked(shard *s, dc_cache_handle **dead) {
  size_t budget = 2 * s->count + 1;
  while (s->usage > s->capacity && s->list.next != &s->list && budget-- > 0) {
    dc_cache_handle *e = s->list.next;
    if (e->refs > 1 || e->referenced) {
      e->referenced = 0;
      list_remove(e);
      list_append(s, e);
      continue;
    }
    unlink_hash(s, e);
    s->evictions++;
    detach_locked(s, e, dead);
  }
}

static void free_chain(dc_cache_handle *dead) {
  while (dead) {
    dc_cache_handle *nx = dead->next_hash;
    if (dead->deleter) dead->deleter(dead->value);
    free(dead);
    dead = nx;
  }
}

void dc_cache_free(dc_cache *c) {
  if (!c) return;
  for (int i = 0; i < NSHARDS; i++) {
    shard *s = &c->shards[i];
    dc_cache_handle *dead = NULL;
    for (size_t j = 0; j < s->tsize; j++) {
      dc_cache_handle *e = s->table[j];
      while (e) {
        dc_cache_handle *nx = e->next_hash;
        /* REQUIRES no pinned handles; an entry still pinned is leaked rather
         * than freed under its holder. */
        e->next_hash = NULL;
        detach_locked(s, e, &dead);
        e = nx;
      }
    }
    free_chain(dead);
    free(s->table);
    pthread_mutex_destroy(&s->mu);
  }
  free(c);
}

dc_cache_handle *dc_cache_lookup(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset) {
  uint64_t h = hash_key(owner, file, offset);
  shard *s = shard_of(c, h);
  pthread_mutex_lock(&s->mu);
  dc_cache_handle *e = *find_slot(s, owner, file, offset, h);
  if (e) {
    e->refs++;
    if (!e->referenced) e->referenced = 1;
    s->hits++;
  } else {
    s->misses++;
  }
  pthread_mutex_unlock(&s->mu);
  return e;
}

dc_cache_handle *dc_cache_insert(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset,
                                 void *value, size_t charge, void (*deleter)(void *value)) {
  dc_cache_handle *e = malloc(sizeof *e);
  if (!e) return NULL;
  uint64_t h = hash_key(owner, file, offset);
  e->owner = owner;
  e->file = file;
  e->offset = offset;
  e->hash = h;
  e->value = value;
  e->charge = charge;
  e->deleter = deleter;
  e->next_hash = NULL;
  e->prev = e->next = NULL;
  e->refs = 1; /* the caller's handle */
  e->in_cache = 0;
  e->referenced = 0;
  shard *s = shard_of(c, h);
  dc_cache_handle *dead = NULL;
  pthread_mutex_lock(&s->mu);
  s->inserts++;
  if (s->capacity > 0) {
    dc_cache_handle **slot = find_slot(s, owner, file, offset, h);
    dc_cache_handle *old = *slot;
    if (old) { /* replace */
      *slot = old->next_hash;
      old->next_hash = NULL;
      detach_locked(s, old, &dead);
      slot = find_slot(s, owner, file, offset, h);
    }
    e->refs++; /* the cache's */
    e->in_cache = 1;
    e->next_hash = *slot;
    *slot = e;
    list_append(s, e);
    s->usage += charge;
    s->count++;
    if (s->count > s->tsize) grow(s);
    evict_locked(s, &dead);
  }
  pthread_mutex_unlock(&s->mu);
  free_chain(dead);
  return e;
}

void *dc_cache_value(dc_cache_handle *h) { return h->value; }

void dc_cache_release(dc_cache *c, dc_cache_handle *h) {
  if (!h) return;
  shard *s = shard_of(c, h->hash);
  dc_cache_handle *dead = NULL;
  pthread_mutex_lock(&s->mu);
  if (--h->refs == 0) {
    h->next_hash = NULL;
    dead = h;
  } else if (s->usage > s->capacity) {
    evict_locked(s, &dead); /* it may be over budget only because of pins */
  }
  pthread_mutex_unlock(&s->mu);
  free_chain(dead);
}

void dc_cache_erase(dc_cache *c, uint64_t owner, uint64_t file, uint64_t offset) {
  if (c->capacity == 0) return; /* nothing is ever in the table */
  uint64_t h = hash_key(owner, file, offset);
  shard *s = shard_of(c, h);
  dc_cache_handle *dead = NULL;
  pthread_mutex_lock(&s->mu);
  dc_cache_handle **p = find_slot(s, owner, file, offset, h);
  dc_cache_handle *e = *p;
  if (e) {
    *p = e->next_hash;
    e->next_hash = NULL;
    detach_locked(s, e, &dead);
  }
  pthread_mutex_unlock(&s->mu);
  free_chain(dead);
}

void dc_cache_erase_file(dc_cache *c, uint64_t owner, uint64_t file) {
  for (int i = 0; i < NSHARDS; i++) {
    shard *s = &c->shards[i];
    dc_cache_handle *dead = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t j = 0; j < s->tsize; j++) {
      dc_cache_handle **p = &s->table[j];
      while (*p) {
        dc_cache_handle *e = *p;
        if (e->file == file && e->owner == owner) {
          *p = e->next_hash;
          e->next_hash = NULL;
          detach_locked(s, e, &dead);
        } else {
          p = &e->next_hash;
        }
      }
    }
    pthread_mutex_unlock(&s->mu);
    free_chain(dead);
  }
}

void dc_cache_get_stats(dc_cache *c, dc_cache_stats *st) {
  memset(st, 0, sizeof *st);
  st->capacity = c->capacity;
  for (int i = 0; i < NSHARDS; i++) {
    shard *s = &c->shards[i];
    pthread_mutex_lock(&s->mu);
    st->hits += s->hits;
    st->misses += s->misses;
    st->inserts += s->inserts;
    st->evictions += s->evictions;
    st->usage += s->usage;
    pthread_mutex_unlock(&s->mu);
  }
}
