"""A request's expressions, parsed and checked once: `plan(operation, p,
form)` -> Plan(condition, filter, projection, update, key_condition).

Expressions and their legacy forms (Expected, QueryFilter, ScanFilter,
AttributesToGet, AttributeUpdates; KeyConditions stays in keycond.py) come out
as the same trees (dyncore.expr.ast), so one evaluator serves both. Values are
brought to the client wire form with canonical numbers whatever form the
request came in (native Python for the resource Table, JSON for the server),
because the evaluators work on items in that form.

Order of checks (DynamoDB reports the first problem): legacy and expression
parameters mixed; then the expressions with their placeholder maps in the
operation's order (dyncore.expr.names); then the legacy parameters.

Plans are cached: a request that repeats another's expressions, names and
(scalar) values gets the same Plan without parsing, checking or converting
anything again, and its trees keep their compiled evaluators
(dyncore.expr.evaluate). Plans are immutable once built, so threads share them.
"""
from __future__ import annotations

from decimal import Decimal

from dyncore import _core
from dyncore.api import legacy
from dyncore.errors import ValidationException
from dyncore.expr import parse_expressions

__all__ = ["Plan", "plan", "cached_plan", "EXPRESSIONS", "to_client", "from_client"]

_CLIENT = _core.FORM_CLIENT
_canonical = _core.canonical_value

# operation -> its expression parameters in the order DynamoDB checks them,
# and the order it lists the value-capable ones in "... are null".
EXPRESSIONS = {
    "PutItem": (("ConditionExpression",), None),
    "DeleteItem": (("ConditionExpression",), None),
    "UpdateItem": (("UpdateExpression", "ConditionExpression"), None),
    "GetItem": (("ProjectionExpression",), None),
    "BatchGetItem": (("ProjectionExpression",), None),
    "TransactGetItems": (("ProjectionExpression",), None),
    "ConditionCheck": (("ConditionExpression",), None),
    "Query": (("KeyConditionExpression", "FilterExpression", "ProjectionExpression"),
              ("FilterExpression", "KeyConditionExpression")),
    "Scan": (("FilterExpression", "ProjectionExpression"), None),
}


class Plan:
    """The checked trees of one request (None where absent)."""

    __slots__ = ("condition", "filter", "projection", "update", "key_condition",
                 "legacy_update", "key_terms", "key_match")

    def __init__(self, condition=None, filter=None, projection=None, update=None,  # noqa: A002
                 key_condition=None):
        self.condition = condition
        self.filter = filter
        self.projection = projection
        self.update = update
        self.key_condition = key_condition
        self.legacy_update = False   # the update came from AttributeUpdates
        # the key condition's terms, once a Query has checked them (a plan is
        # cached with its values, so they hold for every request it serves)
        self.key_terms = None
        self.key_match = None   # (key signature, its IndexKeyCondition): the last match


_EMPTY = Plan()


def to_client(value, form: int):
    """One AttributeValue in the client form with canonical numbers."""
    return _canonical(value, form, _CLIENT)


def from_client(item: dict, form: int) -> dict:
    """An item (or a part of one) in client form, in `form`."""
    if form == _CLIENT:
        return item
    return {k: _canonical(v, _CLIENT, form) for k, v in item.items()}


def _value_checker(form: int):
    def check(key, av):
        try:
            return _canonical(av, form, _CLIENT)
        except ValidationException as e:
            msg = e.message
            if "may not be empty" in msg or "should not be empty" in msg:
                raise ValidationException(
                    f"ExpressionAttributeValues contains invalid value: {msg}") from None
            raise ValidationException(
                f"ExpressionAttributeValues contains invalid value: {msg} for key {key}") from None
    return check


_PLANS: dict = {}
PLAN_CACHE_SIZE = 4096
_LEGACY = frozenset(("Expected", "ConditionalOperator", "AttributeUpdates", "QueryFilter",
                     "ScanFilter", "AttributesToGet", "KeyConditions"))
_SCALARS = (str, bool, int, Decimal, bytes)


_KEY_CHARS = 256   # longer string or binary values are not cached (memory)


