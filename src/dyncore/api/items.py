"""The item operations — PutItem, UpdateItem, GetItem, DeleteItem, Query,
Scan, BatchGetItem, BatchWriteItem — on requests whose shape is already
checked.

Each function takes the Database, the request parameters and the value form
of the request (dyncore._core.FORM_NATIVE, FORM_CLIENT or FORM_JSON) and
returns the response in the same form. The codec validates and encodes values
in whichever form they come, so no request is converted twice. Expressions
(and their legacy forms) are evaluated on items decoded to the client form
(dyncore.api.exprs).

A condition and its write are one atomic step on the item
(TableStore.read_modify_write): no other write to the item comes between
the read the condition sees and the write.
"""
from __future__ import annotations

from dyncore import _core
from dyncore.api import exprs, legacy
from dyncore.api.capacity import READ, WRITE, consumed, wanted
from dyncore.api.keycond import index_key_condition_of, key_condition_of
from dyncore.errors import (ConditionalCheckFailedException,
                            ProvisionedThroughputExceededException, ThrottlingException,
                            ValidationException)
from dyncore.expr import (apply_update, check_filter_keys, check_update_keys, evaluate,
                          project, updated_paths)
from dyncore.table.capacity import read_units, write_units
from dyncore.table.index import index_refusals, prefix_end
from dyncore.table.partition import hash_bytes
from dyncore.table.table import PAGE_BYTES, segment_range

__all__ = ["put_item", "get_item", "delete_item", "update_item", "query", "scan",
           "batch_get_item", "batch_write_item", "KeyRange", "check_condition",
           "projected", "updated_item"]

BATCH_GET_BYTES = 16 << 20
_INDEX_KEY_TYPE = "One or more parameter values were invalid: Type mismatch for Index Key"
_INDEX_KEY_EMPTY = ("One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported.")
_CLIENT = _core.FORM_CLIENT
_decode = _core.decode_item
_item_size = _core.item_size
_from_client = exprs.from_client


# -- capacity ----------------------------------------------------------------
#
# Units by DynamoDB's rules (dyncore.table.capacity), charged to the table's
# Capacity meter, which throttles: writes are admitted before they write
# (a failed condition still consumes its units), reads after they read. A
# global secondary index has a meter of its own: its reads are charged there,
# and the index writes of a base write are admitted and charged by
# TableStore._indexed_batch (dyncore.table.index.admit_index_writes).

THROTTLED = (ProvisionedThroughputExceededException, ThrottlingException)


def _size(raw: bytes | None) -> int:
    return _item_size(raw) if raw is not None else 0


def _charge_rest(cap, h: int, admitted: float, units: float) -> None:
    """Charge what a write consumed beyond the units it was admitted with
    (the old item, once read, was the larger)."""
    if units > admitted:
        cap.add_write(h, units - admitted)


def _conditional(cap, h: int, units: float, plan, p: dict, old, form: int) -> None:
    """Admit a conditional write of `units`, check its condition, charge
    the units whether the condition holds or not."""
    cap.check_write(h)
    try:
        check_condition(plan, p, old, form)
    except ConditionalCheckFailedException:
        cap.add_write(h, units)
        raise
    cap.add_write(h, units)


# -- single items ----------------------------------------------------------------


def encode_put(schema, item: dict, form: int):
    """schema.encode_item for the Put of a BatchWriteItem or a transaction,
    where a missing or mistyped key attribute is worded "The provided key
    element does not match the schema" (PutItem names the attribute)."""
    try:
        return schema.encode_item(item, form)
    except ValidationException as e:
        if "Missing the key" in e.message or "Type mismatch for key" in e.message:
            raise ValidationException(
                "The provided key element does not match the schema") from None
        raise


def _return_old(p: dict) -> tuple[bool, bool]:
    """(ReturnValues is ALL_OLD, the old item must be read) for PutItem and
    DeleteItem; the old item's size also sets the write units charged."""
    rv = p.get("ReturnValues") or "NONE"
    if rv not in ("NONE", "ALL_OLD"):
        # (dynalite's older recording: "ReturnValues can only be ALL_OLD or NONE")
        raise ValidationException("Return values set to invalid value")
    all_old = rv == "ALL_OLD"
    return all_old, all_old or p.get("ReturnConsumedCapacity") not in (None, "NONE")


