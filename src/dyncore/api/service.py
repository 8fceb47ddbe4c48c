"""Service: the one entry point of DynamoDB requests into a Database.

    Service(db).call("PutItem", params, form)

checks the request's shape (dyncore.api.validate), runs the operation and
returns the response dict in `form` (dyncore._core.FORM_*). Errors are
dyncore.errors.DynamoDBError subclasses labelled with the operation name, as
botocore labels its ClientError. The embedded client, the resource Table and
(later) the HTTP server all come through here, so each rule is written once.
"""
from __future__ import annotations

from dyncore import _core
from dyncore.api import control, items, transact
from dyncore.api.validate import deep_client_report
from dyncore.errors import (ClosedError, DynamoDBError, ParamValidationError,
                            ResourceNotFoundException)

_decode = _core.decode_item
_FALLBACK = object()

__all__ = ["Service", "HANDLERS"]

HANDLERS = {
    "CreateTable": control.create_table,
    "DescribeTable": control.describe_table,
    "ListTables": control.list_tables,
    "UpdateTable": control.update_table,
    "DeleteTable": control.delete_table,
    "TagResource": control.tag_resource,
    "UntagResource": control.untag_resource,
    "ListTagsOfResource": control.list_tags_of_resource,
    "PutItem": items.put_item,
    "GetItem": items.get_item,
    "DeleteItem": items.delete_item,
    "UpdateItem": items.update_item,
    "Query": items.query,
    "Scan": items.scan,
    "BatchGetItem": items.batch_get_item,
    "BatchWriteItem": items.batch_write_item,
    "TransactWriteItems": transact.transact_write_items,
    "TransactGetItems": transact.transact_get_items,
}


_MODES = {_core.FORM_NATIVE: "native", _core.FORM_CLIENT: "client", _core.FORM_JSON: "json"}


class Service:
    def __init__(self, db):
        from dyncore.api.validate import validate
        self.db = db
        self._validate = validate
        self._tables = db._tables   # name -> open TableHandle

    # -- fast paths -------------------------------------------------------------
    #
    # A PutItem or GetItem that carries only the table name, the item or key
    # (and ConsistentRead) skips the generic shape check: the codec checks
    # everything such a request holds. Any error met before the write falls
    # back to call(), which reports exactly what the general path reports.

    def put_item(self, p: dict, form: int) -> dict:
        name = p.get("TableName")
        if len(p) == 2 and form != _core.FORM_JSON and type(name) is str:
            t = self._tables.get(name)
            item = p.get("Item")
            if t is not None and type(item) is dict and not t.deleted:
                try:
                    h, key, value, _ = t.schema.encode_item(item, form)
                except Exception:
                    return self.call("PutItem", p, form)
                try:
                    t.store.put(h, key, value)
                except ClosedError:
                    return self.call("PutItem", p, form)
                return {}
        return self.call("PutItem", p, form)

    def get_item(self, p: dict, form: int) -> dict:
        n = len(p)
        name = p.get("TableName")
        if (n == 2 or (n == 3 and type(p.get("ConsistentRead")) is bool)) \
                and form != _core.FORM_JSON and type(name) is str:
            t = self._tables.get(name)
            key = p.get("Key")
            if t is not None and type(key) is dict and not t.deleted:
                v = self.get_simple(t, key, form)
                if v is not _FALLBACK:
                    return {} if v is None else {"Item": _decode(v, form)}
        return self.call("GetItem", p, form)

    @staticmethod
    def get_simple(t, key: dict, form: int):
        """The stored value of `key` in table handle t (None if absent), or
        _FALLBACK when the request must take the general path (to report an
        error exactly, or because the table went away meanwhile)."""
        try:
            h, k = t.schema.encode_key(key, form)
            parts = t.store.router.parts
            if len(parts) == 1 and not t.store.committing:
                return parts[0].engine.get(k)
            return t.store.get(h, k)
        except Exception:
            return _FALLBACK

    def call(self, operation: str, params: dict, form: int = _core.FORM_CLIENT,
             mode: str | None = None) -> dict:
        handler = HANDLERS.get(operation)
        if handler is None:
            from dyncore.errors import UnknownOperationException
            raise UnknownOperationException(f"dyncore does not support {operation} yet",
                                            operation)
        if mode is None:
            mode = _MODES[form]
        try:
            self._validate(operation, params, mode)
            return handler(self.db, params, form)
        except (DynamoDBError, TypeError) as e:
            if mode == "client":
                # botocore checks AttributeValues member by member before it
                # sends anything; the codec checks them here. What botocore
                # would have refused is reported as botocore reports it.
                report = deep_client_report(operation, params)
                if report:
                    raise ParamValidationError(report) from None
            if isinstance(e, TypeError):
                raise
            if e.operation_name != operation:
                e = e.with_operation(operation)
            raise e.with_traceback(None) from None
        except ClosedError:
            if self.db.closed:
                raise
            # The table was deleted while this request ran.
            raise ResourceNotFoundException("Requested resource not found", operation) from None
