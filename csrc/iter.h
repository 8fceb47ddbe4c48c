/* iter.h — the internal iterator interface.
 *
 * Memtables, blocks, sstables, levels and merges all expose their entries as
 * dc_iter over internal keys (ikey.h order). key()/value() stay valid until the
 * iterator moves. After an error the iterator becomes invalid and status()
 * reports it. Not thread-safe: one thread drives one iterator.
 */
#ifndef DC_ITER_H
#define DC_ITER_H

#include <stddef.h>

#include "dyncore.h"

typedef struct dc_iter dc_iter;

typedef struct dc_iter_vt {
  int (*valid)(dc_iter *it);
  void (*seek_first)(dc_iter *it);
  void (*seek_last)(dc_iter *it);
  void (*seek)(dc_iter *it, const char *ikey, size_t n); /* first entry >= ikey */
  void (*next)(dc_iter *it);                             /* REQUIRES: valid */
  void (*prev)(dc_iter *it);                             /* REQUIRES: valid */
  const char *(*key)(dc_iter *it, size_t *n);
  const char *(*value)(dc_iter *it, size_t *n);
  int (*status)(dc_iter *it, dc_error *err); /* DC_OK or the error (copied into err,
                                                which may be NULL) */
  void (*destroy)(dc_iter *it);
} dc_iter_vt;

struct dc_iter {
  const dc_iter_vt *vt;
};

/* An iterator over nothing, or one that only reports `code`/`msg` as its status. */
dc_iter *dc_iter_empty(int code, const char *msg);

/* Merge n children (taking ownership of them and of the array's contents;
 * the array itself is copied). Entries come out in internal-key order;
 * direction may change at any time. Children must not hold equal keys. */
dc_iter *dc_merge_iter_new(dc_iter **children, int n);

#endif

/* Concatenate n children that hold disjoint, ascending key ranges (the files
 * of one level >= 1). Child i is opened lazily by open_child(arg, i) when the
 * iterator reaches it, and destroyed when it leaves it; largest[i] (length
 * largest_len[i]) is child i's largest internal key, used to pick the child
 * for a seek. The arrays must outlive the iterator; release(arg) (may be
 * NULL) runs when the iterator is destroyed. */
dc_iter *dc_concat_iter_new(int n, dc_iter *(*open_child)(void *arg, int i), void *arg,
                            const char *const *largest, const size_t *largest_len,
                            void (*release)(void *arg));
