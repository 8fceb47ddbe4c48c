"""Crash tests of global secondary index maintenance: a child writes items
of an indexed table from three threads (every write path) and is SIGKILLed
at a random moment, again and again on one directory. After each kill the
database must open with an index that holds exactly the entries the base
table implies (dyncore.table.index: intents replayed at open), no intent
left, and the projected values of the base items."""
import os
import random
from pathlib import Path

import pytest

import dyncore
from tests.crash.kill import run_and_kill

CHILD = Path(__file__).with_name("gsi_child.py")


def run_cycle(path, cycle, rnd):
    run_and_kill(CHILD, [str(path), str(cycle), str(rnd.getrandbits(32))], rnd, 0.6)


def _all(c, **kw):
    out, esk = [], None
    while True:
        page = c.scan(TableName="crash", **kw, **({"ExclusiveStartKey": esk} if esk else {}))
        out += page["Items"]
        esk = page.get("LastEvaluatedKey")
        if not esk:
            return out


def left_intents(path) -> int:
    """Intents a killed child left behind (read before the database opens):
    the one of a write cut short, if any, and ended ones whose batched
    deletion had not come yet; replaying either kind must be harmless."""
    from dyncore.engine import Engine
    eng = Engine(str(path / "txlog"), sync="none", cache_bytes=1 << 20,
                 memtable_bytes=4 << 20, compression_level=0)   # (as TxnLog opens it)
    try:
        with eng.scan(b"gsi/", b"gsi0") as it:
            return sum(1 for _ in it)
    finally:
        eng.close()


def check(path):
    with dyncore.open(path) as db:
        assert db.intents.pending() == []
        c = db.client()
        base = _all(c)
        want = sorted(
            (i["g"]["S"], int(i["gs"]["N"]), i["pk"]["S"], i.get("v", {}).get("S"))
            for i in base if "g" in i and "gs" in i)
        got = sorted((i["g"]["S"], int(i["gs"]["N"]), i["pk"]["S"], i.get("v", {}).get("S"))
                     for i in _all(c, IndexName="byG"))
        assert got == want
        return len(want)


def crash_loop(tmp_path, cycles, seed):
    rnd = random.Random(seed)
    path = tmp_path / "data"
    entries = replayed = 0
    for cycle in range(cycles):
        run_cycle(path, cycle, rnd)
        replayed += left_intents(path)
        entries = check(path)
    assert entries > 0
    return replayed


def test_gsi_crash_short(tmp_path):
    crash_loop(tmp_path, 4, 1)


@pytest.mark.long
def test_gsi_crash_long(tmp_path):
    replayed = crash_loop(tmp_path, 60, int(os.environ.get("DYNCORE_CRASH_SEED", "7")))
    assert replayed > 0, "no intent was ever replayed"
