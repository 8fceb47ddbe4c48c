/* env_fault.c — the fault-injecting environment (see env.h).
 *
 * It wraps a base env (normally dc_env_posix()) and forwards every call to it.
 * The base env is the "disk": this env only adds bookkeeping and, on request,
 * lies. It never destroys its base.
 *
 * COUNTING. Every call of the eleven DC_FAULT_* kinds is counted, whether it
 * succeeds, fails in the base env, or is failed on purpose. size, exists,
 * lock and unlock are forwarded but neither counted nor ever failed.
 *
 * FAILING THE NTH CALL. dc_env_fault_set arms one rule: (kind mask, nth,
 * errno, persistent, path substring). A call matches when its kind is in the
 * mask and, if a substring was given, its path contains it (a rename matches
 * if either name does; file calls use the path the file was opened under).
 * Matching calls are counted from the moment the rule is armed; the nth one
 * fails with dc_err_errno(errno) — EIO gives DC_IOERR, ENOSPC DC_NOSPC — and
 * the operation is NOT performed: nothing is opened, written, synced, renamed,
 * removed, truncated or created. A one-shot rule disarms after firing; a
 * persistent rule also fails every later matching call. The one exception is
 * close: a failed close still releases the handle (as close(2) does: the
 * caller cannot retry it), but reports the error. Counting and matching run
 * under one mutex, so rules are exact across threads.
 *
 * POWER CUT. The model is deliberately simple; it is what a crash test may
 * assume survives, not every state a real file system could produce.
 *   Tracked files: every file opened for writing through this env. Its
 *     durable length is the size reached at its last successful sync. Before
 *     the first sync it is 0 for DC_OPEN_WRITE (the truncating open is treated
 *     as immediately durable, the new data is not), and for DC_OPEN_APPEND the
 *     file's size when first opened by this env (reopening a file this env
 *     already tracks keeps its durable length). A successful truncate lowers
 *     the durable length to the new size if that is smaller (a truncate is
 *     never undone, so lost bytes never come back).
 *   Created files: a file is "created" when opened for writing while absent.
 *     It stays so until sync_dir of its directory (the parent of its current
 *     name) succeeds.
 *   Renames: a successful rename stays "pending" until sync_dir of the target's
 *     directory succeeds (the source directory is not considered). If the
 *     rename replaced an existing target, the target's bytes (up to its durable
 *     length if tracked; none if it was itself an unsynced creation) are read
 *     into memory, so that undoing the rename can put them back.
 *   Removes and mkdirs are durable at once; removing a name also forgets any
 *     pending rename onto that name (the removal is what survives).
 * dc_env_fault_power_cut then, through the base env and in this order:
 *   1. truncates every tracked file that still exists to its durable length;
 *   2. removes every created file still unsynced in its directory (at its
 *      current name, so a created-then-renamed file disappears under its new
 *      name);
 *   3. undoes pending renames newest first: renames `to` back to `from` if
 *      `to` still exists, then rewrites the saved old target, if any, at `to`;
 *   4. forgets all tracking: the cut state is the new durable state.
 * Approximations: a real crash may keep any subset of unsynced operations,
 * and partially written pages, and may lose unsynced removes, mkdirs or
 * truncates; here the outcome is always the one described above. Paths are
 * compared as strings, so a directory must be synced under the same spelling
 * its files were created under (trailing slashes are ignored). Renaming an
 * open file does not change the path its handle reports or matches under.
 * Undoing a rename onto a name that has been re-created since in another
 * directory may overwrite that file. Handles stay usable after a cut but their
 * writes are no longer tracked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "status.h"

enum { NKINDS = 11 };

typedef struct ftrack { /* a file written through this env */
  char *path;           /* its current name */
  uint64_t durable;     /* the length that survives a power cut */
  int created;          /* created here; its directory not synced since */
  int live;             /* 0: removed, replaced or forgotten by a cut */
  int refs;             /* open handles; a dead entry is freed at 0 */
  struct ftrack *next;
} ftrack;

typedef struct frename { /* a rename whose target directory is not synced yet */
  char *from, *to;
  char *old; /* the replaced target's durable bytes, or NULL (there was none) */
  size_t old_len;
  struct frename *next; /* older renames */
} frename;

