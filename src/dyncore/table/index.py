"""Secondary indexes: entries, synchronous maintenance, crash intents, and
the item collection sizes of tables with local secondary indexes.

Storage
-------
Each GSI is a hidden TableStore of its own (one partition, one engine under
<data>/tables/<table id>/gsi-<index name>/p-0/r-0), holding one entry per
base item that has every index key attribute with the declared type (a
sparse index; index keys are not unique):

    entry key   = xxh64(index pk components) big-endian (8)
                  ‖ index pk components           (escaped, self-delimiting)
                  ‖ index sk components, if any   (escaped too: not last here;
                                                   N keys are self-delimiting)
                  ‖ base key without its hash     (base pk component ‖ base sk)

A global index may key on up to four attributes on each side (DynamoDB's
multi-attribute keys): one component per attribute, in the key schema's
order, so entries sort by the first attribute, then the next.
    entry value = the projected item in the item codec (ALL: the base item)

Hash order first makes the index partitionable exactly like a table and lets
a parallel Scan slice it by hash. Escaped components keep byte order equal to
DynamoDB's key order, so a Query's key condition is one key range, and the
base key at the end makes entries of equal index keys distinct and ordered.

A local secondary index is stored the same way (directory lsi-<name>): its
partition key is the table's, so its entries of one item collection are one
key range too. Indexes added and removed by UpdateTable (backfill, drop)
are dyncore.database's business ("online index changes").

Maintenance (rules)
-------------------
Every write of a base item of an indexed table goes through
TableStore._indexed_batch, under the item's stripe lock (a transaction's
values are checked before it logs anything: TxnLog.commit):
  1. the old item is read and the old and new entries are computed; a new
     item whose index key has the wrong type or an empty value is refused
     (ValidationException) before anything is written;
  2. an intent is recorded in the intents engine (the transaction log's
     engine, key prefix b"gsi/"): the table, the base keys and every old and
     new entry key;
  3. the base item is written, then the old entries deleted and the new put;
  4. the intent is deleted.
For a table with local secondary indexes, step 1 also sizes each item
collection written (`collection_sizes`: its items and their local entries,
each entry 100 bytes more; read in full the first time a process writes to
the collection, then kept in TableStore.collection_cache) and refuses a
write that grows one past the limit. Opening the database replays every intent left
(`Intents.recover`) before serving: it deletes the listed entry keys, then
puts the entries the base items imply as they are now. Entries of one base item are only ever written
under its stripe, so replay cannot undo a later write. An intent survives
a process crash (SIGKILL) in every sync mode, since each engine write
reaches the OS before the call returns. With sync="commit" the intent is
also synced before the base write (whose engines, like the index's, sync
each write), so a power cut leaves either the intent or every write it
announces; with "interval" or "none" a power cut may lose an intent while
keeping a base write, and leave the index out of step with the table.
"""
from __future__ import annotations

import itertools
import struct
import threading
import time

from dyncore import _core
from dyncore.errors import (ItemCollectionSizeLimitExceededException,
                            ProvisionedThroughputExceededException, ThrottlingException,
                            ValidationException)

__all__ = ["Index", "Intents", "write_units_of", "prefix_end"]

_CLIENT = _core.FORM_CLIENT
_decode = _core.decode_item
_escape = _core.key_escape
_PREFIX = b"gsi/"
_U32 = struct.Struct(">I")
_Q = struct.Struct(">Q")
_INVALID = "One or more parameter values were invalid: "


KEY_HASH_BYTES = 2048    # an index's partition key attributes together
KEY_RANGE_BYTES = 1024   # its sort key attributes together


def write_units_of(size: int) -> float:
    return float((size + 1023) >> 10 or 1)


