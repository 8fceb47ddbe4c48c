/* env.h — the environment: every file operation the engine performs.
 *
 * The engine never calls open/read/write/fsync directly; it goes through a
 * dc_env, so that tests can substitute one that fails the Nth call or loses
 * unsynced data (env_fault.c). All functions are thread-safe; one dc_file is
 * used by one thread at a time except `read`, which may be called concurrently.
 *
 * Error messages name the operation and the path: "append /d/wal/000007.log: ..."
 */
#ifndef DC_ENV_H
#define DC_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "dyncore.h"

typedef struct dc_file dc_file; /* an open file: the env's own type */
typedef struct dc_env dc_env;

enum {
  DC_OPEN_READ = 0,     /* read-only; must exist */
  DC_OPEN_WRITE = 1,    /* create or truncate; writes go to the end (also after truncate) */
  DC_OPEN_APPEND = 2    /* create if missing, writes go to the end */
};

struct dc_env {
  uint32_t struct_size, version;
  int (*open)(dc_env *env, const char *path, int mode, dc_file **out, dc_error *err);
  /* pread: *got < n only at end of file. */
  int (*read)(dc_env *env, dc_file *f, uint64_t off, size_t n, char *buf, size_t *got,
              dc_error *err);
  int (*append)(dc_env *env, dc_file *f, const void *data, size_t n, dc_error *err);
  int (*sync)(dc_env *env, dc_file *f, dc_error *err); /* data durable on return */
  int (*size)(dc_env *env, dc_file *f, uint64_t *out, dc_error *err);
  int (*truncate)(dc_env *env, dc_file *f, uint64_t len, dc_error *err);
  int (*close)(dc_env *env, dc_file *f, dc_error *err);
  int (*rename)(dc_env *env, const char *from, const char *to, dc_error *err); /* atomic */
  int (*remove)(dc_env *env, const char *path, dc_error *err);
  /* Names (not paths) in dir, without "." and "..": *names is malloc'd, free
   * with dc_env_free_list. */
  int (*list)(dc_env *env, const char *dir, char ***names, int *count, dc_error *err);
  int (*mkdir)(dc_env *env, const char *path, dc_error *err); /* OK if it exists */
  int (*sync_dir)(dc_env *env, const char *path, dc_error *err);
  /* An exclusive lock, released by unlock or when the process dies.
   * DC_LOCKED if held by anyone else (another process or another handle). */
  int (*lock)(dc_env *env, const char *path, dc_file **out, dc_error *err);
  int (*unlock)(dc_env *env, dc_file *lock, dc_error *err);
  int (*exists)(dc_env *env, const char *path);
  void (*destroy)(dc_env *env); /* no-op for the static POSIX env */
  void *state;
};

/* The process-wide POSIX environment (static; never destroyed). */
dc_env *dc_env_posix(void);
void dc_env_free_list(char **names, int count);
/* Path of an open file (for messages). Every env's dc_file type must start
 * with a `char *path` member, so this works for any env. */
static inline const char *dc_file_path(dc_file *f) { return f ? *(char *const *)f : ""; }

/* Read a whole small file into a malloc'd buffer. */
int dc_env_read_all(dc_env *env, const char *path, char **data, size_t *len, dc_error *err);
/* ---- the fault-injecting environment (env_fault.c) ----
 * Wraps a base env. Counts every call by kind; can fail the Nth call of a kind
 * (or of any kind) with EIO or ENOSPC, once or persistently from then on; can
 * simulate a power cut: every file written through it is truncated back to its
 * last synced length, and files created or renamed since the last sync of their
 * directory are undone (a replaced rename target comes back with its synced
 * content). env_fault.c's header has the exact model. */
enum {
  DC_FAULT_OPEN = 1 << 0,
  DC_FAULT_READ = 1 << 1,
  DC_FAULT_APPEND = 1 << 2,
  DC_FAULT_SYNC = 1 << 3,
  DC_FAULT_CLOSE = 1 << 4,
  DC_FAULT_RENAME = 1 << 5,
  DC_FAULT_REMOVE = 1 << 6,
  DC_FAULT_TRUNCATE = 1 << 7,
  DC_FAULT_SYNC_DIR = 1 << 8,
  DC_FAULT_MKDIR = 1 << 9,
  DC_FAULT_LIST = 1 << 10,
  DC_FAULT_ALL = 0x7ff
};

/* NULL when out of memory. The fault env does not own `base`. lock, unlock,
 * size and exists pass through uncounted. */
dc_env *dc_env_fault_new(dc_env *base);
/* Fail the nth (1-based, counted from now) call whose kind is in kind_mask and
 * whose path contains path_substr (NULL: any path), with errno_value (EIO or
 * ENOSPC). persistent: every matching call after it fails too. nth = 0 clears. */
void dc_env_fault_set(dc_env *env, uint32_t kind_mask, uint64_t nth, int errno_value,
                      int persistent, const char *path_substr);
/* Calls seen (of the kinds in kind_mask) since creation or the last reset. */
uint64_t dc_env_fault_count(dc_env *env, uint32_t kind_mask);
void dc_env_fault_reset_counts(dc_env *env);
/* Number of calls that were failed so far. */
uint64_t dc_env_fault_injected(dc_env *env);
/* Simulate a power cut now (see above). Open files keep working afterwards
 * only in the sense that the next open of the store sees the cut state; call
 * it after closing or abandoning the store. */
int dc_env_fault_power_cut(dc_env *env, dc_error *err);

#endif