typedef struct fenv {
  dc_env env; /* first: a dc_env * is a fenv * */
  dc_env *base;
  pthread_mutex_t mu;
  pthread_rwlock_t op; /* held shared by every call, exclusively by a power cut */
  uint64_t counts[NKINDS];
  /* the armed rule */
  int armed, errnum, persistent;
  uint32_t mask;
  uint64_t nth, seen;
  char *substr;
  uint64_t injected;
  /* power-cut bookkeeping */
  ftrack *files;
  frename *renames; /* newest first */
} fenv;

struct dc_file {
  char *path; /* first: see dc_file_path */
  dc_file *base;
  ftrack *track; /* NULL for read-only files and locks */
};

static void ft_destroy(dc_env *env);

static fenv *FE(dc_env *env) { return (fenv *)env; }
static int is_fault_env(dc_env *env) { return env && env->destroy == ft_destroy; }

static int path_has(const char *path, const char *sub) { return path && strstr(path, sub); }

/* Count a call and decide whether it fails: returns the errno to inject or 0. */
static int hit(fenv *fe, uint32_t kind, const char *p1, const char *p2) {
  int e = 0;
  pthread_mutex_lock(&fe->mu);
  fe->counts[__builtin_ctz(kind)]++;
  if (fe->armed && (fe->mask & kind) &&
      (!fe->substr || path_has(p1, fe->substr) || path_has(p2, fe->substr))) {
    fe->seen++;
    if (fe->seen >= fe->nth) {
      e = fe->errnum;
      fe->injected++;
      if (!fe->persistent) fe->armed = 0;
    }
  }
  pthread_mutex_unlock(&fe->mu);
  return e;
}

/* ---- tracking (callers hold fe->mu) ---- */

static ftrack *find_live(fenv *fe, const char *path) {
  for (ftrack *t = fe->files; t; t = t->next)
    if (t->live && !strcmp(t->path, path)) return t;
  return NULL;
}

static void free_dead(fenv *fe) {
  ftrack **pp = &fe->files;
  while (*pp) {
    ftrack *t = *pp;
    if (!t->live && t->refs == 0) {
      *pp = t->next;
      free(t->path);
      free(t);
    } else {
      pp = &t->next;
    }
  }
}

static void kill_track(fenv *fe, ftrack *t) {
  if (!t) return;
  t->live = 0;
  t->created = 0;
  free_dead(fe);
}

static void free_rename(frename *r) {
  free(r->from);
  free(r->to);
  free(r->old);
  free(r);
}

/* Is dir the parent directory of path? (string comparison, see header) */
static int parent_is(const char *path, const char *dir) {
  size_t dl = strlen(dir);
  while (dl > 1 && dir[dl - 1] == '/') dl--;
  const char *s = strrchr(path, '/');
  if (!s) return dl == 1 && dir[0] == '.';
  size_t pl = (size_t)(s - path);
  while (pl > 1 && path[pl - 1] == '/') pl--;
  if (pl == 0) pl = 1; /* "/x" lives in "/" */
  return pl == dl && memcmp(path, dir, dl) == 0;
}

/* ---- the env ---- */

