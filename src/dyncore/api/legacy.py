"""DynamoDB's legacy (pre-expression) parameters as expression trees.

Older clients send AttributesToGet, Expected, AttributeUpdates, QueryFilter,
ScanFilter and ConditionalOperator (KeyConditions lives in api/keycond.py).
This module checks them the way DynamoDB does, with its messages, and turns
each into the tree its expression counterpart would give (dyncore.expr.ast),
so that one evaluator serves both forms:

    check_mixed(operation, params)                         -> None (or raises)
    expected_condition(expected, conditional_operator)     -> condition tree | None
    filter_condition(filters, conditional_operator, param) -> condition tree | None
    projection_of(attributes_to_get)                       -> Projection
    update_of(attribute_updates)                           -> Update
    check_query_filter_keys(filters, key_names)            -> None (table-dependent)
    legacy_update_error(error)                             -> the legacy wording of a
                                                              runtime update error

Every check raises `dyncore.errors.ValidationException`. Values are
expected in boto3 client wire form ({"S": "x"}, {"N": "1"}, ...). Their
contents are the codec's to validate, through the `check_value` hook the
builders accept: `check_value(av)` may raise, and what it returns (if not
None) replaces the value in the tree, so the hook can also convert a value to
the client form. It is called on each value of an entry after that entry's
structure checks and before its operator checks, as DynamoDB converts values
[L]. Without the hook only the shape of a value is looked at.

Names and placeholders
----------------------
Legacy attribute names are top-level names taken literally (any characters,
dots and brackets included): every path is `Path((name,))`, never parsed from
text. Values become `Value(":legacyN", attribute_value)`, numbered from 0 in
textual order within one returned tree; user placeholders never reach these
trees, so the names cannot clash. `to_text` prints every tree back as an
expression that parses to the same tree.

Sources
-------
[D]   dynalite (github.com/architect/dynalite) test/*.js, run against live
      DynamoDB, and validations/*.js;
[L]   DynamoDB Local (AWS's own local implementation; facts read from its
      validator: InputConverter, LocalDBValidatorUtils, LocalDBComparisonOperator,
      ErrorFactory): messages, check order, operator semantics;
[X]   ExtendDB tests/test_conditional_operator.py, run against DynamoDB
      ("dual-target"): ConditionalOperator rules and the mixing lists;
[C26] live captures of 2026 published with public conformance suites;
[Doc] the Developer Guide, LegacyConditionalParameters.Expected /
      .AttributeUpdates / .Conditions, and the API reference for Condition.
"Inferred" marks what no capture settles.

Mixing legacy and expression parameters (`check_mixed`)
------------------------------------------------------
"Can not use both expression and non-expression parameters in the same
request: Non-expression parameters: {A, B} Expression parameters: {C, D}"
whenever the request carries at least one of each kind that the operation
takes [D][L][X][C26]. A parameter counts when it is present at all (not None):
an empty map counts [D updateItem.js: AttributeUpdates {}]. Both lists name
every parameter present, in fixed orders [L], matching all captures [D][X]:
  non-expression: AttributeUpdates, AttributesToGet, Expected, QueryFilter,
                  ScanFilter, ConditionalOperator, KeyConditions
  expression:     UpdateExpression, ProjectionExpression, ConditionExpression,
                  FilterExpression, KeyConditionExpression
KeyConditions counts only when KeyConditionExpression is present too:
KeyConditions with FilterExpression / ProjectionExpression is accepted [L][X].
ConditionalOperator counts on its own [X]. Per operation: GetItem and each
BatchGetItem table (AttributesToGet / ProjectionExpression), PutItem and
DeleteItem (Expected, ConditionalOperator / ConditionExpression), UpdateItem
(AttributeUpdates, Expected, ConditionalOperator / UpdateExpression,
ConditionExpression), Query and Scan (AttributesToGet, QueryFilter or
ScanFilter, ConditionalOperator[, KeyConditions] / ProjectionExpression,
FilterExpression[, KeyConditionExpression]). Other operations: nothing.

ConditionalOperator
-------------------
It qualifies Expected (PutItem, DeleteItem, UpdateItem) or the filter (Query:
QueryFilter, Scan: ScanFilter; never KeyConditions) [Doc][X]:
- absent or empty map: "ConditionalOperator cannot be used without Filter or
  Expected" [L][X] (an empty ScanFilter counts as absent [X]);
- one entry: "ConditionalOperator can only be used when Filter or Expected has
  two or more elements" [L][X][C26].
Without it the entries are ANDed; with OR, ORed [Doc]. Entries are joined
left to right in the request's order: ((e1 AND e2) AND e3).

Expected entries (`expected_condition`), checks in this order [L] (the texts
also [D][C26]); "One or more parameter values were invalid: " prefixes each:
1. Exists and ComparisonOperator both given -> "Exists and ComparisonOperator
   cannot be used together for Attribute: a"
2. Value and AttributeValueList both given -> "Value and AttributeValueList
   cannot be used together for Attribute: a"
3. AttributeValueList without ComparisonOperator -> "AttributeValueList can
   only be used with a ComparisonOperator for Attribute: a"
4. Exists false with a Value -> "Value cannot be used when Exists is false for
   Attribute: a"
5. neither Value nor AttributeValueList: with a ComparisonOperator other than
   NULL / NOT_NULL -> "Value or AttributeValueList must be used with
   ComparisonOperator: EQ for Attribute: a"; without one, Exists absent ->
   "Value must be provided when Exists is null for Attribute: a", Exists true
   -> "... when Exists is true ...".
6. the values (check_value hook: Value, then the list in order);
7. with a ComparisonOperator, its arguments (Value counts as a one-element
   list [L]) go through the operator checks below.
(dynalite's validations/index.js checks 2 before 1; no capture has both.)
Forms: {Value: v} or {Value: v, Exists: true} -> a = v; {Exists: false} ->
attribute_not_exists(a); {ComparisonOperator, AttributeValueList | Value} ->
the operator table.

QueryFilter / ScanFilter entries (`filter_condition`): the values (hook), then
the operator checks [L][D]. ComparisonOperator is required by the shape.

Operator checks (Expected and filters alike [L]), in order:
a. number of values -> "...invalid: Invalid number of argument(s) for the EQ
   ComparisonOperator" [D][L][C26]: NULL, NOT_NULL take 0; IN takes 1 or more;
   BETWEEN takes 2; all others exactly 1. An empty AttributeValueList is 0.
b. for each value in order: its type must suit the operator -> "...invalid:
   ComparisonOperator LT is not valid for SS AttributeValue type" [D][L];
   then it must have the first value's type -> "...invalid: AttributeValues
   inside AttributeValueList must be of same type" [D][L]. Types allowed [D
   tests, which list the refused ones][L]:
     EQ, NE                      any type (lists and maps too [Doc])
     LT LE GT GE IN BETWEEN      S, N, B
     CONTAINS, NOT_CONTAINS      S, N, B, BOOL, NULL
     BEGINS_WITH                 S, B
c. BETWEEN with lower > upper (N numerically, S and B bytewise) -> "The BETWEEN
   condition was provided a range where the lower bound is greater than the
   upper bound" (no prefix) [D query.js][L].

Operator mapping (a = Path(("a",)), v = Value(":legacyN", ...)) with the
legacy semantics each reproduces (missing attribute / other type) [Doc][L],
equivalences checked live in dynalite's scan tests [D] where noted:
  EQ v          (= a v)                      missing/other type: false [D]
  NE v          (<> a v)                     missing/other type: true: legacy NE
                                             is "not EQ" [L], and `<>` is true on a
                                             missing operand (evaluate.py, verified
                                             against AWS there); present: [D]
  LE LT GE GT v (<= a v) ...                 missing/other type: false [D]
  NOT_NULL      (attribute_exists a)         a NULL-typed attribute exists [Doc][D]
  NULL          (attribute_not_exists a)     [Doc][D]
  CONTAINS v    (contains a v)               substring (S), subsequence (B),
                                             set member, list element [Doc][D]
  NOT_CONTAINS v (AND (attribute_exists a) (NOT (contains a v)))
                                             missing: false, unlike NOT contains()
                                             which is true [L]; present: = NOT
                                             contains(a, v) [D]
  BEGINS_WITH v (begins_with a v)            S and B prefixes [Doc][D]
  IN v1..vn     (IN a v1 .. vn)              equal to any; missing: false [L]
  BETWEEN lo hi (BETWEEN a lo hi)            [Doc][D]
  Expected {Value: v}     (= a v);  {Exists: false}  (attribute_not_exists a)

AttributesToGet (`projection_of`): a duplicate name -> "One or more parameter
values were invalid: Duplicate value in attribute name: a" [D][L]; else a
Projection of the top-level names in request order.

AttributeUpdates (`update_of`), per entry in request order [L][D]: the value
(hook); then
- no Value and Action not DELETE (Action absent means PUT [Doc][L]) -> "One
  or more parameter values were invalid: Only DELETE action is allowed when
  no attribute value is specified";
- DELETE with a value not SS/NS/BS -> "...invalid: DELETE action with value
  is not supported for the type S";
- ADD with a value not N/SS/NS/BS/L -> "...invalid: ADD action is not
  supported for the type S" [D] (the type shown as its code [D]).
Mapping (the actions are grouped by clause, SET, REMOVE, ADD, DELETE, so the
Update keeps one contiguous clause per keyword; within SET the PUTs come first,
then the list ADDs; request order within each group. Entries name distinct
top-level attributes, so the order does not change the result):
  PUT v            SET a = v
  DELETE           REMOVE a            (a missing attribute: nothing happens)
  DELETE set       DELETE a set        (elements removed; the attribute goes
                                        when the set empties [D])
  ADD N / ADD set  ADD a v             (missing attribute or item: starts from
                                        0 / the empty set [Doc][D])
  ADD L            SET a = list_append(if_not_exists(a, []), v)
                   Expressions have no ADD for lists; legacy ADD appends to an
                   existing list and creates the list when the attribute is
                   missing [D actions]; if_not_exists supplies the empty list.
At run time the legacy form reports a type clash (ADD N to an SS, DELETE NS
from an SS, ADD L to a number) as "Type mismatch for attribute to update" [D],
where the expression form says "An operand in the update expression has an
incorrect data type": `legacy_update_error` translates the evaluator's error.

Order of checks across a request (DynamoDB reports only the first problem)
-------------------------------------------------------------------------
1. shapes (validate.py), before this module;
2. `check_mixed` - before everything below [D][L][X] (including the unused
   placeholder checks [X]);
3. the placeholder maps (dyncore.expr.names): names or values given without
   an expression are reported before any malformed legacy entry [D
   updateItem.js: "ExpressionAttributeNames can only be specified when using
   expressions" with Expected {a: {}}]. Past step 2 a request with a legacy
   condition has no expression of the same kind, so their relative order
   matters only for Query's KeyConditions beside FilterExpression /
   ProjectionExpression (expressions first [D validations/query.js]);
4. the legacy parameters, each complete before the next:
   UpdateItem: AttributeUpdates (`update_of`), then Expected [D updateItem.js:
   an update without value is reported before a malformed Expected entry];
   PutItem, DeleteItem: Expected;
   Query: QueryFilter (`filter_condition`), then AttributesToGet, then the
   key-condition checks [D query.js, validations/query.js; X: a misused
   ConditionalOperator comes before "Either the KeyConditions or
   KeyConditionExpression parameter must be specified"];
   Scan: AttributesToGet, then ScanFilter [D scan.js: the duplicate name is
   reported before a malformed ScanFilter value];
   GetItem, BatchGetItem: AttributesToGet.
   Within `expected_condition` / `filter_condition` the ConditionalOperator
   rule comes first, then the entries in request order, each entry complete
   (structure, values, operator) before the next. The place of the
   ConditionalOperator rule is inferred: regions split on it [C26: a Scan
   with one ScanFilter entry and ConditionalOperator reports the
   ConditionalOperator in 3 of 10 regions, a deeper value problem in 7].
5. table-dependent checks: `check_query_filter_keys` ("QueryFilter can only
   contain non-primary key attributes: Primary key attribute: a" [D]).
The write operations' "1 validation error detected: " envelope [C26] is the
caller's, as for expressions.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from dyncore.errors import ValidationException
from dyncore.expr.ast import (
    AddAction, And, Between, Call, Compare, DeleteAction, In, Not, Or, Path, Projection,
    RemoveAction, SetAction, Update, Value, compare_values, value_type,
)

__all__ = [
    "check_mixed", "check_conditional_operator", "expected_condition", "filter_condition",
    "projection_of", "update_of", "check_query_filter_keys", "legacy_update_error",
    "NON_EXPRESSION_PARAMETERS", "EXPRESSION_PARAMETERS", "OPERATION_PARAMETERS",
    "COMPARISON_OPERATORS", "PLACEHOLDER_PREFIX",
]

CheckValue = Callable[[Any], Any]

INVALID = "One or more parameter values were invalid: "
PLACEHOLDER_PREFIX = ":legacy"

# The orders DynamoDB lists them in [L].
NON_EXPRESSION_PARAMETERS = ("AttributeUpdates", "AttributesToGet", "Expected", "QueryFilter",
                             "ScanFilter", "ConditionalOperator", "KeyConditions")
EXPRESSION_PARAMETERS = ("UpdateExpression", "ProjectionExpression", "ConditionExpression",
                         "FilterExpression", "KeyConditionExpression")

# operation -> (its non-expression parameters, its expression parameters)
_READ = (("AttributesToGet",), ("ProjectionExpression",))
_WRITE = (("Expected", "ConditionalOperator"), ("ConditionExpression",))
OPERATION_PARAMETERS = {
    "GetItem": _READ,
    "BatchGetItem": _READ,  # one RequestItems entry
    "PutItem": _WRITE,
    "DeleteItem": _WRITE,
    "UpdateItem": (("AttributeUpdates", "Expected", "ConditionalOperator"),
                   ("UpdateExpression", "ConditionExpression")),
    "Query": (("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"),
              ("ProjectionExpression", "FilterExpression", "KeyConditionExpression")),
    "Scan": (("AttributesToGet", "ScanFilter", "ConditionalOperator"),
             ("ProjectionExpression", "FilterExpression")),
}

_ANY = frozenset(("S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"))
_SORTABLE = frozenset(("S", "N", "B"))
_CONTAINABLE = frozenset(("S", "N", "B", "BOOL", "NULL"))

# operator -> (min values, max values or None, allowed value types) [D][L]
COMPARISON_OPERATORS = {
    "EQ": (1, 1, _ANY),
    "NE": (1, 1, _ANY),
    "LE": (1, 1, _SORTABLE),
    "LT": (1, 1, _SORTABLE),
    "GE": (1, 1, _SORTABLE),
    "GT": (1, 1, _SORTABLE),
    "NOT_NULL": (0, 0, _ANY),
    "NULL": (0, 0, _ANY),
    "CONTAINS": (1, 1, _CONTAINABLE),
    "NOT_CONTAINS": (1, 1, _CONTAINABLE),
    "BEGINS_WITH": (1, 1, frozenset(("S", "B"))),
    "IN": (1, None, _SORTABLE),
    "BETWEEN": (2, 2, _SORTABLE),
}

_COMPARATOR = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}

_SET_TYPES = frozenset(("SS", "NS", "BS"))
_ADD_TYPES = frozenset(("N", "SS", "NS", "BS", "L"))

_EMPTY_VALUE = ("Supplied AttributeValue is empty, must contain exactly one of the "
                "supported datatypes")
_MULTI_VALUE = ("Supplied AttributeValue has more than one datatypes set, must contain "
                "exactly one of the supported datatypes")

TYPE_MISMATCH = "Type mismatch for attribute to update"
_EXPR_TYPE_ERROR = "An operand in the update expression has an incorrect data type"


def _invalid(message: str) -> ValidationException:
    return ValidationException(INVALID + message)


# -- mixing -------------------------------------------------------------------


def check_mixed(operation: str, params: Mapping[str, Any]) -> None:
    """Raise DynamoDB's error if `params` (one request, or one BatchGetItem
    RequestItems entry) mixes legacy and expression parameters of
    `operation`. Operations without legacy parameters pass."""
    spec = OPERATION_PARAMETERS.get(operation)
    if spec is None:
        return
    legacy_params, expr_params = spec
    present_expr = [n for n in EXPRESSION_PARAMETERS
                    if n in expr_params and params.get(n) is not None]
    if not present_expr:
        return
    with_kce = params.get("KeyConditionExpression") is not None
    present_legacy = [n for n in NON_EXPRESSION_PARAMETERS
                      if n in legacy_params and params.get(n) is not None
                      and (n != "KeyConditions" or with_kce)]
    if present_legacy:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(present_legacy)}}} "
            f"Expression parameters: {{{', '.join(present_expr)}}}")


def check_conditional_operator(conditional_operator: str | None, entries: int) -> None:
    """The ConditionalOperator rule for a map of `entries` conditions."""
    if conditional_operator is None:
        return
    if entries == 0:
        raise ValidationException("ConditionalOperator cannot be used without Filter or Expected")
    if entries == 1:
        raise ValidationException(
            "ConditionalOperator can only be used when Filter or Expected has two or more "
            "elements")


# -- values and operators ------------------------------------------------------


class _Placeholders:
    """Value placeholder names :legacy0, :legacy1, ... for one tree."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def value(self, av: Any) -> Value:
        v = Value(f"{PLACEHOLDER_PREFIX}{self.n}", av)
        self.n += 1
        return v


