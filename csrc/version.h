/* version.h — the set of live table files, and the manifest that records it.
 *
 * A version is an immutable list of table files per level. L0 files may
 * overlap and are kept newest first (by file number, descending); files of
 * L1 and deeper are disjoint and sorted by smallest key. The store's
 * `current` version changes only by installing a new one (an edit applied to
 * the current version), after the manifest describing it is durable.
 *
 * Lifetime: versions and file metadata are reference-counted with atomics, so
 * readers pin a version without the store's mutex held for long. When a
 * file's last reference goes, its table is closed (which drops its blocks
 * from the block cache) and the file deleted (it is then in no installed
 * version: installs precede unrefs of the old version).
 */
#ifndef DC_VERSION_H
#define DC_VERSION_H

#include <stdint.h>

#include "coding.h"
#include "env.h"
#include "iter.h"
#include "sst.h"

#define DC_LEVELS 7

typedef struct dc_filemeta {
  uint64_t number, file_size, entries, min_seq, max_seq;
  char *smallest, *largest; /* internal keys */
  size_t smallest_len, largest_len;
  int refs;                 /* atomic */
  dc_sst *sst;              /* open table */
  int obsolete_delete;      /* delete the file when the last ref goes */
  char *path;
  dc_env *env;
} dc_filemeta;

typedef struct dc_version {
  int refs; /* atomic */
  int nfiles[DC_LEVELS];
  dc_filemeta **files[DC_LEVELS];
} dc_version;

void dc_file_ref(dc_filemeta *f);
void dc_file_unref(dc_filemeta *f);

dc_version *dc_version_new(void);
void dc_version_ref(dc_version *v);
void dc_version_unref(dc_version *v);
uint64_t dc_version_level_bytes(const dc_version *v, int level);

/* An edit: files removed (by number, any level) and files added. */
typedef struct dc_vedit {
  uint64_t *removed;
  int nremoved;
  dc_filemeta **added; /* the edit holds one reference to each */
  int *added_level;
  int nadded;
} dc_vedit;

void dc_vedit_add(dc_vedit *e, int level, dc_filemeta *f); /* takes over the caller's ref */
void dc_vedit_remove(dc_vedit *e, uint64_t number);
void dc_vedit_free(dc_vedit *e);
/* New version = base with the edit applied (refs = 1). NULL when out of memory. */
dc_version *dc_version_apply(const dc_version *base, const dc_vedit *e);

/* Index of the first file of a sorted level (L1+) whose largest user key is
 * >= ukey (n if none), and whether ukey lies within a file's range. */
int dc_find_file(dc_filemeta *const *files, int n, const char *ukey, size_t ulen);
int dc_ukey_in_file(const dc_filemeta *f, const char *ukey, size_t ulen);

/* Point lookup through the levels. Returns DC_OK or an error; *result as in
 * dc_sst_get. */
int dc_version_get(dc_version *v, const char *ukey, size_t ulen, uint64_t snap_seq,
                   int *result, dc_buf *val, dc_error *err);

/* Append iterators for every L0 file and one concatenating iterator per deeper
 * level to `out` (the iterators hold a reference to v). */
int dc_version_add_iters(dc_version *v, dc_iter ***out, int *n, int *cap);

/* Files of `level` overlapping the user-key range [smallest, largest]
 * (internal keys; user parts compared). Returns a malloc'd array. */
dc_filemeta **dc_version_overlaps(const dc_version *v, int level, const char *smallest,
                                  size_t slen, const char *largest, size_t llen, int *n);

/* ---- manifest: the durable description of a version ----
 * MANIFEST-<n> holds the whole version (not a log of edits): small enough to
 * rewrite at every install. CURRENT names the live one. */
typedef struct dc_manifest_state {
  uint64_t next_file;
  uint64_t last_seq;
  uint64_t log_number; /* WAL segments < this are not needed for recovery */
  uint64_t hlc;        /* the largest HLC stamp handed out so far */
} dc_manifest_state;

/* Write MANIFEST-<manifest_number> for v and st, then point CURRENT at it.
 * The previous manifest file (if any) is removed afterwards. On an error the
 * new manifest may or may not be the live one (a failure after CURRENT's
 * rename): callers must then keep every file either manifest names. */
int dc_manifest_write(dc_env *env, const char *dir, uint64_t manifest_number,
                      uint64_t prev_manifest, const dc_version *v,
                      const dc_manifest_state *st, dc_error *err);
/* Read CURRENT and the manifest it names; open every table (with `cache`,
 * under `cache_owner`: see dc_sst_open). DC_NOTFOUND when there is no CURRENT. */
int dc_manifest_load(dc_env *env, const char *dir, dc_cache *cache, uint64_t cache_owner,
                     int paranoid, dc_version **out, dc_manifest_state *st,
                     uint64_t *manifest_number, dc_error *err);

/* Paths of a store's files (buf must hold at least 4096 bytes). */
void dc_sst_path(char *buf, size_t n, const char *dir, uint64_t number);
void dc_wal_path(char *buf, size_t n, const char *dir, uint64_t number);

/* Make file metadata for a finished table and open it. Takes over meta's keys. */
int dc_filemeta_open(dc_env *env, const char *dir, dc_cache *cache, uint64_t cache_owner,
                     int paranoid, uint64_t number, dc_sst_meta *meta, dc_filemeta **out,
                     dc_error *err);

#endif
