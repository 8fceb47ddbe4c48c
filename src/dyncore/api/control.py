"""The table operations — CreateTable, DescribeTable, ListTables,
UpdateTable, DeleteTable, TagResource, UntagResource, ListTagsOfResource —
on requests whose shape is already checked.

Timestamps are epoch seconds in the JSON form and timezone-aware datetimes in
the client and native forms (what botocore returns).
"""
from __future__ import annotations

import datetime as _dt

from dyncore import _core
from dyncore.errors import (AccessDeniedException, LimitExceededException,
                            ResourceNotFoundException, ValidationException)
from dyncore.table import schema as _schema
from dyncore.table.capacity import (DECREASE_INTERVAL, DECREASES_ANY_TIME,
                                    PPR_SWITCH_WINDOW, PPR_SWITCHES)

__all__ = ["create_table", "describe_table", "list_tables", "update_table", "delete_table",
           "tag_resource", "untag_resource", "list_tags_of_resource"]

_TIME_FIELDS = ("CreationDateTime", "LastUpdateToPayPerRequestDateTime",
                "LastIncreaseDateTime", "LastDecreaseDateTime")


def _times(desc: dict, form: int) -> dict:
    """Convert the timestamps of a description to the form's type, in place."""
    if form == _core.FORM_JSON:
        return desc
    stack = [desc]
    while stack:
        d = stack.pop()
        for k, v in d.items():
            if isinstance(v, dict):
                stack.append(v)
            elif k in _TIME_FIELDS and isinstance(v, (int, float)):
                d[k] = _dt.datetime.fromtimestamp(v, _dt.timezone.utc)
    return desc


def create_table(db, p: dict, form: int) -> dict:
    return {"TableDescription": _times(db.create_table(p), form)}


