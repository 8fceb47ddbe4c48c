/* cache.c — sharded LRU block cache with a byte budget (cache.h).
 *
 * 16 shards, chosen by the top bits of a hash of (id, offset); each shard has
 * its own mutex, hash table (chained, doubled when it fills up), byte budget
 * (capacity / 16, rounded up) and LRU list of unpinned entries.
 *
 * Reference counting: an entry in the table holds one reference for the
 * cache; each handle holds one more. An entry whose only reference is the
 * cache's sits in the LRU list and may be evicted; pinned entries are never
 * evicted, so usage may exceed the budget while they are pinned. An entry
 * removed from the table (evicted, replaced, erased) while pinned lives on
 * until its last release. Deleters run without the shard lock held.
 *
 * dc_cache_erase_file takes every entry of the file out of the table: the
 * unpinned ones are freed at once, pinned ones on their last release (the file
 * is gone, so nothing should find them again).
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
  uint64_t id, offset;
  uint64_t hash;
  void *value;
  size_t charge;
  void (*deleter)(void *);
  dc_cache_handle *next_hash;
  dc_cache_handle *prev, *next; /* LRU list (only when refs == 1 and in_cache) */
  uint32_t refs;
  int in_cache;
};

typedef struct shard {
  pthread_mutex_t mu;
  size_t capacity, usage;
  dc_cache_handle **table;
  size_t tsize, count; /* tsize: power of two */
  dc_cache_handle lru; /* sentinel: lru.next is the oldest */
  uint64_t hits, misses, inserts, evictions;
  char pad[64];
} shard;

struct dc_cache {
  size_t capacity;
  shard shards[NSHARDS];
};

