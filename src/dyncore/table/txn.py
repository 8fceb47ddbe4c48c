"""Transactions: writes to many items, in any partitions and tables, that
happen all or not at all, also across a crash.

Rules
-----
- A transaction first takes the stripe lock of every item it touches, in one
  global order (table name, stripe), so two transactions never deadlock and
  no single-item write interleaves with it. It reads, checks and computes
  under those locks (the API layer's job) and then calls `commit`.
- All writes in one partition: one engine write batch, which the engine
  applies atomically and recovers whole or not at all. Nothing else.
- Writes in several partitions go through the transaction log (an engine of
  its own, <data>/txlog):
    1. the record (every key and its new value) is written and synced;
    2. each partition's share is written as one batch and synced;
    3. the record is deleted, synced;
  and only then are the locks released. Opening the database applies every
  record still in the log (`recover`) before any request is served, then
  deletes it. Re-applying is safe: a record is deleted before its items can
  be written by anyone else, so no later write can exist to be overwritten;
  and the values are whole items, so applying twice is applying once.
  With sync="none" the same order holds without the fsyncs, which keeps a
  transaction whole across a process crash (not a power cut).
- While step 2 runs, the keys are in their TableStore's `committing` map, so
  GetItem waits rather than see one partition's share without another's.
- ClientRequestToken: a committed token is remembered for 10 minutes (in the
  record's batch, so it survives a crash exactly when the writes do); a
  request repeating it with the same parameters does nothing and succeeds, one
  with other parameters is refused, one arriving while the first still runs is
  refused as in progress.
"""
from __future__ import annotations

import hashlib
import itertools
import struct
import threading
import time
from contextlib import contextmanager

from dyncore.engine import Engine
from dyncore.errors import ClosedError

__all__ = ["TxnLog", "Write", "hold", "TOKEN_SECONDS"]

TOKEN_SECONDS = 600.0
_REC = b"txn/"
_TOK = b"tok/"
_U32 = struct.Struct(">I")
_HEAD = struct.Struct(">QI")     # transaction id, number of writes
_TOKEN = struct.Struct(">d32s")  # commit time (epoch s), request digest; then the note


class Write:
    """One write of a transaction: `value` None deletes the item."""

    __slots__ = ("table", "table_id", "store", "h", "key", "value")

    def __init__(self, table: str, table_id: str, store, h: int, key: bytes,
                 value: bytes | None):
        self.table = table
        self.table_id = table_id
        self.store = store
        self.h = h
        self.key = key
        self.value = value


@contextmanager
def hold(items):
    """Take the stripe locks of items, (store, hash) pairs, in the global
    order; release them on exit."""
    locks = {}
    for store, h in items:
        lk = store.stripe(h)
        locks[id(lk)] = ((store.name, id(store), id(lk)), lk)
    ordered = [lk for _, lk in sorted(locks.values(), key=lambda x: x[0])]
    taken = []
    try:
        for lk in ordered:
            lk.acquire()
            taken.append(lk)
        yield
    finally:
        for lk in reversed(taken):
            lk.release()


def _encode(txid: int, writes) -> bytes:
    out = [_HEAD.pack(txid, len(writes))]
    for w in writes:
        for field in (w.table.encode("utf-8"), w.table_id.encode("ascii"), w.key):
            out.append(_U32.pack(len(field)))
            out.append(field)
        out.append(struct.pack(">Q", w.h))
        if w.value is None:
            out.append(b"\x00")
        else:
            out.append(b"\x01" + _U32.pack(len(w.value)))
            out.append(w.value)
    return b"".join(out)


def _decode(raw: bytes) -> tuple[int, list[tuple[str, str, int, bytes, bytes | None]]]:
    txid, n = _HEAD.unpack_from(raw, 0)
    pos = _HEAD.size
    writes = []
    for _ in range(n):
        fields = []
        for _ in range(3):
            (ln,) = _U32.unpack_from(raw, pos)
            pos += 4
            fields.append(raw[pos:pos + ln])
            pos += ln
        (h,) = struct.unpack_from(">Q", raw, pos)
        pos += 8
        flag = raw[pos]
        pos += 1
        value = None
        if flag:
            (ln,) = _U32.unpack_from(raw, pos)
            pos += 4
            value = raw[pos:pos + ln]
            pos += ln
        writes.append((fields[0].decode("utf-8"), fields[1].decode("ascii"), h,
                       fields[2], value))
    return txid, writes


def request_digest(params_repr: bytes) -> bytes:
    return hashlib.sha256(params_repr).digest()


