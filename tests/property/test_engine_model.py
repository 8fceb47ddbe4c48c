"""The engine against a dict: a hypothesis state machine.

Writes (put, delete, atomic batches), reads (get, forward and reverse scans
with random bounds), snapshots read later against a frozen copy of the model,
flush, compact and reopen are mixed at random. The options are tiny (4 KiB
memtable, small L1 and files, L0 trigger 2) so that flushes and compactions
really run during a short test. Settings come from the hypothesis profile
(tests/conftest.py, HYPOTHESIS_PROFILE).
"""
import shutil
import tempfile

import hypothesis.strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule)

from dyncore.engine import Engine
from dyncore.errors import ClosedError

OPTIONS = dict(sync="none", memtable_bytes=4096, level1_bytes=16 << 10,
               target_file_bytes=4096, l0_compaction_trigger=2, block_bytes=512,
               cache_bytes=256 << 10, max_imm_memtables=2)

# A small alphabet, so that keys collide, overwrite and shadow each other.
keys = st.lists(st.sampled_from(b"\x00abcz\xff"), max_size=4).map(bytes)
values = st.one_of(st.binary(max_size=24), st.binary(min_size=200, max_size=1500))
bounds = st.one_of(st.none(), keys)
MAX_SNAPSHOTS = 4


def expected(model, lo, hi, reverse):
    items = sorted((k, v) for k, v in model.items()
                   if (lo is None or k >= lo) and (hi is None or k < hi))
    if reverse:
        items.reverse()
    return items


class EngineMachine(RuleBasedStateMachine):
    @initialize()
    def open_engine(self):
        self.dir = tempfile.mkdtemp(prefix="dyncore-model-")
        self.db = Engine(self.dir, **OPTIONS)
        self.model = {}
        self.snaps = []  # [(Snapshot, frozen copy of the model)]
        self.seq = 0

    def teardown(self):
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- writes --

    @rule(k=keys, v=values)
    def put(self, k, v):
        self.db.put(k, v)
        self.model[k] = v
        self.seq += 1

    @rule(k=keys)
    def delete(self, k):
        self.db.delete(k)
        self.model.pop(k, None)
        self.seq += 1

    @rule(ops=st.lists(st.tuples(keys, st.one_of(st.none(), values)), max_size=12))
    def write_batch(self, ops):
        seq = self.db.write_batch(ops)
        for k, v in ops:
            if v is None:
                self.model.pop(k, None)
            else:
                self.model[k] = v
        self.seq += len(ops)
        assert seq == self.seq

    # -- reads --

    @rule(k=keys)
    def get(self, k):
        assert self.db.get(k) == self.model.get(k)

    @rule(lo=bounds, hi=bounds, reverse=st.booleans())
    def scan(self, lo, hi, reverse):
        assert list(self.db.scan(lo, hi, reverse=reverse)) == expected(self.model, lo, hi, reverse)

    @rule(lo=bounds, hi=bounds, reverse=st.booleans(), n=st.integers(0, 5))
    def scan_prefix_then_close(self, lo, hi, reverse, n):
        with self.db.scan(lo, hi, reverse=reverse) as it:
            got = [pair for _, pair in zip(range(n), it)]
        assert got == expected(self.model, lo, hi, reverse)[:n]

    # -- snapshots --

    @precondition(lambda self: len(self.snaps) < MAX_SNAPSHOTS)
    @rule()
    def take_snapshot(self):
        self.snaps.append((self.db.snapshot(), dict(self.model)))

    @precondition(lambda self: self.snaps)
    @rule(i=st.integers(0, MAX_SNAPSHOTS - 1), k=keys)
    def snapshot_get(self, i, k):
        snap, frozen = self.snaps[i % len(self.snaps)]
        assert snap.get(k) == frozen.get(k)

    @precondition(lambda self: self.snaps)
    @rule(i=st.integers(0, MAX_SNAPSHOTS - 1), lo=bounds, hi=bounds, reverse=st.booleans())
    def snapshot_scan(self, i, lo, hi, reverse):
        snap, frozen = self.snaps[i % len(self.snaps)]
        got = list(self.db.scan(lo, hi, reverse=reverse, snapshot=snap))
        assert got == expected(frozen, lo, hi, reverse)

    @precondition(lambda self: self.snaps)
    @rule(i=st.integers(0, MAX_SNAPSHOTS - 1))
    def release_snapshot(self, i):
        snap, _ = self.snaps.pop(i % len(self.snaps))
        snap.release()

    # -- maintenance --

    @rule()
    def flush(self):
        self.db.flush()

    @rule()
    def compact(self):
        self.db.compact()

    @rule()
    def reopen(self):
        self.db.close()
        for snap, _ in self.snaps:
            try:
                snap.get(b"a")
            except ClosedError:
                pass
            else:
                raise AssertionError("a snapshot outlived its engine")
        self.snaps = []
        self.db = Engine(self.dir, **OPTIONS)
        assert self.db.last_sequence == self.seq

    @invariant()
    def sequence(self):
        if hasattr(self, "db"):
            assert self.db.last_sequence == self.seq


TestEngineModel = EngineMachine.TestCase  # settings: the profile (tests/conftest.py)