def _type(av: Any) -> str:
    """The type code of a value; the codec's messages for a value that has
    none (reached only when the caller did not validate values first)."""
    t = value_type(av)
    if t is None:
        if isinstance(av, Mapping) and len(av) > 1:
            raise ValidationException(_MULTI_VALUE)
        raise ValidationException(_EMPTY_VALUE)
    return t


def _check_values(values: Iterable[Any], check_value: CheckValue | None) -> list:
    """The values after the caller's hook (which may raise or convert)."""
    if check_value is None:
        return list(values)
    out = []
    for av in values:
        new = check_value(av)
        out.append(av if new is None else new)
    return out


def _check_arguments(op: str, values: list) -> None:
    """Operator checks a-c (module docstring)."""
    lo, hi, allowed = COMPARISON_OPERATORS[op]
    n = len(values)
    if n < lo or (hi is not None and n > hi):
        raise _invalid(f"Invalid number of argument(s) for the {op} ComparisonOperator")
    first = None
    for av in values:
        t = _type(av)
        if first is None:
            first = t
        if t not in allowed:
            raise _invalid(f"ComparisonOperator {op} is not valid for {t} AttributeValue type")
        if t != first:
            raise _invalid("AttributeValues inside AttributeValueList must be of same type")
    if op == "BETWEEN":
        order = compare_values(values[0], values[1])
        if order is not None and order > 0:
            raise ValidationException("The BETWEEN condition was provided a range where the "
                                      "lower bound is greater than the upper bound")


