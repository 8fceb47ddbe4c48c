/* env_posix.c — the POSIX environment. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "status.h"

struct dc_file {
  char *path; /* first: see dc_file_path */
  int fd;
};

static int px_open(dc_env *env, const char *path, int mode, dc_file **out, dc_error *err) {
  (void)env;
  int flags = O_CLOEXEC;
  if (mode == DC_OPEN_READ) flags |= O_RDONLY;
  else if (mode == DC_OPEN_WRITE) flags |= O_WRONLY | O_CREAT | O_TRUNC | O_APPEND;
  else flags |= O_WRONLY | O_CREAT | O_APPEND;
  int fd;
  do fd = open(path, flags, 0644); while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT) return dc_err_set(err, DC_NOTFOUND, "open %s: no such file", path);
    return dc_err_errno(err, errno, "open", path);
  }
  dc_file *f = malloc(sizeof *f);
  char *p = strdup(path);
  if (!f || !p) {
    free(f); free(p); close(fd);
    return dc_err_set(err, DC_NOMEM, "open %s: out of memory", path);
  }
  f->fd = fd;
  f->path = p;
  *out = f;
  return DC_OK;
}

static int px_read(dc_env *env, dc_file *f, uint64_t off, size_t n, char *buf, size_t *got,
                   dc_error *err) {
  (void)env;
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(f->fd, buf + done, n - done, (off_t)(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return dc_err_errno(err, errno, "read", f->path);
    }
    if (r == 0) break;
    done += (size_t)r;
  }
  *got = done;
  return DC_OK;
}

static int px_append(dc_env *env, dc_file *f, const void *data, size_t n, dc_error *err) {
  (void)env;
  const char *p = data;
  while (n > 0) {
    ssize_t r = write(f->fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return dc_err_errno(err, errno, "append", f->path);
    }
    p += r;
    n -= (size_t)r;
  }
  return DC_OK;
}

static int px_sync(dc_env *env, dc_file *f, dc_error *err) {
  (void)env;
  if (fdatasync(f->fd) != 0) return dc_err_errno(err, errno, "sync", f->path);
  return DC_OK;
}

static int px_size(dc_env *env, dc_file *f, uint64_t *out, dc_error *err) {
  (void)env;
  struct stat st;
  if (fstat(f->fd, &st) != 0) return dc_err_errno(err, errno, "stat", f->path);
  *out = (uint64_t)st.st_size;
  return DC_OK;
}

static int px_truncate(dc_env *env, dc_file *f, uint64_t len, dc_error *err) {
  (void)env;
  if (ftruncate(f->fd, (off_t)len) != 0) return dc_err_errno(err, errno, "truncate", f->path);
  return DC_OK;
}

static int px_close(dc_env *env, dc_file *f, dc_error *err) {
  (void)env;
  if (!f) return DC_OK;
  int rc = DC_OK;
  if (close(f->fd) != 0) rc = dc_err_errno(err, errno, "close", f->path);
  free(f->path);
  free(f);
  return rc;
}

static int px_rename(dc_env *env, const char *from, const char *to, dc_error *err) {
  (void)env;
  if (rename(from, to) != 0) return dc_err_errno(err, errno, "rename", from);
  return DC_OK;
}

static int px_remove(dc_env *env, const char *path, dc_error *err) {
  (void)env;
  if (unlink(path) != 0 && errno != ENOENT) return dc_err_errno(err, errno, "remove", path);
  return DC_OK;
}

static int px_list(dc_env *env, const char *dir, char ***names, int *count, dc_error *err) {
  (void)env;
  DIR *d = opendir(dir);
  if (!d) return dc_err_errno(err, errno, "list", dir);
  int n = 0, cap = 16;
  char **v = malloc(sizeof(char *) * (size_t)cap);
  struct dirent *e;
  while (v && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (n == cap) {
      cap *= 2;
      char **nv = realloc(v, sizeof(char *) * (size_t)cap);
      if (!nv) { dc_env_free_list(v, n); v = NULL; break; }
      v = nv;
    }
    v[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (!v) return dc_err_set(err, DC_NOMEM, "list %s: out of memory", dir);
  *names = v;
  *count = n;
  return DC_OK;
}

static int px_mkdir(dc_env *env, const char *path, dc_error *err) {
  (void)env;
  if (mkdir(path, 0755) != 0 && errno != EEXIST) return dc_err_errno(err, errno, "mkdir", path);
  return DC_OK;
}

static int px_sync_dir(dc_env *env, const char *path, dc_error *err) {
  (void)env;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return dc_err_errno(err, errno, "open dir", path);
  int rc = DC_OK;
  if (fsync(fd) != 0) rc = dc_err_errno(err, errno, "sync dir", path);
  close(fd);
  return rc;
}

static int px_lock(dc_env *env, const char *path, dc_file **out, dc_error *err) {
  dc_file *f;
  int rc = px_open(env, path, DC_OPEN_APPEND, &f, err);
  if (rc) return rc;
  /* flock: per open file description, so a second handle in this same process
   * conflicts too; the kernel drops it when the process dies. */
  if (flock(f->fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    px_close(env, f, NULL);
    if (e == EWOULDBLOCK)
      return dc_err_set(err, DC_LOCKED,
                        "lock %s: the directory is in use by another process or handle", path);
    return dc_err_errno(err, e, "lock", path);
  }
  *out = f;
  return DC_OK;
}

static int px_unlock(dc_env *env, dc_file *lock, dc_error *err) {
  if (!lock) return DC_OK;
  flock(lock->fd, LOCK_UN);
  return px_close(env, lock, err);
}

static int px_exists(dc_env *env, const char *path) {
  (void)env;
  return access(path, F_OK) == 0;
}

static void px_destroy(dc_env *env) { (void)env; }

static dc_env posix_env = {
    sizeof(dc_env), 1, px_open, px_read, px_append, px_sync, px_size, px_truncate, px_close,
    px_rename, px_remove, px_list, px_mkdir, px_sync_dir, px_lock, px_unlock, px_exists,
    px_destroy, NULL};

dc_env *dc_env_posix(void) { return &posix_env; }

void dc_env_free_list(char **names, int count) {
  if (!names) return;
  for (int i = 0; i < count; i++) free(names[i]);
  free(names);
}