def describe_table(db, p: dict, form: int) -> dict:
    name = p["TableName"]
    try:
        desc = db.describe_table(name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")
    return {"Table": _times(desc, form)}


def list_tables(db, p: dict, form: int) -> dict:
    names = db.list_tables()
    start = p.get("ExclusiveStartTableName")
    if start is not None:
        key = start.encode("utf-8")
        names = [n for n in names if n.encode("utf-8") > key]
    limit = p.get("Limit") or 100
    out = {"TableNames": names[:limit]}
    if len(names) > limit:
        out["LastEvaluatedTableName"] = names[limit - 1]
    return out


def _utc(t: float) -> str:
    """A time as DynamoDB writes it in limit messages [verify]."""
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return (f"{d:%A}, {d:%B} {d.day}, {d.year} {(d.hour % 12) or 12}:{d:%M:%S} "
            f"{'AM' if d.hour < 12 else 'PM'} UTC")


def _check_decrease(rec: dict, now: float) -> None:
    """DynamoDB's quota on provisioned throughput decreases: 4 at any time
    in a UTC day, then one more after each hour without a decrease."""
    n = _schema.decreases_today(rec, now)
    last = rec.get("last_decrease")
    if n >= DECREASES_ANY_TIME and last is not None and now - last < DECREASE_INTERVAL:
        raise LimitExceededException(   # [verify]
            "Subscriber limit exceeded: Provisioned throughput decreases are limited within "
            f"a given UTC day. After the first {DECREASES_ANY_TIME} decreases, each "
            "subsequent decrease in the same UTC day can be performed at most once every "
            f"{int(DECREASE_INTERVAL)} seconds. Number of decreases today: {n}. Last "
            f"decrease at {_utc(last)}. Next decrease can be made at "
            f"{_utc(last + DECREASE_INTERVAL)}")


def update_table(db, p: dict, form: int) -> dict:
    name = p["TableName"]
    for member in ("StreamSpecification", "SSESpecification", "ReplicaUpdates"):
        if p.get(member):
            raise ValidationException(f"dyncore does not support {member} in UpdateTable yet")
    changes = [m for m in ("ProvisionedThroughput", "BillingMode", "TableClass",
                           "DeletionProtectionEnabled", "AttributeDefinitions",
                           "OnDemandThroughput", "WarmThroughput")
               if p.get(m) is not None]
    if p.get("GlobalSecondaryIndexUpdates") or p.get("BillingMode"):
        _check_switch_indexes(db, p)
    if p.get("GlobalSecondaryIndexUpdates"):
        _gsi_updates(db, p)
        if not [c for c in changes if c != "AttributeDefinitions"]:
            return {"TableDescription": _times(db.describe_table(name), form)}
        changes = [c for c in changes if c != "AttributeDefinitions"]
    if not changes:
        raise ValidationException(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
            "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
    t = db.table(name)
    rec = t.record
    mode = p.get("BillingMode") or rec["billing_mode"]
    pt = p.get("ProvisionedThroughput")
    if mode == "PAY_PER_REQUEST" and pt:
        raise ValidationException(
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
            "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
    if mode == "PROVISIONED" and rec["billing_mode"] == "PAY_PER_REQUEST" and not pt:
        raise ValidationException(
            "One or more parameter values were invalid: ProvisionedThroughput must be "
            "specified when BillingMode is PROVISIONED")
    if pt:
        for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
            if pt[member] > 1_000_000_000_000:
                raise ValidationException(
                    f"Given value {pt[member]} for {member} is out of bounds")
        if (mode == rec["billing_mode"] and pt["ReadCapacityUnits"] == rec["rcu"]
                and pt["WriteCapacityUnits"] == rec["wcu"] and len(changes) == 1):
            raise ValidationException(
                "The provisioned throughput for the table will not change. The requested "
                "value equals the current value. Current ReadCapacityUnits provisioned for "
                f"the table: {rec['rcu']}. Requested ReadCapacityUnits: "
                f"{pt['ReadCapacityUnits']}. Current WriteCapacityUnits provisioned for the "
                f"table: {rec['wcu']}. Requested WriteCapacityUnits: "
                f"{pt['WriteCapacityUnits']}. Refer to the Amazon DynamoDB Developer Guide "
                "for current limits and how to request higher limits.")
    for d in p.get("AttributeDefinitions") or ():
        have = rec["attributes"].get(d["AttributeName"])
        if have is not None and have != d["AttributeType"]:
            raise ValidationException(
                "One or more parameter values were invalid: Cannot change the type of key "
                f"attribute {d['AttributeName']}")  # [verify]
    odt = _schema.on_demand_throughput(p, mode)
    warm = _schema.warm_throughput(p, "table", (rec.get("warm_read") or _schema.WARM_READ,
                                                rec.get("warm_write") or _schema.WARM_WRITE)) \
        if p.get("WarmThroughput") else {}
    now = db.clock.now()
    switches = [x for x in rec.get("ppr_switches") or () if now - x < PPR_SWITCH_WINDOW]
    if mode == "PAY_PER_REQUEST" and rec["billing_mode"] == "PROVISIONED" and \
            len(switches) >= PPR_SWITCHES:
        raise LimitExceededException(   # [verify]
            "Subscriber limit exceeded: Update to PayPerRequest mode are limited to "
            f"{PPR_SWITCHES} times in 1 day(s).")
    up = down = False
    if pt and mode == "PROVISIONED" and rec["billing_mode"] == "PROVISIONED":
        new = (int(pt["ReadCapacityUnits"]), int(pt["WriteCapacityUnits"]))
        up = new[0] > rec["rcu"] or new[1] > rec["wcu"]
        down = new[0] < rec["rcu"] or new[1] < rec["wcu"]
        if down:
            _check_decrease(rec, now)

    def change(r):
        if mode != r["billing_mode"]:
            r["billing_mode"] = mode
            if mode == "PAY_PER_REQUEST":
                r["ppr_since"] = now
                r["rcu"] = r["wcu"] = 0
                r["ppr_switches"] = switches + [now]
                # on-demand indexes have no provisioned throughput either
                r["gsis"] = [dict(g, rcu=0, wcu=0) for g in r.get("gsis") or ()]
            else:   # on-demand maxima do not outlive on-demand mode
                r["max_read_request_units"] = r["max_write_request_units"] = None
                r["gsis"] = [dict(g, max_read_request_units=None, max_write_request_units=None)
                             for g in r.get("gsis") or ()]
        r.update(odt)
        r.update(warm)
        if down:
            r["decreases"] = [int(now // 86400), _schema.decreases_today(r, now) + 1]
            r["last_decrease"] = now
        if up:
            r["last_increase"] = now
        if pt:
            r["rcu"], r["wcu"] = int(pt["ReadCapacityUnits"]), int(pt["WriteCapacityUnits"])
        if p.get("TableClass"):
            r["table_class"] = p["TableClass"]
        if p.get("DeletionProtectionEnabled") is not None:
            r["deletion_protection"] = bool(p["DeletionProtectionEnabled"])

    db.update_record(name, change)
    return {"TableDescription": _times(db.describe_table(name), form)}


def _check_switch_indexes(db, p: dict) -> None:
    """A switch to PROVISIONED must give every global secondary index its
    ProvisionedThroughput (an Update in GlobalSecondaryIndexUpdates), and
    an index Update with throughput needs a PROVISIONED table after the
    request. Checked before anything changes."""
    rec = db.table(p["TableName"]).record
    mode = p.get("BillingMode") or rec["billing_mode"]
    updates = p.get("GlobalSecondaryIndexUpdates") or ()
    given = {u["Update"]["IndexName"] for u in updates
             if u.get("Update") and u["Update"].get("ProvisionedThroughput")}
    if mode == "PAY_PER_REQUEST":
        for iname in given:
            raise ValidationException(   # [verify]
                "One or more parameter values were invalid: ProvisionedThroughput "
                f"should not be specified for index: {iname} when BillingMode is "
                "PAY_PER_REQUEST")
    if mode == "PROVISIONED" and rec["billing_mode"] == "PAY_PER_REQUEST":
        for g in rec.get("gsis") or ():
            if g.get("status") != "DELETING" and g["name"] not in given:
                raise ValidationException(   # [verify]
                    "One or more parameter values were invalid: ProvisionedThroughput must "
                    f"be specified for index: {g['name']}")


def _gsi_updates(db, p: dict) -> None:
    """UpdateTable's GlobalSecondaryIndexUpdates: Create (backfilled in the
    background: Database.add_index), Delete (Database.drop_index), Update
    (the index's provisioned throughput)."""
    name = p["TableName"]
    t = db.table(name)
    rec = t.record
    updates = p["GlobalSecondaryIndexUpdates"]
    online = [u for u in updates if u.get("Create") or u.get("Delete")]
    if len(online) > 1:
        raise LimitExceededException(   # [verify]
            "Subscriber limit exceeded: Only 1 online index can be created or deleted "
            "simultaneously per table")
    gsis = rec.get("gsis") or []
    by_name = {g["name"]: g for g in gsis}
    for u in updates:
        target = u.get("Create") or u.get("Delete") or u.get("Update") or {}
        busy = [g["name"] for g in gsis if g.get("status") in ("CREATING", "DELETING")]
        if (u.get("Create") or u.get("Delete")) and busy:
            raise LimitExceededException(   # [verify]
                "Subscriber limit exceeded: Only 1 online index can be created or deleted "
                "simultaneously per table")
        iname = target.get("IndexName")
        if u.get("Create"):
            if iname in by_name or iname in {x["name"] for x in rec.get("lsis") or ()}:
                raise ValidationException(   # [verify]
                    f"One or more parameter values were invalid: Index already exists: {iname}")
            if len(gsis) >= _schema.MAX_GSIS:
                raise LimitExceededException(   # [verify]
                    "Subscriber limit exceeded: The number of global secondary indexes for "
                    f"table {name} exceeds the limit of {_schema.MAX_GSIS}")
            attributes = dict(rec["attributes"])
            for d in p.get("AttributeDefinitions") or ():
                attributes[d["AttributeName"]] = d["AttributeType"]
            table_keys = rec["key_schema"]
            [g] = _schema.check_gsis([u["Create"]], list(attributes), table_keys,
                                     rec["billing_mode"])
            projected = {a for x in gsis + list(rec.get("lsis") or ())
                         for a in x.get("non_key_given") or ()}
            if len(projected | set(g["non_key_given"])) > _schema.MAX_PROJECTED:
                raise ValidationException(   # [verify]
                    "One or more parameter values were invalid: The number of attributes in "
                    "key schema and projection of all indexes together exceeds the limit of "
                    f"{_schema.MAX_PROJECTED}")
            for k, _ in g["key_schema"]:
                if k not in attributes:
                    raise ValidationException(
                        "One or more parameter values were invalid: Some index key attributes "
                        "are not defined in AttributeDefinitions.")
            db.add_index(name, g, attributes)
        else:
            if iname not in by_name or by_name[iname].get("status") == "DELETING":
                raise ResourceNotFoundException(   # [verify]
                    f"Requested resource not found: Index: {iname} not found")
            if u.get("Delete"):
                db.drop_index(name, iname)
            else:
                pt = u["Update"].get("ProvisionedThroughput")
                if not pt:
                    odt = _schema.on_demand_throughput(u["Update"], rec["billing_mode"])

                    def change(r, iname=iname, odt=odt):
                        r["gsis"] = [dict(g, **odt) if g["name"] == iname else g
                                     for g in r["gsis"]]
                    db.update_record(name, change)
                    continue

                def change(r, iname=iname, pt=pt):
                    r["gsis"] = [dict(g, rcu=int(pt["ReadCapacityUnits"]),
                                      wcu=int(pt["WriteCapacityUnits"]))
                                 if g["name"] == iname else g for g in r["gsis"]]
                db.update_record(name, change)


def delete_table(db, p: dict, form: int) -> dict:
    name = p["TableName"]
    try:
        desc = db.delete_table(name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(
            f"Requested resource not found: Table: {name} not found") from None
    return {"TableDescription": _times(desc, form)}


# -- tags ----------------------------------------------------------------------


def _table_of_arn(db, arn: str):
    if not arn.startswith("arn:"):
        raise ValidationException(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    if not arn.startswith(_schema.ARN_PREFIX):
        raise AccessDeniedException(
            f"User: local is not authorized to perform this operation on resource: {arn}")
    name = arn[len(_schema.ARN_PREFIX):]
    try:
        return db.table(name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(
            f"Requested resource not found: ResourcArn: {arn} not found") from None


def tag_resource(db, p: dict, form: int) -> dict:
    t = _table_of_arn(db, p["ResourceArn"])
    new = {tag["Key"]: tag["Value"] for tag in p["Tags"]}

    def change(r):
        tags = {tag["Key"]: tag["Value"] for tag in r["tags"]}
        tags.update(new)
        _schema.check_tags([{"Key": k, "Value": v} for k, v in tags.items()])
        r["tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]

    db.update_record(t.name, change)
    return {}


def untag_resource(db, p: dict, form: int) -> dict:
    t = _table_of_arn(db, p["ResourceArn"])
    drop = set(p["TagKeys"])

    def change(r):
        r["tags"] = [tag for tag in r["tags"] if tag["Key"] not in drop]

    db.update_record(t.name, change)
    return {}


def list_tags_of_resource(db, p: dict, form: int) -> dict:
    t = _table_of_arn(db, p["ResourceArn"])
    tags = [dict(tag) for tag in t.record["tags"]]
    return {"Tags": tags} if tags else {"Tags": []}
