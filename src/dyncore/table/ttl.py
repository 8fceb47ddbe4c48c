"""Time to Live: the rules of UpdateTimeToLive and the background sweeper
that deletes expired items.

The setting
-----------
A table's TTL lives in its catalog record (schema.py): `ttl_attribute`, the
attribute name while TTL is enabled (absent or None while disabled), and
`ttl_updated`, the epoch seconds of the last successful UpdateTimeToLive.
DynamoDB's status settles at once here (ENABLING and DISABLING are never
seen, as observed of DynamoDB itself for tables of any usual size), and a
disabled table forgets the attribute name (DescribeTimeToLive then shows
only the status, as DynamoDB's does). `update_spec` applies DynamoDB's
checks in its order: the content checks first, then the rule that a table's
TTL changes at most once per `cooldown` seconds.

Which items expire
------------------
An item is expired when its TTL attribute is a Number (N) of epoch seconds
below now - delay, and not five years or more in the past (DynamoDB ignores
such values as malformed). A missing attribute, any other type (S, a number
set, a list, ...) and a value in the future never expire. Expired items stay
readable (GetItem, Query, Scan) and writable until the sweeper deletes them,
as in DynamoDB.

Theory of operation of the sweeper
----------------------------------
One `TtlSweeper` per Database, on one daemon thread. Every `interval`
seconds it runs one tick: at most `batch_items` items (or `batch_bytes` of
values) read in key order from the TTL tables, each table resumed from its
own cursor (the key after the last one it read), round-robin, each table at
most once per tick. Nothing is held while a batch reads except the engine
iterator's snapshot; the candidates found are then deleted one by one, each
under its item's stripe lock (TableStore.stripe, the lock every write of the
item takes), after reading the item again and checking that it is still
expired and that TTL is still enabled on the same attribute: a write that
renewed or removed the TTL in between is never undone.

So a large table never stalls requests: a tick of 1,000 items costs about
1.6 ms and takes one stripe lock at a time. Measured on the 2-core
development machine (bench: 200,000 items of ~60 bytes carrying the TTL
attribute, sync="none"): reading and checking costs about 1.7 s of CPU per
million items, deleting about 8 s per million deleted items (a WAL write
each); items without the attribute's name in their bytes are not even
decoded. At the defaults (1,000 items a tick, one tick a second) a full pass
over a table therefore takes about 17 minutes of wall time per million
items while using well under 1% of a core; raise ttl_batch_items or shorten
ttl_sweep_interval for faster passes.

Service deletions
-----------------
Each item the sweeper deletes is reported to every function in `observers`
as fn(table_name, key, old_item, "ttl") — key and old_item in the client
form (AttributeValue dicts, B as bytes) — right after the deletion is
written, while the item's stripe lock is still held, so no other write to
the item comes between the deletion and the call. "ttl" marks a deletion by
the service rather than by a request: the REMOVE stream record DynamoDB
writes for it carries userIdentity {"type": "Service", "principalId":
"dynamodb.amazonaws.com"}. An observer must be quick and must not write to
the table (it runs under the item's lock); its exceptions are logged and
otherwise ignored.

`sweep_now()` runs one complete pass over every TTL table synchronously
(for tests and tools) and returns how many items it deleted.
"""
from __future__ import annotations

import logging
import threading
import time

from dyncore import _core
from dyncore.errors import ClosedError, ValidationException

__all__ = ["TtlSweeper", "update_spec", "describe", "expires_at", "is_expired",
           "FIVE_YEARS", "SERVICE_CAUSE"]

_log = logging.getLogger("dyncore")

FIVE_YEARS = 5 * 365 * 86400.0
"""TTL values this far or further in the past never expire (DynamoDB
Developer Guide, "Using time to live": they are taken for malformed)."""

SERVICE_CAUSE = "ttl"

DEFAULT_COOLDOWN = 3600.0
"""UpdateTimeToLive: one change per table per hour (API reference). DynamoDB
was seen to accept a change again after about 31 minutes [verify]."""

_JSON = _core.FORM_JSON
_CLIENT = _core.FORM_CLIENT


