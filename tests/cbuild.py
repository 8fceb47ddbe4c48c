"""Compile parts of csrc/ into a plain shared library and load it with cffi.

Engine components are tested below the Python binding: a test names the C
files it needs and declares (cdef) the functions it calls. The library links
no Python symbols, which also shows that the C API is usable on its own.
Libraries are cached by a hash of their sources and flags.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import cffi

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
CACHE = Path(os.environ.get("DYNCORE_CBUILD_CACHE", ROOT / "build" / "ctest"))
CC = os.environ.get("CC", "cc")
SANITIZE = os.environ.get("DYNCORE_SANITIZE") == "1"

_loaded: dict[tuple, tuple] = {}

# Declarations that many tests need, as in the headers (status.h's dc_error,
# coding.h's dc_buf, iter.h's vtable, env.h's vtable).
ERROR_CDEF = """typedef struct dc_error { int code; char message[512]; } dc_error;
"""
BUF_CDEF = """typedef struct dc_buf { char *data; size_t len, cap; } dc_buf;
"""
ITER_CDEF = """typedef struct dc_iter dc_iter;
typedef struct dc_iter_vt {
  int (*valid)(dc_iter *it);
  void (*seek_first)(dc_iter *it);
  void (*seek_last)(dc_iter *it);
  void (*seek)(dc_iter *it, const char *ikey, size_t n);
  void (*next)(dc_iter *it);
  void (*prev)(dc_iter *it);
  const char *(*key)(dc_iter *it, size_t *n);
  const char *(*value)(dc_iter *it, size_t *n);
  int (*status)(dc_iter *it, dc_error *err);
  void (*destroy)(dc_iter *it);
} dc_iter_vt;
struct dc_iter { const dc_iter_vt *vt; };
"""
ENV_CDEF = """typedef struct dc_file dc_file;
typedef struct dc_env dc_env;
struct dc_env {
  uint32_t struct_size, version;
  int (*open)(dc_env *env, const char *path, int mode, dc_file **out, dc_error *err);
  int (*read)(dc_env *env, dc_file *f, uint64_t off, size_t n, char *buf, size_t *got,
              dc_error *err);
  int (*append)(dc_env *env, dc_file *f, const void *data, size_t n, dc_error *err);
  int (*sync)(dc_env *env, dc_file *f, dc_error *err);
  int (*size)(dc_env *env, dc_file *f, uint64_t *out, dc_error *err);
  int (*truncate)(dc_env *env, dc_file *f, uint64_t len, dc_error *err);
  int (*close)(dc_env *env, dc_file *f, dc_error *err);
  int (*rename)(dc_env *env, const char *from, const char *to, dc_error *err);
  int (*remove)(dc_env *env, const char *path, dc_error *err);
  int (*list)(dc_env *env, const char *dir, char ***names, int *count, dc_error *err);
  int (*mkdir)(dc_env *env, const char *path, dc_error *err);
  int (*sync_dir)(dc_env *env, const char *path, dc_error *err);
  int (*lock)(dc_env *env, const char *path, dc_file **out, dc_error *err);
  int (*unlock)(dc_env *env, dc_file *lock, dc_error *err);
  int (*exists)(dc_env *env, const char *path);
  void (*destroy)(dc_env *env);
  void *state;
};
dc_env *dc_env_posix(void);
"""


def all_sources() -> list[str]:
    return sorted(p.name for p in CSRC.glob("*.c"))


def build(sources: list[str] | None = None, debug: bool = True) -> Path:
    """Compile csrc/<sources> (default: all) into a shared library; return its path.

    A source given as an absolute path (e.g. a test-only C file) is used as is."""
    names = sorted(sources or all_sources())
    paths = [Path(n) if os.path.isabs(n) else CSRC / n for n in names]
    h = hashlib.sha256()
    flags = ["-shared", "-fPIC", "-std=gnu11", "-pthread", "-D_GNU_SOURCE", "-Wall",
             "-Wno-unused-function", f"-I{CSRC}"]
    flags += ["-O1", "-g", "-DDC_DEBUG=1"] if debug else ["-O2"]
    if SANITIZE:
        flags += ["-fsanitize=address,undefined"]
    h.update(" ".join(flags).encode())
    for p in sorted(CSRC.glob("*.h")):
        h.update(p.read_bytes())
    for n, p in zip(names, paths):
        h.update(n.encode())
        h.update(p.read_bytes())
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"libdc-{h.hexdigest()[:16]}.so"
    if not out.exists():
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        cmd = [CC, *flags, *[str(p) for p in paths], "-o", str(tmp), "-ldl"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"C build failed:\n{' '.join(cmd)}\n{r.stderr}")
        os.replace(tmp, out)
    return out


def load(cdef: str, sources: list[str] | None = None, debug: bool = True):
    """Return (ffi, lib) for the given declarations and sources."""
    key = (cdef, tuple(sorted(sources or [])), debug)
    if key not in _loaded:
        path = build(sources, debug)
        ffi = cffi.FFI()
        ffi.cdef(cdef)
        lib = ffi.dlopen(str(path))
        _loaded[key] = (ffi, lib)
    return _loaded[key]


if __name__ == "__main__":  # build everything: python tests/cbuild.py
    print(build(sys.argv[1:] or None))