static int ft_open_op(dc_env *env, const char *path, int mode, dc_file **out, dc_error *err) {
  fenv *fe = FE(env);
  dc_env *b = fe->base;
  int e = hit(fe, DC_FAULT_OPEN, path, NULL);
  if (e) return dc_err_errno(err, e, "open", path);
  int writing = mode != DC_OPEN_READ;
  int existed = writing ? b->exists(b, path) : 1;
  dc_file *bf;
  int rc = b->open(b, path, mode, &bf, err);
  if (rc) return rc;
  uint64_t size0 = 0;
  if (mode == DC_OPEN_APPEND && existed) {
    rc = b->size(b, bf, &size0, err);
    if (rc) { b->close(b, bf, NULL); return rc; }
  }
  dc_file *f = calloc(1, sizeof *f);
  char *p = strdup(path);
  if (!f || !p) goto nomem;
  f->path = p;
  f->base = bf;
  if (writing) {
    pthread_mutex_lock(&fe->mu);
    ftrack *t = find_live(fe, path);
    if (t && !existed) { kill_track(fe, t); t = NULL; } /* vanished behind our back */
    if (!t) {
      t = calloc(1, sizeof *t);
      char *tp = strdup(path);
      if (!t || !tp) {
        free(t); free(tp);
        pthread_mutex_unlock(&fe->mu);
        goto nomem;
      }
      t->path = tp;
      t->live = 1;
      t->created = !existed;
      t->durable = size0;
      t->next = fe->files;
      fe->files = t;
    } else if (mode == DC_OPEN_WRITE) {
      t->durable = 0;
    }
    t->refs++;
    f->track = t;
    pthread_mutex_unlock(&fe->mu);
  }
  *out = f;
  return DC_OK;
nomem:
  b->close(b, bf, NULL);
  free(f); free(p);
  return dc_err_set(err, DC_NOMEM, "open %s: out of memory", path);
}

static int ft_read_op(dc_env *env, dc_file *f, uint64_t off, size_t n, char *buf, size_t *got,
                   dc_error *err) {
  fenv *fe = FE(env);
  int e = hit(fe, DC_FAULT_READ, f->path, NULL);
  if (e) { *got = 0; return dc_err_errno(err, e, "read", f->path); }
  return fe->base->read(fe->base, f->base, off, n, buf, got, err);
}

static int ft_append_op(dc_env *env, dc_file *f, const void *data, size_t n, dc_error *err) {
  fenv *fe = FE(env);
  int e = hit(fe, DC_FAULT_APPEND, f->path, NULL);
  if (e) return dc_err_errno(err, e, "append", f->path);
  return fe->base->append(fe->base, f->base, data, n, err);
}

static int ft_sync_op(dc_env *env, dc_file *f, dc_error *err) {
  fenv *fe = FE(env);
  dc_env *b = fe->base;
  int e = hit(fe, DC_FAULT_SYNC, f->path, NULL);
  if (e) return dc_err_errno(err, e, "sync", f->path);
  int rc = b->sync(b, f->base, err);
  if (rc || !f->track) return rc;
  uint64_t size;
  rc = b->size(b, f->base, &size, err);
  if (rc) return rc;
  pthread_mutex_lock(&fe->mu);
  if (f->track->live) f->track->durable = size;
  pthread_mutex_unlock(&fe->mu);
  return DC_OK;
}

static int ft_size_op(dc_env *env, dc_file *f, uint64_t *out, dc_error *err) {
  fenv *fe = FE(env);
  return fe->base->size(fe->base, f->base, out, err);
}

static int ft_truncate_op(dc_env *env, dc_file *f, uint64_t len, dc_error *err) {
  fenv *fe = FE(env);
  int e = hit(fe, DC_FAULT_TRUNCATE, f->path, NULL);
  if (e) return dc_err_errno(err, e, "truncate", f->path);
  int rc = fe->base->truncate(fe->base, f->base, len, err);
  if (rc || !f->track) return rc;
  pthread_mutex_lock(&fe->mu);
  if (f->track->live && len < f->track->durable) f->track->durable = len;
  pthread_mutex_unlock(&fe->mu);
  return DC_OK;
}

static void release(fenv *fe, dc_file *f) {
  if (f->track) {
    pthread_mutex_lock(&fe->mu);
    f->track->refs--;
    free_dead(fe);
    pthread_mutex_unlock(&fe->mu);
  }
  free(f->path);
  free(f);
}

static int ft_close_op(dc_env *env, dc_file *f, dc_error *err) {
  fenv *fe = FE(env);
  if (!f) return DC_OK;
  int e = hit(fe, DC_FAULT_CLOSE, f->path, NULL);
  int rc = fe->base->close(fe->base, f->base, e ? NULL : err);
  if (e) rc = dc_err_errno(err, e, "close", f->path);
  release(fe, f);
  return rc;
}

