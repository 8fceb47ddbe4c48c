"""TransactWriteItems and TransactGetItems.

A write transaction checks every action's request first (any problem there
is a ValidationException and nothing happens), then takes the stripe locks of
all its items (dyncore.table.txn.hold), evaluates every condition and update
against the items as they are, and either commits all the writes atomically
(TxnLog.commit) or, if any action fails, writes nothing and raises
TransactionCanceledException with one reason per action, in order.

A read transaction takes the same locks, so the items it returns are one
point in time: no write (single or transactional) is half visible.
"""
from __future__ import annotations

import hashlib
import json

from dyncore import _core
from dyncore.api import exprs
from dyncore.api.capacity import READ, WRITE, consumed, consumed_list, wanted
from dyncore.api.items import (THROTTLED, check_condition, encode_put, index_groups,
                               projected, size_range, updated_item)
from dyncore.errors import (ConditionalCheckFailedException,
                            IdempotentParameterMismatchException,
                            ItemCollectionSizeLimitExceededException,
                            ProvisionedThroughputExceededException,
                            TransactionCanceledException, TransactionInProgressException,
                            ValidationException)
from dyncore.expr import check_update_keys
from dyncore.table.capacity import TRANSACTION_FACTOR, read_units, write_units
from dyncore.table.index import collection_sizes, plan_changes
from dyncore.table.txn import Write, hold

__all__ = ["transact_write_items", "transact_get_items", "TRANSACTION_BYTES"]

TRANSACTION_BYTES = 4 << 20
_item_size = _core.item_size
_EMPTY_KEY = "One or more parameter values were invalid: The AttributeValue for a key"
_EMPTY_KEY_TX = "One or more parameter values are not valid. The AttributeValue for a key"
_KINDS = (("ConditionCheck", "ConditionCheck"), ("Put", "PutItem"), ("Delete", "DeleteItem"),
          ("Update", "UpdateItem"))


class _Action:
    __slots__ = ("kind", "request", "plan", "table", "h", "key", "value", "size", "old",
                 "new", "index_units", "collection")

    def __init__(self, kind, request, plan, table, h, key, value=None, size=0):
        self.kind = kind
        self.request = request
        self.plan = plan
        self.table = table
        self.h = h
        self.key = key
        self.value = value
        self.size = size
        self.old = self.new = None       # the stored and the new value, once run
        self.index_units = {}            # {index name: write units} of its entries
        self.collection = None           # its item collection's bytes after it


def _json_default(o):
    if isinstance(o, (set, frozenset)):
        return sorted(repr(x) for x in o)
    return repr(o)


def _digest(p: dict) -> bytes:
    body = {k: v for k, v in p.items() if k != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=_json_default)
                          .encode()).digest()


def _check_unique(actions) -> None:
    seen = set()
    for a in actions:
        ident = (id(a.table), a.key)
        if ident in seen:
            raise ValidationException(
                "Transaction request cannot include multiple operations on one item")
        seen.add(ident)


def _null_members(items) -> None:
    """A null entry in TransactItems (possible in the JSON form)."""
    for i, entry in enumerate(items, 1):
        if not isinstance(entry, dict):
            raise ValidationException(
                f"1 validation error detected: Value null at 'transactItems.{i}.member' "
                "failed to satisfy constraint: Member must not be null")


# members an action needs that the shape check leaves to the service
_NEEDED = {"ConditionCheck": ("TableName", "ConditionExpression"), "Put": ("TableName",),
           "Delete": ("TableName",), "Update": ("TableName", "UpdateExpression"),
           "Get": ("TableName",)}


def _check_needed(i: int, kind: str, r: dict) -> None:
    for member in _NEEDED[kind]:
        if r.get(member) is None:
            path = f"transactItems.{i}.member.{kind[0].lower()}{kind[1:]}." \
                   f"{member[0].lower()}{member[1:]}"
            raise ValidationException(   # [inferred: the framework's null message]
                f"1 validation error detected: Value null at '{path}' failed to satisfy "
                "constraint: Member must not be null")


def _prepare_write(db, i: int, entry: dict, form: int) -> _Action:
    present = [(k, op) for k, op in _KINDS if entry.get(k) is not None]
    if len(present) != 1:
        raise ValidationException(
            "TransactItems can only contain one of Check, Put, Update or Delete")
    kind, op = present[0]
    r = entry[kind]
    _check_needed(i, kind, r)
    plan = exprs.plan(op, r, form)
    t = db.table(r["TableName"])
    if kind == "Put":
        h, key, value, size = encode_put(t.schema, r["Item"], form)
        return _Action(kind, r, plan, t, h, key, value, size)
    try:
        h, key = t.schema.encode_key(r["Key"], form)
    except ValidationException as e:
        # an empty key value in a transaction: the wording of an item's
        # ("are not valid."), not of a key's ("were invalid:")
        if e.message.startswith(_EMPTY_KEY):
            raise ValidationException(_EMPTY_KEY_TX + e.message[len(_EMPTY_KEY):]) from None
        raise
    if kind == "Update" and plan.update is not None:
        check_update_keys(plan.update, t.key_names)
    return _Action(kind, r, plan, t, h, key)