class Index:
    """One secondary index of a table: its definition and store.

    A global index's key may have up to four partition key attributes
    (`pks`) and four sort key attributes (`sks`), DynamoDB's multi-attribute
    keys; a local index has one of each. The entry key holds the components
    of each in the key schema's order, every one self-delimiting (S and B
    escaped and terminated, N in its number key), so the byte order of
    entries is DynamoDB's: by the first attribute, then the next. The hash
    is xxh64 of all the partition key components together; with one
    attribute that is exactly the table codec's partition prefix."""

    __slots__ = ("name", "table", "pks", "sks", "pk_types", "sk_types", "pk", "sk",
                 "pk_type", "sk_type", "projection", "attrs", "schema", "store",
                 "base_keys", "key_names", "key_types", "key_sig", "record", "backfilling",
                 "local", "capacity", "_pk_schemas", "_sk_schemas")

    def __init__(self, record: dict, attributes: dict, base_keys: tuple, store,
                 table: str):
        self.record = record
        self.name = record["name"]
        self.table = table
        ks = record["key_schema"]
        self.pks = tuple(n for n, t in ks if t == "HASH")
        self.sks = tuple(n for n, t in ks if t == "RANGE")
        self.pk_types = tuple(attributes[n] for n in self.pks)
        self.sk_types = tuple(attributes[n] for n in self.sks)
        # the first attribute of each (the only one of a single-attribute key)
        self.pk = self.pks[0]
        self.sk = self.sks[0] if self.sks else None
        self.pk_type = self.pk_types[0]
        self.sk_type = self.sk_types[0] if self.sks else None
        self.key_names = self.pks + self.sks
        self.key_types = dict(zip(self.key_names, self.pk_types + self.sk_types))
        self.key_sig = (self.pks, self.sks, tuple(self.key_types.items()))
        # encodes projected entries (every index key attribute is in them)
        self.schema = _core.KeySchema(self.pk, self.pk_type, self.sk, self.sk_type)
        self._pk_schemas = tuple(_core.KeySchema(n, t) for n, t in zip(self.pks, self.pk_types))
        self._sk_schemas = tuple(_core.KeySchema("\x00", "S", n, t)
                                 for n, t in zip(self.sks, self.sk_types))
        self.projection = record["projection"]
        self.base_keys = base_keys
        keys = set(base_keys) | set(self.key_names)
        # the attributes an entry holds (None: all of them)
        self.attrs = None if self.projection == "ALL" else frozenset(
            keys | set(record.get("non_key") or ()))
        self.store = store
        # True until an index added by UpdateTable has every item's entry
        self.backfilling = record.get("status") == "CREATING"
        self.local = bool(record.get("local"))   # a local secondary index
        # a global index's own Capacity meter (set by the Database); None for
        # a local index, whose units are the table's
        self.capacity = None

    # -- entries ---------------------------------------------------------------

    def check(self, item: dict | None) -> None:
        """Refuse an item whose index key attribute has the wrong type or an
        empty value (DynamoDB's ValidationException texts)."""
        if item is None:
            return
        sizes = [0, 0]   # bytes of the partition and the sort key attributes
        n_pk = len(self.pks)
        for i, (name, want) in enumerate(zip(self.key_names, self.pk_types + self.sk_types)):
            v = item.get(name)
            if v is None:
                continue
            got = next(iter(v))
            if got == want and got != "N":
                x = v[got]
                sizes[i >= n_pk] += len(x.encode("utf-8")) if got == "S" else len(x)
            if got != want:
                raise ValidationException(
                    _INVALID + f"Type mismatch for Index Key {name} Expected: {want} "
                    f"Actual: {got} IndexName: {self.name}")
            if got != "N" and len(v[got]) == 0:
                what = "string" if got == "S" else "binary"
                raise ValidationException(
                    "One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported. The AttributeValue for a key "
                    f"attribute cannot contain an empty {what} value. IndexName: "
                    f"{self.name}, IndexKey: {name}")
        if sizes[0] > KEY_HASH_BYTES:
            raise ValidationException(_INVALID + "Size of hashkey has exceeded the maximum "
                                      "size limit of2048 bytes")   # (sic, as for tables)
        if sizes[1] > KEY_RANGE_BYTES:
            raise ValidationException(_INVALID + "Aggregated size of all range keys has "
                                      "exceeded the size limit of 1024 bytes")

    def key_prefix(self, pk_values, form: int) -> bytes:
        """hash ‖ partition key components of the index partition key
        values (a sequence, one per partition key attribute)."""
        if len(pk_values) == 1:
            return self._pk_schemas[0].pk_prefix(pk_values[0], form)[1]
        body = b"".join(s.pk_prefix(v, form)[1][8:] for s, v in zip(self._pk_schemas, pk_values))
        return _Q.pack(_core.key_hash(body)) + body

    def sk_bytes(self, value, form: int, terminated: bool = True, i: int = 0) -> bytes:
        """The component of sort key attribute i for value: escaped and
        terminated (S, B), or the number key (N); terminated=False: escaped
        without the terminator (a begins_with prefix)."""
        raw = self._sk_schemas[i].sk_component(value, form)
        if self.sk_types[i] == "N":
            return raw
        esc = _escape(raw)
        return esc if terminated else esc[:-2]

    def entry_key(self, values: dict, form: int) -> bytes:
        """hash ‖ every index key component, from {name: value} holding
        every index key attribute (the base key follows in an entry)."""
        key = self.key_prefix([values[n] for n in self.pks], form)
        for i, n in enumerate(self.sks):
            key += self.sk_bytes(values[n], form, i=i)
        return key

    def entry(self, item: dict | None, raw: bytes | None, base_key: bytes):
        """(hash, entry key, entry value) of a base item (client form, and
        its encoded form raw), or None if the item is not in the index."""
        if item is None:
            return None
        for name, want in zip(self.key_names, self.pk_types + self.sk_types):
            v = item.get(name)
            if v is None or next(iter(v)) != want:
                return None
        try:
            key = self.entry_key(item, _CLIENT)
        except ValidationException:
            return None   # (an empty value: refused by check() before a write)
        key += base_key[8:]
        if self.attrs is None:
            value = raw
        else:
            attrs = self.attrs
            value = self.schema.encode_item(
                {k: v for k, v in item.items() if k in attrs}, _CLIENT)[2]
        return int.from_bytes(key[:8], "big"), key, value

    def last_key(self, value: bytes, form: int) -> dict:
        """LastEvaluatedKey of an entry: the index keys and the base keys."""
        item = _decode(value, form)
        names = self.key_names + tuple(k for k in self.base_keys if k not in self.key_names)
        return {k: item[k] for k in names if k in item}

    def base_key_of(self, value: bytes) -> dict:
        """The table's key (client form) of an entry."""
        item = _decode(value, _CLIENT)
        return {k: item[k] for k in self.base_keys}

    def projects(self, name: str) -> bool:
        return self.attrs is None or name in self.attrs