def _operator_tree(name: str, op: str, values: list, ph: _Placeholders) -> Any:
    """The condition tree of `name <op> values` (operator mapping table)."""
    path = Path((name,))
    if op == "NULL":
        return Call("attribute_not_exists", (path,))
    if op == "NOT_NULL":
        return Call("attribute_exists", (path,))
    vals = [ph.value(av) for av in values]
    if op in _COMPARATOR:
        return Compare(_COMPARATOR[op], path, vals[0])
    if op == "CONTAINS":
        return Call("contains", (path, vals[0]))
    if op == "NOT_CONTAINS":
        return And(Call("attribute_exists", (path,)), Not(Call("contains", (path, vals[0]))))
    if op == "BEGINS_WITH":
        return Call("begins_with", (path, vals[0]))
    if op == "IN":
        return In(path, tuple(vals))
    if op == "BETWEEN":
        return Between(path, vals[0], vals[1])
    raise ValueError(f"unknown ComparisonOperator {op!r}")


def _join(conditions: list, conditional_operator: str | None) -> Any:
    node_type = Or if conditional_operator == "OR" else And
    tree = conditions[0]
    for c in conditions[1:]:
        tree = node_type(tree, c)
    return tree


# -- Expected ------------------------------------------------------------------


def _expected_entry(name: str, ev: Mapping[str, Any] | None, ph: _Placeholders,
                    check_value: CheckValue | None) -> Any:
    if ev is None:  # [L]; a null map value normally stops at the shape check
        raise _invalid(f"ExpectedAttributeValue must not be null for Attribute: {name}")
    exists = ev.get("Exists")
    value = ev.get("Value")
    avl = ev.get("AttributeValueList")
    op = ev.get("ComparisonOperator")
    if exists is not None and op is not None:
        raise _invalid("Exists and ComparisonOperator cannot be used together for "
                       f"Attribute: {name}")
    if value is not None and avl is not None:
        raise _invalid("Value and AttributeValueList cannot be used together for "
                       f"Attribute: {name}")
    if op is None and avl is not None:
        raise _invalid("AttributeValueList can only be used with a ComparisonOperator for "
                       f"Attribute: {name}")
    if exists is False and value is not None:
        raise _invalid(f"Value cannot be used when Exists is false for Attribute: {name}")
    if value is None and avl is None:
        if op is not None:
            if op not in ("NULL", "NOT_NULL"):
                raise _invalid("Value or AttributeValueList must be used with ComparisonOperator: "
                               f"{op} for Attribute: {name}")
        elif exists is None:
            raise _invalid(f"Value must be provided when Exists is null for Attribute: {name}")
        elif exists:
            raise _invalid(f"Value must be provided when Exists is true for Attribute: {name}")
    if value is not None:
        (value,) = _check_values((value,), check_value)
    if avl is not None:
        avl = _check_values(avl, check_value)
    if op is not None:
        args = [value] if value is not None else list(avl or ())
        _check_arguments(op, args)
        return _operator_tree(name, op, args, ph)
    if exists is False:
        return Call("attribute_not_exists", (Path((name,)),))
    _type(value)
    return Compare("=", Path((name,)), ph.value(value))


