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
from dyncore.api import capacity, control, exprs, items, precheck, transact, ttl
from dyncore.api.validate import deep_client_report, json_attribute_values
from dyncore.errors import (ClosedError, DynamoDBError, ParamValidationError,
                            ResourceNotFoundException, ValidationException)

_decode = _core.decode_item
_item_size = _core.item_size
_JSON = _core.FORM_JSON
_FALLBACK = object()

__all__ = ["Service", "HANDLERS", "framework_message", "FRAMEWORK_PREFIX"]

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
    "UpdateTimeToLive": ttl.update_time_to_live,
    "DescribeTimeToLive": ttl.describe_time_to_live,
    "DescribeLimits": capacity.describe_limits,
}


_MODES = {_core.FORM_NATIVE: "native", _core.FORM_CLIENT: "client", _core.FORM_JSON: "json"}

# Current DynamoDB reports some checks through its request framework, whose
# messages start "1 validation error detected: ". Which ones is a property
# of the operation and the check, not of the message: the same unused
# ExpressionAttributeNames is bare on GetItem, Query and the transactions
# (moto's tests re-run against DynamoDB; see reference/dynamodb.md, §6).
# operation -> the starts of the messages that carry the prefix.
FRAMEWORK_PREFIX = "1 validation error detected: "
_WRITE_CHECKS = (
    "Value provided in ExpressionAttributeNames unused in expressions",
    "Value provided in ExpressionAttributeValues unused in expressions",
    "ExpressionAttributeValues must not be empty",
    "One or more parameter values were invalid: An string set  may not be empty",
    "One or more parameter values were invalid: An number set  may not be empty",
    "One or more parameter values were invalid: An binary set  may not be empty",
    "One or more parameter values were invalid: Binary sets should not be empty",
    "Invalid UpdateExpression: The expression can not be empty",
    'Invalid UpdateExpression: The "',      # a clause used twice
    "Invalid UpdateExpression: Two document paths",
)
_SELECT_CHECKS = (
    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    "Must specify the AttributesToGet or ProjectionExpression when choosing to get",
    "Cannot specify the ",
)
FRAMEWORK_CHECKS = {"PutItem": _WRITE_CHECKS, "UpdateItem": _WRITE_CHECKS,
                    "DeleteItem": _WRITE_CHECKS, "Query": _SELECT_CHECKS,
                    "Scan": _SELECT_CHECKS}
# an empty set among a write's ExpressionAttributeValues is reported as the
# set's own framework error, not as an invalid value
_EAV_WRAPPER = "ExpressionAttributeValues contains invalid value: "


def framework_message(operation: str, message: str) -> str | None:
    """message as DynamoDB reports it for `operation` when that check comes
    through its request framework (None: unchanged)."""
    checks = FRAMEWORK_CHECKS.get(operation)
    if checks is None:
        return None
    if checks is _WRITE_CHECKS and message.startswith(_EAV_WRAPPER) and \
            message.endswith(("may not be empty", "should not be empty")):
        message = message[len(_EAV_WRAPPER):]
    if message.startswith(checks):
        return FRAMEWORK_PREFIX + message
    return None

# Single-item writes that may skip the generic shape check when their
# expressions repeat an earlier valid request's (see Service.write):
# operation -> (handler, the member holding the item or key, members allowed).
_COMMON = ("TableName", "ConditionExpression", "ExpressionAttributeNames",
           "ExpressionAttributeValues", "ReturnValues", "ReturnConsumedCapacity",
           "ReturnValuesOnConditionCheckFailure")