# -- maintenance (called by TableStore with the stripes held) ---------------------


def check_item(indexes, value: bytes) -> None:
    """Index.check of an encoded item against every index."""
    item = _decode(value, _CLIENT)
    for idx in indexes:
        idx.check(item)


def plan_changes(indexes, ops, olds):
    """The index writes of base writes ops [(h, key, value or None)] whose
    stored values are olds: ({index: [(h, key, value or None)]}, intent
    entries [(h, base key, [(index name, entry key)])], {index name: write
    units}, {index: [(entry hash, write units)]} for the indexes with a
    meter of their own). Raises ValidationException (nothing written) for a new item
    with a bad index key."""
    writes = {}
    listed = []
    units = {}
    charges = {}
    for (h, key, value), old in zip(ops, olds):
        new_item = None if value is None else _decode(value, _CLIENT)
        for idx in indexes:
            idx.check(new_item)
        old_item = None if old is None else _decode(old, _CLIENT)
        keys = []
        for idx in indexes:
            before = idx.entry(old_item, old, key)
            after = idx.entry(new_item, value, key)
            if before == after:
                continue
            out = writes.setdefault(idx, [])
            u = 0.0
            metered = idx.capacity is not None
            moved = before is not None and (after is None or after[1] != before[1])
            if moved:   # the old entry goes: its own size
                out.append((before[0], before[1], None))
                keys.append((idx.name, before[1]))
                bu = write_units_of(_core.item_size(before[2]))
                u += bu
                if metered:
                    charges.setdefault(idx, []).append((before[0], bu))
            if after is not None:
                out.append(after)
                keys.append((idx.name, after[1]))
                size = _core.item_size(after[2])
                if before is not None and not moved:   # in place: the larger image
                    size = max(size, _core.item_size(before[2]))
                au = write_units_of(size)
                u += au
                if metered:
                    charges.setdefault(idx, []).append((after[0], au))
            units[idx.name] = units.get(idx.name, 0.0) + u
        if keys:
            listed.append((h, key, keys))
    return writes, listed, units, charges


