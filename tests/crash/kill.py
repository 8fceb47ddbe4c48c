"""Run a crash child until it prints "ready", let it work a random while,
SIGKILL it, and return what it printed after "ready" (its acknowledged
writes, for the children that report them)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(child: Path, args: list[str], rnd, max_sleep: float) -> bytes:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    p = subprocess.Popen([sys.executable, str(child), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = p.stdout.readline()
    assert first == b"ready\n", (first, p.stderr.read())
    time.sleep(rnd.uniform(0.05, max_sleep))
    os.kill(p.pid, signal.SIGKILL)
    rest = p.stdout.read()
    p.wait()
    return rest
