"""dyncore.table.capacity: the unit arithmetic against DynamoDB's published
examples (Developer Guide, "DynamoDB read and write operations"), the token
bucket with its 300-second burst, and the Capacity meter (per-key ceilings,
table buckets, throttling errors, counts) on a manual clock."""
import math

import pytest

from dyncore.clock import ManualClock
from dyncore.errors import ProvisionedThroughputExceededException, ThrottlingException
from dyncore.table.capacity import (BURST_SECONDS, TRANSACTION_FACTOR, Capacity, TokenBucket,
                                    read_units, write_units)
from dyncore.table.partition import HASH_SPACE

KB = 1024


# -- units: DynamoDB's published examples --------------------------------------------

@pytest.mark.parametrize("size, strong, eventual", [
    (3500, 1.0, 0.5),             # "reading a 3,500-byte item consumes ... a 4 KB item"
    (int(3.5 * KB), 1.0, 0.5),    # GetItem of a 3.5 KB item: rounded to 4 KB
    (8 * KB, 2.0, 1.0),           # an 8 KB item: 2 strong, 1 eventually consistent
    (10 * KB, 3.0, 1.5),          # a 10 KB item is rounded to 12 KB
    (0, 1.0, 0.5),                # a missing item costs the minimum
    (1, 1.0, 0.5),
    (4 * KB, 1.0, 0.5),
    (4 * KB + 1, 2.0, 1.0),
    (400 * KB, 100.0, 50.0),      # the largest item
])
def test_read_units(size, strong, eventual):
    assert read_units(size, True) == strong
    assert read_units(size, False) == eventual


def test_transactional_read_is_twice_strong():
    # "4 read units for a transactional read request" of an 8 KB item
    assert TRANSACTION_FACTOR * read_units(8 * KB, True) == 4.0


def test_batch_get_rounds_each_item_query_rounds_the_sum():
    # BatchGetItem of 1.5 KB and 6.5 KB items: 4 KB + 8 KB = 12 KB, not 8 KB
    sizes = [int(1.5 * KB), int(6.5 * KB)]
    assert sum(read_units(s) for s in sizes) == 3.0
    # the same two items read by one Query: their sum, rounded once
    assert read_units(sum(sizes)) == 2.0
    # a Query returning 10 items of 40.8 KB in all is rounded to 44 KB
    assert read_units(int(40.8 * KB) + 1) == 11.0
    assert read_units(int(40.8 * KB) + 1, False) == 5.5
    # 1,500 items of 64 bytes: 96,000 bytes, 24 units
    assert read_units(1500 * 64) == 24.0


@pytest.mark.parametrize("size, units", [
    (500, 1.0),              # a 500-byte write: 1 WCU
    (0, 1.0),                # deleting a missing item: 1 WCU
    (1 * KB, 1.0),
    (1 * KB + 1, 2.0),
    (int(1.2 * KB), 2.0),    # 10 items of 1.2 KB consume 20 WCU
    (int(3.5 * KB), 4.0),
    (400 * KB, 400.0),
])
def test_write_units(size, units):
    assert write_units(size) == units


def test_batch_write_and_transactional_write_examples():
    # BatchWriteItem of a 500-byte and a 3.5 KB item: 1 KB + 4 KB
    assert write_units(500) + write_units(int(3.5 * KB)) == 5.0
    assert sum(write_units(int(1.2 * KB)) for _ in range(10)) == 20.0
    # transactional writes cost twice
    assert TRANSACTION_FACTOR * write_units(500) == 2.0


# -- the token bucket ------------------------------------------------------------------

def test_bucket_refills_and_keeps_300_seconds():
    b = TokenBucket(10, BURST_SECONDS, now=0.0)
    assert b.level == 3000.0             # starts full: 300 s of 10 units
    b.level = 0.0
    assert b.refill(1.0) == 10.0
    assert b.refill(1000.0) == 3000.0    # never more than 300 s of unused capacity
    b.level = -50.0                      # a debt (a large item after small ones)
    assert b.refill(1001.0) == -40.0
    assert b.refill(1000.0) == -40.0     # a clock set back refills nothing


def test_bucket_resize_keeps_level_within_depth():
    b = TokenBucket(10, BURST_SECONDS, now=0.0)
    b.resize(1, BURST_SECONDS, now=0.0)
    assert (b.rate, b.size, b.level) == (1.0, 300.0, 300.0)
    b.resize(100, BURST_SECONDS, now=0.0)
    assert (b.size, b.level) == (30000.0, 300.0)


# -- the meter -----------------------------------------------------------------------

class _Part:
    def __init__(self, pid, lo):
        self.id, self.lo = pid, lo


