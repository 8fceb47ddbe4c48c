"""Crash tests: a child writes with sync="commit" from 4 threads and is
SIGKILLed at a random moment, again and again on one directory. After each
kill the store must open, hold every acknowledged write with its exact
value, and hold each batch whole or not at all (never part of one)."""
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.c_api.capi import CDB
from tests.crash.crash_child import OPTIONS, value_for

CHILD = Path(__file__).with_name("crash_child.py")


def run_cycle(path, cycle, rnd):
    p = subprocess.Popen([sys.executable, str(CHILD), str(path), str(cycle), str(rnd.getrandbits(32))],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    assert first == b"ready\n", (first, p.stderr.read())
    time.sleep(rnd.uniform(0.02, 0.4))
    os.kill(p.pid, signal.SIGKILL)
    rest = p.stdout.read()
    p.wait()
    acked = {}
    for line in rest.decode().splitlines():
        parts = line.split()
        if len(parts) >= 2 and line.endswith(parts[-1]):
            acked[parts[0]] = parts[1:]
    return acked


def verify(path, all_acked, new_acked, full):
    """Every write acknowledged in the last cycle is there; with `full`, every
    write ever acknowledged is, every stored value is exact and every batch
    whole (a full check reads the whole store, so long runs do it less often)."""
    with CDB(path, **{k: v for k, v in OPTIONS.items() if k != "sync"}) as db:
        for bid, keys in (all_acked if full else new_acked).items():
            for k in keys:
                assert db.get(k.encode()) == value_for(k.encode()), f"lost acknowledged write {k}"
        if not full:
            return
        batches = defaultdict(set)
        for k, v in db.items():
            assert v == value_for(k), f"damaged value under {k!r}"
            bid, _, j = k.decode().rpartition("-")
            batches[bid].add(int(j))
        for bid, js in batches.items():
            n = int(bid.rpartition("-n")[2])  # the batch's size is in its id
            assert js == set(range(n)), f"partial batch {bid}: {sorted(js)} of {n}"


def crash_cycles(tmp_path, cycles, seed, full_every=1):
    rnd = random.Random(seed)
    all_acked = {}
    for c in range(cycles):
        acked = run_cycle(tmp_path, c, rnd)
        all_acked.update(acked)
        verify(tmp_path, all_acked, acked, full=(c + 1) % full_every == 0 or c == cycles - 1)
    return all_acked


def test_crash_cycles_default(tmp_path):
    acked = crash_cycles(tmp_path, int(os.environ.get("DYNCORE_CRASH_CYCLES", "50")), 1)
    assert len(acked) > 100  # the children really wrote


@pytest.mark.long
def test_crash_cycles_long(tmp_path):
    crash_cycles(tmp_path, 1000, 2, full_every=25)
