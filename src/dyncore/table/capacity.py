"""Capacity: DynamoDB's capacity units, and the token buckets and
per-partition ceilings that throttle a table.

Units (DynamoDB's rules, dynamodb.md §4)
----------------------------------------
- A read costs 1 unit per 4 KB (4,096 bytes) or part of it, at least 1;
  eventually consistent, half of that; transactional, twice a strong read.
  GetItem and each key of BatchGetItem are rounded item by item; a Query or
  Scan page sums the sizes of the items it read (before any filter) and
  rounds once. A read of a missing item costs the minimum.
- A write costs 1 unit per 1 KB (1,024 bytes) or part of it, at least 1,
  of the larger of the item before and after (PutItem, UpdateItem), of the
  deleted item (DeleteItem); transactional, twice that. A conditional write
  whose condition fails still consumes its units.
- Each secondary index a write touches costs its own units: a global
  secondary index's are charged to its own `Capacity`, a local one's to the
  table's (as DynamoDB does).
These functions are the arithmetic; the API layer applies them per operation.

Throttling (theory of operation)
--------------------------------
One `Capacity` meters one table or one global secondary index (configured
from the index's own ProvisionedThroughput; an index read is admitted and
charged on the index's meter; a base write is refused, before anything is
written, when an index it would write to has no write capacity left:
IndexWriteProvisionedThroughputExceeded):

- PROVISIONED: a token bucket for reads and one for writes, refilled at the
  provisioned units per second by the Database's clock and holding up to
  BURST_SECONDS (300) of unused capacity, as DynamoDB's burst capacity does.
  A new (or newly provisioned) bucket starts full.
- PAY_PER_REQUEST: no table bucket, unless an OnDemandThroughput maximum is
  set: then a bucket of that many units per second holding one second.
- Both modes: a per-partition ceiling of 3,000 read and 1,000 write units a
  second applies to each partition-key value (DynamoDB's
  KeyRangeThroughputExceeded: "the request rate directed at a specific
  partition key value has exceeded the internal partition-level throughput
  limits"; adaptive capacity isolates a hot key, so that is where the ceiling
  bites). Burst capacity does not lift it. It is counted in windows of one
  clock second per key, so a spread load never meets it.

A request is admitted while its buckets are not in debt and its key's window
is below the ceiling, and then charged what it consumed, which may take a
bucket below zero (a large item after a run of small ones): later requests
wait until the refill pays the debt. Buckets and windows live in memory: a
table opened again starts with full buckets. Reads are charged after they have read (their size is known then;
a refused read returns nothing), writes before they write (PutItem by the new
item's size; when the old item is read anyway, for a condition, ReturnValues
or ReturnConsumedCapacity, the larger size is charged).

Counting is deliberately lock-free on the request path (a few attribute and
dict updates under the GIL; a thread switch between two of them can lose an
increment, which blurs a count or a ceiling by one request); the window
roll, throttle accounting and reconfiguration take a lock. Consumed and throttled units are kept per
table and per partition (the partition of each key, found when a window
rolls over, so the request path does no partition lookup).
"""
from __future__ import annotations

import bisect
import math
import threading
import time

from dyncore.clock import Clock
from dyncore.errors import ProvisionedThroughputExceededException, ThrottlingException

__all__ = ["read_units", "write_units", "READ_UNIT_BYTES", "WRITE_UNIT_BYTES",
           "TRANSACTION_FACTOR", "BURST_SECONDS", "PARTITION_READ_UNITS",
           "PARTITION_WRITE_UNITS", "LIMITS", "TokenBucket", "Capacity",
           "PROVISIONED_MESSAGE", "ON_DEMAND_MESSAGE"]

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
TRANSACTION_FACTOR = 2
BURST_SECONDS = 300.0
PARTITION_READ_UNITS = 3000.0
PARTITION_WRITE_UNITS = 1000.0

# UpdateTable's quotas: provisioned throughput decreases (4 at any time in a
# UTC day, then one after each hour without one: at most 27 a day), and
# switches from PROVISIONED to PAY_PER_REQUEST (4 in a rolling 24 hours;
# back to PROVISIONED at any time)
DECREASES_ANY_TIME = 4
DECREASE_INTERVAL = 3600.0
PPR_SWITCHES = 4
PPR_SWITCH_WINDOW = 86400.0