def _write_response(p: dict, t, all_old: bool, old, new_size: int, form: int) -> dict:
    out = {}
    if old is not None and all_old:
        out["Attributes"] = _decode(old, form)
    if wanted(p):
        out["ConsumedCapacity"] = consumed(
            p, t.name, write_units(max(new_size, _size(old))), WRITE, _index_units(t))
    if t.store.collection_limit is not None:
        m = _collection_metrics(t, p, (p.get("Item") or p.get("Key") or {}).get(t.pk))
        if m is not None:
            out["ItemCollectionMetrics"] = m
    return out


def _index_units(t) -> dict | None:
    """ConsumedCapacity's index groups for the write this thread just made."""
    if not t.indexes:
        return None
    return index_groups(t, t.store.index_units())


def index_groups(t, units: dict) -> dict:
    """{index name: units} of table t's indexes as ConsumedCapacity's
    groups: {"GlobalSecondaryIndexes" | "LocalSecondaryIndexes": {name: units}}."""
    out: dict = {}
    for name, u in units.items():
        idx = t.indexes.get(name)
        group = "LocalSecondaryIndexes" if idx is not None and idx.local \
            else "GlobalSecondaryIndexes"
        out.setdefault(group, {})[name] = u
    return out


def size_range(size: int) -> list:
    """SizeEstimateRangeGB of an item collection of `size` bytes."""
    lo = float(size >> 30)
    return [lo, lo + 1.0]


def _collection_metrics(t, p: dict, pk_value, i: int = 0) -> dict | None:
    """ItemCollectionMetrics of the i-th item this thread just wrote to
    table t (local secondary indexes only, ReturnItemCollectionMetrics SIZE)."""
    if p.get("ReturnItemCollectionMetrics") != "SIZE" or t.store.collection_limit is None:
        return None
    sizes = t.store.collection_sizes()
    if i >= len(sizes) or sizes[i] is None:
        return None
    return {"ItemCollectionKey": {t.pk: pk_value}, "SizeEstimateRangeGB": size_range(sizes[i])}


def condition_failed(p: dict, old: bytes | None, form: int) -> ConditionalCheckFailedException:
    """DynamoDB's error for a failed condition, with the old item when
    ReturnValuesOnConditionCheckFailure is ALL_OLD."""
    if p.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old is not None:
        return ConditionalCheckFailedException("The conditional request failed",
                                               Item=_decode(old, form))
    return ConditionalCheckFailedException("The conditional request failed")


def _client_item(raw: bytes | None) -> dict | None:
    return None if raw is None else _decode(raw, _CLIENT)


def check_condition(plan, p: dict, old: bytes | None, form: int,
                    old_item: dict | None = None) -> None:
    """Raise ConditionalCheckFailedException unless the request's condition
    (if any) holds for the stored item `old` (old_item: it already decoded
    to the client form)."""
    if plan.condition is None:
        return
    if old_item is None:
        old_item = _client_item(old)
    if not evaluate(plan.condition, old_item):
        raise condition_failed(p, old, form)


def put_item(db, p: dict, form: int, plan=None) -> dict:
    if plan is None:
        plan = exprs.plan("PutItem", p, form)
    all_old, want = _return_old(p)   # (checked before the table is looked for)
    t = db.table(p["TableName"])
    h, key, value, size = t.schema.encode_item(p["Item"], form)
    cap = t.capacity
    units = write_units(size)
    if plan.condition is None:
        cap.write(h, units)
        old = t.store.put(h, key, value, want_old=want)
        if old is not None:
            _charge_rest(cap, h, units, write_units(_item_size(old)))
    else:
        def change(old):
            _conditional(cap, h, write_units(max(size, _size(old))), plan, p, old, form)
            return value, old
        old = t.store.read_modify_write(h, key, change)
    return _write_response(p, t, all_old, old, size, form)


def projected(raw: bytes, projection, form: int) -> dict:
    """A stored item, decoded to `form`, through a ProjectionExpression
    tree (None: the whole item)."""
    if projection is None:
        return _decode(raw, form)
    return _from_client(project(_decode(raw, _CLIENT), projection.paths), form)


def _scalar_index_keys(t, paths, label: str) -> None:
    """A path into a key attribute of table t (label "Key") or of one of
    its indexes ("IndexKey"; also the table's keys when label is "Key")
    is refused: key attributes are scalars."""
    keys = set(t.key_names) if label == "Key" else set()
    index_keys = {k for idx in t.indexes.values() for k in idx.key_names} - set(t.key_names)
    for path in paths:
        name = path.elements[0]
        if len(path.elements) > 1 and (name in keys or name in index_keys):
            which = "Key" if name in keys else "IndexKey"
            raise ValidationException(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' "
                f"are not allowed: {which}: {name}")