def _reason(e) -> dict:
    if isinstance(e, ConditionalCheckFailedException):
        out = {"Code": "ConditionalCheckFailed", "Message": e.message}
        if "Item" in e.extra:
            out["Item"] = e.extra["Item"]
        return out
    if isinstance(e, ProvisionedThroughputExceededException):
        return {"Code": "ProvisionedThroughputExceeded", "Message": e.message}
    if isinstance(e, THROTTLED):
        return {"Code": "ThrottlingError", "Message": e.message}
    if isinstance(e, ItemCollectionSizeLimitExceededException):
        return {"Code": "ItemCollectionSizeLimitExceeded", "Message": e.message}
    return {"Code": "ValidationError", "Message": e.message}


def _cancel(reasons: list) -> TransactionCanceledException:
    codes = ", ".join(r["Code"] for r in reasons)
    return TransactionCanceledException(
        "Transaction cancelled, please refer cancellation reasons for specific "
        f"reasons [{codes}]", CancellationReasons=reasons)


def _admit(actions, check) -> None:
    """Admit every action for throughput (check(a) raises if refused), or
    cancel the transaction with a throttling reason where refused."""
    reasons = []
    refused = False
    for a in actions:
        try:
            check(a)
        except THROTTLED as e:
            reasons.append(_reason(e))
            refused = True
            continue
        reasons.append({"Code": "None"})
    if refused:
        raise _cancel(reasons)


def _run(a: _Action, old: bytes | None, form: int) -> bytes | None:
    """The action's new value (None: delete; the old value for a check),
    or raises its failure."""
    p, plan = a.request, a.plan
    if a.kind == "Update":
        _, _, value = updated_item(a.table, p, form, plan, old)
        a.size = _item_size(value)
        return value
    check_condition(plan, p, old, form)
    if a.kind == "Put":
        return a.value
    if a.kind == "Delete":
        return None
    return old


def transact_write_items(db, p: dict, form: int) -> dict:
    _null_members(p["TransactItems"])
    actions = [_prepare_write(db, i, entry, form)
               for i, entry in enumerate(p["TransactItems"], 1)]
    _check_unique(actions)
    if sum(a.size for a in actions) > TRANSACTION_BYTES:
        raise ValidationException(
            "Transaction request size has exceeded the maximum allowed size of 4 MB")  # [verify]
    token = p.get("ClientRequestToken")
    digest = _digest(p) if token is not None else b"\x00" * 32
    status = db.txlog.begin(token, digest)
    if status == "running":
        raise TransactionInProgressException(
            "The transaction with the given request token is already in progress.")  # [verify]
    if status == "mismatch":
        raise IdempotentParameterMismatchException(
            "The request uses the same client token as a previous, but non-identical "
            "request.")  # [verify]
    try:
        if status == "new":
            _commit(db, actions, form, token, digest)
    finally:
        if status == "new":
            db.txlog.end(token)
    out = {}
    if status == "done":
        # a repeat of a committed request: nothing is written; it answers
        # with the read units of the items the first call sized, doubled
        # [inferred from captures of DynamoDB's answers to a replay]
        if wanted(p):
            units = json.loads(db.txlog.note(token) or "{}")
            out["ConsumedCapacity"] = consumed_list(p, units, READ, split=True)
        return out
    if wanted(p):
        out["ConsumedCapacity"] = _consumed(p, actions)
    if p.get("ReturnItemCollectionMetrics") == "SIZE":
        metrics = _collection_metrics(actions)
        if metrics:
            out["ItemCollectionMetrics"] = metrics
    return out


def _units(a: _Action) -> float:
    """A write action's units: twice a write of the larger of its item's
    old and new sizes (a ConditionCheck, of the item checked)."""
    return TRANSACTION_FACTOR * write_units(a.size)


def _consumed(p: dict, actions) -> list:
    """ConsumedCapacity per table: the table's units doubled, its index
    entries' units as the same writes outside a transaction (DynamoDB
    doubles only the table's share)."""
    units: dict[str, float] = {}
    indexes: dict[str, dict] = {}
    for a in actions:
        name = a.table.name
        units[name] = units.get(name, 0.0) + _units(a)
        if a.index_units:
            groups = indexes.setdefault(name, {})
            for group, by_name in index_groups(a.table, a.index_units).items():
                into = groups.setdefault(group, {})
                for index, u in by_name.items():
                    into[index] = into.get(index, 0.0) + u
    return [consumed(p, name, u, WRITE, indexes.get(name), split=True)
            for name, u in units.items()]


