"""The resource API: boto3's `dynamodb.Table(name)` on native Python values.

    table = db.Table("users")
    table.put_item(Item={"id": "u1", "age": 30, "tags": {"a", "b"}})
    table.get_item(Key={"id": "u1"})["Item"]   # {"id": "u1", "age": Decimal("30"), ...}

Values are what boto3's resource layer takes and returns: str, int and
Decimal (numbers come back as Decimal), bytes and Binary (come back as
Binary), bool, None, dict, list, set. Conditions may be strings or boto3's
condition objects (boto3.dynamodb.conditions.Key / Attr), which are turned
into expressions the way boto3 does when boto3 is installed. Throttled
requests are retried as the low-level client retries them
(dyncore.client.Retries).
"""
from __future__ import annotations

import re

from dyncore import _core
from dyncore.api.service import _FALLBACK, Service
from dyncore.client import THROTTLING, Retries, _metadata

__all__ = ["Table", "ServiceResource", "BatchWriter"]

_FORM = _core.FORM_NATIVE
_decode = _core.decode_item

_EXPRESSIONS = (("KeyConditionExpression", True), ("FilterExpression", False),
                ("ConditionExpression", False))


def _build_conditions(params: dict) -> dict:
    """Turn boto3 condition objects in params into expression strings. One
    builder serves the whole request, as in boto3, so the placeholders of
    a key condition and a filter do not collide."""
    builder = None
    for member, is_key in _EXPRESSIONS:
        cond = params.get(member)
        if cond is None or isinstance(cond, str):
            continue
        if builder is None:
            from boto3.dynamodb.conditions import ConditionExpressionBuilder
            builder = ConditionExpressionBuilder()
        built = builder.build_expression(cond, is_key_condition=is_key)
        params = dict(params)
        params[member] = built.condition_expression
        if built.attribute_name_placeholders:
            params["ExpressionAttributeNames"] = {
                **(params.get("ExpressionAttributeNames") or {}),
                **built.attribute_name_placeholders}
        if built.attribute_value_placeholders:
            params["ExpressionAttributeValues"] = {
                **(params.get("ExpressionAttributeValues") or {}),
                **built.attribute_value_placeholders}
    return params


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


class Table:
    """boto3-shaped resource Table. Thread-safe (except batch_writer objects)."""

    def __init__(self, db, name: str):
        self._db = db
        self._service = Service(db)
        self._retries = Retries(db.clock)
        self._tables = db._tables
        self.name = name
        self._data = None
        self.meta = type("Meta", (), {})()
        self.meta.client = db.client()

    def __repr__(self):
        return f"dynamodb.Table(name={self.name!r})"

    def __eq__(self, other):
        return isinstance(other, Table) and other.name == self.name and other._db is self._db

    def __hash__(self):
        return hash(("dyncore.Table", self.name))

    # -- items -----------------------------------------------------------------

    def _call(self, op: str, params: dict) -> dict:
        params["TableName"] = self.name
        try:
            out = self._service.call(op, params, _FORM)
        except THROTTLING as e:
            return self._again(e, op, params)
        out["ResponseMetadata"] = _metadata()
        return out

    def _again(self, error, op: str, params: dict) -> dict:
        """Retry a throttled request (Retries)."""
        out, retries = self._retries.again(error, self._service.call, op, params, _FORM)
        out["ResponseMetadata"] = _metadata(retries)
        return out

    def _write(self, op: str, params: dict) -> dict:
        params = _build_conditions(params)
        params["TableName"] = self.name
        try:
            out = self._service.write(op, params, _FORM)
        except THROTTLING as e:
            return self._again(e, op, params)
        out["ResponseMetadata"] = _metadata()
        return out

    def put_item(self, **params):
        if len(params) == 1:
            params["TableName"] = self.name
            try:
                out = self._service.put_item(params, _FORM)
            except THROTTLING as e:
                return self._again(e, "PutItem", params)
            out["ResponseMetadata"] = _metadata()
            return out
        return self._write("PutItem", params)

    def get_item(self, **params):
        if len(params) == 1 and type(self.name) is str:
            key = params.get("Key")
            t = self._tables.get(self.name)
            if t is not None and type(key) is dict and not t.deleted:
                try:
                    v = self._service.get_simple(t, key, _FORM)
                except THROTTLING as e:
                    params["TableName"] = self.name
                    return self._again(e, "GetItem", params)
                if v is not _FALLBACK:
                    if v is None:
                        return {"ResponseMetadata": _metadata()}
                    return {"Item": _decode(v, _FORM), "ResponseMetadata": _metadata()}
        params["TableName"] = self.name
        try:
            out = self._service.get_item(params, _FORM)
        except THROTTLING as e:
            return self._again(e, "GetItem", params)
        out["ResponseMetadata"] = _metadata()
        return out

    def delete_item(self, **params):
        return self._write("DeleteItem", params)

    def update_item(self, **params):
        return self._write("UpdateItem", params)

    def query(self, **params):
        return self._call("Query", _build_conditions(params))

    def scan(self, **params):
        return self._call("Scan", _build_conditions(params))

    def batch_writer(self, overwrite_by_pkeys=None) -> "BatchWriter":
        return BatchWriter(self, overwrite_by_pkeys)

    # -- the table itself ------------------------------------------------------------

    def load(self) -> None:
        self._data = self.meta.client.describe_table(TableName=self.name)["Table"]

    reload = load

    def delete(self):
        return self.meta.client.delete_table(TableName=self.name)

    def update(self, **params):
        out = self.meta.client.update_table(TableName=self.name, **params)
        self._data = out["TableDescription"]
        return out

    def wait_until_exists(self, **kw):
        self.meta.client.get_waiter("table_exists").wait(TableName=self.name, **kw)

    def wait_until_not_exists(self, **kw):
        self.meta.client.get_waiter("table_not_exists").wait(TableName=self.name, **kw)

    @property
    def table_name(self) -> str:
        return self.name

    def __getattr__(self, attr: str):
        # Table attributes by boto3's snake_case names (table_status,
        # item_count, key_schema, ...), loaded on first use like boto3.
        if attr.startswith("_") or not re.fullmatch(r"[a-z0-9_]+", attr):
            raise AttributeError(attr)
        if self._data is None:
            self.load()
        key = _camel(attr)
        if key in self._data:
            return self._data[key]
        known = {"billing_mode_summary", "table_class_summary", "stream_specification",
                 "latest_stream_arn", "latest_stream_label", "global_secondary_indexes",
                 "local_secondary_indexes", "sse_description", "restore_summary",
                 "archival_summary", "replicas", "global_table_version",
                 "on_demand_throughput", "warm_throughput", "multi_region_consistency"}
        if attr in known:
            return None
        raise AttributeError(f"'dynamodb.Table' object has no attribute {attr!r}")


