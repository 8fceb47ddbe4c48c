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
