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
