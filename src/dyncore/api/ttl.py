"""UpdateTimeToLive and DescribeTimeToLive, on requests whose shape is
already checked (shapes.UPDATE_TIME_TO_LIVE, DESCRIBE_TIME_TO_LIVE).

The rules live in dyncore.table.ttl; the setting is part of the table's
catalog record, so it is durable when UpdateTimeToLive returns. DescribeTable
does not show it (nor does DynamoDB's).

What DynamoDB answers, as recorded (ack-api-quirks' live probes of 2026,
dynalite's tests):
- UpdateTimeToLive echoes the specification: {"TimeToLiveSpecification":
  {"Enabled": ..., "AttributeName": ...}} (for a disable too [verify]);
- DescribeTimeToLive: {"TimeToLiveStatus": "ENABLED", "AttributeName": a}, or
  only {"TimeToLiveStatus": "DISABLED"} for a table that never had TTL or had
  it disabled;
- a missing table: ResourceNotFoundException "Requested resource not found:
  Table: <name> not found", for both operations.
"""
from __future__ import annotations

from dyncore.errors import ResourceNotFoundException
from dyncore.table import ttl as _ttl

__all__ = ["update_time_to_live", "describe_time_to_live"]


def _table(db, name: str):
    try:
        return db.table(name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(
            f"Requested resource not found: Table: {name} not found") from None


def update_time_to_live(db, p: dict, form: int) -> dict:
    name = p["TableName"]
    spec = p["TimeToLiveSpecification"]
    enabled = bool(spec["Enabled"])
    attribute = spec["AttributeName"]
    _table(db, name)
    now = db.clock.now()
    cooldown = db.ttl_update_cooldown

    def change(record):
        _ttl.update_spec(record, enabled, attribute, now, cooldown)

    try:
        db.update_record(name, change)
    except ResourceNotFoundException:   # deleted meanwhile
        raise ResourceNotFoundException(
            f"Requested resource not found: Table: {name} not found") from None
    db.ttl.invalidate()
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


def describe_time_to_live(db, p: dict, form: int) -> dict:
    return {"TimeToLiveDescription": _ttl.describe(_table(db, p["TableName"]).record)}