static int ft_rename_op(dc_env *env, const char *from, const char *to, dc_error *err) {
  fenv *fe = FE(env);
  dc_env *b = fe->base;
  int e = hit(fe, DC_FAULT_RENAME, from, to);
  if (e) return dc_err_errno(err, e, "rename", from);
  if (!strcmp(from, to)) return b->rename(b, from, to, err); /* changes nothing */
  /* Save the target's bytes first, so that a power cut can bring them back. */
  char *old = NULL;
  size_t old_len = 0;
  int had_old = b->exists(b, to);
  if (had_old) {
    int rc = dc_env_read_all(b, to, &old, &old_len, err);
    if (rc) return rc;
  }
  frename *r = calloc(1, sizeof *r);
  if (r) { r->from = strdup(from); r->to = strdup(to); }
  if (!r || !r->from || !r->to) {
    if (r) free_rename(r);
    free(old);
    return dc_err_set(err, DC_NOMEM, "rename %s: out of memory", from);
  }
  int rc = b->rename(b, from, to, err);
  if (rc) { free_rename(r); free(old); return rc; }
  pthread_mutex_lock(&fe->mu);
  ftrack *tt = find_live(fe, to);
  if (tt) {
    if (tt->created) { free(old); old = NULL; had_old = 0; }
    else if (old_len > tt->durable) old_len = (size_t)tt->durable;
    kill_track(fe, tt);
  }
  if (had_old) {
    r->old = old ? old : malloc(1); /* NULL means "no old target" */
    r->old_len = old_len;
  }
  ftrack *ft = find_live(fe, from);
  char *np = ft ? strdup(to) : NULL;
  if (ft && np) { free(ft->path); ft->path = np; }
  else if (ft) kill_track(fe, ft); /* out of memory: stop tracking rather than lie */
  r->next = fe->renames;
  fe->renames = r;
  pthread_mutex_unlock(&fe->mu);
  return DC_OK;
}

static int ft_remove_op(dc_env *env, const char *path, dc_error *err) {
  fenv *fe = FE(env);
  int e = hit(fe, DC_FAULT_REMOVE, path, NULL);
  if (e) return dc_err_errno(err, e, "remove", path);
  int rc = fe->base->remove(fe->base, path, err);
  if (rc) return rc;
  pthread_mutex_lock(&fe->mu);
  kill_track(fe, find_live(fe, path));
  frename **pp = &fe->renames;
  while (*pp) {
    frename *r = *pp;
    if (!strcmp(r->to, path)) { *pp = r->next; free_rename(r); }
    else pp = &r->next;
  }
  pthread_mutex_unlock(&fe->mu);
  return DC_OK;
}

static int ft_list_op(dc_env *env, const char *dir, char ***names, int *count, dc_error *err) {
  fenv *fe = FE(env);
  int e = hit(fe, DC_FAULT_LIST, dir, NULL);
  if (e) return dc_err_errno(err, e, "list", dir);
  return fe->base->list(fe->base, dir, names, count, err);
}

static int ft_mkdir_op(dc_env *env, const char *path, dc_error *err) {
  fenv *fe = FE(env);
  int e = hit(fe, DC_FAULT_MKDIR, path, NULL);
  if (e) return dc_err_errno(err, e, "mkdir", path);
  return fe->base->mkdir(fe->base, path, err);
}

static int ft_sync_dir_op(dc_env *env, const char *path, dc_error *err) {
  fenv *fe = FE(env);
  int e = hit(fe, DC_FAULT_SYNC_DIR, path, NULL);
  if (e) return dc_err_errno(err, e, "sync dir", path);
  int rc = fe->base->sync_dir(fe->base, path, err);
  if (rc) return rc;
  pthread_mutex_lock(&fe->mu);
  for (ftrack *t = fe->files; t; t = t->next)
    if (t->live && t->created && parent_is(t->path, path)) t->created = 0;
  frename **pp = &fe->renames;
  while (*pp) {
    frename *r = *pp;
    if (parent_is(r->to, path)) { *pp = r->next; free_rename(r); }
    else pp = &r->next;
  }
  pthread_mutex_unlock(&fe->mu);
  return DC_OK;
}