# DescribeLimits: DynamoDB's default quotas (us-east-1 and most regions)
LIMITS = {
    "AccountMaxReadCapacityUnits": 80000,
    "AccountMaxWriteCapacityUnits": 80000,
    "TableMaxReadCapacityUnits": 40000,
    "TableMaxWriteCapacityUnits": 40000,
}

PROVISIONED_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. Consider "
    "increasing your provisioning level with the UpdateTable API.")
INDEX_WRITE_MESSAGE = (   # [verify] recalled, not found in the docs
    "The level of configured provisioned throughput for one or more global secondary "
    "indexes of the table was exceeded. Consider increasing your provisioning level for "
    "the under-provisioned global secondary indexes with the UpdateTable API")
ON_DEMAND_MESSAGE = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is "
    "automatically scaling your table or index so please try again shortly. If exceptions "
    "persist, check if you have a hot key: "
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html")

# limit types of DynamoDB's ThrottlingReason (ResourceType + OperationType + LimitType)
PROVISIONED = "ProvisionedThroughputExceeded"
KEY_RANGE = "KeyRangeThroughputExceeded"
MAX_ON_DEMAND = "MaxOnDemandThroughputExceeded"

READ, WRITE = 0, 1
_OPS = ("Read", "Write")


def read_units(size: int, consistent: bool = True) -> float:
    """Read units of `size` bytes read in one go (an item, or a Query or
    Scan page): one per 4 KB or part, at least one; half eventually
    consistent."""
    n = (size + READ_UNIT_BYTES - 1) // READ_UNIT_BYTES or 1
    return float(n) if consistent else n / 2