def expected_condition(expected: Mapping[str, Any] | None, conditional_operator: str | None = None,
                       *, check_value: CheckValue | None = None) -> Any:
    """The condition tree of an Expected map joined by ConditionalOperator
    (None when there is no entry). Call it whenever Expected or
    ConditionalOperator is present: the ConditionalOperator rule needs it."""
    check_conditional_operator(conditional_operator, len(expected) if expected else 0)
    if not expected:
        return None
    ph = _Placeholders()
    conditions = [_expected_entry(name, ev, ph, check_value) for name, ev in expected.items()]
    return _join(conditions, conditional_operator)


# -- QueryFilter / ScanFilter ----------------------------------------------------------


def filter_condition(filters: Mapping[str, Any] | None, conditional_operator: str | None = None,
                     param: str = "ScanFilter", *,
                     check_value: CheckValue | None = None) -> Any:
    """The condition tree of a QueryFilter / ScanFilter (`param` names which)
    joined by ConditionalOperator (None when there is no entry). Call it
    whenever the filter or ConditionalOperator is present."""
    if param not in ("QueryFilter", "ScanFilter"):
        raise ValueError(f"param must be QueryFilter or ScanFilter, not {param!r}")
    check_conditional_operator(conditional_operator, len(filters) if filters else 0)
    if not filters:
        return None
    ph = _Placeholders()
    conditions = []
    for name, cond in filters.items():
        if cond is None:  # [L]; a null map value normally stops at the shape check
            raise ValidationException("The filter condition for an attribute cannot be null")
        op = cond.get("ComparisonOperator")
        values = _check_values(cond.get("AttributeValueList") or (), check_value)
        _check_arguments(op, values)
        conditions.append(_operator_tree(name, op, values, ph))
    return _join(conditions, conditional_operator)


