"""Expression attribute names and values: resolution and request hygiene.

Rules
-----
A request carries up to five expressions and one pair of maps,
ExpressionAttributeNames (#placeholder -> attribute name) and
ExpressionAttributeValues (:placeholder -> AttributeValue). DynamoDB checks
them in this order and reports the first failure:

1. names given but no expression at all -> "ExpressionAttributeNames can only
   be specified when using expressions"; values given but none of the
   expressions that can use values (all but ProjectionExpression) ->
   "ExpressionAttributeValues can only be specified when using expressions:
   UpdateExpression and ConditionExpression are null" (the list and its order
   depend on the operation: `values_null_order`).
2. names: empty map, then keys not matching #[A-Za-z0-9_]+ ('...contains
   invalid key: Syntax error; key: "a"'); then the same for values. Values'
   contents are opaque here; `check_value` is the hook for the caller's
   AttributeValue validation.
3. each expression in the order given: empty, too long, syntax, limits,
   functions, reserved words, clauses (`parser.parse`).
4. each expression in the order given: placeholders resolved in textual order
   (the first undefined #name or :value wins), then `parser.check`, then for a
   KeyConditionExpression `keycond.validate_key_condition`.
5. unused names, then unused values, listed in the maps' order:
   "Value provided in ExpressionAttributeNames unused in expressions: keys:
   {#a, #b}".

Resolution replaces every `NameRef` in a path by the attribute name it stands
for and gives every `Value` its AttributeValue; the result is the public tree.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from dyncore.errors import ValidationException
from dyncore.expr import keycond
from dyncore.expr.ast import (
    AddAction, And, Arith, Between, Call, Compare, DeleteAction, In, NameRef, Not, Or,
    Path, Projection, RemoveAction, SetAction, Update, Value,
)
from dyncore.expr.parser import SHALLOW_CHARS, check, deep_recursion, invalid, parse

__all__ = [
    "EXPRESSION_PARAMETERS", "NAME_KEY", "VALUE_KEY", "resolve", "parse_one",
    "parse_expressions",
]

# request parameter -> expression kind
EXPRESSION_PARAMETERS = {
    "ConditionExpression": "Condition",
    "KeyConditionExpression": "KeyCondition",
    "FilterExpression": "Filter",
    "ProjectionExpression": "Projection",
    "UpdateExpression": "Update",
}

NAME_KEY = re.compile(r"#[A-Za-z0-9_]+\Z")
VALUE_KEY = re.compile(r":[A-Za-z0-9_]+\Z")


class _Resolver:
    def __init__(self, kind: str, names: Mapping[str, str] | None,
                 values: Mapping[str, Any] | None):
        self.kind = kind
        self.names = names or {}
        self.values = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def path(self, p: Path) -> Path:
        out = []
        for e in p.elements:
            if isinstance(e, NameRef):
                if e.name not in self.names:
                    raise invalid(self.kind, "An expression attribute name used in the document "
                                             f"path is not defined; attribute name: {e.name}")
                self.used_names.add(e.name)
                out.append(self.names[e.name])
            else:
                out.append(e)
        return Path(tuple(out))

    def value(self, v: Value) -> Value:
        if v.name not in self.values:
            raise invalid(self.kind, "An expression attribute value used in expression is not "
                                     f"defined; attribute value: {v.name}")
        self.used_values.add(v.name)
        return Value(v.name, self.values[v.name])

    def node(self, n: Any) -> Any:
        # Children are visited left to right, i.e. in textual order.
        r = self.node
        if isinstance(n, Path):
            return self.path(n)
        if isinstance(n, Value):
            return self.value(n)
        if isinstance(n, Call):
            return Call(n.name, tuple(r(a) for a in n.args))
        if isinstance(n, Compare):
            return Compare(n.op, r(n.left), r(n.right))
        if isinstance(n, Between):
            return Between(r(n.operand), r(n.low), r(n.high))
        if isinstance(n, In):
            operand = r(n.operand)
            return In(operand, tuple(r(c) for c in n.choices))
        if isinstance(n, And):
            return And(r(n.left), r(n.right))
        if isinstance(n, Or):
            return Or(r(n.left), r(n.right))
        if isinstance(n, Not):
            return Not(r(n.operand))
        if isinstance(n, Arith):
            return Arith(n.op, r(n.left), r(n.right))
        if isinstance(n, SetAction):
            path = self.path(n.path)
            return SetAction(path, r(n.value))
        if isinstance(n, RemoveAction):
            return RemoveAction(self.path(n.path))
        if isinstance(n, (AddAction, DeleteAction)):
            path = self.path(n.path)
            return type(n)(path, self.value(n.value))
        if isinstance(n, Update):
            return Update(tuple(r(a) for a in n.actions))
        if isinstance(n, Projection):
            return Projection(tuple(self.path(p) for p in n.paths))
        raise TypeError(f"not an expression node: {n!r}")


def resolve(tree: Any, kind: str, names: Mapping[str, str] | None = None,
            values: Mapping[str, Any] | None = None, *, shallow: bool = False):
    """(resolved tree, names used, values used) for an unresolved tree.
    `shallow`: the tree comes from a short text (parser.SHALLOW_CHARS), so
    the recursion limit needs no raise."""
    res = _Resolver(kind, names, values)
    if shallow:
        out = res.node(tree)
    else:
        with deep_recursion():
            out = res.node(tree)
    return out, res.used_names, res.used_values


def _validate(tree: Any, kind: str, shallow: bool = False) -> None:
    check(tree, kind, shallow=shallow)
    if kind == "KeyCondition":
        keycond.validate_key_condition(tree)


def parse_one(text: str, kind: str, names: Mapping[str, str] | None = None,
              values: Mapping[str, Any] | None = None):
    """Parse, resolve and check one expression of `kind` (no unused-placeholder
    check: that needs the whole request)."""
    tree = parse(text, kind)
    tree, _, _ = resolve(tree, kind, names, values)
    _validate(tree, kind)
    return tree


def _unused(label: str, given: Mapping[str, Any], used: set[str]) -> None:
    unused = [k for k in given if k not in used]
    if unused:
        raise ValidationException(
            f"Value provided in {label} unused in expressions: keys: {{{', '.join(unused)}}}")


def parse_expressions(
    expressions: Mapping[str, str | None],
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    *,
    values_null_order: tuple[str, ...] | None = None,
    check_value: Callable[[str, Any], None] | None = None,
) -> dict[str, Any]:
    """Check and parse a request's expressions.

    `expressions` maps request parameter names (keys of
    EXPRESSION_PARAMETERS) to the expression text, or None when the request
    does not carry it; its order is the order DynamoDB checks them in for the
    operation (UpdateItem: UpdateExpression, ConditionExpression; Query:
    KeyConditionExpression, FilterExpression, ProjectionExpression).
    `values_null_order` is the order DynamoDB lists the value-capable
    expressions in "... can only be specified when using expressions: A and B
    are null" (Query: FilterExpression, KeyConditionExpression); it defaults to
    the order of `expressions`. `check_value(key, attribute_value)` may raise
    for an invalid value. Returns {parameter: resolved tree} for the
    expressions present.
    """
    for param in expressions:
        if param not in EXPRESSION_PARAMETERS:
            raise ValueError(f"unknown expression parameter {param!r}")
    present = [p for p, text in expressions.items() if text is not None]

    if names is not None and not present:
        raise ValidationException("ExpressionAttributeNames can only be specified when using expressions")
    value_params = [p for p in (values_null_order or tuple(expressions))
                    if p != "ProjectionExpression"]
    if values is not None and value_params and all(expressions.get(p) is None for p in value_params):
        verb = "are" if len(value_params) > 1 else "is"
        raise ValidationException("ExpressionAttributeValues can only be specified when using "
                                  f"expressions: {' and '.join(value_params)} {verb} null")

    if names is not None:
        if not names:
            raise ValidationException("ExpressionAttributeNames must not be empty")
        for key, name in names.items():
            if not isinstance(key, str) or not NAME_KEY.match(key):
                raise ValidationException(
                    f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
            if name == "" or name is None:   # null (JSON form): as empty [inferred]
                raise ValidationException(
                    f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}")
    if values is not None:
        if not values:
            raise ValidationException("ExpressionAttributeValues must not be empty")
        for key in values:
            if not isinstance(key, str) or not VALUE_KEY.match(key):
                raise ValidationException(
                    f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        if check_value is not None:
            converted = {}
            for key, av in values.items():
                out = check_value(key, av)
                converted[key] = av if out is None else out
            values = converted

    trees = {p: parse(expressions[p], EXPRESSION_PARAMETERS[p]) for p in present}

    used_names: set[str] = set()
    used_values: set[str] = set()
    out: dict[str, Any] = {}
    for p in present:
        kind = EXPRESSION_PARAMETERS[p]
        shallow = len(expressions[p]) <= SHALLOW_CHARS
        tree, n_used, v_used = resolve(trees[p], kind, names, values, shallow=shallow)
        _validate(tree, kind, shallow)
        used_names |= n_used
        used_values |= v_used
        out[p] = tree

    if names:
        _unused("ExpressionAttributeNames", names, used_names)
    if values:
        _unused("ExpressionAttributeValues", values, used_values)
    return out