def get_item(db, p: dict, form: int) -> dict:
    plan = exprs.plan("GetItem", p, form)
    t = db.table(p["TableName"])
    if plan.projection is not None:
        _scalar_index_keys(t, plan.projection.paths, "Key")
    h, key = t.schema.encode_key(p["Key"], form)
    v = t.store.get(h, key)
    units = read_units(_size(v), bool(p.get("ConsistentRead")))
    t.capacity.read(h, units)
    out = {}
    if v is not None:
        out["Item"] = projected(v, plan.projection, form)
    if wanted(p):
        out["ConsumedCapacity"] = consumed(p, t.name, units, READ)
    return out


def delete_item(db, p: dict, form: int, plan=None) -> dict:
    if plan is None:
        plan = exprs.plan("DeleteItem", p, form)
    all_old, want = _return_old(p)   # (checked before the table is looked for)
    t = db.table(p["TableName"])
    h, key = t.schema.encode_key(p["Key"], form)
    cap = t.capacity
    if plan.condition is None:
        cap.write(h, 1.0)   # (the deleted item's size is known only if it is read)
        old = t.store.delete(h, key, want_old=want)
        if old is not None:
            _charge_rest(cap, h, 1.0, write_units(_item_size(old)))
    else:
        def change(old):
            _conditional(cap, h, write_units(_size(old)), plan, p, old, form)
            return None, old
        old = t.store.read_modify_write(h, key, change)
    return _write_response(p, t, all_old, old, 0, form)


def updated_item(t, p: dict, form: int, plan, old: bytes | None):
    """UpdateItem's new item for the stored old one (None: absent), after
    the condition: (old item, new item, new encoded value), items in client
    form. Raises ConditionalCheckFailedException or the update's error."""
    old_item = _client_item(old)
    check_condition(plan, p, old, form, old_item)
    key = None
    if old_item is None:
        # a new item starts from its key (REMOVE of a nested path in it is a no-op)
        key = {name: exprs.to_client(p["Key"][name], form) for name in t.key_names}
    if plan.update is None:
        new_item = old_item if old_item is not None else key
    elif plan.legacy_update:
        try:
            new_item = apply_update(plan.update, old_item, key=key)
        except ValidationException as e:
            raise legacy.legacy_update_error(e) from None
    else:
        new_item = apply_update(plan.update, old_item, key=key)
    try:
        _, _, value, _ = t.schema.encode_item(new_item, _CLIENT)
    except ValidationException as e:
        if e.message == "Item size has exceeded the maximum allowed size":
            raise ValidationException(
                "Item size to update has exceeded the maximum allowed size") from None
        raise
    return old_item, new_item, value


def update_item(db, p: dict, form: int, plan=None) -> dict:
    if plan is None:
        plan = exprs.plan("UpdateItem", p, form)
    t = db.table(p["TableName"])
    if plan.update is not None:
        check_update_keys(plan.update, t.key_names)
        if t.indexes:
            _scalar_index_keys(t, [a.path for a in plan.update.actions], "IndexKey")
    rv = p.get("ReturnValues") or "NONE"
    h, key = t.schema.encode_key(p["Key"], form)
    cap = t.capacity

    def change(old):
        cap.check_write(h)
        try:
            old_item, new_item, value = updated_item(t, p, form, plan, old)
        except ConditionalCheckFailedException:
            cap.add_write(h, write_units(_size(old)))
            raise
        cap.add_write(h, write_units(max(_item_size(value), _size(old))))
        return value, (old, old_item, new_item, value)

    try:
        old, old_item, new_item, value = t.store.read_modify_write(h, key, change)
    except ValidationException as e:
        if e.message.startswith(_INDEX_KEY_TYPE):   # DynamoDB's wording for an update
            raise ValidationException("The update expression attempted to update the "
                                      "secondary index key to unsupported type") from None
        if e.message.startswith(_INDEX_KEY_EMPTY):
            what = "string" if "empty string" in e.message else "binary"
            raise ValidationException(
                "One or more parameter values are not valid. The update expression attempted "
                "to update a secondary index key to a value that is not supported. The "
                f"AttributeValue for a key attribute cannot contain an empty {what} value.") \
                from None
        raise
    out = {}
    if rv == "ALL_OLD":
        if old is not None:
            out["Attributes"] = _decode(old, form)
    elif rv == "ALL_NEW":
        out["Attributes"] = _decode(value, form)
    elif rv in ("UPDATED_OLD", "UPDATED_NEW"):
        paths = updated_paths(plan.update) if plan.update is not None else ()
        source = old_item if rv == "UPDATED_OLD" else new_item
        attrs = project(source, paths) if source and paths else {}
        if attrs:
            out["Attributes"] = _from_client(attrs, form)
    if wanted(p):
        out["ConsumedCapacity"] = consumed(
            p, t.name, write_units(max(_item_size(value), _size(old))), WRITE,
            _index_units(t))
    if t.store.collection_limit is not None:
        m = _collection_metrics(t, p, p["Key"].get(t.pk))
        if m is not None:
            out["ItemCollectionMetrics"] = m
    return out


