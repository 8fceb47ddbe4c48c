"""The item operations — PutItem, GetItem, DeleteItem, Query, Scan,
BatchGetItem, BatchWriteItem — on requests whose shape is already checked.

Each function takes the Database, the request parameters and the value form
of the request (dyncore._core.FORM_NATIVE, FORM_CLIENT or FORM_JSON) and
returns the response in the same form. The codec validates and encodes values
in whichever form they come, so no request is converted twice.

Not here yet (the expressions issue): ConditionExpression, FilterExpression,
ProjectionExpression, UpdateItem and their legacy forms; such a request gets a
ValidationException saying so, never a silent wrong answer.
"""
from __future__ import annotations

import math

from dyncore import _core
from dyncore.errors import ValidationException
from dyncore.expr import parse_expressions
from dyncore.table.partition import hash_bytes
from dyncore.table.table import PAGE_BYTES, segment_range

__all__ = ["put_item", "get_item", "delete_item", "query", "scan",
           "batch_get_item", "batch_write_item", "KeyRange"]

BATCH_GET_BYTES = 16 << 20
_decode = _core.decode_item
_item_size = _core.item_size

# Parameters that belong to the expressions issue: refused until then.
_LATER = ("ConditionExpression", "Expected", "ConditionalOperator", "FilterExpression",
          "QueryFilter", "ScanFilter", "ProjectionExpression", "AttributesToGet")


def _not_yet(p: dict) -> None:
    for name in _LATER:
        if p.get(name) is not None:
            raise ValidationException(f"dyncore does not support {name} yet")


def _check_names_values(p: dict, expressions: tuple[str, ...]) -> None:
    """The placeholder-map checks of a request whose expressions (of
    `expressions`, the operation's, in DynamoDB's order) are not evaluated
    yet: names or values given without an expression, empty maps, bad keys,
    unused entries -- with DynamoDB's messages (dyncore.expr)."""
    names, values = p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")
    if names is None and values is None:
        return
    parse_expressions({e: p.get(e) for e in expressions}, names, values)


# -- capacity ----------------------------------------------------------------


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def _write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def _consumed(p: dict, table: str, units: float, kind: str) -> dict | None:
    mode = p.get("ReturnConsumedCapacity") or "NONE"
    if mode == "NONE":
        return None
    out = {"TableName": table, "CapacityUnits": units, kind: units}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": units, kind: units}
    return out


# -- single items ----------------------------------------------------------------


def _return_old(p: dict) -> tuple[bool, bool]:
    """(ReturnValues is ALL_OLD, the old item must be read) for PutItem and
    DeleteItem; the old item's size also sets the write units charged."""
    rv = p.get("ReturnValues") or "NONE"
    if rv not in ("NONE", "ALL_OLD"):
        raise ValidationException("ReturnValues can only be ALL_OLD or NONE")
    all_old = rv == "ALL_OLD"
    return all_old, all_old or p.get("ReturnConsumedCapacity") not in (None, "NONE")


def _write_response(p: dict, t, all_old: bool, old, new_size: int, form: int) -> dict:
    out = {}
    if old is not None and all_old:
        out["Attributes"] = _decode(old, form)
    cc = _consumed(p, t.name, _write_units(max(new_size, _item_size(old) if old else 0)),
                   "WriteCapacityUnits")
    if cc:
        out["ConsumedCapacity"] = cc
    return out


def put_item(db, p: dict, form: int) -> dict:
    _not_yet(p)
    _check_names_values(p, ("ConditionExpression",))
    t = db.table(p["TableName"])
    all_old, want = _return_old(p)
    h, key, value, size = t.schema.encode_item(p["Item"], form)
    old = t.store.put(h, key, value, want_old=want)
    return _write_response(p, t, all_old, old, size, form)


def get_item(db, p: dict, form: int) -> dict:
    _not_yet(p)
    _check_names_values(p, ("ProjectionExpression",))
    t = db.table(p["TableName"])
    h, key = t.schema.encode_key(p["Key"], form)
    v = t.store.get(h, key)
    out = {}
    if v is not None:
        out["Item"] = _decode(v, form)
    if p.get("ReturnConsumedCapacity") not in (None, "NONE"):
        out["ConsumedCapacity"] = _consumed(
            p, t.name, _read_units(_item_size(v) if v else 0, bool(p.get("ConsistentRead"))),
            "ReadCapacityUnits")
    return out


