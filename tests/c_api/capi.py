"""The public C API (csrc/dyncore.h) loaded through cffi from a plain shared
library of csrc/*.c: no Python C API involved."""
import re

from tests.cbuild import CSRC, load


def header_cdef() -> str:
    text = (CSRC / "dyncore.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = []
    skip = 0
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#ifdef __cplusplus"):
            skip = 1
            continue
        if skip:
            if s.startswith("#endif"):
                skip = 0
            continue
        if s.startswith("#"):
            continue
        out.append(line)
    return "\n".join(out)


EXTRA = """
typedef struct dc_env dc_env;
dc_env *dc_env_posix(void);
dc_env *dc_env_fault_new(dc_env *base);
void dc_env_fault_set(dc_env *env, uint32_t kind_mask, uint64_t nth, int errno_value,
                      int persistent, const char *path_substr);
uint64_t dc_env_fault_count(dc_env *env, uint32_t kind_mask);
void dc_env_fault_reset_counts(dc_env *env);
uint64_t dc_env_fault_injected(dc_env *env);
int dc_env_fault_power_cut(dc_env *env, dc_error *err);
"""


def capi(debug: bool = True):
    return load(header_cdef() + EXTRA, None, debug)


def zstd_library() -> bytes | None:
    try:
        import backports.zstd._zstd as z  # noqa: PLC0415
    except ImportError:
        return None
    return z.__file__.encode()


class CError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class CDB:
    """A thin test wrapper over dc_db through cffi (raises CError)."""

    def __init__(self, path, env=None, **options):
        self.ffi, self.lib = capi()
        ffi, lib = self.ffi, self.lib
        self._keep = []
        opt = ffi.new("dc_options*")
        lib.dc_options_init(opt)
        zs = zstd_library()
        if zs:
            buf = ffi.new("char[]", zs)
            self._keep.append(buf)
            opt.zstd_library = buf
        sync = options.pop("sync", "commit")
        opt.sync_mode = {"commit": 0, "interval": 1, "none": 2}[sync]
        for k, v in options.items():
            setattr(opt, k, v)
        if env is not None:
            opt.env = env
        self.err = ffi.new("dc_error*")
        out = ffi.new("dc_db**")
        self._check(lib.dc_open(str(path).encode(), opt, out, self.err))
        self.db = out[0]

    def _check(self, rc):
        if rc != 0:
            msg = self.ffi.string(self.err.message).decode(errors="replace")
            self.err.code = 0
            self.err.message = b""
            raise CError(rc, msg)
        return rc

    def put(self, k: bytes, v: bytes):
        self._check(self.lib.dc_put(self.db, k, len(k), v, len(v), self.err))

    def delete(self, k: bytes):
        self._check(self.lib.dc_delete(self.db, k, len(k), self.err))

    def write(self, ops, sync=None):
        lib, ffi = self.lib, self.ffi
        b = lib.dc_batch_new()
        try:
            for k, v in ops:
                if v is None:
                    lib.dc_batch_delete(b, k, len(k))
                else:
                    lib.dc_batch_put(b, k, len(k), v, len(v))
            wo = ffi.NULL
            if sync is not None:
                wo = ffi.new("dc_write_options*")
                lib.dc_write_options_init(wo)
                wo.sync_mode = {"commit": 0, "interval": 1, "none": 2}[sync]
            seq = ffi.new("uint64_t*")
            self._check(lib.dc_write(self.db, wo, b, seq, self.err))
            return seq[0]
        finally:
            lib.dc_batch_free(b)

    def get(self, k: bytes, snap=None):
        ffi, lib = self.ffi, self.lib
        val = ffi.new("char**")
        vl = ffi.new("size_t*")
        rc = lib.dc_get(self.db, snap or ffi.NULL, k, len(k), val, vl, self.err)
        if rc == 1:
            return None
        self._check(rc)
        try:
            return ffi.buffer(val[0], vl[0])[:]
        finally:
            lib.dc_free(val[0])

    def items(self, lower=None, upper=None, reverse=False, snap=None):
        ffi, lib = self.ffi, self.lib
        it = lib.dc_iter_new(self.db, snap or ffi.NULL,
                             ffi.NULL if lower is None else lower, len(lower or b""),
                             ffi.NULL if upper is None else upper, len(upper or b""), self.err)
        if it == ffi.NULL:
            self._check(self.err.code or 8)
        out = []
        try:
            (lib.dc_iter_seek_last if reverse else lib.dc_iter_seek_first)(it)
            kl = ffi.new("size_t*")
            vl = ffi.new("size_t*")
            while lib.dc_iter_valid(it):
                k = lib.dc_iter_key(it, kl)
                v = lib.dc_iter_value(it, vl)
                out.append((ffi.buffer(k, kl[0])[:], ffi.buffer(v, vl[0])[:]))
                (lib.dc_iter_prev if reverse else lib.dc_iter_next)(it)
            self._check(lib.dc_iter_status(it, self.err))
        finally:
            lib.dc_iter_free(it)
        return out

    def flush(self):
        self._check(self.lib.dc_flush(self.db, self.err))

    def compact(self):
        self._check(self.lib.dc_compact(self.db, self.err))

    def stats(self):
        import json  # noqa: PLC0415

        out = self.ffi.new("char**")
        self._check(self.lib.dc_stats(self.db, out, self.err))
        try:
            return json.loads(self.ffi.string(out[0]))
        finally:
            self.lib.dc_free(out[0])

    def close(self):
        if self.db is not None:
            db, self.db = self.db, None
            self._check(self.lib.dc_close(db, self.err))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SharedCache:
    """A dc_shared_cache through cffi: the caller's reference (unref() drops it)."""

    def __init__(self, capacity: int):
        self.ffi, self.lib = capi()
        out = self.ffi.new("dc_shared_cache**")
        err = self.ffi.new("dc_error*")
        rc = self.lib.dc_shared_cache_open(capacity, out, err)
        if rc != 0:
            raise CError(rc, self.ffi.string(err.message).decode(errors="replace"))
        self.c = out[0]

    def stats(self) -> dict:
        import json  # noqa: PLC0415

        ffi, lib = self.ffi, self.lib
        out = ffi.new("char**")
        err = ffi.new("dc_error*")
        rc = lib.dc_shared_cache_stats(self.c, out, err)
        if rc != 0:
            raise CError(rc, ffi.string(err.message).decode(errors="replace"))
        try:
            return json.loads(ffi.string(out[0]))
        finally:
            lib.dc_free(out[0])

    def unref(self):
        if self.c is not None:
            c, self.c = self.c, None
            self.lib.dc_shared_cache_unref(c)
