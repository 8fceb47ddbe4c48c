"""A table's definition: CreateTable's semantic checks, the catalog record
and DescribeTable's TableDescription.

The request's shape (types, required members, lengths, enums, name patterns)
is checked before this module by dyncore.api.validate; here are the checks
that need more than one member, with DynamoDB's messages.

A table record (what the catalog stores, JSON):
  name, id (uuid hex), created (epoch s), key_schema [[name, "HASH"|"RANGE"]],
  attributes {name: "S"|"N"|"B"}, billing_mode, rcu, wcu, table_class, tags
  [{Key, Value}], deletion_protection, partitions [[id, lo, hi]],
  next_partition, ppr_since (epoch s of the last switch to on-demand or None),
  ttl_attribute (the Time to Live attribute while TTL is enabled, else absent
  or None) and ttl_updated (epoch s of the last UpdateTimeToLive; ttl.py).
Capacity (absent in older records: read with .get): max_read_request_units,
  max_write_request_units (OnDemandThroughput; None: no maximum),
  last_increase, last_decrease (epoch s of the last provisioned throughput
  increase / decrease), decreases [UTC day number, decreases that day],
  ppr_switches [epoch s of each switch to PAY_PER_REQUEST in the last 24 h].
Global secondary indexes (absent in older records): gsis [{name, key_schema,
  projection, non_key, non_key_given, rcu, wcu, status (CREATING, DELETING;
  absent: ACTIVE)}] (check_gsis); local ones: lsis [the same, local true]
  (check_lsis).
"""
from __future__ import annotations

import time
import uuid

from dyncore.errors import ValidationException

__all__ = ["record_from_create", "describe", "check_gsis", "describe_gsis", "key_names",
           "ARN_PREFIX", "table_arn", "table_name_of_arn", "warm_throughput", "describe_warm", "on_demand_throughput", "decreases_today"]

ARN_PREFIX = "arn:aws:dynamodb:local:000000000000:table/"
_INVALID = "One or more parameter values were invalid: "


def table_arn(name: str) -> str:
    return ARN_PREFIX + name


