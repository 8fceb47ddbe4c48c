"""ReturnConsumedCapacity's answers, and DescribeLimits.

The units themselves are dyncore.table.capacity's arithmetic; throttling is
its Capacity meter. Here is only the shape DynamoDB answers with:

    TOTAL    {"TableName", "CapacityUnits"}
    INDEXES  the same, plus "Table": {"CapacityUnits"} and, for the indexes
             an operation touched, "GlobalSecondaryIndexes" /
             "LocalSecondaryIndexes": {index name: {"CapacityUnits"}}

Transactions (TransactWriteItems, TransactGetItems) also give
"ReadCapacityUnits" or "WriteCapacityUnits" beside every CapacityUnits;
other operations do not (DynamoDB's answers, as SDK issues and published
conformance captures show them). CapacityUnits at the top is the total over
the table and its indexes. Batch and transaction operations answer with a
list, one entry per table. `indexes` maps "GlobalSecondaryIndexes" /
"LocalSecondaryIndexes" to {name: units}.
"""
from __future__ import annotations

from dyncore.table.capacity import LIMITS

__all__ = ["wanted", "consumed", "consumed_list", "describe_limits", "READ", "WRITE"]

READ = "ReadCapacityUnits"
WRITE = "WriteCapacityUnits"


def wanted(p: dict) -> bool:
    """The request asks for ConsumedCapacity (TOTAL or INDEXES)."""
    mode = p.get("ReturnConsumedCapacity")
    return mode is not None and mode != "NONE"


def _units(u: float, kind: str | None) -> dict:
    u = float(u)
    return {"CapacityUnits": u} if kind is None else {"CapacityUnits": u, kind: u}


def consumed(p: dict, table: str, units: float, kind: str,
             indexes: dict | None = None, split: bool = False) -> dict | None:
    """The ConsumedCapacity of one table for request p (None for NONE):
    `units` the table's own, `kind` READ or WRITE; split: also give the
    kind's own member (transactions)."""
    mode = p.get("ReturnConsumedCapacity") or "NONE"
    if mode == "NONE":
        return None
    total = float(units)
    if indexes:
        total += sum(u for group in indexes.values() for u in group.values())
    k = kind if split else None
    out = {"TableName": table}
    out.update(_units(total, k))
    if mode == "INDEXES":
        out["Table"] = _units(units, k)
        for group, by_name in (indexes or {}).items():
            if by_name:
                out[group] = {name: _units(u, k) for name, u in by_name.items()}
    return out


def consumed_list(p: dict, units: dict, kind: str, split: bool = False) -> list:
    """The ConsumedCapacity list of a batch or transaction: units maps a
    table name to its units (in the order the tables came)."""
    return [consumed(p, name, u, kind, split=split) for name, u in units.items()]


def describe_limits(db, p: dict, form: int) -> dict:
    """DescribeLimits: DynamoDB's default account and table quotas."""
    return dict(LIMITS)