def admit_index_writes(charges, admit: bool) -> None:
    """Charge each global index's meter the write units of its entries;
    admit: first refuse (the index's throttling error, nothing charged or
    written) if any of them has no write capacity left."""
    if admit:
        for idx, rows in charges.items():
            for h, _ in rows:
                idx.capacity.check_write(h)
    for idx, rows in charges.items():
        cap = idx.capacity
        for h, u in rows:
            cap.add_write(h, u)


def index_refusals(store, ops) -> dict:
    """{position in ops: throttling error} of the base writes ops whose
    entries a global index with enforced capacity would refuse now (read
    without the stripes: a BatchWriteItem sorts out which requests go back
    unprocessed before it writes the rest, whose admission is then checked
    again under the stripes)."""
    metered = [idx for idx in store.indexes if idx.capacity is not None and idx.capacity.enforce]
    if not metered:
        return {}
    out = {}
    for i, op in enumerate(ops):
        _, _, _, charges = plan_changes(metered, [op], [store.get(op[0], op[1])])
        try:
            for idx, rows in charges.items():
                for h, _ in rows:
                    idx.capacity.check_write(h)
        except (ProvisionedThroughputExceededException, ThrottlingException) as e:
            out[i] = e
    return out


LSI_ENTRY_OVERHEAD = 100   # bytes DynamoDB adds per local index entry


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with
    prefix (None if there is none)."""
    b = bytearray(prefix)
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        return None
    b[-1] += 1
    return bytes(b)


def collection_bytes(store, prefix: bytes) -> int:
    """The bytes of one item collection (hash ‖ pk component prefix): its
    base items and their local index entries (each plus 100 bytes), by
    DynamoDB's item size rules. Reads the whole collection."""
    end = prefix_end(prefix)
    total = sum(_core.item_size(v) for _, v in store.range(prefix, end))
    for idx in store.indexes:
        if idx.local:
            total += sum(_core.item_size(v) + LSI_ENTRY_OVERHEAD
                         for _, v in idx.store.range(prefix, end))
    return total


def collection_sizes(store, ops, olds, limit: int) -> tuple[list, dict]:
    """The item collection sizes after base writes ops (whose stored
    values are olds), one per op, and {collection prefix: size after the
    writes}; raises ItemCollectionSizeLimitExceededException if a write
    that grows a collection takes it past limit bytes. A collection's size
    comes from store.collection_cache when known there (the caller updates
    it once the writes are done), else from reading the collection."""
    cache = store.collection_cache
    local = [idx for idx in store.indexes if idx.local]
    pk = local[0].pk
    out = []
    pending: dict = {}
    for (h, key, value), old in zip(ops, olds):
        raw = value if value is not None else old
        if raw is None:
            out.append(None)
            continue
        item = _decode(raw, _CLIENT)
        prefix = local[0].key_prefix((item[pk],), _CLIENT)
        if prefix not in pending:
            known = cache.get(prefix)
            pending[prefix] = collection_bytes(store, prefix) if known is None else known
        new_item = item if value is not None else None
        old_item = None if old is None else (item if value is None else _decode(old, _CLIENT))
        delta = (_core.item_size(value) if value is not None else 0) - \
            (_core.item_size(old) if old is not None else 0)
        for idx in local:
            for sign, it, r in ((1, new_item, value), (-1, old_item, old)):
                e = idx.entry(it, r, key)
                if e is not None:
                    delta += sign * (_core.item_size(e[2]) + LSI_ENTRY_OVERHEAD)
        size = pending[prefix] + delta
        if delta > 0 and size > limit:
            err = ItemCollectionSizeLimitExceededException("Collection size exceeded.")  # [verify]
            err.op_index = len(out)   # which write (a transaction names its action)
            raise err
        pending[prefix] = size
        out.append(size)
    return out, pending