_WRITES = {
    "PutItem": (items.put_item, "Item", frozenset(_COMMON + ("Item",))),
    "DeleteItem": (items.delete_item, "Key", frozenset(_COMMON + ("Key",))),
    "UpdateItem": (items.update_item, "Key", frozenset(_COMMON + ("Key", "UpdateExpression"))),
}
_ENUMS = {
    "ReturnValues": frozenset(("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")),
    "ReturnConsumedCapacity": frozenset(("NONE", "TOTAL", "INDEXES")),
    "ReturnValuesOnConditionCheckFailure": frozenset(("NONE", "ALL_OLD")),
}


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
    # In the JSON form (the HTTP server) the item's or key's AttributeValues
    # also pass the shape check's own JSON predicate first, since the service
    # reports their JSON types as SerializationException.

    def put_item(self, p: dict, form: int) -> dict:
        name = p.get("TableName")
        if len(p) == 2 and type(name) is str:
            t = self._tables.get(name)
            item = p.get("Item")
            if t is not None and type(item) is dict and not t.deleted and \
                    (form != _JSON or json_attribute_values(item)):
                try:
                    h, key, value, size = t.schema.encode_item(item, form)
                except Exception:
                    return self.call("PutItem", p, form)
                try:
                    # capacity: write_units(size), inlined (the hot path)
                    t.capacity.write(h, (size + 1023) >> 10 or 1)
                    t.store.put(h, key, value)
                except ClosedError:
                    return self.call("PutItem", p, form)
                except DynamoDBError as e:   # throttled
                    raise e.with_operation("PutItem").with_traceback(None) from None
                return {}
        return self.call("PutItem", p, form)

    def write(self, operation: str, p: dict, form: int) -> dict:
        """PutItem, UpdateItem or DeleteItem. A request whose expressions,
        names and values repeat those of an earlier valid request (its Plan
        is cached), on an open table, with well-formed options, skips the
        generic shape check: the codec checks the item or key, the Plan was
        checked when it was built. Anything else, and any error raised
        before the write, takes the general path, which reports exactly."""
        if operation == "PutItem" and len(p) == 2:
            return self.put_item(p, form)
        handler, member, allowed = _WRITES[operation]
        name = p.get("TableName")
        target = p.get(member)
        if type(name) is str and type(target) is dict and allowed.issuperset(p):
            t = self._tables.get(name)
            if t is not None and not t.deleted and all(
                    p[k] in _ENUMS[k] for k in _ENUMS if k in p) and \
                    (form != _JSON or json_attribute_values(target)):
                plan = exprs.cached_plan(operation, p, form)
                if plan is not None:
                    try:
                        return handler(self.db, p, form, plan)
                    except (ValidationException, TypeError, ClosedError):
                        pass   # nothing was written: report it the general way
                    except DynamoDBError as e:
                        raise e.with_operation(operation).with_traceback(None) from None
        return self.call(operation, p, form)

    def get_item(self, p: dict, form: int) -> dict:
        n = len(p)
        name = p.get("TableName")
        if (n == 2 or (n == 3 and type(p.get("ConsistentRead")) is bool)) \
                and type(name) is str:
            t = self._tables.get(name)
            key = p.get("Key")
            if t is not None and type(key) is dict and not t.deleted and \
                    (form != _JSON or json_attribute_values(key)):
                v = self.get_simple(t, key, form, p.get("ConsistentRead") is True)
                if v is not _FALLBACK:
                    return {} if v is None else {"Item": _decode(v, form)}
        return self.call("GetItem", p, form)

    @staticmethod
    def get_simple(t, key: dict, form: int, consistent: bool = False):
        """The stored value of `key` in table handle t (None if absent), or
        _FALLBACK when the request must take the general path (to report an
        error exactly, or because the table went away meanwhile). Charges
        the read's units to the table (raises its throttling error)."""
        try:
            h, k = t.schema.encode_key(key, form)
            parts = t.store.router.parts
            if len(parts) == 1 and not t.store.committing:
                v = parts[0].engine.get(k)
            else:
                v = t.store.get(h, k)
        except Exception:
            return _FALLBACK
        # capacity: read_units(size, consistent), inlined (the hot path)
        n = (_item_size(v) + 4095) >> 12 or 1 if v is not None else 1
        try:
            t.capacity.read(h, n if consistent else n / 2)
        except DynamoDBError as e:   # throttled
            raise e.with_operation("GetItem").with_traceback(None) from None
        return v

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
            if isinstance(e, (ResourceNotFoundException, ValidationException)) and \
                    operation in precheck.CHECKED:
                # DynamoDB checks the request's values before it looks for
                # the table or checks the rest: a bad value wins
                try:
                    precheck.check_values(operation, params, form)
                except ValidationException as v:
                    e = v
                except (TypeError, ValueError, AttributeError):
                    pass
            if isinstance(e, ValidationException):
                message = framework_message(operation, e.message)
                if message is not None:
                    raise ValidationException(message, operation) from None
            if e.operation_name != operation:
                e = e.with_operation(operation)
            raise e.with_traceback(None) from None
        except ClosedError:
            if self.db.closed:
                raise
            # The table was deleted while this request ran.
            raise ResourceNotFoundException("Requested resource not found", operation) from None