def _collection_metrics(actions) -> dict:
    """ItemCollectionMetrics: per table with local secondary indexes, one
    entry per Put, Update or Delete action on it."""
    out: dict[str, list] = {}
    for a in actions:
        if a.kind == "ConditionCheck" or a.collection is None:
            continue
        t = a.table
        key = a.request.get("Item") if a.kind == "Put" else a.request.get("Key")
        out.setdefault(t.name, []).append({"ItemCollectionKey": {t.pk: key[t.pk]},
                                           "SizeEstimateRangeGB": size_range(a.collection)})
    return out


def _replay_note(actions) -> bytes:
    """What a repeat of this request answers with: per table, the read
    units (doubled) of the items this call sized."""
    units: dict[str, float] = {}
    for a in actions:
        units[a.table.name] = units.get(a.table.name, 0.0) + \
            TRANSACTION_FACTOR * read_units(a.size, True)
    return json.dumps(units).encode()


def _index_effects(actions) -> None:
    """For each action that writes to a table with secondary indexes: its
    index entries' units (a.index_units), admission by each global index
    with a meter of its own, and the item collection sizes of tables with
    local indexes (a.collection). A refusal cancels the transaction, with
    the reason at the action refused. The caller holds the stripes."""
    reasons = [{"Code": "None"} for _ in actions]
    refused = False
    by_store: dict[int, tuple] = {}
    for i, a in enumerate(actions):
        store = a.table.store
        if a.kind == "ConditionCheck" or not store.indexes:
            continue
        _, _, a.index_units, charges = plan_changes(store.indexes, [(a.h, a.key, a.new)],
                                                    [a.old])
        try:
            for idx, rows in charges.items():
                for h, _ in rows:
                    idx.capacity.check_write(h)
        except THROTTLED as e:
            reasons[i] = _reason(e)
            refused = True
        if store.collection_limit is not None:
            by_store.setdefault(id(store), (store, []))[1].append(i)
    for store, which in by_store.values():
        ops = [(actions[i].h, actions[i].key, actions[i].new) for i in which]
        try:
            sizes, _ = collection_sizes(store, ops, [actions[i].old for i in which],
                                        store.collection_limit)
        except ItemCollectionSizeLimitExceededException as e:
            reasons[which[e.op_index]] = _reason(e)
            refused = True
            continue
        for i, size in zip(which, sizes):
            actions[i].collection = size
    if refused:
        raise _cancel(reasons)


def _commit(db, actions, form: int, token, digest) -> None:
    marker = object()
    db.txlog.active.add(marker)
    try:
        _commit_locked(db, actions, form, token, digest)
    finally:
        db.txlog.active.discard(marker)


def _commit_locked(db, actions, form: int, token, digest) -> None:
    with hold([(a.table.store, a.h) for a in actions]):
        _admit(actions, lambda a: a.table.capacity.check_write(a.h))
        reasons = []
        failed = False
        writes = []
        for a in actions:
            old = a.table.store.get(a.h, a.key)
            try:
                new = _run(a, old, form)
            except (ConditionalCheckFailedException, ValidationException) as e:
                reasons.append(_reason(e))
                failed = True
                continue
            finally:
                if old is not None:
                    a.size = max(a.size, _item_size(old))
            reasons.append({"Code": "None"})
            a.old, a.new = old, new
            if a.kind != "ConditionCheck":
                t = a.table
                writes.append(Write(t.name, t.record["id"], t.store, a.h, a.key, new))
        if failed and not any(r["Code"] == "ValidationError" for r in reasons):
            # a transaction cancelled by its conditions still consumed its
            # units [inferred: as a failed conditional write does]
            for a in actions:
                a.table.capacity.add_write(a.h, _units(a))
        if failed:
            raise _cancel(reasons)
        _index_effects(actions)
        for a in actions:
            a.table.capacity.add_write(a.h, _units(a))
        db.txlog.commit(writes, token, digest,
                        _replay_note(actions) if token is not None else b"")


def transact_get_items(db, p: dict, form: int) -> dict:
    _null_members(p["TransactItems"])
    actions = []
    for i, entry in enumerate(p["TransactItems"], 1):
        r = entry["Get"]
        _check_needed(i, "Get", r)
        plan = exprs.plan("TransactGetItems", r, form)
        t = db.table(r["TableName"])
        h, key = t.schema.encode_key(r["Key"], form)
        actions.append(_Action("Get", r, plan, t, h, key))
    _check_unique(actions)
    with hold([(a.table.store, a.h) for a in actions]):
        _admit(actions, lambda a: a.table.capacity.check_read(a.h))
        values = [a.table.store.get(a.h, a.key) for a in actions]
    responses = []
    units: dict[str, float] = {}
    for a, v in zip(actions, values):
        responses.append({} if v is None else {"Item": projected(v, a.plan.projection, form)})
        u = TRANSACTION_FACTOR * read_units(_item_size(v) if v is not None else 0, True)
        a.table.capacity.add_read(a.h, u)
        units[a.table.name] = units.get(a.table.name, 0.0) + u
    out = {"Responses": responses}
    if wanted(p):
        out["ConsumedCapacity"] = consumed_list(p, units, READ, split=True)
    return out
