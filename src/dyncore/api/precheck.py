"""The value checks DynamoDB makes first: before it looks for the table,
and before its other checks of the request.

DynamoDB validates a request's attribute values (numbers, data types, empty
sets, an item's size) and its legacy conditions' shape before it resolves
the table, so a request to a missing table that also carries a bad value
gets the ValidationException, not ResourceNotFoundException (dynalite's
recordings of DynamoDB). dyncore's handlers look the table up first and
check values against its key schema; when that lookup fails, or another
check refuses the request, Service.call runs `check_values` to report what
DynamoDB would have reported first (a bad value wins over, say, an empty
ExpressionAttributeNames or a malformed Expected). Nothing here needs a key
schema.
"""
from __future__ import annotations

from dyncore import _core
from dyncore.errors import ValidationException

__all__ = ["check_values", "CHECKED"]

_CLIENT = _core.FORM_CLIENT
ITEM_LIMIT = 400 * 1024
_LEGACY_ARITY = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "BEGINS_WITH": 1,
                 "BETWEEN": 2, "NOT_NULL": 0, "NULL": 0, "CONTAINS": 1, "NOT_CONTAINS": 1}


def _values(item, form: int) -> int:
    """Check every value of item (a dict of AttributeValues); its size."""
    size = 0
    for name, v in (item or {}).items():
        size += len(name.encode("utf-8", "surrogatepass")) + _core.value_size(v, form)
    return size


def _item(item, form: int) -> None:
    if _values(item, form) > ITEM_LIMIT:
        raise ValidationException("Item size has exceeded the maximum allowed size")


def _conditions(conds, form: int) -> None:
    """Legacy KeyConditions / QueryFilter / ScanFilter: each value, and the
    number of values its operator takes."""
    for cond in (conds or {}).values():
        if not isinstance(cond, dict):
            continue
        values = cond.get("AttributeValueList") or []
        for v in values:
            _core.value_size(v, form)
        op = cond.get("ComparisonOperator")
        n = _LEGACY_ARITY.get(op)
        if n is not None and len(values) != n:
            raise ValidationException(
                "One or more parameter values were invalid: Invalid number of argument(s) "
                f"for the {op} ComparisonOperator")


def _put_item(p, form):
    _item(p.get("Item"), form)
    _expected(p, form)


def _expected(p, form):
    for cond in (p.get("Expected") or {}).values():
        if isinstance(cond, dict):
            for v in ([cond["Value"]] if cond.get("Value") is not None else []) + \
                    list(cond.get("AttributeValueList") or ()):
                _core.value_size(v, form)


def _key(p, form):
    _values(p.get("Key"), form)
    _expected(p, form)


def _start(p, form):
    try:
        _values(p.get("ExclusiveStartKey"), form)
    except ValidationException as e:
        raise ValidationException(f"The provided starting key is invalid: {e.message}") \
            from None


def _query(p, form):
    kc = p.get("KeyConditions")
    # (a table's key has 1 or 2 attributes; a global index's up to 8, so
    # only the empty map is refused here)
    if isinstance(kc, dict) and not kc:
        raise ValidationException("Conditions can be of length 1 or 2 only")
    _start(p, form)
    _conditions(kc, form)
    _conditions(p.get("QueryFilter"), form)


def _scan(p, form):
    _start(p, form)
    _conditions(p.get("ScanFilter"), form)


def _batch_get(p, form):
    for r in (p.get("RequestItems") or {}).values():
        for key in (r or {}).get("Keys") or ():
            _values(key, form)


def _batch_write(p, form):
    for reqs in (p.get("RequestItems") or {}).values():
        for req in reqs or ():
            put = (req or {}).get("PutRequest")
            if put is not None:
                _item(put.get("Item"), form)
            else:
                _values(((req or {}).get("DeleteRequest") or {}).get("Key"), form)


CHECKED = {"PutItem": _put_item, "GetItem": _key, "DeleteItem": _key, "UpdateItem": _key,
           "Query": _query, "Scan": _scan, "BatchGetItem": _batch_get,
           "BatchWriteItem": _batch_write}


def check_values(operation: str, p: dict, form: int) -> None:
    """Raise the ValidationException DynamoDB gives request p before it
    looks for the table, if any (operations of CHECKED only)."""
    check = CHECKED.get(operation)
    if check is not None:
        check(p, form)