# -- Query and Scan ------------------------------------------------------------------



class KeyRange:
    """The engine key range [start, end) a key condition selects."""

    __slots__ = ("start", "end")

    def __init__(self, start, end):
        self.start = start
        self.end = end


def key_range(t, pk_value, sk_op: str | None, sk_values: list, form: int) -> KeyRange:
    """The key range of `pk = pk_value [AND sk <op> sk_values]` on table t."""
    schema = t.schema
    _, prefix = schema.pk_prefix(pk_value, form)
    start, end = prefix, prefix_end(prefix)
    if sk_op is None:
        return KeyRange(start, end)
    enc = [prefix + schema.sk_component(v, form) for v in sk_values]
    if sk_op == "=":
        return KeyRange(enc[0], enc[0] + b"\x00")
    if sk_op == "<":
        return KeyRange(start, enc[0])
    if sk_op == "<=":
        return KeyRange(start, enc[0] + b"\x00")
    if sk_op == ">":
        return KeyRange(enc[0] + b"\x00", end)
    if sk_op == ">=":
        return KeyRange(enc[0], end)
    if sk_op == "BETWEEN":
        return KeyRange(enc[0], enc[1] + b"\x00")
    if sk_op == "begins_with":
        if schema.sk_type == "N":
            raise ValidationException(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or "
                "function; operator or function: begins_with, operand type: N")
        return KeyRange(enc[0], prefix_end(enc[0]) or end)
    raise ValidationException("Query key condition not supported")


def _limit(p: dict) -> int | None:
    limit = p.get("Limit")
    return None if limit is None else int(limit)