class _Router:
    """Two partitions, split at the middle of the hash space."""

    def __init__(self, n=1):
        self.parts = tuple(_Part(i, i * HASH_SPACE // n) for i in range(n))

    def lookup(self, h):
        return [p for p in self.parts if p.lo <= h][-1]


def meter(mode="PAY_PER_REQUEST", rcu=0, wcu=0, n=1, **kw):
    clock = ManualClock(1_000_000.0)
    cap = Capacity("arn:t", _Router(n), clock, **kw)
    cap.configure(mode, rcu, wcu)
    return cap, clock


def test_provisioned_writes_burst_then_throttle_then_refill():
    cap, clock = meter("PROVISIONED", 1, 1)
    for _ in range(300):
        cap.write(1, 1.0)                       # 300 s of 1 WCU saved up
    with pytest.raises(ProvisionedThroughputExceededException) as e:
        cap.write(2, 1.0)
    assert e.value.extra["ThrottlingReasons"] == [
        {"reason": "TableWriteProvisionedThroughputExceeded", "resource": "arn:t"}]
    clock.advance(1.0)
    cap.write(3, 1.0)                           # one second refills one unit
    with pytest.raises(ProvisionedThroughputExceededException):
        cap.write(4, 1.0)
    clock.advance(10_000)
    for _ in range(300):
        cap.write(5 + _, 1.0)
    with pytest.raises(ProvisionedThroughputExceededException):
        cap.write(9, 1.0)                       # the burst is capped at 300 s
    assert cap.stats()["throttled"] == {"TableWriteProvisionedThroughputExceeded": 3}


def test_a_large_item_may_overdraw_and_the_debt_is_paid_by_time():
    cap, clock = meter("PROVISIONED", 10, 10)
    cap.write(1, 2000.0)
    cap.write(2, 2000.0)                         # admitted with 1000 left: now -1000
    with pytest.raises(ProvisionedThroughputExceededException):
        cap.write(3, 1.0)
    clock.advance(100)                           # pays the debt exactly: level 0
    with pytest.raises(ProvisionedThroughputExceededException):
        cap.write(3, 1.0)
    clock.advance(0.5)
    cap.write(3, 1.0)


def test_hot_key_throttles_spread_load_does_not():
    cap, clock = meter()                          # on-demand: no table bucket
    for _ in range(1000):
        cap.write(42, 1.0)
    with pytest.raises(ThrottlingException) as e:
        cap.write(42, 1.0)
    assert e.value.extra["throttlingReasons"][0]["reason"] == \
        "TableWriteKeyRangeThroughputExceeded"
    for h in range(100_000):                      # 100,000 keys in the same second
        cap.write(h * 0x9E3779B97F4A7C15 % HASH_SPACE, 1.0)
    for _ in range(6000):
        cap.read(7, 0.5)                          # 3,000 RCU of eventually consistent reads
    with pytest.raises(ThrottlingException):
        cap.read(7, 0.5)
    clock.advance(1.0)                            # a new second
    cap.write(42, 1.0)
    cap.read(7, 0.5)


def test_key_ceiling_also_applies_to_provisioned_tables():
    cap, clock = meter("PROVISIONED", 10_000, 10_000)
    for _ in range(1000):
        cap.write(42, 1.0)
    with pytest.raises(ProvisionedThroughputExceededException) as e:
        cap.write(42, 1.0)
    assert e.value.extra["ThrottlingReasons"][0]["reason"] == \
        "TableWriteKeyRangeThroughputExceeded"


def test_on_demand_maximum():
    cap, clock = meter()
    cap.configure("PAY_PER_REQUEST", 0, 0, max_read=None, max_write=5)
    for i in range(5):
        cap.write(i, 1.0)
    with pytest.raises(ThrottlingException) as e:
        cap.write(9, 1.0)
    assert e.value.extra["throttlingReasons"][0]["reason"] == \
        "TableWriteMaxOnDemandThroughputExceeded"
    for i in range(100):
        cap.read(i, 1.0)                          # reads have no maximum
    clock.advance(1.0)
    cap.write(9, 1.0)


def test_check_then_add_and_not_enforced():
    cap, clock = meter("PROVISIONED", 1, 1)
    cap.check_write(1)
    cap.add_write(1, 400.0)                       # a failed condition's units
    with pytest.raises(ProvisionedThroughputExceededException):
        cap.check_write(1)
    free, clock = meter("PROVISIONED", 1, 1, enforce=False)
    for _ in range(5000):
        free.write(1, 1.0)
    assert free.stats()["consumed"] == [0.0, 5000.0]


def test_counts_per_partition_roll_with_windows():
    cap, clock = meter(n=2)
    low, high = 5, HASH_SPACE - 5
    cap.write(low, 2.0)
    cap.write(high, 3.0)
    cap.read(high, 0.5)
    cap.read_range(None, 4.0)                     # a Scan page, to the first partition
    st = cap.stats()
    assert st["consumed"] == [4.5, 5.0]
    assert st["partitions"] == {0: [4.0, 2.0, 0.0, 0.0], 1: [0.5, 3.0, 0.0, 0.0]}
    clock.advance(1.0)
    cap.write(low, 1.0)                           # rolls the window over
    for _ in range(1000):
        cap.write(high, 1.0)
    with pytest.raises(ThrottlingException):
        cap.write(high, 7.0)
    st = cap.stats()
    assert st["consumed"] == [4.5, 1006.0]
    assert st["partitions"][0][:2] == [4.0, 3.0]
    assert st["partitions"][1] == [0.5, 1003.0, 0.0, 7.0]
    assert st["throttled_units"] == [0.0, 7.0]


def test_reconfigure_switches_modes():
    cap, clock = meter("PROVISIONED", 1, 1)
    cap.configure("PAY_PER_REQUEST", 0, 0)
    assert cap.buckets == (None, None)
    for i in range(5000):
        cap.write(i, 1.0)
    cap.configure("PROVISIONED", 2, 2)
    assert [b.level for b in cap.buckets] == [600.0, 600.0]   # a new bucket starts full
    cap.configure("PROVISIONED", 1, 4)
    assert [(b.size, b.level) for b in cap.buckets] == [(300.0, 300.0), (1200.0, 600.0)]
    assert math.isinf(meter(enforce=False)[0]._wlimit)