def delete_item(db, p: dict, form: int) -> dict:
    _not_yet(p)
    _check_names_values(p, ("ConditionExpression",))
    t = db.table(p["TableName"])
    all_old, want = _return_old(p)
    h, key = t.schema.encode_key(p["Key"], form)
    old = t.store.delete(h, key, want_old=want)
    return _write_response(p, t, all_old, old, 0, form)


# -- Query and Scan ------------------------------------------------------------------


def _successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with
    prefix (None if there is none)."""
    b = bytearray(prefix)
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        return None
    b[-1] += 1
    return bytes(b)


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
    start, end = prefix, _successor(prefix)
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
        return KeyRange(enc[0], _successor(enc[0]) or end)
    raise ValidationException("Query key condition not supported")


def _limit(p: dict) -> int | None:
    limit = p.get("Limit")
    return None if limit is None else int(limit)


def _select(p: dict, index: bool) -> str:
    select = p.get("Select") or "ALL_ATTRIBUTES"
    if select == "ALL_PROJECTED_ATTRIBUTES" and not index:
        raise ValidationException(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    if select == "SPECIFIC_ATTRIBUTES":
        raise ValidationException("dyncore does not support SPECIFIC_ATTRIBUTES yet")
    return select


def _page(t, rng: KeyRange, reverse: bool, limit: int | None, form: int, select: str,
          p: dict) -> dict:
    """Read one page: at most `limit` items and about 1 MB."""
    items = []
    count = 0
    read = 0
    last = None
    count_only = select == "COUNT"
    for k, v in t.store.range(rng.start, rng.end, reverse):
        count += 1
        read += _item_size(v)
        if not count_only:
            items.append(_decode(v, form))
        if (limit is not None and count >= limit) or read >= PAGE_BYTES:
            last = v
            break
    out = {}
    if not count_only:
        out["Items"] = items
    out["Count"] = count
    out["ScannedCount"] = count
    if last is not None:
        out["LastEvaluatedKey"] = t.schema.item_key(last, form)
    cc = _consumed(p, t.name, _read_units(read, bool(p.get("ConsistentRead"))),
                   "ReadCapacityUnits")
    if cc:
        out["ConsumedCapacity"] = cc
    return out


def _index(t, p: dict) -> None:
    name = p.get("IndexName")
    if name is not None:
        raise ValidationException(f"The table does not have the specified index: {name}")


def _start_key(t, p: dict, form: int) -> bytes | None:
    esk = p.get("ExclusiveStartKey")
    if esk is None:
        return None
    try:
        return t.schema.encode_key(esk, form)[1]
    except ValidationException as e:
        raise ValidationException(f"The provided starting key is invalid: {e.message}") from None


def _values_to_client(p: dict) -> dict:
    p = dict(p)
    conv = _core.canonical_value
    native, client = _core.FORM_NATIVE, _core.FORM_CLIENT
    if p.get("ExpressionAttributeValues"):
        p["ExpressionAttributeValues"] = {k: conv(v, native, client)
                                          for k, v in p["ExpressionAttributeValues"].items()}
    if p.get("KeyConditions"):
        p["KeyConditions"] = {
            name: dict(c, AttributeValueList=[conv(v, native, client)
                                              for v in c.get("AttributeValueList") or ()])
            for name, c in p["KeyConditions"].items()}
    return p


def query(db, p: dict, form: int, key_condition=None) -> dict:
    """Query. key_condition: (pk_value, sk_op, sk_values) already analysed
    (from KeyConditionExpression or KeyConditions, see dyncore.api.keycond)."""
    _not_yet(p)
    t = db.table(p["TableName"])
    _index(t, p)
    select = _select(p, False)
    vform = form
    if form == _core.FORM_NATIVE:
        # Expressions are checked on AttributeValues: bring native values over.
        p = _values_to_client(p)
        vform = _core.FORM_CLIENT
    if key_condition is None:
        from dyncore.api.keycond import key_condition_of
        key_condition = key_condition_of(t, p, vform)
    pk_value, sk_op, sk_values = key_condition
    rng = key_range(t, pk_value, sk_op, sk_values, vform)
    reverse = p.get("ScanIndexForward") is False
    start = _start_key(t, p, form)
    if start is not None:
        _, prefix = t.schema.pk_prefix(pk_value, vform)
        if not start.startswith(prefix):
            raise ValidationException(
                "The provided starting key is outside query boundaries based on "
                "provided conditions")
        if reverse:
            rng = KeyRange(rng.start, min(rng.end, start) if rng.end is not None else start)
        else:
            rng = KeyRange(max(rng.start, start + b"\x00"), rng.end)
    if rng.end is not None and rng.start >= rng.end:
        rng = KeyRange(rng.start, rng.start)
    return _page(t, rng, reverse, _limit(p), form, select, p)


def scan(db, p: dict, form: int) -> dict:
    _not_yet(p)
    _check_names_values(p, ("FilterExpression", "ProjectionExpression"))
    t = db.table(p["TableName"])
    _index(t, p)
    select = _select(p, False)
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
        raise ValidationException(
            "The Segment parameter is zero-based and must be less than parameter "
            f"TotalSegments: Segment: {seg} is not less than TotalSegments: {total}")
    start = end = None
    if total is not None and total > 1:
        lo, hi = segment_range(seg, total)
        start = hash_bytes(lo) if lo else None
        end = hash_bytes(hi + 1) if hi + 1 < (1 << 64) else None
    esk = _start_key(t, p, form)
    if esk is not None:
        if total is not None and total > 1:
            h = int.from_bytes(esk[:8], "big")
            if not (lo <= h <= hi):
                raise ValidationException(
                    "The provided Exclusive start key does not map to the provided segment")
        start = esk + b"\x00"
    return _page(t, KeyRange(start, end), False, _limit(p), form, select, p)


# -- batches ---------------------------------------------------------------------


def batch_get_item(db, p: dict, form: int) -> dict:
    requests = p["RequestItems"]
    total = sum(len(r.get("Keys") or ()) for r in requests.values())
    if total > 100:
        raise ValidationException("Too many items requested for the BatchGetItem call")
    plan = []
    for name, r in requests.items():
        _not_yet(r)
        _check_names_values(r, ("ProjectionExpression",))
        t = db.table(name)
        seen = set()
        keys = []
        for key in r["Keys"]:
            h, k = t.schema.encode_key(key, form)
            if k in seen:
                raise ValidationException("Provided list of item keys contains duplicates")
            seen.add(k)
            keys.append((h, k, key))
        plan.append((t, r, keys))
    responses = {}
    unprocessed = {}
    size = 0
    capacity = {}
    for t, r, keys in plan:
        got = responses.setdefault(t.name, [])
        consistent = bool(r.get("ConsistentRead"))
        for h, k, key in keys:
            if size >= BATCH_GET_BYTES:
                entry = unprocessed.setdefault(t.name, {kk: vv for kk, vv in r.items()
                                                        if kk != "Keys"})
                entry.setdefault("Keys", []).append(key)
                continue
            v = t.store.get(h, k)
            n = _item_size(v) if v is not None else 0
            capacity[t.name] = capacity.get(t.name, 0.0) + _read_units(n, consistent)
            if v is not None:
                size += n
                got.append(_decode(v, form))
    out = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if p.get("ReturnConsumedCapacity") not in (None, "NONE"):
        out["ConsumedCapacity"] = [_consumed(p, name, units, "ReadCapacityUnits")
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
                h, k, v, size = schema.encode_item(put["Item"], form)
            else:
                h, k = schema.encode_key(req["DeleteRequest"]["Key"], form)
                v, size = None, 0
            if k in seen:
                raise ValidationException("Provided list of item keys contains duplicates")
            seen.add(k)
            ops.append((h, k, v))
            sizes.append(size)
        plan.append((t, ops, sizes))
    for t, ops, _ in plan:
        t.store.write_many(ops)
    out = {"UnprocessedItems": {}}
    if p.get("ReturnConsumedCapacity") not in (None, "NONE"):
        out["ConsumedCapacity"] = [
            _consumed(p, t.name, sum(_write_units(s) for s in sizes), "WriteCapacityUnits")
            for t, _, sizes in plan]
    return out
