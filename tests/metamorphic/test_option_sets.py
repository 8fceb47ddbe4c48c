"""Metamorphic runs: one random sequence of operations, replayed under many
option sets (block sizes, restart intervals, bloom filters on and off,
compression on and off, tiny or large memtables, every sync mode, reopen
points), must give the same answers every time. A seed replays a run:
DYNCORE_META_SEED=<n>."""
import os
import random

import pytest

from tests.c_api.capi import CDB

OPTION_SETS = [
    dict(),
    dict(memtable_bytes=2 << 10, level1_bytes=8 << 10, target_file_bytes=4 << 10,
         l0_compaction_trigger=2),
    dict(block_bytes=64, restart_interval=1, bloom_bits_per_key=0, compression_level=0,
         memtable_bytes=4 << 10),
    dict(block_bytes=16 << 10, restart_interval=64, bloom_bits_per_key=20, compression_level=9,
         memtable_bytes=8 << 10, cache_bytes=0),
    dict(sync="none", memtable_bytes=3 << 10, max_imm_memtables=1, l0_slowdown_trigger=2,
         l0_stop_trigger=3, level_multiplier=2, level1_bytes=4 << 10),
    dict(sync="interval", sync_interval_ms=5, memtable_bytes=16 << 10, paranoid_checks=1),
]


def make_ops(seed, n=1500):
    rnd = random.Random(seed)
    keys = [rnd.randbytes(rnd.choice([0, 1, 3, 8, 16, 40])) for _ in range(120)]
    ops = []
    for _ in range(n):
        r = rnd.random()
        k = rnd.choice(keys)
        if r < 0.45:
            ops.append(("put", k, rnd.randbytes(rnd.choice([0, 5, 100, 700]))))
        elif r < 0.6:
            ops.append(("delete", k))
        elif r < 0.68:
            ops.append(("batch", [(rnd.choice(keys), rnd.choice([None, rnd.randbytes(30)]))
                                  for _ in range(rnd.randrange(1, 8))]))
        elif r < 0.83:
            ops.append(("get", k))
        elif r < 0.9:
            lo, hi = sorted([rnd.choice(keys), rnd.choice(keys)])
            ops.append(("scan", lo, hi, rnd.random() < 0.5))
        elif r < 0.93:
            ops.append(("snapshot",))
        elif r < 0.96:
            ops.append(("flush",))
        elif r < 0.98:
            ops.append(("compact",))
        else:
            ops.append(("reopen",))
    ops.append(("scan", None, None, False))
    return ops


def run(path, options, ops):
    out = []
    db = CDB(path, **options)
    snaps = []
    try:
        for op in ops:
            kind = op[0]
            if kind == "put":
                db.put(op[1], op[2])
            elif kind == "delete":
                db.delete(op[1])
            elif kind == "batch":
                db.write(op[1])
            elif kind == "get":
                out.append(db.get(op[1]))
            elif kind == "scan":
                out.append(db.items(op[1], op[2], reverse=op[3]))
                for s in snaps:  # old snapshots still read their past
                    out.append(db.items(op[1], op[2], snap=s))
            elif kind == "snapshot":
                snaps.append(db.lib.dc_snapshot_new(db.db))
            elif kind == "flush":
                db.flush()
            elif kind == "compact":
                db.compact()
            elif kind == "reopen":
                for s in snaps:
                    db.lib.dc_snapshot_release(db.db, s)
                snaps = []
                db.close()
                db = CDB(path, **options)
    finally:
        for s in snaps:
            db.lib.dc_snapshot_release(db.db, s)
        db.close()
    return out


def model(ops):
    """The same answers from a plain dict (the oracle for the reference run)."""
    d, snaps, out = {}, [], []

    def rng(m, lo, hi, rev=False):
        items = sorted((k, v) for k, v in m.items()
                       if (lo is None or k >= lo) and (hi is None or k < hi))
        return items[::-1] if rev else items

    for op in ops:
        kind = op[0]
        if kind == "put":
            d[op[1]] = op[2]
        elif kind == "delete":
            d.pop(op[1], None)
        elif kind == "batch":
            for k, v in op[1]:
                if v is None:
                    d.pop(k, None)
                else:
                    d[k] = v
        elif kind == "get":
            out.append(d.get(op[1]))
        elif kind == "scan":
            out.append(rng(d, op[1], op[2], op[3]))
            for sn in snaps:
                out.append(rng(sn, op[1], op[2]))
        elif kind == "snapshot":
            snaps.append(dict(d))
        elif kind == "reopen":
            snaps = []
    return out


SEEDS = [int(os.environ["DYNCORE_META_SEED"])] if "DYNCORE_META_SEED" in os.environ else [1, 2, 3]


@pytest.mark.parametrize("seed", SEEDS)
def test_same_answers_under_every_option_set(tmp_path, seed):
    ops = make_ops(seed)
    reference = run(tmp_path / "ref", OPTION_SETS[0], ops)
    assert reference == model(ops)
    for i, options in enumerate(OPTION_SETS[1:], 1):
        got = run(tmp_path / f"o{i}", options, ops)
        assert len(got) == len(reference)
        for j, (a, b) in enumerate(zip(reference, got)):
            assert a == b, f"seed {seed}, option set {i} ({options}), answer {j} differs"
