"""Many threads on one store through the C API (tests/c_api/stress.c): writes,
checked reads, snapshot stability, ordered iterators, WAL tails, flushes and
compactions at once. DYNCORE_TSAN=1 builds it with ThreadSanitizer,
DYNCORE_SANITIZE=1 with AddressSanitizer and UBSan."""
import json
import os
import subprocess
from pathlib import Path

from tests.cbuild import CC, CSRC

HERE = Path(__file__).parent


def build(tmp_path, source="stress.c"):
    exe = tmp_path / Path(source).stem
    flags = ["-O1", "-g", "-std=gnu11", "-pthread", "-D_GNU_SOURCE", f"-I{CSRC}"]
    if os.environ.get("DYNCORE_TSAN") == "1":
        flags.append("-fsanitize=thread")
    elif os.environ.get("DYNCORE_SANITIZE") == "1":
        flags.append("-fsanitize=address,undefined")
    srcs = [str(HERE / source)] + sorted(str(p) for p in CSRC.glob("*.c"))
    subprocess.run([CC, *flags, *srcs, "-ldl", "-o", str(exe)], check=True)
    return exe


def test_threads_on_one_store(tmp_path):
    exe = build(tmp_path)
    seconds = os.environ.get("DYNCORE_STRESS_SECONDS", "4")
    r = subprocess.run([str(exe), str(tmp_path / "db"), seconds], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr[-3000:]
    st = json.loads(r.stdout)
    assert st["flushes"] > 0 and st["compactions"] > 0 and st["writes"] > 1000
    assert not st["background_error"]