static int ft_lock(dc_env *env, const char *path, dc_file **out, dc_error *err) {
  fenv *fe = FE(env);
  dc_file *bf;
  int rc = fe->base->lock(fe->base, path, &bf, err);
  if (rc) return rc;
  dc_file *f = calloc(1, sizeof *f);
  char *p = strdup(path);
  if (!f || !p) {
    fe->base->unlock(fe->base, bf, NULL);
    free(f); free(p);
    return dc_err_set(err, DC_NOMEM, "lock %s: out of memory", path);
  }
  f->path = p;
  f->base = bf;
  *out = f;
  return DC_OK;
}

static int ft_unlock(dc_env *env, dc_file *lock, dc_error *err) {
  fenv *fe = FE(env);
  if (!lock) return DC_OK;
  int rc = fe->base->unlock(fe->base, lock->base, err);
  release(fe, lock);
  return rc;
}

static int ft_exists(dc_env *env, const char *path) {
  fenv *fe = FE(env);
  return fe->base->exists(fe->base, path);
}


/* Every call runs under `op` held shared, so that a power cut (which takes it
 * exclusively) falls between calls, never inside one, as a real one does. */
static int ft_open(dc_env *env, const char *path, int mode, dc_file **out, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_open_op(env, path, mode, out, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_read(dc_env *env, dc_file *f, uint64_t off, size_t n, char *buf, size_t *got, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_read_op(env, f, off, n, buf, got, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_append(dc_env *env, dc_file *f, const void *data, size_t n, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_append_op(env, f, data, n, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_sync(dc_env *env, dc_file *f, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_sync_op(env, f, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_size(dc_env *env, dc_file *f, uint64_t *out, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_size_op(env, f, out, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_truncate(dc_env *env, dc_file *f, uint64_t len, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_truncate_op(env, f, len, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_close(dc_env *env, dc_file *f, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_close_op(env, f, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_rename(dc_env *env, const char *from, const char *to, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_rename_op(env, from, to, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_remove(dc_env *env, const char *path, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_remove_op(env, path, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_list(dc_env *env, const char *dir, char ***names, int *count, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_list_op(env, dir, names, count, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_mkdir(dc_env *env, const char *path, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_mkdir_op(env, path, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}
static int ft_sync_dir(dc_env *env, const char *path, dc_error *err) {
  pthread_rwlock_rdlock(&FE(env)->op);
  int rc = ft_sync_dir_op(env, path, err);
  pthread_rwlock_unlock(&FE(env)->op);
  return rc;
}

static void ft_destroy(dc_env *env) {
  fenv *fe = FE(env);
  while (fe->files) {
    ftrack *t = fe->files;
    fe->files = t->next;
    free(t->path);
    free(t);
  }
  while (fe->renames) {
    frename *r = fe->renames;
    fe->renames = r->next;
    free_rename(r);
  }
  free(fe->substr);
  pthread_mutex_destroy(&fe->mu);
  pthread_rwlock_destroy(&fe->op);
  free(fe);
}

dc_env *dc_env_fault_new(dc_env *base) {
  fenv *fe = calloc(1, sizeof *fe);
  if (!fe) return NULL;
  if (pthread_mutex_init(&fe->mu, NULL) != 0) { free(fe); return NULL; }
  pthread_rwlock_init(&fe->op, NULL);
  fe->base = base ? base : dc_env_posix();
  dc_env *e = &fe->env;
  e->struct_size = sizeof(dc_env);
  e->version = 1;
  e->open = ft_open;
  e->read = ft_read;
  e->append = ft_append;
  e->sync = ft_sync;
  e->size = ft_size;
  e->truncate = ft_truncate;
  e->close = ft_close;
  e->rename = ft_rename;
  e->remove = ft_remove;
  e->list = ft_list;
  e->mkdir = ft_mkdir;
  e->sync_dir = ft_sync_dir;
  e->lock = ft_lock;
  e->unlock = ft_unlock;
  e->exists = ft_exists;
  e->destroy = ft_destroy;
  e->state = fe;
  return e;
}

void dc_env_fault_set(dc_env *env, uint32_t kind_mask, uint64_t nth, int errno_value,
                      int persistent, const char *path_substr) {
  DC_ASSERT(is_fault_env(env));
  if (!is_fault_env(env)) return;
  fenv *fe = FE(env);
  char *sub = path_substr ? strdup(path_substr) : NULL;
  pthread_mutex_lock(&fe->mu);
  free(fe->substr);
  fe->substr = sub;
  fe->mask = kind_mask;
  fe->nth = nth;
  fe->seen = 0;
  fe->errnum = errno_value ? errno_value : EIO;
  fe->persistent = persistent;
  /* A substring we could not copy would widen the rule to every path: disarm. */
  fe->armed = nth > 0 && kind_mask != 0 && (sub || !path_substr);
  pthread_mutex_unlock(&fe->mu);
}

uint64_t dc_env_fault_count(dc_env *env, uint32_t kind_mask) {
  if (!is_fault_env(env)) return 0;
  fenv *fe = FE(env);
  uint64_t n = 0;
  pthread_mutex_lock(&fe->mu);
  for (int i = 0; i < NKINDS; i++)
    if (kind_mask & (1u << i)) n += fe->counts[i];
  pthread_mutex_unlock(&fe->mu);
  return n;
}

void dc_env_fault_reset_counts(dc_env *env) {
  if (!is_fault_env(env)) return;
  fenv *fe = FE(env);
  pthread_mutex_lock(&fe->mu);
  memset(fe->counts, 0, sizeof fe->counts);
  pthread_mutex_unlock(&fe->mu);
}

uint64_t dc_env_fault_injected(dc_env *env) {
  if (!is_fault_env(env)) return 0;
  fenv *fe = FE(env);
  pthread_mutex_lock(&fe->mu);
  uint64_t n = fe->injected;
  pthread_mutex_unlock(&fe->mu);
  return n;
}

/* Write data as the whole content of path through the base env. */
static int put_file(dc_env *b, const char *path, const char *data, size_t len, dc_error *err) {
  dc_file *f;
  int rc = b->open(b, path, DC_OPEN_WRITE, &f, err);
  if (rc) return rc;
  if (len) rc = b->append(b, f, data, len, err);
  if (!rc) rc = b->sync(b, f, err);
  int crc = b->close(b, f, rc ? NULL : err);
  return rc ? rc : crc;
}

static int cut_length(dc_env *b, const char *path, uint64_t durable, dc_error *err) {
  if (!b->exists(b, path)) return DC_OK;
  dc_file *f;
  int rc = b->open(b, path, DC_OPEN_APPEND, &f, err);
  if (rc) return rc;
  uint64_t size;
  rc = b->size(b, f, &size, err);
  if (!rc && size > durable) rc = b->truncate(b, f, durable, err);
  int crc = b->close(b, f, rc ? NULL : err);
  return rc ? rc : crc;
}

int dc_env_fault_power_cut(dc_env *env, dc_error *err) {
  if (!is_fault_env(env))
    return dc_err_set(err, DC_MISUSE, "power cut: not a fault-injecting env");
  fenv *fe = FE(env);
  dc_env *b = fe->base;
  int rc = DC_OK, r;
  /* Best effort: every step runs even after an error; the first one is returned. */
  pthread_rwlock_wrlock(&fe->op);
  pthread_mutex_lock(&fe->mu);
  for (ftrack *t = fe->files; t; t = t->next) /* 1. unsynced bytes */
    if (t->live && (r = cut_length(b, t->path, t->durable, err)) && !rc) rc = r;
  for (ftrack *t = fe->files; t; t = t->next) /* 2. unsynced creations */
    if (t->live && t->created && (r = b->remove(b, t->path, err)) && !rc) rc = r;
  for (frename *x = fe->renames; x; x = x->next) { /* 3. unsynced renames, newest first */
    if (b->exists(b, x->to) && (r = b->rename(b, x->to, x->from, err)) && !rc) rc = r;
    if (x->old && (r = put_file(b, x->to, x->old, x->old_len, err)) && !rc) rc = r;
  }
  for (ftrack *t = fe->files; t; t = t->next) t->live = 0; /* 4. forget */
  free_dead(fe);
  while (fe->renames) {
    frename *x = fe->renames;
    fe->renames = x->next;
    free_rename(x);
  }
  pthread_mutex_unlock(&fe->mu);
  pthread_rwlock_unlock(&fe->op);
  return rc;
}
