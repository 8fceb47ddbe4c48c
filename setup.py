"""Build the one native extension: csrc/*.c plus the Cython binding.

Only native code is built here; metadata lives in pyproject.toml.
Knobs (environment variables):
  DYNCORE_DEBUG=1     -O0 -g and the engine's costly invariant checks (DC_DEBUG)
  DYNCORE_SANITIZE=1  AddressSanitizer + UndefinedBehaviorSanitizer
"""
import glob
import os

from setuptools import Extension, setup
from Cython.Build import cythonize

debug = os.environ.get("DYNCORE_DEBUG") == "1"
sanitize = os.environ.get("DYNCORE_SANITIZE") == "1"

cflags = ["-std=gnu11", "-pthread", "-Wall", "-Wno-unused-function", "-fvisibility=default"]
ldflags = ["-pthread"]
macros = [("_GNU_SOURCE", "1")]
if debug:
    cflags += ["-O0", "-g"]
    macros.append(("DC_DEBUG", "1"))
else:
    cflags += ["-O2", "-g0"]
if sanitize:
    cflags += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
    ldflags += ["-fsanitize=address,undefined"]

ext = Extension(
    "dyncore._core",
    sources=["src/dyncore/_core.pyx"] + sorted(glob.glob("csrc/*.c")),
    include_dirs=["csrc"],
    depends=sorted(glob.glob("csrc/*.h")) + sorted(glob.glob("src/dyncore/*.pxi")),
    define_macros=macros,
    extra_compile_args=cflags,
    extra_link_args=ldflags,
    libraries=["dl"],
)

setup(
    ext_modules=cythonize(
        [ext],
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "embedsignature": True},
    ),
)