def table_name_of_arn(arn: str) -> str:
    """The table name in a table ARN (arn:<partition>:dynamodb:<region>:
    <account>:table/<name>; any region and account: the local database is
    the only one), or "" if arn is not a table's."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
        return ""
    name = parts[5][len("table/"):]
    return "" if "/" in name else name


def key_names(record: dict) -> tuple[str, str | None]:
    ks = record["key_schema"]
    return ks[0][0], (ks[1][0] if len(ks) > 1 else None)


def _throughput(params: dict) -> tuple[str, int, int]:
    mode = params.get("BillingMode") or "PROVISIONED"
    pt = params.get("ProvisionedThroughput")
    if mode == "PAY_PER_REQUEST":
        if pt:
            raise ValidationException(
                _INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                "specified when BillingMode is PAY_PER_REQUEST")
        return mode, 0, 0
    if not pt or not pt.get("ReadCapacityUnits") or not pt.get("WriteCapacityUnits"):
        raise ValidationException(
            _INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified "
            "when BillingMode is PROVISIONED")
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if pt[member] > 1_000_000_000_000:
            raise ValidationException(f"Given value {pt[member]} for {member} is out of bounds")
    return mode, int(pt["ReadCapacityUnits"]), int(pt["WriteCapacityUnits"])


_ON_DEMAND = (("MaxReadRequestUnits", "max_read_request_units"),
              ("MaxWriteRequestUnits", "max_write_request_units"))


def on_demand_throughput(params: dict, mode: str) -> dict:
    """The record fields a CreateTable or UpdateTable request's
    OnDemandThroughput sets: {field: maximum, or None for -1 (no maximum)},
    only for the members it gives."""
    odt = params.get("OnDemandThroughput")
    if not odt:
        return {}
    if mode != "PAY_PER_REQUEST":
        raise ValidationException(   # [verify]
            _INVALID + "OnDemandThroughput can only be specified when BillingMode is "
            "PAY_PER_REQUEST")
    out = {}
    for member, field in _ON_DEMAND:
        v = odt.get(member)
        if v is None:
            continue
        if v != -1 and v < 1:
            raise ValidationException(   # [verify]
                _INVALID + f"{member} must be -1 or greater than 0, given {v}")
        out[field] = None if v == -1 else int(v)
    return out


# Every new table and global index starts warm for 12,000 reads and 4,000
# writes a second (on-demand's initial throughput); WarmThroughput may ask
# for more, never less.
WARM_READ, WARM_WRITE = 12000, 4000


def warm_throughput(params: dict, what: str, floor=(WARM_READ, WARM_WRITE)) -> dict:
    """The record fields (warm_read, warm_write) of a request's
    WarmThroughput for `what` ("table" or "index NAME"); absent members
    keep `floor`, lower ones are refused."""
    given = params.get("WarmThroughput") or {}
    out = {}
    for member, field, low in (("ReadUnitsPerSecond", "warm_read", floor[0]),
                               ("WriteUnitsPerSecond", "warm_write", floor[1])):
        v = given.get(member)
        if v is not None and v < low:
            raise ValidationException(
                _INVALID + f"Requested {member} for WarmThroughput for {what} is lower than "
                "initial throughput for OnDemand")   # [verify] moto's text
        out[field] = low if v is None else int(v)
    return out


def describe_warm(record: dict, rcu: int = 0, wcu: int = 0) -> dict:
    """WarmThroughput of DescribeTable for a table or index record: at
    least its provisioned throughput."""
    return {"ReadUnitsPerSecond": max(record.get("warm_read") or WARM_READ, rcu),
            "WriteUnitsPerSecond": max(record.get("warm_write") or WARM_WRITE, wcu),
            "Status": "ACTIVE"}


def decreases_today(record: dict, now: float) -> int:
    """Provisioned throughput decreases of the table on now's UTC day."""
    day, n = record.get("decreases") or (None, 0)
    return n if day == int(now // 86400) else 0


MAX_KEY_ATTRIBUTES = 4   # a side of a global secondary index's key


def check_key_schema(key_schema: list, defined: list[str],
                     multi: bool = False) -> list[list[str]]:
    """DynamoDB's key-schema checks, in its order; returns [[name, type]].
    multi: a global secondary index's, whose key may have up to four HASH
    attributes followed by up to four RANGE ones (multi-attribute keys)."""
    keys = [k["AttributeName"] for k in key_schema]
    types = ["RANGE" if k["KeyType"] == "SORT" else k["KeyType"] for k in key_schema]
    if len(keys) > len(defined):
        raise ValidationException("Invalid KeySchema: Some index key attribute have no definition")
    if any(k not in defined for k in keys):
        raise ValidationException(
            _INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(keys)}], AttributeDefinitions: [{', '.join(defined)}]")
    if len(keys) == 2 and keys[0] == keys[1]:
        raise ValidationException(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if types[0] != "HASH":
        raise ValidationException(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if not multi:
        if len(types) > 1 and types[1] != "RANGE":
            raise ValidationException(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        return [[k, t] for k, t in zip(keys, types)]
    # multi-attribute keys; the messages below are [verify]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValidationException(
            f"Invalid KeySchema: Duplicate attribute name in KeySchema: {dup}")
    n_hash = types.index("RANGE") if "RANGE" in types else len(types)
    if "HASH" in types[n_hash:]:
        raise ValidationException(
            "Invalid KeySchema: HASH key attributes must come before RANGE key attributes")
    for kind, n in (("HASH", n_hash), ("RANGE", len(types) - n_hash)):
        if n > MAX_KEY_ATTRIBUTES:
            raise ValidationException(
                f"Invalid KeySchema: The number of {kind} key attributes ({n}) exceeds the "
                f"limit of {MAX_KEY_ATTRIBUTES}")
    return [[k, t] for k, t in zip(keys, types)]


def record_from_create(params: dict, now: float) -> dict:
    """The catalog record for a valid CreateTable request (raises
    ValidationException otherwise). Secondary indexes, streams and SSE
    arrive with later issues and are refused here until then."""
    mode, rcu, wcu = _throughput(params)
    defs = params["AttributeDefinitions"]
    defined = [d["AttributeName"] for d in defs]
    if len(set(defined)) != len(defined):
        dup = next(n for n in defined if defined.count(n) > 1)
        raise ValidationException(
            _INVALID + f"Duplicate AttributeName in AttributeDefinitions: {dup}")  # [verify]
    key_schema = check_key_schema(params["KeySchema"], defined)
    for member in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        if params.get(member) == []:
            raise ValidationException(_INVALID + f"List of {member} is empty")
    lsis = check_lsis(params.get("LocalSecondaryIndexes") or [], defined, key_schema)
    gsis = check_gsis(params.get("GlobalSecondaryIndexes") or [], defined, key_schema, mode,
                      taken={x["name"] for x in lsis},
                      projected={a for x in lsis for a in x["non_key_given"]})
    used = [k for k, _ in key_schema]
    for g in lsis + gsis:
        used += [k for k, _ in g["key_schema"] if k not in used]
    if not gsis and not lsis and len(key_schema) != len(defs):
        raise ValidationException(
            _INVALID + "Number of attributes in KeySchema does not exactly match number of "
            "attributes defined in AttributeDefinitions")
    if (gsis or lsis) and len(used) != len(defs):
        raise ValidationException(
            _INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: "
            f"[{', '.join(defined)}], keys used: [{', '.join(used)}]")
    spec = params.get("StreamSpecification")
    if spec and spec.get("StreamEnabled"):
        raise ValidationException("StreamSpecification is not supported yet by dyncore")
    tags = params.get("Tags") or []
    check_tags(tags)
    odt = on_demand_throughput(params, mode)
    return {
        "name": params["TableName"],
        "id": str(uuid.uuid4()),
        "created": now,
        "key_schema": key_schema,
        "attributes": {d["AttributeName"]: d["AttributeType"] for d in defs},
        "attribute_order": defined,
        "billing_mode": mode,
        "rcu": rcu,
        "wcu": wcu,
        "table_class": params.get("TableClass"),
        "tags": [{"Key": t["Key"], "Value": t["Value"]} for t in tags],
        "deletion_protection": bool(params.get("DeletionProtectionEnabled", False)),
        "ppr_since": now if mode == "PAY_PER_REQUEST" else None,
        "max_read_request_units": odt.get("max_read_request_units"),
        "max_write_request_units": odt.get("max_write_request_units"),
        "partitions": [],
        "next_partition": 0,
        "gsis": gsis,
        "lsis": lsis,
        **warm_throughput(params, "table"),
    }


MAX_GSIS = 20
MAX_PROJECTED = 100


MAX_LSIS = 5


def check_lsis(lsis: list, defined: list[str], table_keys: list) -> list[dict]:
    """DynamoDB's checks of CreateTable's LocalSecondaryIndexes; returns
    their records (as check_gsis, without throughput)."""
    if not lsis:
        return []
    if len(table_keys) < 2:
        raise ValidationException(
            _INVALID + "Table KeySchema does not have a range key, which is required when "
            "specifying a LocalSecondaryIndex")
    if len(lsis) > MAX_LSIS:
        raise ValidationException(
            _INVALID + f"Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}")
    out = check_gsis(lsis, defined, table_keys, "PAY_PER_REQUEST", multi=False)
    for x in out:
        if len(x["key_schema"]) < 2:
            raise ValidationException(
                _INVALID + f"Index KeySchema does not have a range key for index: {x['name']}")
        if x["key_schema"][0][0] != table_keys[0][0]:
            raise ValidationException(
                _INVALID + "Index KeySchema does not have the same leading hash key as table "
                f"KeySchema for index: {x['name']}. index hash key: {x['key_schema'][0][0]}, "
                f"table hash key: {table_keys[0][0]}")
        x["local"] = True
    return out


def check_gsis(gsis: list, defined: list[str], table_keys: list, mode: str,
               taken=(), projected=(), multi: bool = True) -> list[dict]:
    """DynamoDB's checks of CreateTable's GlobalSecondaryIndexes (the shape
    is already checked); returns the indexes' catalog records:
    {name, key_schema [[name, HASH|RANGE]], projection ALL|KEYS_ONLY|INCLUDE,
    non_key [names], rcu, wcu, created}."""
    if len(gsis) > MAX_GSIS:
        raise ValidationException(   # [verify]
            _INVALID + f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
    out = []
    names = set(taken)
    projected = set(projected)
    for g in gsis:
        name = g["IndexName"]
        if name in names:
            raise ValidationException(_INVALID + f"Duplicate index name: {name}")
        names.add(name)
        ks = check_key_schema(g["KeySchema"], defined, multi)
        proj = g["Projection"]
        ptype = proj.get("ProjectionType")
        if ptype is None:
            raise ValidationException(_INVALID + "Unknown ProjectionType: null")
        nka = proj.get("NonKeyAttributes")
        if ptype == "INCLUDE":
            if not nka:
                raise ValidationException(
                    _INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not "
                    "specified")
        elif nka is not None:
            raise ValidationException(
                _INVALID + f"ProjectionType is {ptype}, but NonKeyAttributes is specified")
        projected.update(nka or ())
        if len(projected) > MAX_PROJECTED:
            raise ValidationException(   # [verify]
                _INVALID + "The number of attributes in key schema and projection of all "
                f"indexes together exceeds the limit of {MAX_PROJECTED}")
        pt = g.get("ProvisionedThroughput")
        if mode == "PAY_PER_REQUEST":
            if pt:
                raise ValidationException(   # [verify]
                    _INVALID + "ProvisionedThroughput should not be specified for index: "
                    f"{name} when BillingMode is PAY_PER_REQUEST")
            rcu = wcu = 0
        else:
            if not pt:
                raise ValidationException(
                    _INVALID + f"ProvisionedThroughput must be specified for index: {name}")
            rcu, wcu = int(pt["ReadCapacityUnits"]), int(pt["WriteCapacityUnits"])
        keys = {k for k, _ in ks} | {k for k, _ in table_keys}
        rec = {"name": name, "key_schema": ks, "projection": ptype,
               "non_key": [a for a in (nka or ()) if a not in keys],
               "non_key_given": list(nka or ()), "rcu": rcu, "wcu": wcu}
        if multi:   # a global index's OnDemandThroughput maxima and warm throughput
            rec.update(on_demand_throughput(g, mode))
            rec.update(warm_throughput(g, f"index {name}"))
        out.append(rec)
    return out


def describe_gsis(record: dict, counts: dict, member: str = "gsis") -> list[dict]:
    """GlobalSecondaryIndexes of DescribeTable (member "lsis": the
    LocalSecondaryIndexes' fields); counts: {index name: (items, bytes)}."""
    out = []
    for g in record.get(member) or ():
        items, size = counts.get(g["name"], (0, 0))
        proj = {"ProjectionType": g["projection"]}
        if g["projection"] == "INCLUDE":
            proj["NonKeyAttributes"] = list(g["non_key_given"])
        d = {
            "IndexName": g["name"],
            "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in g["key_schema"]],
            "Projection": proj,
            "IndexStatus": g.get("status", "ACTIVE"),
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0,
                                      "ReadCapacityUnits": g["rcu"],
                                      "WriteCapacityUnits": g["wcu"]},
            "IndexSizeBytes": size,
            "ItemCount": items,
            "IndexArn": table_arn(record["name"]) + "/index/" + g["name"],
        }
        if g.get("status") == "CREATING":
            d["Backfilling"] = True
        if member == "gsis":
            d["WarmThroughput"] = describe_warm(g, g["rcu"], g["wcu"])
        max_read, max_write = g.get("max_read_request_units"), g.get("max_write_request_units")
        if record["billing_mode"] == "PAY_PER_REQUEST" and (max_read or max_write):
            d["OnDemandThroughput"] = {"MaxReadRequestUnits": max_read or -1,
                                       "MaxWriteRequestUnits": max_write or -1}
        out.append(d)
    return out


def check_tags(tags: list) -> None:
    """Tag rules: key 1..128 chars, value 0..256, at most 50 per resource."""
    if len(tags) > 50:
        raise ValidationException("The number of tags exceeds the limit of 50")  # [verify]
    keys = [t["Key"] for t in tags]
    if len(set(keys)) != len(keys):
        raise ValidationException("Duplicate tag keys found")  # [verify]


def describe(record: dict, item_count: int, size_bytes: int, status: str = "ACTIVE",
             now: float | None = None, index_counts: dict | None = None) -> dict:
    """TableDescription in the client form, with timestamps as epoch floats
    (the caller converts them to its form); now: the time, for
    NumberOfDecreasesToday (None: the system clock's)."""
    name = record["name"]
    pt = {}
    if record.get("last_increase") is not None:
        pt["LastIncreaseDateTime"] = record["last_increase"]
    if record.get("last_decrease") is not None:
        pt["LastDecreaseDateTime"] = record["last_decrease"]
    pt["NumberOfDecreasesToday"] = decreases_today(
        record, time.time() if now is None else now)
    pt["ReadCapacityUnits"] = record["rcu"]
    pt["WriteCapacityUnits"] = record["wcu"]
    order = record.get("attribute_order") or list(record["attributes"])
    desc = {
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": record["attributes"][n]}
                                 for n in order],
        "TableName": name,
        "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in record["key_schema"]],
        "TableStatus": status,
        "CreationDateTime": record["created"],
        "ProvisionedThroughput": pt,
        "TableSizeBytes": size_bytes,
        "ItemCount": item_count,
        "TableArn": table_arn(name),
        "TableId": record["id"],
        "DeletionProtectionEnabled": record["deletion_protection"],
    }
    if record["billing_mode"] == "PAY_PER_REQUEST":
        desc["BillingModeSummary"] = {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": record["ppr_since"],
        }
    if record.get("table_class"):
        desc["TableClassSummary"] = {"TableClass": record["table_class"]}
    desc["WarmThroughput"] = describe_warm(record, record["rcu"], record["wcu"])
    if record.get("lsis"):
        desc["LocalSecondaryIndexes"] = [
            {k: v for k, v in d.items() if k in ("IndexName", "KeySchema", "Projection",
                                                  "IndexSizeBytes", "ItemCount", "IndexArn")}
            for d in describe_gsis(record, index_counts or {}, "lsis")]
    if record.get("gsis"):
        desc["GlobalSecondaryIndexes"] = describe_gsis(record, index_counts or {})
    max_read, max_write = (record.get("max_read_request_units"),
                           record.get("max_write_request_units"))
    if record["billing_mode"] == "PAY_PER_REQUEST" and (max_read or max_write):
        desc["OnDemandThroughput"] = {"MaxReadRequestUnits": max_read or -1,
                                      "MaxWriteRequestUnits": max_write or -1}
    return desc
