"""KeyConditionExpression analysis.

Rules
-----
A key condition is an AND of simple conditions, each on one top-level key
attribute: `k = v`, `k < v`, `k <= v`, `k > v`, `k >= v` (the value may come
first: `:v <= k` is `k >= :v`), `k BETWEEN v1 AND v2`, `begins_with(k, v)`.
Checks happen in two steps, as in DynamoDB:

`validate_key_condition(tree)` - before the table is known; it walks the tree
top-down, left to right, and stops at the first problem:

    OR / NOT / IN / <> / other functions
        "Invalid operator used in KeyConditionExpression: OR" (functions by name)
    BETWEEN or begins_with whose first operand is not a path
        "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression:
        BETWEEN operator must have the key attribute as its first operand"
    then each operand in turn:
      size()            "Invalid KeyConditionExpression: KeyConditionExpressions
                         cannot contain nested operations"
      a second path     "Invalid KeyConditionExpression: Invalid condition in
                         KeyConditionExpression: Multiple attribute names used
                         in one condition"
      a nested path     "Invalid KeyConditionExpression: KeyConditionExpressions
                         cannot have conditions on nested attributes"
    no path at all      "Invalid KeyConditionExpression: Invalid condition in
                         KeyConditionExpression: No key attribute specified"
    (the "Invalid condition" messages without their lead in dynalite's older
    recordings; current DynamoDB leads with it, as moto's re-runs show)
    a key used twice    "Invalid KeyConditionExpression: KeyConditionExpressions
                         must only contain one condition per key"
    an ordering operator (< <= > >= BETWEEN) with a value no key can hold
        "Invalid KeyConditionExpression: Incorrect operand type for operator or
        function; operator or function: <, operand type: BOOL"

`analyse_key_condition(tree, (pk, sk))` - once the key schema is known:

    more conditions than key attributes
        "The number of query conditions (3) exceeds the number of key attributes
        defined in the schema (2)"
    no condition on pk  "Query condition missed key schema element: pk"
    a condition on anything but pk and sk
        "Query condition missed key schema element: sk"
    value type differs from the key's type (only if `key_types` is given)
        "One or more parameter values were invalid: Condition parameter type
        does not match schema type"  (DynamoDB: ":a > pk" with a number for a
        string key reports this, not the operator)
    pk not compared with =   "Query key condition not supported"

A global secondary index may have multi-attribute keys (up to four
partition key and four sort key attributes; `match_key_terms`): each
partition key attribute needs its = condition (else "missed key schema
element" naming it), sort key attributes are taken from the left without a
gap (a gap: "missed key schema element" naming the first one skipped) and
only the last one given may use another operator than = ("Query key
condition not supported"). The last two messages are [verify].

BETWEEN bounds of different types or in the wrong order are rejected for every
condition kind by `parser.check`; `format_value` prints AttributeValues as
those messages do ("{N:5}").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from dyncore.errors import ValidationException
from dyncore.expr.ast import (
    And, Between, Call, Compare, In, Not, Or, Path, Value, format_value, iter_paths,
    value_type,
)

__all__ = [
    "KeyTerm", "KeyCondition", "IndexKeyCondition", "validate_key_condition",
    "analyse_key_condition", "match_key_terms",
    "check_filter_keys", "format_value",
]

_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDERING = frozenset({"<", "<=", ">", ">=", "BETWEEN"})
_KEY_TYPES = frozenset({"S", "N", "B"})


@dataclass(frozen=True, slots=True)
class KeyTerm:
    """One condition of a key condition: `name` op `values`. `op` is "=",
    "<", "<=", ">", ">=" (normalised so the attribute is on the left),
    "BETWEEN" (two values) or "begins_with"."""

    name: str
    op: str
    values: tuple


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """What a Query reads: the partition key value, and the sort key
    condition (`sk_op` None when there is none)."""

    pk_value: Any
    sk_op: str | None
    sk_values: tuple


def _invalid_operator(name: str) -> ValidationException:
    return ValidationException(f"Invalid operator used in KeyConditionExpression: {name}")


def _invalid_condition(message: str) -> ValidationException:
    # current DynamoDB leads with "Invalid KeyConditionExpression: " (moto's
    # tests re-run against it); dynalite's older recordings have it bare
    return ValidationException("Invalid KeyConditionExpression: Invalid condition in "
                               f"KeyConditionExpression: {message}")


def _invalid(message: str) -> ValidationException:
    return ValidationException(f"Invalid KeyConditionExpression: {message}")


class _Validator:
    def __init__(self) -> None:
        self.terms: list[KeyTerm] = []

    def walk(self, node: Any) -> None:
        if isinstance(node, And):
            self.walk(node.left)
            self.walk(node.right)
        elif isinstance(node, Or):
            raise _invalid_operator("OR")
        elif isinstance(node, Not):
            raise _invalid_operator("NOT")
        elif isinstance(node, In):
            raise _invalid_operator("IN")
        elif isinstance(node, Compare) and node.op == "<>":
            raise _invalid_operator("<>")
        elif isinstance(node, Call) and node.name != "begins_with":
            raise _invalid_operator(node.name)
        elif isinstance(node, (Compare, Between, Call)):
            self.term(node)
        else:  # pragma: no cover - parser.check accepts nothing else
            raise TypeError(node)

    def term(self, node: Any) -> None:
        if isinstance(node, Between):
            op, operands = "BETWEEN", (node.operand, node.low, node.high)
        elif isinstance(node, Call):
            op, operands = "begins_with", node.args
        else:
            op, operands = node.op, (node.left, node.right)
        if op in ("BETWEEN", "begins_with") and not isinstance(operands[0], Path):
            raise _invalid_condition(f"{op} operator must have the key attribute as its first operand")
        attr: Path | None = None
        values = []
        for o in operands:
            if isinstance(o, Call):
                raise _invalid("KeyConditionExpressions cannot contain nested operations")
            if isinstance(o, Path):
                if attr is not None:
                    raise _invalid_condition("Multiple attribute names used in one condition")
                if len(o.elements) != 1:
                    raise _invalid("KeyConditionExpressions cannot have conditions on nested attributes")
                attr = o
            else:
                values.append(o.value if isinstance(o, Value) else o)
        if attr is None:
            raise _invalid_condition("No key attribute specified")
        name = attr.elements[0]
        if any(t.name == name for t in self.terms):
            raise _invalid("KeyConditionExpressions must only contain one condition per key")
        if op in _ORDERING:
            for v in values:
                t = value_type(v)
                if t not in _KEY_TYPES:
                    raise _invalid("Incorrect operand type for operator or function; "
                                   f"operator or function: {op}, operand type: {t}")
        if isinstance(node, Compare) and not isinstance(operands[0], Path):
            op = _FLIP[op]
        self.terms.append(KeyTerm(name, op, tuple(values)))


def validate_key_condition(tree: Any) -> tuple[KeyTerm, ...]:
    """The key terms of a resolved, checked KeyConditionExpression tree, in
    textual order; raises ValidationException for a shape DynamoDB rejects
    before it looks at the table."""
    v = _Validator()
    v.walk(tree)
    return tuple(v.terms)


def analyse_key_condition(tree: Any, key_schema_names: tuple[str, str | None],
                          key_types: Mapping[str, str] | None = None) -> KeyCondition:
    """Match a KeyConditionExpression tree against the key schema (partition
    key name, sort key name or None) of the table or index queried.
    `key_types` ({name: "S" | "N" | "B"}) enables the value type check."""
    pk, sk = key_schema_names
    kc = match_key_terms(validate_key_condition(tree), (pk,), () if sk is None else (sk,),
                         key_types)
    return KeyCondition(kc.pk_values[0], kc.sk_op, kc.sk_values)


@dataclass(frozen=True, slots=True)
class IndexKeyCondition:
    """What a Query of a key of several attributes reads (one attribute a
    side is the simple case): the value of each partition key attribute,
    the values of the leading sort key attributes compared with =, and
    the condition (`sk_op` None: none) on the sort key attribute after
    them."""

    pk_values: tuple
    sk_eq: tuple
    sk_op: str | None
    sk_values: tuple


def match_key_terms(terms: tuple, pks: tuple, sks: tuple,
                    key_types: Mapping[str, str] | None = None) -> IndexKeyCondition:
    """Match key terms against a key schema of partition key attributes pks
    and sort key attributes sks (DynamoDB's multi-attribute keys of a
    global secondary index have up to four each). Every partition key
    attribute needs an = condition; sort key attributes are used from the
    left without a gap, all but the last one given with =. With one
    attribute a side, the checks and messages are those of a table."""
    n_keys = len(pks) + len(sks)
    if len(terms) > n_keys:
        raise ValidationException(
            f"The number of query conditions ({len(terms)}) exceeds the number of key "
            f"attributes defined in the schema ({n_keys})")
    by_name = {t.name: t for t in terms}
    for pk in pks:
        if pk not in by_name:
            raise ValidationException(f"Query condition missed key schema element: {pk}")
    keys = set(pks) | set(sks)
    for t in terms:
        if t.name not in keys:
            missing = next((s for s in sks if s not in by_name), sks[0] if sks else None)
            raise ValidationException(f"Query condition missed key schema element: {missing}")
    if key_types is not None:
        for t in terms:
            for v in t.values:
                if value_type(v) != key_types.get(t.name):
                    raise ValidationException("One or more parameter values were invalid: "
                                              "Condition parameter type does not match schema type")
    if any(by_name[pk].op != "=" for pk in pks):
        raise ValidationException("Query key condition not supported")
    given = [s for s in sks if s in by_name]
    m = len(given)
    if tuple(given) != tuple(sks[:m]):   # a gap: [verify] DynamoDB's message
        gap = next(s for s in sks if s not in by_name)
        raise ValidationException(f"Query condition missed key schema element: {gap}")
    if m and any(by_name[s].op != "=" for s in sks[:m - 1]):   # [verify] the message
        raise ValidationException("Query key condition not supported")
    pk_values = tuple(by_name[pk].values[0] for pk in pks)
    if m == 0:
        return IndexKeyCondition(pk_values, (), None, ())
    last = by_name[sks[m - 1]]
    return IndexKeyCondition(pk_values, tuple(by_name[s].values[0] for s in sks[:m - 1]),
                             last.op, last.values)


def check_filter_keys(tree: Any, key_names: Iterable[str]) -> None:
    """A Query's FilterExpression may not mention a key attribute of the
    table or index queried, even as the head of a nested path."""
    keys = set(key_names)
    for p in iter_paths(tree):
        if p.elements[0] in keys:
            raise ValidationException("Filter Expression can only contain non-primary key "
                                      f"attributes: Primary key attribute: {p.elements[0]}")