def _values_key(values) -> tuple | None:
    """A hashable stand-in for ExpressionAttributeValues whose values are
    short scalars (the common case); None when some value is not (no
    caching)."""
    out = []
    for k, v in values.items():
        if type(v) is dict:
            if len(v) != 1:
                return None
            for t, x in v.items():
                if type(x) not in _SCALARS:
                    return None
                out.append((k, t, type(x), x))
        elif type(v) in _SCALARS:
            x = v
            out.append((k, None, type(v), v))
        else:
            return None
        if type(x) in (str, bytes) and len(x) > _KEY_CHARS:
            return None
    return tuple(out)


def _cache_key(operation: str, p: dict, form: int, texts: tuple):
    """The plan cache's key for request p, or None when p carries legacy
    parameters or values too complex to key on."""
    legacy_given = _LEGACY.intersection(p)
    if legacy_given and any(p[x] is not None for x in legacy_given):
        return None
    names = p.get("ExpressionAttributeNames")
    values = p.get("ExpressionAttributeValues")
    vkey = () if values is None else _values_key(values)
    if vkey is None:
        return None
    key = (operation, form, texts, None if names is None else tuple(names.items()), vkey)
    hash(key)
    return key


def cached_plan(operation: str, p: dict, form: int) -> Plan | None:
    """The cached Plan of a request that repeats an earlier, valid one's
    expressions, names and values; None if there is none (nothing is built
    or checked here)."""
    try:
        key = _cache_key(operation, p, form, tuple([p.get(e) for e in EXPRESSIONS[operation][0]]))
    except (TypeError, AttributeError):
        return None
    return None if key is None else _PLANS.get(key)


def plan(operation: str, p: dict, form: int) -> Plan:
    """The checked expression trees of request p of `operation` (an
    operation name of EXPRESSIONS; "ConditionCheck" for that transaction
    action)."""
    params, null_order = EXPRESSIONS[operation]
    texts = tuple([p.get(e) for e in params])
    try:
        cache_key = _cache_key(operation, p, form, texts)
    except (TypeError, AttributeError):   # unhashable names or values: no caching
        cache_key = None
    if cache_key is not None:
        hit = _PLANS.get(cache_key)
        if hit is not None:
            return hit
    out = _plan(operation, p, form, params, null_order, p.get("ExpressionAttributeNames"),
                p.get("ExpressionAttributeValues"), dict(zip(params, texts)))
    if cache_key is not None:
        if len(_PLANS) >= PLAN_CACHE_SIZE:
            _PLANS.clear()
        _PLANS[cache_key] = out
    return out


def _plan(operation, p, form, params, null_order, names, values, texts) -> Plan:
    legacy.check_mixed(operation, p)
    if names is None and values is None and all(t is None for t in texts.values()):
        out = None
    else:
        trees = parse_expressions(texts, names, values, values_null_order=null_order,
                                  check_value=_value_checker(form))
        out = Plan(trees.get("ConditionExpression"), trees.get("FilterExpression"),
                   trees.get("ProjectionExpression"), trees.get("UpdateExpression"),
                   trees.get("KeyConditionExpression"))
    # legacy forms, in the order DynamoDB checks them
    expected, cop = p.get("Expected"), p.get("ConditionalOperator")
    conv = _legacy_checker(form)
    if operation in ("PutItem", "DeleteItem", "UpdateItem"):
        if operation == "UpdateItem" and p.get("AttributeUpdates") is not None:
            out = out or Plan()
            out.update = legacy.update_of(p["AttributeUpdates"], check_value=conv)
            out.legacy_update = True
        if expected is not None or cop is not None:
            out = out or Plan()
            out.condition = legacy.expected_condition(expected, cop, check_value=conv)
    elif operation in ("Query", "Scan"):
        param = "QueryFilter" if operation == "Query" else "ScanFilter"
        filters = p.get(param)
        if operation == "Scan":
            out = _attributes_to_get(p, out)
        if filters is not None or cop is not None:
            out = out or Plan()
            out.filter = legacy.filter_condition(filters, cop, param, check_value=conv)
    out = _attributes_to_get(p, out)
    return out or _EMPTY


def _attributes_to_get(p: dict, out: Plan | None) -> Plan | None:
    names = p.get("AttributesToGet")
    if names is None or (out is not None and out.projection is not None):
        return out
    out = out or Plan()
    out.projection = legacy.projection_of(names)
    return out


def _legacy_checker(form: int):
    def check(av):
        return _canonical(av, form, _CLIENT)
    return check