class TxnLog:
    """The transaction log of one database, and the commit protocol."""

    def __init__(self, path: str, *, durable: bool = True, clock=time.time, hooks=None):
        self.engine = Engine(path, sync="commit" if durable else "none",
                             cache_bytes=1 << 20, memtable_bytes=4 << 20,
                             compression_level=0)
        self.sync = "commit" if durable else "none"
        self.clock = clock
        self._ids = itertools.count(time.time_ns())
        self._lock = threading.Lock()
        self._running: set[str] = set()          # tokens of transactions in flight
        # transactions holding item locks right now (a marker object each):
        # callers that must not block, such as the server's event loop, look
        # here first
        self.active: set = set()
        # token -> (commit time, request digest, the caller's note)
        self._tokens: dict[str, tuple[float, bytes, bytes]] = {}
        # test hook: called with a step name at each step of a logged commit
        self.hooks = hooks
        self._load_tokens()

    def close(self) -> None:
        self.engine.close()

    # -- tokens -------------------------------------------------------------

    def _load_tokens(self) -> None:
        now = self.clock()
        stale = []
        with self.engine.scan(_TOK, _TOK[:-1] + b"0") as it:
            for k, v in it:
                when, digest = _TOKEN.unpack_from(v)
                token = k[len(_TOK):].decode("utf-8")
                if now - when >= TOKEN_SECONDS:
                    stale.append((k, None))
                else:
                    self._tokens[token] = (when, digest, v[_TOKEN.size:])
        if stale:
            self.engine.write_batch(stale)

    def begin(self, token: str | None, digest: bytes) -> str:
        """Claim a ClientRequestToken: "new" (go on, then `end`), "done" (an
        identical request committed within 10 minutes: do nothing),
        "mismatch" (the token was used with other parameters), "running" (a
        request with this token is in flight)."""
        if token is None:
            return "new"
        with self._lock:
            if token in self._running:
                return "running"
            seen = self._tokens.get(token)
            if seen is not None and self.clock() - seen[0] < TOKEN_SECONDS:
                return "done" if seen[1] == digest else "mismatch"
            self._running.add(token)
            return "new"

    def note(self, token: str) -> bytes:
        """The note remembered with a committed token (b"" if none)."""
        with self._lock:
            seen = self._tokens.get(token)
        return seen[2] if seen is not None else b""

    def end(self, token: str | None) -> None:
        if token is not None:
            with self._lock:
                self._running.discard(token)

    # -- commit -----------------------------------------------------------------

    def _step(self, name: str) -> None:
        if self.hooks is not None:
            self.hooks(name)

    def commit(self, writes: list[Write], token: str | None = None,
               digest: bytes = b"\x00" * 32, note: bytes = b"") -> None:
        """Apply writes atomically. The caller holds every write's stripe
        (`hold`) and has checked that no two writes share a key. A value
        refused by one of its table's secondary indexes raises
        ValidationException, and one that takes an item collection of a
        table with local secondary indexes past its limit
        ItemCollectionSizeLimitExceededException, before anything is
        written. note: bytes kept with the token (`note`), for the answer
        to a repeat of the request."""
        limited = {}
        for w in writes:
            if w.value is not None and w.store.indexes:
                w.store.check_index_keys(w.value)
            if w.store.collection_limit is not None:
                limited.setdefault(id(w.store), (w.store, []))[1].append((w.h, w.key, w.value))
        for store, ops in limited.values():
            store.check_collections(ops)
        if not writes:
            if token is not None:
                self._remember(token, digest, [], note)
            return
        if token is None:
            store = writes[0].store
            if all(w.store is store for w in writes) and \
                    store.write_one_batch([(w.h, w.key, w.value) for w in writes]):
                return
        self._logged(writes, token, digest, note)

    def _remember(self, token: str, digest: bytes, batch: list, note: bytes = b"") -> None:
        when = self.clock()
        batch.append((_TOK + token.encode("utf-8"), _TOKEN.pack(when, digest) + note))
        self.engine.write_batch(batch, sync=self.sync)
        with self._lock:
            self._tokens[token] = (when, digest, note)
            if len(self._tokens) > 10000:
                self._prune_tokens(when)

    def _prune_tokens(self, now: float) -> None:
        """Forget tokens older than 10 minutes, here and in the log (the
        caller holds self._lock)."""
        stale = [t for t, seen in self._tokens.items() if now - seen[0] >= TOKEN_SECONDS]
        for t in stale:
            del self._tokens[t]
        if stale:
            self.engine.write_batch([(_TOK + t.encode("utf-8"), None) for t in stale],
                                    sync="none")

    def _logged(self, writes: list[Write], token: str | None, digest: bytes,
                note: bytes = b"") -> None:
        txid = next(self._ids)
        rec_key = _REC + struct.pack(">Q", txid)
        batch = [(rec_key, _encode(txid, writes))]
        self._step("before-log")
        if token is not None:
            self._remember(token, digest, batch, note)
        else:
            self.engine.write_batch(batch, sync=self.sync)
        self._step("logged")
        by_store: dict[int, tuple] = {}
        for w in writes:
            by_store.setdefault(id(w.store), (w.store, []))[1].append(w)
        done = threading.Event()
        for store, ws in by_store.values():
            for w in ws:
                store.committing[w.key] = done
        try:
            for i, (store, ws) in enumerate(by_store.values()):
                try:
                    store.write_many_locked([(w.h, w.key, w.value) for w in ws],
                                            sync=self.sync)
                except ClosedError:
                    if not store.router.closed:
                        raise
                    # the table was deleted meanwhile: its share is moot
                self._step(f"applied-{i}")
            self.engine.write_batch([(rec_key, None)], sync=self.sync)
            self._step("done")
        finally:
            for store, ws in by_store.values():
                for w in ws:
                    if store.committing.get(w.key) is done:
                        del store.committing[w.key]
            done.set()

    # -- recovery -----------------------------------------------------------------

    def pending(self) -> list[tuple[int, list]]:
        """The records still in the log: (id, [(table, table id, hash, key,
        value)]), oldest first."""
        with self.engine.scan(_REC, _REC[:-1] + b"0") as it:
            return [_decode(v) for _, v in it]

    def recover(self, open_store) -> int:
        """Apply every record still in the log; open_store(table, table_id)
        gives the table's TableStore, or None if that table is gone. Returns
        the number of records applied."""
        records = self.pending()
        for txid, writes in records:
            by_store: dict[int, tuple] = {}
            for table, table_id, h, key, value in writes:
                store = open_store(table, table_id)
                if store is None:
                    continue
                by_store.setdefault(id(store), (store, []))[1].append((h, key, value))
            for store, ops in by_store.values():
                store.write_many(ops, sync=self.sync)
            self.engine.write_batch([(_REC + struct.pack(">Q", txid), None)], sync=self.sync)
        return len(records)