class BatchWriter:
    """Buffers put_item/delete_item and sends them 25 at a time with
    BatchWriteItem, resending unprocessed items (boto3's batch_writer)."""

    def __init__(self, table: Table, overwrite_by_pkeys=None, flush_amount: int = 25):
        self._table = table
        self._client = table.meta.client
        self._pkeys = overwrite_by_pkeys
        self._flush_amount = flush_amount
        self._buffer: list = []

    def _dedupe(self, request: dict) -> None:
        if self._pkeys:
            body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
            new_key = [body.get(k) for k in self._pkeys]
            for i, old in enumerate(self._buffer):
                old_body = old.get("PutRequest", {}).get("Item") or old["DeleteRequest"]["Key"]
                if [old_body.get(k) for k in self._pkeys] == new_key:
                    del self._buffer[i]
                    break
        self._buffer.append(request)

    def put_item(self, Item):  # noqa: N803 (boto3's name)
        self._dedupe({"PutRequest": {"Item": Item}})
        self._maybe_flush()

    def delete_item(self, Key):  # noqa: N803
        self._dedupe({"DeleteRequest": {"Key": Key}})
        self._maybe_flush()

    def _maybe_flush(self):
        if len(self._buffer) >= self._flush_amount:
            self._flush()

    def _flush(self):
        send = self._buffer[: self._flush_amount]
        self._buffer = self._buffer[self._flush_amount:]
        params = {"RequestItems": {self._table.name: send}}
        try:
            out = self._table._service.call("BatchWriteItem", params, _FORM)
        except THROTTLING as e:
            out, _ = self._table._retries.again(e, self._table._service.call, "BatchWriteItem",
                                                params, _FORM)
        self._buffer.extend(out["UnprocessedItems"].get(self._table.name, []))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        while self._buffer:
            self._flush()


class ServiceResource:
    """boto3's `boto3.resource("dynamodb")`, in part: Table(), create_table(),
    tables.all()."""

    def __init__(self, db):
        self._db = db
        self.meta = type("Meta", (), {})()
        self.meta.client = db.client()

    def Table(self, name: str) -> Table:  # noqa: N802
        return Table(self._db, name)

    def create_table(self, **params) -> Table:
        self.meta.client.create_table(**params)
        return Table(self._db, params["TableName"])

    @property
    def tables(self):
        outer = self

        class _Tables:
            def all(self_inner):
                for page in outer.meta.client.get_paginator("list_tables").paginate():
                    for name in page["TableNames"]:
                        yield Table(outer._db, name)

        return _Tables()