def check_query_filter_keys(filters: Mapping[str, Any] | None, key_names: Iterable[str]) -> None:
    """A QueryFilter may not name a key attribute of the table or index
    queried; `key_names` in key-schema order (hash first) [D]."""
    if not filters:
        return
    for key in key_names:
        if key is not None and key in filters:
            raise ValidationException("QueryFilter can only contain non-primary key attributes: "
                                      f"Primary key attribute: {key}")


# -- AttributesToGet ----------------------------------------------------------------------


def projection_of(attributes_to_get: Iterable[str]) -> Projection:
    """The Projection of an AttributesToGet list (top-level names)."""
    names = list(attributes_to_get)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _invalid(f"Duplicate value in attribute name: {name}")
        seen.add(name)
    return Projection(tuple(Path((name,)) for name in names))


# -- AttributeUpdates ---------------------------------------------------------------------


def update_of(attribute_updates: Mapping[str, Any], *,
              check_value: CheckValue | None = None) -> Update:
    """The Update tree of an AttributeUpdates map."""
    ph = _Placeholders()
    sets: list = []
    removes: list = []
    adds: list = []
    deletes: list = []
    for name, upd in attribute_updates.items():
        upd = upd or {}
        action = upd.get("Action") or "PUT"
        value = upd.get("Value")
        if value is not None:
            (value,) = _check_values((value,), check_value)
        else:
            if action != "DELETE":
                raise _invalid("Only DELETE action is allowed when no attribute value is specified")
            removes.append(RemoveAction(Path((name,))))
            continue
        t = _type(value)
        path = Path((name,))
        if action == "DELETE":
            if t not in _SET_TYPES:
                raise _invalid(f"DELETE action with value is not supported for the type {t}")
            deletes.append((path, value))
        elif action == "ADD":
            if t not in _ADD_TYPES:
                raise _invalid(f"ADD action is not supported for the type {t}")
            adds.append((path, value))
        else:
            sets.append((path, value))
    # Placeholders are numbered in the order the actions print: SET, REMOVE,
    # ADD, DELETE.
    actions: list = []
    for path, value in sets:
        actions.append(SetAction(path, ph.value(value)))
    for path, value in adds:
        if value_type(value) == "L":
            empty = ph.value({"L": []})
            actions.append(SetAction(path, Call("list_append", (
                Call("if_not_exists", (path, empty)), ph.value(value)))))
    actions.extend(removes)
    for path, value in adds:
        if value_type(value) != "L":
            actions.append(AddAction(path, ph.value(value)))
    for path, value in deletes:
        actions.append(DeleteAction(path, ph.value(value)))
    return Update(tuple(actions))


def legacy_update_error(error: ValidationException) -> ValidationException:
    """The error a legacy AttributeUpdates request gets for `error`, raised
    while applying the tree from `update_of`: the expression form's operand
    type error reads "Type mismatch for attribute to update" there [D]."""
    if error.message.startswith(_EXPR_TYPE_ERROR):
        return ValidationException(TYPE_MISMATCH)
    return error