def write_units(size: int) -> float:
    """Write units of writing (or deleting) an item of `size` bytes: one
    per 1 KB or part, at least one."""
    return float((size + WRITE_UNIT_BYTES - 1) // WRITE_UNIT_BYTES or 1)


class TokenBucket:
    """Units refilled at `rate` a second up to `rate * seconds`. Starts
    full. Not locked: see the module's notes."""

    __slots__ = ("rate", "size", "level", "stamp")

    def __init__(self, rate: float, seconds: float, now: float):
        self.rate = float(rate)
        self.size = self.rate * seconds
        self.level = self.size
        self.stamp = now

    def refill(self, now: float) -> float:
        """The level at `now` (stored)."""
        elapsed = now - self.stamp
        if elapsed > 0:
            level = self.level + elapsed * self.rate
            self.level = level if level < self.size else self.size
        self.stamp = now   # (a clock set back refills nothing)
        return self.level

    def resize(self, rate: float, seconds: float, now: float) -> None:
        """A new rate and depth; the level carries over, cut to the depth."""
        self.refill(now)
        self.rate = float(rate)
        self.size = self.rate * seconds
        if self.level > self.size:
            self.level = self.size

    def __repr__(self):
        return f"<TokenBucket {self.level:.1f}/{self.size:.1f} at {self.rate:g}/s>"


class Capacity:
    """The capacity meter of one table (or index): admission, throttling
    and counts. `router` (the table's partition Router) attributes units to
    partitions; `arn` names the resource in throttling reasons.

    The request path reads flat attributes (`_rkeys`, `_wkeys`: this
    window's units per key hash; `_rlimit`, `_wlimit`: the key ceilings;
    `_rbucket`, `_wbucket`: the table's buckets or None); everything else
    happens when a window rolls over or statistics are read."""

    def __init__(self, arn: str, router, clock, *, enforce: bool = True,
                 resource: str = "Table"):
        self.arn = arn
        self.router = router
        self.enforce = enforce
        self.resource = resource   # "Table" or "Index", for throttling reasons
        # SYSTEM's now() is time.time(); call it directly on the hot path
        self._now = time.time if type(clock) is Clock else clock.now
        self._lock = threading.Lock()
        self._folded = [0.0, 0.0]     # units of the windows rolled over
        self.throttled_units = [0.0, 0.0]
        self.throttled = {}           # reason -> requests
        self.by_partition = {}        # partition id -> [read, write, thr read, thr write]
        self._rkeys: dict = {}
        self._wkeys: dict = {}
        self._until = -math.inf       # the current window ends here
        self._rlimit = self._wlimit = math.inf
        self._rbucket = self._wbucket = None
        self.mode = "PAY_PER_REQUEST"
        self.limit_type = None
        self._config = None
        self.configure("PAY_PER_REQUEST", 0, 0)

    @property
    def buckets(self) -> tuple:
        return self._rbucket, self._wbucket

    @property
    def consumed(self) -> list:
        """[read, write] units consumed so far."""
        return [self._folded[0] + sum(list(self._rkeys.values())),
                self._folded[1] + sum(list(self._wkeys.values()))]

    # -- configuration ------------------------------------------------------

    def configure(self, mode: str, rcu: int, wcu: int, max_read: int | None = None,
                  max_write: int | None = None) -> None:
        """Apply a billing mode and its throughput (UpdateTable, opening a
        table). OnDemandThroughput maxima of None or -1 mean no maximum."""
        config = (mode, rcu, wcu, max_read, max_write)
        if config == self._config:
            return
        now = self._now()
        with self._lock:
            if mode == "PROVISIONED":
                rates, seconds, limit = (rcu, wcu), BURST_SECONDS, PROVISIONED
            else:
                rates = tuple(m if m is not None and m > 0 else None
                              for m in (max_read, max_write))
                seconds, limit = 1.0, MAX_ON_DEMAND
            buckets = []
            for old, rate in zip(self.buckets, rates):
                if rate is None or not self.enforce:
                    buckets.append(None)
                elif old is not None and self.mode == mode:
                    old.resize(rate, seconds, now)
                    buckets.append(old)
                else:
                    buckets.append(TokenBucket(rate, seconds, now))
            self._rbucket, self._wbucket = buckets
            self.mode = mode
            self.limit_type = limit
            if self.enforce:
                self._rlimit, self._wlimit = PARTITION_READ_UNITS, PARTITION_WRITE_UNITS
            self._config = config

    def configure_from(self, record: dict) -> None:
        """configure() from a table's catalog record."""
        self.configure(record["billing_mode"], record["rcu"], record["wcu"],
                       record.get("max_read_request_units"),
                       record.get("max_write_request_units"))

    # -- the request path -----------------------------------------------------

    def read(self, h: int, units: float) -> None:
        """Admit and charge a read of `units` from the items of partition-key
        hash h; raises the throttling error (nothing charged) if refused."""
        now = self._now()
        if now >= self._until:
            self._roll(now)
        keys = self._rkeys
        used = keys.get(h, 0.0)
        if used >= self._rlimit:
            self._refuse(READ, h, units, KEY_RANGE)
        bucket = self._rbucket
        if bucket is not None:
            if bucket.refill(now) <= 0:
                self._refuse(READ, h, units, self.limit_type)
            bucket.level -= units
        keys[h] = used + units

    def write(self, h: int, units: float) -> None:
        """Admit and charge a write of `units` to partition-key hash h;
        raises the throttling error (nothing charged) if refused."""
        now = self._now()
        if now >= self._until:
            self._roll(now)
        keys = self._wkeys
        used = keys.get(h, 0.0)
        if used >= self._wlimit:
            self._refuse(WRITE, h, units, KEY_RANGE)
        bucket = self._wbucket
        if bucket is not None:
            if bucket.refill(now) <= 0:
                self._refuse(WRITE, h, units, self.limit_type)
            bucket.level -= units
        keys[h] = used + units

    def read_range(self, h: int | None, units: float) -> None:
        """A read that spans partition keys (a Scan page): the table's
        bucket only; the units count toward h's partition (the first key
        read; None: the first partition), not toward any key's ceiling."""
        now = self._now()
        if now >= self._until:
            self._roll(now)
        bucket = self._rbucket
        if bucket is not None:
            if bucket.refill(now) <= 0:
                self._refuse(READ, h, units, self.limit_type)
            bucket.level -= units
        with self._lock:
            self._folded[READ] += units
            self._partition(self.router.lookup(h or 0).id)[READ] += units

    def check_read(self, h: int) -> None:
        """Admit a read whose units are known only later (add_read)."""
        now = self._now()
        if now >= self._until:
            self._roll(now)
        if self._rkeys.get(h, 0.0) >= self._rlimit:
            self._refuse(READ, h, 0.5, KEY_RANGE)
        bucket = self._rbucket
        if bucket is not None and bucket.refill(now) <= 0:
            self._refuse(READ, h, 0.5, self.limit_type)

    def check_write(self, h: int) -> None:
        """Admit a write whose units are known only later (add_write);
        raises the throttling error if refused."""
        now = self._now()
        if now >= self._until:
            self._roll(now)
        if self._wkeys.get(h, 0.0) >= self._wlimit:
            self._refuse(WRITE, h, 1.0, KEY_RANGE)
        bucket = self._wbucket
        if bucket is not None and bucket.refill(now) <= 0:
            self._refuse(WRITE, h, 1.0, self.limit_type)

    def write_in_debt(self) -> bool:
        """The write bucket is empty (a write would be refused now for the
        table's or index's throughput): background work that consumes it,
        such as an index backfill, waits."""
        bucket = self._wbucket
        return bucket is not None and bucket.refill(self._now()) <= 0

    def add_read(self, h: int, units: float) -> None:
        """Charge read units without admission (after check_read)."""
        self._charge(READ, h, units)

    def add_write(self, h: int, units: float) -> None:
        """Charge write units without admission (a failed condition's
        units, the rest of a write admitted by check_write or write)."""
        self._charge(WRITE, h, units)

    def _charge(self, kind: int, h: int, units: float) -> None:
        if units <= 0:
            return
        now = self._now()
        if now >= self._until:
            self._roll(now)
        bucket = self.buckets[kind]
        if bucket is not None:
            bucket.refill(now)
            bucket.level -= units
        keys = self._rkeys if kind == READ else self._wkeys
        keys[h] = keys.get(h, 0.0) + units

    # -- throttling ---------------------------------------------------------------

    def _refuse(self, kind: int, h, units: float, limit: str):
        reason = self.resource + _OPS[kind] + limit
        with self._lock:
            self.throttled_units[kind] += units
            self.throttled[reason] = self.throttled.get(reason, 0) + 1
            if h is not None:
                try:
                    pid = self.router.lookup(h).id
                except Exception:  # noqa: BLE001 - a table being closed: skip the partition
                    pid = None
                if pid is not None:
                    self._partition(pid)[2 + kind] += units
        raise self.error(kind, limit)

    def error(self, kind: int, limit: str | None = None):
        """The throttling error DynamoDB answers with: ProvisionedThroughput-
        ExceededException on a provisioned table, ThrottlingException on an
        on-demand one, each with its ThrottlingReasons."""
        reason = [{"reason": self.resource + _OPS[kind] + (limit or self.limit_type or KEY_RANGE),
                   "resource": self.arn}]
        if self.mode == "PROVISIONED":
            message = (INDEX_WRITE_MESSAGE if kind == WRITE and self.resource == "Index"
                       else PROVISIONED_MESSAGE)
            return ProvisionedThroughputExceededException(message,
                                                          ThrottlingReasons=reason)
        return ThrottlingException(ON_DEMAND_MESSAGE, throttlingReasons=reason)

    # -- windows and statistics ---------------------------------------------------

    def _partition(self, pid: int) -> list:
        row = self.by_partition.get(pid)
        if row is None:
            row = self.by_partition[pid] = [0.0, 0.0, 0.0, 0.0]
        return row

    def _roll(self, now: float) -> None:
        with self._lock:
            if now < self._until:
                return
            windows = (self._rkeys, self._wkeys)
            self._rkeys, self._wkeys = {}, {}
            self._until = math.floor(now) + 1.0
            for kind, by_key in enumerate(windows):
                self._folded[kind] += self._fold(kind, by_key, self.by_partition)

    def _fold(self, kind: int, by_key: dict, rows: dict) -> float:
        """Add one window's units per key to the per-partition rows; returns
        their total (the caller holds the lock)."""
        items = list(by_key.items())
        parts = self.router.parts
        if len(parts) == 1:
            total = sum(u for _, u in items)
            rows.setdefault(parts[0].id, [0.0, 0.0, 0.0, 0.0])[kind] += total
            return total
        los = [p.lo for p in parts]
        total = 0.0
        for h, units in items:
            pid = parts[bisect.bisect_right(los, h) - 1].id
            rows.setdefault(pid, [0.0, 0.0, 0.0, 0.0])[kind] += units
            total += units
        return total

    def stats(self) -> dict:
        """Counts for metrics: consumed and throttled units [read, write],
        throttled requests by reason, per partition id [read, write,
        throttled read, throttled write] (the current window included), and
        each bucket's (level, depth, rate) or None."""
        with self._lock:
            rows = {pid: list(row) for pid, row in self.by_partition.items()}
            consumed = list(self._folded)
            for kind, by_key in enumerate((self._rkeys, self._wkeys)):
                consumed[kind] += self._fold(kind, by_key, rows)
            now = self._now()
            buckets = [None if b is None else (b.refill(now), b.size, b.rate)
                       for b in self.buckets]
            return {"consumed": consumed,
                    "throttled_units": list(self.throttled_units),
                    "throttled": dict(self.throttled),
                    "partitions": rows,
                    "buckets": buckets,
                    "mode": self.mode}