class Intents:
    """The index-maintenance intents of one database, in an engine shared
    with the transaction log (key prefix b"gsi/")."""

    def __init__(self, engine, durable: bool = False):
        self.engine = engine
        # durable (a database whose writes sync at commit): an intent is
        # synced before the base write it announces (see "Maintenance")
        self._sync = "commit" if durable else "none"
        self._ids = itertools.count(time.time_ns())
        self._lock = threading.Lock()
        self._ended: list[bytes] = []   # ended intents, deleted in a batch

    def begin(self, table: str, table_id: str, listed) -> bytes:
        with self._lock:
            n = next(self._ids)
        k = _PREFIX + _Q.pack(n)
        out = []
        for field in (table.encode("utf-8"), table_id.encode("ascii")):
            out += [_U32.pack(len(field)), field]
        out.append(_U32.pack(len(listed)))
        for h, key, keys in listed:
            out += [_Q.pack(h), _U32.pack(len(key)), key, _U32.pack(len(keys))]
            for name, ek in keys:
                nb = name.encode("utf-8")
                out += [_U32.pack(len(nb)), nb, _U32.pack(len(ek)), ek]
        self.engine.write_batch([(k, b"".join(out))], sync=self._sync)
        return k

    # Ended intents are deleted in batches, not one by one: an intent left
    # behind is harmless, since replaying it recomputes the entries of its
    # base keys from the items as they are (see "Maintenance"), so a crash
    # only costs replaying up to ENDS_PER_BATCH of them. This saves one
    # engine write per indexed write.
    ENDS_PER_BATCH = 256

    def end(self, k: bytes) -> None:
        with self._lock:
            self._ended.append(k)
            if len(self._ended) < self.ENDS_PER_BATCH:
                return
            batch, self._ended = self._ended, []
        self.engine.write_batch([(x, None) for x in batch], sync="none")

    def flush(self) -> None:
        """Delete the ended intents not deleted yet (at close)."""
        with self._lock:
            batch, self._ended = self._ended, []
        if batch:
            self.engine.write_batch([(x, None) for x in batch], sync="none")

    @staticmethod
    def _decode(raw: bytes):
        pos = 0

        def field():
            nonlocal pos
            (n,) = _U32.unpack_from(raw, pos)
            pos += 4 + n
            return raw[pos - n:pos]
        table = field().decode("utf-8")
        table_id = field().decode("ascii")
        (n,) = _U32.unpack_from(raw, pos)
        pos += 4
        listed = []
        for _ in range(n):
            (h,) = _Q.unpack_from(raw, pos)
            pos += 8
            key = field()
            (m,) = _U32.unpack_from(raw, pos)
            pos += 4
            keys = []
            for _ in range(m):
                name = field().decode("utf-8")
                keys.append((name, field()))
            listed.append((h, key, keys))
        return table, table_id, listed

    def pending(self) -> list:
        """The intents not ended: [(key, (table, table id, listed))]."""
        end = _PREFIX[:-1] + bytes([_PREFIX[-1] + 1])
        with self._lock:
            ended = set(self._ended)
        with self.engine.scan(_PREFIX, end) as it:
            return [(k, self._decode(v)) for k, v in it if k not in ended]

    def recover(self, open_store) -> int:
        """Replay every intent left by a crash: open_store(table, table_id)
        gives the TableStore (None: the table is gone). Returns how many."""
        records = self.pending()
        for k, (table, table_id, listed) in records:
            store = open_store(table, table_id)
            if store is not None and store.indexes:
                by_name = {idx.name: idx for idx in store.indexes}
                for h, key, keys in listed:
                    with store.stripe(h):
                        for name, ek in keys:
                            idx = by_name.get(name)
                            if idx is not None:
                                idx.store._write(int.from_bytes(ek[:8], "big"), ek, None)
                        raw = store._get(h, key)
                        item = None if raw is None else _decode(raw, _CLIENT)
                        for idx in store.indexes:
                            e = idx.entry(item, raw, key)
                            if e is not None:
                                idx.store._write(*e)
            self.end(k)
        self.flush()
        return len(records)
