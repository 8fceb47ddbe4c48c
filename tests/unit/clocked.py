"""A database on a ManualClock, for tests that move time (capacity, TTL):
`from tests.unit.clocked import T0, clock, db` brings the fixtures in."""
import pytest

import dyncore
from dyncore.clock import ManualClock

T0 = 1_700_000_000.0


@pytest.fixture
def clock():
    return ManualClock(T0)


@pytest.fixture
def db(tmp_path, clock):
    d = dyncore.open(tmp_path / "data", sync="none", clock=clock, ttl_sweep_interval=None)
    yield d
    d.close()