# -- the setting ------------------------------------------------------------------


def update_spec(record: dict, enabled: bool, attribute: str, now: float,
                cooldown: float = DEFAULT_COOLDOWN) -> None:
    """Apply UpdateTimeToLive to a table record in place, or raise
    DynamoDB's ValidationException (and change nothing). The content checks
    come before the cooldown check, as DynamoDB orders them."""
    current = record.get("ttl_attribute")
    if current is not None and current != attribute:
        raise ValidationException(
            "TimeToLive is active on a different AttributeName: current AttributeName is "
            + current)
    if enabled and current is not None:
        raise ValidationException("TimeToLive is already enabled")
    if not enabled and current is None:
        raise ValidationException("TimeToLive is already disabled")
    last = record.get("ttl_updated")
    if last is not None and cooldown and now - last < cooldown:
        raise ValidationException(
            "Time to live has been modified multiple times within a fixed interval")
    record["ttl_attribute"] = attribute if enabled else None
    record["ttl_updated"] = now


def describe(record: dict) -> dict:
    """TimeToLiveDescription of a table record."""
    attribute = record.get("ttl_attribute")
    if attribute is None:
        return {"TimeToLiveStatus": "DISABLED"}
    return {"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}


# -- expiry -------------------------------------------------------------------------


def expires_at(value: bytes, attribute: str, name: bytes | None = None) -> float | None:
    """The expiry (epoch seconds) an encoded item carries in `attribute`, or
    None if the attribute is absent or not a Number. `name` is
    attribute.encode() if the caller has it: an item whose bytes do not
    contain it cannot have the attribute and is not decoded."""
    if name is None:
        name = attribute.encode("utf-8")
    if name not in value:
        return None
    try:
        av = _core.decode_item(value, _JSON).get(attribute)
    except ValueError:
        return None
    if av is None:
        return None
    text = av.get("N")
    if text is None or len(av) != 1:
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def is_expired(expiry: float | None, now: float, delay: float = 0.0) -> bool:
    """True if an item with this expiry is due for deletion at `now`."""
    return expiry is not None and now - FIVE_YEARS < expiry < now - delay


# -- the sweeper ---------------------------------------------------------------------


class TtlSweeper:
    """Deletes expired items of the tables `tables()` returns.

    tables() -> the open table handles (name, record, store, schema,
    deleted) whose record has TTL enabled; called at most once a minute and
    after invalidate(). clock: the Database's clock. delay: seconds an item
    stays after it expires. interval: seconds between ticks (None: no
    thread; sweep only when sweep_now() or tick() is called).
    """

    REFRESH_SECONDS = 60.0

    def __init__(self, tables, clock, *, delay: float = 0.0, interval: float | None = 1.0,
                 batch_items: int = 1000, batch_bytes: int = 4 << 20):
        if batch_items < 1:
            raise ValueError("ttl_batch_items must be at least 1")
        if interval is not None and not interval > 0:
            raise ValueError("ttl_sweep_interval must be positive (or None: no sweeper thread)")
        if not delay >= 0:
            raise ValueError("ttl_delay_seconds must not be negative")
        self._tables = tables
        self.clock = clock
        self.delay = float(delay)
        self.interval = None if interval is None else float(interval)
        self.batch_items = int(batch_items)
        self.batch_bytes = int(batch_bytes)
        self.observers: list = []
        self.stats = {"ticks": 0, "passes": 0, "examined": 0, "deleted": 0}
        self.last_error: BaseException | None = None
        self._cursors: dict[str, bytes] = {}   # table id -> next key to read
        self._next = 0                          # round-robin position
        self._targets: list = []
        self._refreshed = None                  # monotonic time of the last tables()
        self._lock = threading.Lock()           # one tick or sweep at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        if self.interval is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="dyncore-ttl", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a tick in progress finishes first). Idempotent."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def invalidate(self) -> None:
        """A table's TTL setting changed: read the table list again."""
        self._refreshed = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except ClosedError:
                if self._stop.is_set():
                    return
            except Exception as e:  # noqa: BLE001 - the sweeper must outlive a bad item
                self.last_error = e
                _log.warning("TTL sweep failed: %r", e)

    # -- sweeping ------------------------------------------------------------------

    def _current_targets(self) -> list:
        now = time.monotonic()
        if self._refreshed is None or now - self._refreshed >= self.REFRESH_SECONDS:
            self._refreshed = now
            self._targets = list(self._tables())
            live = {t.record["id"] for t in self._targets}
            for tid in list(self._cursors):
                if tid not in live:
                    del self._cursors[tid]
        return self._targets

    def tick(self) -> int:
        """One bounded batch of work (see the module's docstring); returns
        the number of items deleted."""
        with self._lock:
            if self._stop.is_set():
                return 0
            targets = self._current_targets()
            self.stats["ticks"] += 1
            budget = self.batch_items
            deleted = 0
            for _ in range(len(targets)):
                if budget <= 0 or self._stop.is_set():
                    break
                t = targets[self._next % len(targets)]
                tid = t.record["id"]
                nxt, n, d = self._batch(t, self._cursors.get(tid), budget)
                budget -= n
                deleted += d
                if nxt is None:             # this table's pass is complete
                    self._cursors.pop(tid, None)
                    self._next += 1
                else:
                    self._cursors[tid] = nxt
            return deleted

    def sweep_now(self) -> int:
        """One complete pass over every TTL table, now, in this thread;
        returns the number of items deleted. The background cursors are left
        where they are."""
        with self._lock:
            self._refreshed = None
            deleted = 0
            for t in self._current_targets():
                cursor = None
                while True:
                    cursor, _, d = self._batch(t, cursor, self.batch_items)
                    deleted += d
                    if cursor is None:
                        break
            return deleted

    def _batch(self, t, start: bytes | None, limit: int) -> tuple[bytes | None, int, int]:
        """Read up to `limit` items of table handle t from key `start` on,
        delete the expired ones; (the key to resume from or None at the end
        of the table, items read, items deleted)."""
        attribute = t.record.get("ttl_attribute")
        if attribute is None or t.deleted:
            return None, 0, 0
        name = attribute.encode("utf-8")
        now = self.clock.now()
        n = size = 0
        last = None
        candidates = []
        rows = t.store.range(start, None)
        try:
            for key, value in rows:
                n += 1
                size += len(value)
                last = key
                if is_expired(expires_at(value, attribute, name), now, self.delay):
                    candidates.append(key)
                if n >= limit or size >= self.batch_bytes:
                    break
            else:
                last = None   # the end of the table
        except ClosedError:
            if t.deleted:
                return None, n, 0
            raise
        finally:
            rows.close()
        deleted = 0
        for key in candidates:
            deleted += self._delete(t, key, attribute, name)
        self.stats["examined"] += n
        self.stats["deleted"] += deleted
        if last is None:
            self.stats["passes"] += 1
            return None, n, deleted
        return last + b"\x00", n, deleted

    def _delete(self, t, key: bytes, attribute: str, name: bytes) -> int:
        """Delete one item if it is still expired; 1 if it was deleted."""
        store = t.store
        h = int.from_bytes(key[:8], "big")
        with store.stripe(h):
            if t.deleted or t.record.get("ttl_attribute") != attribute:
                return 0
            try:
                old = store.get(h, key)
                if old is None or not is_expired(expires_at(old, attribute, name),
                                                 self.clock.now(), self.delay):
                    return 0
                store.write_many_locked([(h, key, None)], charge=False)   # TTL is free
            except ClosedError:
                if t.deleted:
                    return 0
                raise
            if self.observers:
                self._notify(t, old)
        return 1

    def _notify(self, t, old: bytes) -> None:
        key = t.schema.item_key(old, _CLIENT)
        item = _core.decode_item(old, _CLIENT)
        for fn in list(self.observers):
            try:
                fn(t.name, key, item, SERVICE_CAUSE)
            except Exception as e:  # noqa: BLE001 - an observer must not stop the sweep
                self.last_error = e
                _log.warning("TTL deletion observer %r failed: %r", fn, e)