def _select(p: dict, index: bool, projection) -> str:
    """The Select of a Query or Scan, checked against its projection."""
    select = p.get("Select")
    given = ("ProjectionExpression" if p.get("ProjectionExpression") is not None
             else "AttributesToGet" if p.get("AttributesToGet") is not None else None)
    if select is None:
        if given:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES"
    if given and select != "SPECIFIC_ATTRIBUTES":
        what = "only the Count" if select == "COUNT" else select
        raise ValidationException(f"Cannot specify the {given} when choosing to get {what}")
    if select == "ALL_PROJECTED_ATTRIBUTES" and not index:
        raise ValidationException(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    if select == "SPECIFIC_ATTRIBUTES" and not given:
        raise ValidationException(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
            "SPECIFIC_ATTRIBUTES")
    return select


def _page(t, rng: KeyRange, reverse: bool, limit: int | None, form: int, select: str,
          p: dict, plan, h: int | None = None, idx=None) -> dict:
    """Read one page: at most `limit` items and about 1 MB, read before the
    filter (as DynamoDB counts them); Count is what passed the filter,
    ScannedCount what was read. The page's read units (its items' sizes
    summed, rounded once) are charged to the Query's partition key h, or
    for a Scan (h None) to the table."""
    items = []
    scanned = count = 0
    read = 0
    last = None
    count_only = select == "COUNT"
    flt, projection = plan.filter, plan.projection
    plain = flt is None and projection is None
    first = None
    fetch = idx is not None and idx.local and _fetches(idx, select, plan)
    fetched = 0.0
    consistent = bool(p.get("ConsistentRead"))
    for k, v in t.store.range(rng.start, rng.end, reverse):
        if first is None:
            first = k
        scanned += 1
        read += _item_size(v)
        entry = v
        if fetch:   # the item from the table, each read costing its own units
            bh, bkey = t.base.schema.encode_key(idx.base_key_of(v), _CLIENT)
            v = t.base.store.get(bh, bkey) or v
            fetched += read_units(_item_size(v), consistent)
        if plain:
            count += 1
            if not count_only:
                items.append(_decode(v, form))
        else:
            item = _decode(v, _CLIENT)
            if flt is None or evaluate(flt, item, "Filter"):
                count += 1
                if not count_only:
                    if projection is not None:
                        item = project(item, projection.paths)
                    elif fetch and select == "ALL_PROJECTED_ATTRIBUTES":
                        item = {a: x for a, x in item.items() if idx.projects(a)}
                    items.append(_from_client(item, form))
        if (limit is not None and scanned >= limit) or read >= PAGE_BYTES:
            last = entry
            break
    units = read_units(read, consistent) + fetched
    if idx is not None:
        # a global index's own meter; a local index's units are the table's
        cap = t.capacity
        if h is not None and idx.capacity is not None:
            cap.read(h, units)
        else:
            at = first if first is not None else rng.start
            cap.read_range(int.from_bytes(at[:8], "big") if at and idx.capacity is not None
                           else None, units)
    elif h is not None:
        t.capacity.read(h, units)
    else:
        at = first if first is not None else rng.start
        t.capacity.read_range(int.from_bytes(at[:8], "big") if at else None, units)
    out = {}
    if not count_only:
        out["Items"] = items
    out["Count"] = count
    out["ScannedCount"] = scanned
    if last is not None:
        out["LastEvaluatedKey"] = (t.schema.item_key(last, form) if idx is None
                                   else idx.last_key(last, form))
    if wanted(p):
        if idx is None:
            out["ConsumedCapacity"] = consumed(p, t.name, units, READ)
        else:
            group = "LocalSecondaryIndexes" if idx.local else "GlobalSecondaryIndexes"
            out["ConsumedCapacity"] = consumed(p, t.name, 0.0, READ, {group: {idx.name: units}})
    return out


def _fetches(idx, select: str, plan) -> bool:
    """A Query or Scan of local index idx needs attributes it does not
    project (DynamoDB then reads them from the table)."""
    if idx.attrs is None or select == "COUNT":
        return False
    if select == "ALL_ATTRIBUTES":
        return True
    if plan.projection is not None and any(
            not idx.projects(path.elements[0]) for path in plan.projection.paths):
        return True
    if plan.filter is not None:
        return True   # (a filter may name any attribute)
    return False


def _index(t, p: dict, plan):
    """The global secondary index a Query or Scan names (None: the table),
    with DynamoDB's checks of what may be read from it."""
    name = p.get("IndexName")
    if name is None:
        return None
    idx = t.indexes.get(name)
    if idx is None:
        raise ValidationException(f"The table does not have the specified index: {name}")
    if idx.local:
        return idx   # (a local index reads what it does not project from the table)
    if p.get("ConsistentRead"):
        raise ValidationException(
            "Consistent reads are not supported on global secondary indexes")
    if idx.backfilling:
        raise ValidationException(
            f"Cannot read from backfilling global secondary index: {name}")
    if idx.attrs is not None:
        if p.get("Select") == "ALL_ATTRIBUTES":
            raise ValidationException(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is "
                f"not supported for global secondary index {name} because its projection "
                "type is not ALL")
        if plan.projection is not None:
            missing = []
            for path in plan.projection.paths:
                top = path.elements[0]
                if not idx.projects(top) and top not in missing:
                    missing.append(top)
            if missing:
                raise ValidationException(
                    f"One or more parameter values were invalid: Global secondary index "
                    f"{name} does not project [{', '.join(missing)}]")
    return idx


class _IndexView:
    """A global secondary index seen as Query and Scan see a table."""

    __slots__ = ("idx", "name", "store", "capacity", "schema", "pk", "sk", "key_names",
                 "base")

    def __init__(self, t, idx):
        self.idx = idx
        self.base = t
        self.name = t.name
        self.store = idx.store
        self.capacity = idx.capacity if idx.capacity is not None else t.capacity
        self.schema = idx.schema
        self.pk, self.sk = idx.pk, idx.sk
        self.key_names = idx.key_names


def _index_key_range(idx, kc, form: int) -> KeyRange:
    """key_range on an index for key condition kc (an IndexKeyCondition;
    components escaped and self-delimiting: see dyncore.table.index)."""
    prefix = idx.key_prefix(kc.pk_values, form)
    for i, v in enumerate(kc.sk_eq):
        prefix += idx.sk_bytes(v, form, i=i)
    start, end = prefix, prefix_end(prefix)
    sk_op, sk_values, i = kc.sk_op, kc.sk_values, len(kc.sk_eq)
    if sk_op is None:
        return KeyRange(start, end)
    if sk_op == "begins_with":
        if idx.sk_types[i] == "N":
            raise ValidationException(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or "
                "function; operator or function: begins_with, operand type: N")
        b = prefix + idx.sk_bytes(sk_values[0], form, terminated=False, i=i)
        return KeyRange(b, prefix_end(b) or end)
    enc = [prefix + idx.sk_bytes(v, form, i=i) for v in sk_values]
    after = [prefix_end(e) or end for e in enc]
    if sk_op == "=":
        return KeyRange(enc[0], after[0])
    if sk_op == "<":
        return KeyRange(start, enc[0])
    if sk_op == "<=":
        return KeyRange(start, after[0])
    if sk_op == ">":
        return KeyRange(after[0], end)
    if sk_op == ">=":
        return KeyRange(enc[0], end)
    if sk_op == "BETWEEN":
        return KeyRange(enc[0], after[1])
    raise ValidationException("Query key condition not supported")


# ExclusiveStartKey that does not fit the key schema (attributes missing,
# extra or of another type): "The provided starting key is invalid", except a
# Scan of a table, which adds ": The provided key element does not match the
# schema"; a bad value in it: the value's message after "...is invalid: "
# (dynalite's recordings, and other emulators' captures of DynamoDB).
_START_INVALID = "The provided starting key is invalid"
_SCHEMA_MISMATCH = frozenset((
    "The provided key element does not match the schema",
    "One or more parameter values were invalid: Condition parameter type does not match "
    "schema type"))


def _bad_start(message: str, table_scan: bool) -> ValidationException:
    if message in _SCHEMA_MISMATCH:
        return ValidationException(
            _START_INVALID + ": The provided key element does not match the schema"
            if table_scan else _START_INVALID)
    return ValidationException(f"{_START_INVALID}: {message}")


def _index_start_key(t, idx, p: dict, form: int) -> bytes | None:
    """An index's ExclusiveStartKey (index keys and base keys) as an entry key."""
    esk = p.get("ExclusiveStartKey")
    if esk is None:
        return None
    if set(esk) != set(t.key_names) | set(idx.key_names):
        raise ValidationException(_START_INVALID)
    try:
        _, base = t.schema.encode_key({k: esk[k] for k in t.key_names}, form)
        return idx.entry_key(esk, form) + base[8:]
    except ValidationException as e:
        raise _bad_start(e.message, False) from None


def _start_key(t, p: dict, form: int, table_scan: bool = False) -> bytes | None:
    esk = p.get("ExclusiveStartKey")
    if esk is None:
        return None
    try:
        return t.schema.encode_key(esk, form)[1]
    except ValidationException as e:
        raise _bad_start(e.message, table_scan) from None


def _query_filter_keys(t, p: dict, plan) -> None:
    """A Query's filter may not use the table's key attributes."""
    if plan.filter is None:
        return
    keys = [k for k in t.key_names]
    if p.get("FilterExpression") is not None:
        check_filter_keys(plan.filter, keys)
        return
    legacy.check_query_filter_keys(p.get("QueryFilter"), keys)


def query(db, p: dict, form: int) -> dict:
    plan = exprs.plan("Query", p, form)
    t = db.table(p["TableName"])
    idx = _index(t, p, plan)
    if idx is not None:
        return _query_index(t, idx, p, plan, form)
    select = _select(p, False, plan.projection)
    start = _start_key(t, p, form)   # (DynamoDB checks it before the key condition)
    pk_value, sk_op, sk_values = key_condition_of(t, p, plan)
    # expression values are in client form, KeyConditions' in the request's
    vform = form if plan.key_condition is None else _CLIENT
    _query_filter_keys(t, p, plan)
    rng = key_range(t, pk_value, sk_op, sk_values, vform)
    reverse = p.get("ScanIndexForward") is False
    if start is not None:
        rng = _after_start(rng, start, t.schema.pk_prefix(pk_value, vform)[1], reverse)
    if rng.end is not None and rng.start >= rng.end:
        rng = KeyRange(rng.start, rng.start)
    h = int.from_bytes(t.schema.pk_prefix(pk_value, vform)[1][:8], "big")
    return _page(t, rng, reverse, _limit(p), form, select, p, plan, h)


def _after_start(rng: KeyRange, start: bytes, prefix: bytes, reverse: bool) -> KeyRange:
    """A Query's key range past ExclusiveStartKey `start` (encoded), which
    must lie in the queried item collection (whose keys begin with prefix)."""
    if not start.startswith(prefix):
        raise ValidationException(
            "The provided starting key is outside query boundaries based on "
            "provided conditions")
    if reverse:
        return KeyRange(rng.start, min(rng.end, start) if rng.end is not None else start)
    return KeyRange(max(rng.start, start + b"\x00"), rng.end)


def _query_index(t, idx, p: dict, plan, form: int) -> dict:
    view = _IndexView(t, idx)
    select = _select(p, True, plan.projection)
    start = _index_start_key(t, idx, p, form)
    kc = index_key_condition_of(idx, p, plan)
    vform = form if plan.key_condition is None else _CLIENT
    _query_filter_keys(view, p, plan)
    rng = _index_key_range(idx, kc, vform)
    reverse = p.get("ScanIndexForward") is False
    prefix = idx.key_prefix(kc.pk_values, vform)
    if start is not None:
        rng = _after_start(rng, start, prefix, reverse)
    if rng.end is not None and rng.start >= rng.end:
        rng = KeyRange(rng.start, rng.start)
    h = int.from_bytes(prefix[:8], "big")
    return _page(view, rng, reverse, _limit(p), form, select, p, plan, h=h, idx=idx)


def scan(db, p: dict, form: int) -> dict:
    plan = exprs.plan("Scan", p, form)
    t = db.table(p["TableName"])
    idx = _index(t, p, plan)
    select = _select(p, idx is not None, plan.projection)
    seg, total = p.get("Segment"), p.get("TotalSegments")
    if seg is not None and total is None:
        raise ValidationException(
            "The TotalSegments parameter is required but was not present in the request "
            "when Segment parameter is present")
    if total is not None and seg is None:
        raise ValidationException(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present")
    if total is not None and seg >= total:
        raise ValidationException(   # (dynalite's older recording adds ": Segment: 3 is not ...")
            "The Segment parameter is zero-based and must be less than parameter "
            "TotalSegments")
    start = end = None
    if total is not None and total > 1:
        lo, hi = segment_range(seg, total)
        start = hash_bytes(lo) if lo else None
        end = hash_bytes(hi + 1) if hi + 1 < (1 << 64) else None
    esk = _start_key(t, p, form, table_scan=True) if idx is None else \
        _index_start_key(t, idx, p, form)
    if esk is not None:
        if total is not None and total > 1:
            h = int.from_bytes(esk[:8], "big")
            if not (lo <= h <= hi):
                raise ValidationException(
                    "The provided Exclusive start key does not map to the provided segment")
        start = esk + b"\x00"
    if idx is not None:
        return _page(_IndexView(t, idx), KeyRange(start, end), False, _limit(p), form,
                     select, p, plan, idx=idx)
    return _page(t, KeyRange(start, end), False, _limit(p), form, select, p, plan)


# -- batches ---------------------------------------------------------------------


def batch_get_item(db, p: dict, form: int) -> dict:
    requests = p["RequestItems"]
    total = sum(len(r.get("Keys") or ()) for r in requests.values())
    if total > 100:
        raise ValidationException("Too many items requested for the BatchGetItem call")
    plans = []
    for name, r in requests.items():
        plan = exprs.plan("BatchGetItem", r, form)
        t = db.table(name)
        seen = set()
        keys = []
        for key in r["Keys"]:
            h, k = t.schema.encode_key(key, form)
            if k in seen:
                raise ValidationException("Provided list of item keys contains duplicates")
            seen.add(k)
            keys.append((h, k, key))
        plans.append((name, t, r, keys, plan.projection))
    # Responses and UnprocessedKeys are keyed as the request names the
    # table (its name or its ARN)
    responses = {}
    unprocessed = {}
    size = 0
    capacity = {}
    throttled = None   # a key refused for throughput goes to UnprocessedKeys
    for name, t, r, keys, projection in plans:
        got = responses.setdefault(name, [])
        consistent = bool(r.get("ConsistentRead"))
        for h, k, key in keys:
            if size < BATCH_GET_BYTES:
                v = t.store.get(h, k)
                n = _size(v)
                # an item that would take the answer past 16 MB goes back
                # unread, so the answer holds at most 16 MB
                if v is not None and size + n > BATCH_GET_BYTES:
                    size = BATCH_GET_BYTES
                else:
                    units = read_units(n, consistent)   # each key rounded on its own
                    try:
                        t.capacity.read(h, units)
                    except THROTTLED as e:
                        throttled = e
                    else:
                        capacity[t.name] = capacity.get(t.name, 0.0) + units
                        if v is not None:
                            size += n
                            got.append(projected(v, projection, form))
                        continue
            entry = unprocessed.setdefault(name, {kk: vv for kk, vv in r.items()
                                                  if kk != "Keys"})
            entry.setdefault("Keys", []).append(key)
    if throttled is not None and not capacity:
        # DynamoDB: when no key at all could be read for throughput, the
        # whole call fails with the throttling error
        raise throttled
    out = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if wanted(p):
        out["ConsumedCapacity"] = [consumed(p, name, units, READ)
                                   for name, units in capacity.items()]
    return out


def batch_write_item(db, p: dict, form: int) -> dict:
    requests = p["RequestItems"]
    for reqs in requests.values():
        for req in reqs:
            if not req:  # DynamoDB's text for an empty WriteRequest, sic
                raise ValidationException(
                    "Supplied AttributeValue has more than one datatypes set, must contain "
                    "exactly one of the supported datatypes")
    plan = []
    for name, reqs in requests.items():
        t = db.table(name)
        schema = t.schema
        seen = set()
        ops = []
        sizes = []
        for req in reqs:
            put = req.get("PutRequest")
            if put is not None:  # (a request with both: the put, as DynamoDB does)
                h, k, v, size = encode_put(schema, put["Item"], form)
            else:
                h, k = schema.encode_key(req["DeleteRequest"]["Key"], form)
                v, size = None, 0
            if k in seen:
                raise ValidationException("Provided list of item keys contains duplicates")
            seen.add(k)
            ops.append((h, k, v))
            sizes.append(size)
        plan.append((name, t, ops, sizes, reqs))
    # Admit each request for throughput; the refused ones go back in
    # UnprocessedItems (all refused: the throttling error, nothing written),
    # keyed as the request names the table (its name or its ARN).
    unprocessed = {}
    throttled = None
    admitted = []
    for name, t, ops, sizes, reqs in plan:
        keep = []
        kept = []
        # requests a global index of the table would refuse go back alone
        by_index = index_refusals(t.store, ops) if t.indexes else {}
        for i, (op, size, req) in enumerate(zip(ops, sizes, reqs)):
            units = write_units(size)
            try:
                if i in by_index:
                    raise by_index[i]
                t.capacity.write(op[0], units)
            except THROTTLED as e:
                throttled = e
                unprocessed.setdefault(name, []).append(req)
                continue
            keep.append((op, units))
            kept.append(req)
        admitted.append((name, t, keep, kept))
    if throttled is not None and not any(keep for _, _, keep, _ in admitted):
        raise throttled
    want = wanted(p)
    capacity = {}
    collections = {}
    written = False
    for name, t, keep, kept in admitted:
        if not keep:
            continue
        try:
            olds = t.store.write_many([op for op, _ in keep], want_old=want)
        except THROTTLED as e:   # a global index out of write capacity: nothing written
            throttled = e
            unprocessed.setdefault(name, []).extend(kept)
            continue
        written = True
        total = 0.0
        for i, (op, units) in enumerate(keep):
            if want:   # the larger of the old and new item, as PutItem/DeleteItem
                exact = write_units(max(_size(olds[i]), _size(op[2])))
                _charge_rest(t.capacity, op[0], units, exact)
                units = exact
            total += units
        capacity[t.name] = (total, _index_units(t) if want else None)
        if t.store.collection_limit is not None and \
                p.get("ReturnItemCollectionMetrics") == "SIZE":
            metrics = []
            by_key = {op[1]: req for _, pt, ops, _, reqs in plan if pt is t
                      for op, req in zip(ops, reqs)}
            for i, (op, _) in enumerate(keep):
                req = by_key[op[1]]
                put = req.get("PutRequest")
                target = put["Item"] if put is not None else req["DeleteRequest"]["Key"]
                m = _collection_metrics(t, p, target[t.pk], i)
                if m is not None:
                    metrics.append(m)
            collections[name] = metrics
    if throttled is not None and not written:
        raise throttled
    out = {"UnprocessedItems": unprocessed}
    if collections:
        out["ItemCollectionMetrics"] = collections
    if want:
        out["ConsumedCapacity"] = [consumed(p, name, units, WRITE, indexes)
                                   for name, (units, indexes) in capacity.items()]
    return out
