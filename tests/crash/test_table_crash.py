"""Crash tests of the table layer: a child writes items (interval durability,
the default: the WAL is written before a call returns, synced every 50 ms)
while partitions split under it, and is SIGKILLed at a random moment, again
and again on one directory. After each kill the database must open with
every acknowledged put present and every acknowledged delete absent, no item
twice in a scan, and partitions that tile the hash space."""
import os
import random
from pathlib import Path

import pytest

import dyncore
from tests.crash.kill import run_and_kill

CHILD = Path(__file__).with_name("table_child.py")


def run_cycle(path, cycle, rnd):
    rest = run_and_kill(CHILD, [str(path), str(cycle), str(rnd.getrandbits(32))], rnd, 0.5)
    puts, dels = set(), set()
    for line in rest.decode().splitlines():
        kind, _, pk = line.partition(" ")
        if kind == "put" and pk:
            puts.add(pk)
        elif kind == "del" and pk:
            dels.add(pk)
    return puts, dels


def check(path, all_puts, all_dels, new_puts, new_dels, full):
    """Every write acknowledged in the last cycle is there (puts) or gone
    (deletes); with `full`, the same for every write ever acknowledged, plus
    a scan that finds no item twice and no damaged item (a full check reads
    the whole table, so long runs do it less often)."""
    with dyncore.open(path) as db:
        c = db.client()
        parts = db.partitions("crash")
        assert parts[0]["HashRangeStart"] == 0 and parts[-1]["HashRangeEnd"] == 2**64 - 1
        for a, b in zip(parts, parts[1:]):
            assert a["HashRangeEnd"] + 1 == b["HashRangeStart"]
        if not full:
            for pk in new_puts:
                got = c.get_item(TableName="crash", Key={"pk": {"S": pk}}).get("Item")
                if pk in new_dels:
                    assert got is None, f"acknowledged delete undone: {pk}"
                else:
                    assert got == {"pk": {"S": pk}, "v": {"S": pk * 5}}, f"lost put {pk}"
            return len(parts)
        seen = []
        esk = None
        while True:
            page = c.scan(TableName="crash", **({"ExclusiveStartKey": esk} if esk else {}))
            seen += [(i["pk"]["S"], i["v"]["S"]) for i in page["Items"]]
            esk = page.get("LastEvaluatedKey")
            if not esk:
                break
        keys = [k for k, _ in seen]
        assert len(keys) == len(set(keys)), "an item came back twice"
        for k, v in seen:
            assert v == k * 5, f"damaged item {k}"
        present = set(keys)
        lost = (all_puts - all_dels) - present
        assert not lost, f"lost acknowledged puts: {sorted(lost)[:5]}"
        back = all_dels & present
        assert not back, f"acknowledged deletes undone: {sorted(back)[:5]}"
        return len(parts)


def cycles(tmp_path, n, seed, full_every=1):
    rnd = random.Random(seed)
    path = tmp_path / "db"
    puts, dels = set(), set()
    nparts = 1
    for cycle in range(n):
        p, d = run_cycle(path, cycle, rnd)
        puts |= p
        dels |= d
        full = cycle % full_every == full_every - 1 or cycle == n - 1
        nparts = check(path, puts, dels, p, d, full)
    return nparts


def test_table_crash_short(tmp_path):
    nparts = cycles(tmp_path, 8, seed=11)
    assert nparts > 1, "the test should have split partitions"


@pytest.mark.long
def test_table_crash_long(tmp_path):
    cycles(tmp_path, 200, seed=12, full_every=25)