static inline uint64_t hash_key(uint64_t id, uint64_t off) {
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
    s->lru.next = s->lru.prev = &s->lru;
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

static inline void lru_remove(dc_cache_handle *e) {
  e->next->prev = e->prev;
  e->prev->next = e->next;
  e->next = e->prev = NULL;
}

static inline void lru_append(shard *s, dc_cache_handle *e) { /* newest at the tail */
  e->next = &s->lru;
  e->prev = s->lru.prev;
  e->prev->next = e;
  e->next->prev = e;
}

static dc_cache_handle **find_slot(shard *s, uint64_t id, uint64_t off, uint64_t h) {
  dc_cache_handle **p = &s->table[h & (s->tsize - 1)];
  while (*p && ((*p)->id != id || (*p)->offset != off)) p = &(*p)->next_hash;
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

/* Drop one reference under the lock; returns e if it must now be deleted. */
static dc_cache_handle *unref_locked(shard *s, dc_cache_handle *e) {
  e->refs--;
  if (e->refs == 0) return e;
  if (e->refs == 1 && e->in_cache) lru_append(s, e);
  return NULL;
}

/* Take e out of the table (already unlinked from its chain by the caller). */
static dc_cache_handle *detach_locked(shard *s, dc_cache_handle *e) {
  e->in_cache = 0;
  s->usage -= e->charge;
  s->count--;
  if (e->next) lru_remove(e); /* unpinned: in the LRU list */
  return unref_locked(s, e);
}

static void unlink_hash(shard *s, dc_cache_handle *e) {
  dc_cache_handle **p = find_slot(s, e->id, e->offset, e->hash);
  if (*p == e) *p = e->next_hash;
}

static void free_entry(dc_cache_handle *e) {
  if (e->deleter) e->deleter(e->value);
  free(e);
}

/* Free a chain (linked through next_hash) of dead entries, outside the lock. */
static void free_chain(dc_cache_handle *dead) {
  while (dead) {
    dc_cache_handle *nx = dead->next_hash;
    free_entry(dead);
    dead = nx;
  }
}

void dc_cache_free(dc_cache *c) {
  if (!c) return;
  for (int i = 0; i < NSHARDS; i++) {
    shard *s = &c->shards[i];
    for (size_t j = 0; j < s->tsize; j++) {
      dc_cache_handle *e = s->table[j];
      while (e) {
        dc_cache_handle *nx = e->next_hash;
        /* REQUIRES no pinned handles; an entry still pinned is leaked rather
         * than freed under its holder. */
        if (e->refs <= 1) free_entry(e);
        else e->in_cache = 0, e->refs--;
        e = nx;
      }
    }
    free(s->table);
    pthread_mutex_destroy(&s->mu);
  }
  free(c);
}

dc_cache_handle *dc_cache_lookup(dc_cache *c, uint64_t id, uint64_t offset) {
  uint64_t h = hash_key(id, offset);
  shard *s = shard_of(c, h);
  pthread_mutex_lock(&s->mu);
  dc_cache_handle *e = *find_slot(s, id, offset, h);
  if (e) {
    if (e->refs == 1) lru_remove(e); /* becomes pinned */
    e->refs++;
    s->hits++;
  } else {
    s->misses++;
  }
  pthread_mutex_unlock(&s->mu);
  return e;
}

dc_cache_handle *dc_cache_insert(dc_cache *c, uint64_t id, uint64_t offset, void *value,
                                 size_t charge, void (*deleter)(void *value)) {
  dc_cache_handle *e = malloc(sizeof *e);
  if (!e) return NULL;
  uint64_t h = hash_key(id, offset);
  e->id = id;
  e->offset = offset;
  e->hash = h;
  e->value = value;
  e->charge = charge;
  e->deleter = deleter;
  e->next_hash = NULL;
  e->prev = e->next = NULL;
  e->refs = 1; /* the caller's handle */
  e->in_cache = 0;
  shard *s = shard_of(c, h);
  dc_cache_handle *dead = NULL;
  pthread_mutex_lock(&s->mu);
  s->inserts++;
  if (s->capacity > 0) {
    e->refs++; /* the cache's */
    e->in_cache = 1;
    dc_cache_handle **slot = find_slot(s, id, offset, h);
    dc_cache_handle *old = *slot;
    if (old) { /* replace */
      *slot = old->next_hash;
      old->next_hash = NULL;
      if (detach_locked(s, old)) dead = old;
      slot = find_slot(s, id, offset, h);
    }
    e->next_hash = *slot;
    *slot = e;
    s->usage += charge;
    s->count++;
    if (s->count > s->tsize) grow(s);
    while (s->usage > s->capacity && s->lru.next != &s->lru) {
      dc_cache_handle *v = s->lru.next;
      unlink_hash(s, v);
      v->next_hash = NULL;
      s->evictions++;
      if (detach_locked(s, v)) {
        v->next_hash = dead;
        dead = v;
      }
    }
  }
  pthread_mutex_unlock(&s->mu);
  free_chain(dead);
  return e;
}

void *dc_cache_value(dc_cache_handle *h) { return h->value; }

void dc_cache_release(dc_cache *c, dc_cache_handle *h) {
  if (!h) return;
  shard *s = shard_of(c, h->hash);
  pthread_mutex_lock(&s->mu);
  dc_cache_handle *dead = unref_locked(s, h);
  /* An entry unpinned while over budget (pinned entries pushed usage up) is
   * evicted now rather than at the next insert. */
  dc_cache_handle *more = NULL;
  while (!dead && s->usage > s->capacity && s->lru.next != &s->lru) {
    dc_cache_handle *v = s->lru.next;
    unlink_hash(s, v);
    v->next_hash = NULL;
    s->evictions++;
    if (detach_locked(s, v)) {
      v->next_hash = more;
      more = v;
    }
  }
  pthread_mutex_unlock(&s->mu);
  if (dead) free_entry(dead);
  free_chain(more);
}

void dc_cache_erase_file(dc_cache *c, uint64_t id) {
  for (int i = 0; i < NSHARDS; i++) {
    shard *s = &c->shards[i];
    dc_cache_handle *dead = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t j = 0; j < s->tsize; j++) {
      dc_cache_handle **p = &s->table[j];
      while (*p) {
        dc_cache_handle *e = *p;
        if (e->id == id) {
          *p = e->next_hash;
          e->next_hash = NULL;
          if (detach_locked(s, e)) {
            e->next_hash = dead;
            dead = e;
          }
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
