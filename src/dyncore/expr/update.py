"""Applying an UpdateExpression tree to an item.

    check_update_keys(tree, ("pk", "sk"))    # static: no action on a key
    new_item = apply_update(tree, old_item)  # old_item None: no such item
    paths = updated_paths(tree)              # for ReturnValues UPDATED_*

Semantics (sources: [S] ScyllaDB alternator tests test_update_expression.py
/ test_number.py, which run against AWS; [D] dynalite test/updateItem.js,
recorded against DynamoDB, and actions/updateItem.js; [P] AWS API reference
error list; [X] live captures in other emulators' issue threads; [I]
inferred)
---------
1. Every operand is read from the item as it was before the update: "SET
   x = :v, y = x" fails if x did not exist, "REMOVE a SET b = a" copies a
   [S test_update_expression_set_copy, test_update_expression_multi_with_copy].
   So all SET values are computed first, in textual order, then the targets
   are checked, in textual order, then the new item is built [D order of
   checks; I for which error wins when two actions fail].
2. List positions in paths are positions in the original list: "REMOVE a[1]
   SET a[3] = :v" on [2,3,4,5,6,7] gives [2,4,17,6,7] [S
   test_update_expression_nested_remove_list_item_original_number]. SET or
   ADD at an index past the end appends; several such appends are sorted by
   index [S test_nested_attribute_update_array_out_of_bounds; D "should update
   nested attributes": SET c[4], c[2] and ADD c[8], c[6] append 2, 4, 6, 8].
3. A target's parent (the path without its last step) must exist and be a
   map (next step a name) or a list (next step an index), else "The document
   path provided in the update expression is invalid for update" (no
   "Invalid UpdateExpression:" prefix) for SET, REMOVE, ADD and DELETE alike
   [D, S test_nested_attribute_update_bad_path_dot/_array]. Exception: when
   the item does not exist at all, REMOVE does nothing, whatever the path [S
   test_nested_attribute_remove_from_missing_item, an xfail there because
   DynamoDB allows it].
4. REMOVE of a missing leaf (map key absent, index past the end) does nothing
   [S]; removing list elements closes the gaps; maps and lists may become
   empty [S].
5. SET operands: a missing path -> "The provided expression refers to an
   attribute that does not exist in the item" [D]; `+`/`-` on a non-number,
   list_append on a non-list -> "An operand in the update expression has an
   incorrect data type" [D] (both without prefix; operands are evaluated left
   to right, so the left one's problem is reported first [D code]);
   if_not_exists(p, v): p's value if present, else v [S].
6. Arithmetic is exact. A result of magnitude >= 1E126 -> "Number overflow.
   Attempting to store a number with magnitude larger than supported range";
   nonzero magnitude < 1E-130 -> "Number underflow. Attempting to store a
   number with magnitude smaller than supported range" [P; X ExtendDB #94];
   more than 38 significant digits (1E50 + 1) -> also "Number overflow. ..."
   [S test_update_expression_plus_imprecise: "Strangely, DynamoDB says that
   the error is: Number overflow ..."], not "Attempting to store more than 38
   significant digits in a Number", which DynamoDB uses for input values (the
   caller's check). Results are written in plain positional notation without
   exponent or trailing zeros, "-0" as "0" [I, from how DynamoDB returns
   numbers].
7. ADD: missing target -> the value (a number, or a set); number + number;
   set union (existing order kept, new elements appended) when the element
   types match; anything else -> "An operand in the update expression has an
   incorrect data type" [D, S]. DELETE: missing target -> nothing; set
   difference, and an emptied set removes the attribute (or list element) [S];
   a type mismatch -> the same incorrect-data-type message [D].
8. Keys: any action whose path starts at a key attribute, nested or not, is
   refused statically with "One or more parameter values were invalid: Cannot
   update attribute a. This attribute is part of the key" [D "should return
   ValidationException if trying to update key": "add a.b :a" names a]; the
   first such action in text order is reported [I].

The new item shares unchanged sub-values with the old item and with the
request's values; neither input is modified.
"""
from __future__ import annotations

import re
from decimal import Context, Decimal
from typing import Any

from dyncore.errors import ValidationException
from dyncore.expr.ast import (
    AddAction, Arith, Call, DeleteAction, Path, RemoveAction, SetAction, Update, Value,
)
from dyncore.expr.evaluate import av_type, resolve_path, to_bytes

__all__ = [
    "apply_update", "check_update_keys", "updated_paths", "number_text",
    "MISSING_ATTRIBUTE", "INCORRECT_TYPE", "INVALID_PATH", "NUMBER_OVERFLOW",
    "NUMBER_UNDERFLOW",
]

MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"
INCORRECT_TYPE = "An operand in the update expression has an incorrect data type"
INVALID_PATH = "The document path provided in the update expression is invalid for update"
NUMBER_OVERFLOW = ("Number overflow. Attempting to store a number with magnitude larger than "
                   "supported range")
NUMBER_UNDERFLOW = ("Number underflow. Attempting to store a number with magnitude smaller than "
                    "supported range")
KEY_UPDATE = ("One or more parameter values were invalid: Cannot update attribute {}. "
              "This attribute is part of the key")

MAX_DIGITS = 38
MAX_EXPONENT = 125      # largest adjusted exponent: 9.99...E+125
MIN_EXPONENT = -130     # smallest adjusted exponent: 1E-130

# Exact for any two numbers in DynamoDB's range (at most ~260 digits apart).
_EXACT = Context(prec=1000, Emax=999_999, Emin=-999_999)

_SET, _DEL = "set", "del"


def _fail(message: str) -> ValidationException:
    return ValidationException(message)


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

def number_text(d: Decimal) -> str:
    """A computed number as DynamoDB stores it: range- and precision-checked,
    plain positional notation, no trailing zeros, no "-0"."""
    if not d.is_finite():
        raise _fail(NUMBER_OVERFLOW)
    if d.is_zero():
        return "0"
    d = d.normalize(_EXACT)
    adjusted = d.adjusted()
    if adjusted > MAX_EXPONENT:
        raise _fail(NUMBER_OVERFLOW)
    if adjusted < MIN_EXPONENT:
        raise _fail(NUMBER_UNDERFLOW)
    if len(d.as_tuple().digits) > MAX_DIGITS:
        raise _fail(NUMBER_OVERFLOW)   # sic: DynamoDB's message for inexact results
    return format(d, "f")


_SMALL_INT = re.compile(r"-?[0-9]{1,18}\Z").match


def _add_numbers(x: str, y: str, subtract: bool = False) -> dict:
    if _SMALL_INT(x) and _SMALL_INT(y):
        # integers of up to 18 digits: the result has at most 19, in range
        return {"N": str(int(x) - int(y) if subtract else int(x) + int(y))}
    a, b = Decimal(x), Decimal(y)
    r = _EXACT.subtract(a, b) if subtract else _EXACT.add(a, b)
    return {"N": number_text(r)}


# --------------------------------------------------------------------------
# Static checks and helpers
# --------------------------------------------------------------------------

def check_update_keys(tree: Update, key_names: tuple[str, ...] | list[str]) -> None:
    """Refuse an update whose action targets a key attribute (or a path
    inside one), with DynamoDB's message naming the attribute."""
    keys = set(key_names)
    for action in tree.actions:
        name = action.path.elements[0]
        if name in keys:
            raise _fail(KEY_UPDATE.format(name))


def updated_paths(tree: Update) -> tuple[Path, ...]:
    """The paths the actions write or remove, in textual order."""
    return tuple(a.path for a in tree.actions)


# --------------------------------------------------------------------------
# SET values
# --------------------------------------------------------------------------

def _value(node: Any, item: dict) -> dict:
    """A SET value against the original item (raises DynamoDB's messages)."""
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Path):
        v = resolve_path(item, node.elements)
        if v is None:
            raise _fail(MISSING_ATTRIBUTE)
        return v
    if isinstance(node, Arith):
        left = _value(node.left, item)
        x = left.get("N")
        if x is None:
            raise _fail(INCORRECT_TYPE)
        right = _value(node.right, item)
        y = right.get("N")
        if y is None:
            raise _fail(INCORRECT_TYPE)
        return _add_numbers(x, y, subtract=node.op == "-")
    if isinstance(node, Call):
        if node.name == "if_not_exists" and len(node.args) == 2:
            first = node.args[0]
            if isinstance(first, Path):
                v = resolve_path(item, first.elements)
                if v is not None:
                    return v
            return _value(node.args[1], item)
        if node.name == "list_append" and len(node.args) == 2:
            left = _value(node.args[0], item)
            x = left.get("L")
            if x is None:
                raise _fail(INCORRECT_TYPE)
            right = _value(node.args[1], item)
            y = right.get("L")
            if y is None:
                raise _fail(INCORRECT_TYPE)
            return {"L": x + y}
    raise TypeError(f"not an update value: {node!r}")


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------

def _target(item: dict, elements: tuple) -> tuple[bool, Any]:
    """(parent ok, existing value or None) for a target path in the original
    item; parent ok False means DynamoDB's invalid-path error."""
    if len(elements) == 1:
        return True, item.get(elements[0])
    parent = resolve_path(item, elements[:-1])
    if parent is None:
        return False, None
    last = elements[-1]
    if type(last) is int:
        seq = parent.get("L")
        if seq is None:
            return False, None
        return True, (seq[last] if last < len(seq) else None)
    m = parent.get("M")
    if m is None:
        return False, None
    return True, m.get(last)


def _set_key(t: str, x: Any) -> Any:
    if t == "NS":
        return Decimal(x)
    if t == "BS":
        return to_bytes(x)
    return x


def _add(existing: dict | None, value: dict) -> dict:
    if existing is None:
        return value
    t = av_type(value)
    current = existing.get(t)
    if current is None:
        raise _fail(INCORRECT_TYPE)
    if t == "N":
        return _add_numbers(current, value["N"])
    seen = {_set_key(t, e) for e in current}
    extra = []
    for e in value[t]:
        k = _set_key(t, e)
        if k not in seen:
            seen.add(k)
            extra.append(e)
    return {t: list(current) + extra} if extra else existing


def _delete(existing: dict | None, value: dict) -> dict | None:
    """The set after DELETE, or None when it becomes empty."""
    t = av_type(value)
    current = existing.get(t)
    if current is None:
        raise _fail(INCORRECT_TYPE)
    gone = {_set_key(t, e) for e in value[t]}
    kept = [e for e in current if _set_key(t, e) not in gone]
    if not kept:
        return None
    return existing if len(kept) == len(current) else {t: kept}


# --------------------------------------------------------------------------
# Building the new item
# --------------------------------------------------------------------------

def _apply_map(m: dict, node: dict) -> dict:
    out = dict(m)
    for key, sub in node.items():
        if type(sub) is tuple:
            if sub[0] is _SET:
                out[key] = sub[1]
            else:
                out.pop(key, None)
        else:
            out[key] = _apply_child(m[key], sub)
    return out


def _apply_child(av: dict, node: dict) -> dict:
    for first in node:
        break
    if type(first) is int:
        return {"L": _apply_list(av["L"], node)}
    return {"M": _apply_map(av["M"], node)}


def _apply_list(seq: list, node: dict) -> list:
    n = len(seq)
    out = []
    for i, x in enumerate(seq):
        sub = node.get(i)
        if sub is None:
            out.append(x)
        elif type(sub) is tuple:
            if sub[0] is _SET:
                out.append(sub[1])
        else:
            out.append(_apply_child(x, sub))
    for i in sorted(k for k in node if k >= n):
        sub = node[i]
        if type(sub) is tuple and sub[0] is _SET:
            out.append(sub[1])
    return out


# id(tree) -> (tree, compiled top-level actions or None); bounded
_SHAPES: dict[int, tuple[Update, Any]] = {}
_SHAPES_MAX = 1024


def apply_update(tree: Update, item: dict | None, key: dict | None = None) -> dict:
    """The item after the update (a new dict; `item` is not modified).

    `item` None means there is no such item: the update then starts from
    `key` (the request's Key; DynamoDB's new item holds the key attributes,
    which the expression can read) or from an empty item. Raises
    ValidationException with DynamoDB's run-time messages."""
    shape = _SHAPES.get(id(tree))
    if shape is None or shape[0] is not tree:
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()
        shape = _SHAPES[id(tree)] = (tree, _compile_top_level(tree))
    if shape[1] is not None:
        return _apply_top_level(shape[1], item, key)
    exists = item is not None
    base = item if exists else (key or {})

    # 1. SET values, from the original item, in textual order.
    values: dict[int, dict] = {}
    for i, action in enumerate(tree.actions):
        if isinstance(action, SetAction):
            values[i] = _value(action.value, base)

    # 2. Targets, in textual order: parent checks and per-action outcomes.
    root: dict = {}
    for i, action in enumerate(tree.actions):
        elements = action.path.elements
        if isinstance(action, RemoveAction) and not exists:
            continue
        ok, existing = _target(base, elements)
        if not ok:
            raise _fail(INVALID_PATH)
        if isinstance(action, SetAction):
            outcome = (_SET, values[i])
        elif isinstance(action, RemoveAction):
            if existing is None:
                continue
            outcome = (_DEL, None)
        elif isinstance(action, AddAction):
            outcome = (_SET, _add(existing, action.value.value))
        elif isinstance(action, DeleteAction):
            if existing is None:
                continue
            left = _delete(existing, action.value.value)
            outcome = (_SET, left) if left is not None else (_DEL, None)
        else:
            raise TypeError(f"not an update action: {action!r}")
        node = root
        for e in elements[:-1]:
            child = node.get(e)
            if type(child) is not dict:
                child = node[e] = {}
            node = child
        node[elements[-1]] = outcome

    # 3. The new item, copying only the containers on changed paths.
    if not root:
        return dict(base)
    return _apply_map(base, root)


def _compile_value(node: Any):
    """A SET value as a function of the original item (same results and
    errors as _value, without walking the tree on every call)."""
    if isinstance(node, Value):
        const = node.value
        return lambda item: const
    if isinstance(node, Path):
        elements = node.elements
        if len(elements) == 1:
            name = elements[0]

            def attribute(item):
                v = item.get(name)
                if v is None:
                    raise _fail(MISSING_ATTRIBUTE)
                return v
            return attribute

        def path(item):
            v = resolve_path(item, elements)
            if v is None:
                raise _fail(MISSING_ATTRIBUTE)
            return v
        return path
    if isinstance(node, Arith):
        left, right, subtract = _compile_value(node.left), _compile_value(node.right), \
            node.op == "-"

        def arith(item):
            x = left(item).get("N")
            if x is None:
                raise _fail(INCORRECT_TYPE)
            y = right(item).get("N")
            if y is None:
                raise _fail(INCORRECT_TYPE)
            return _add_numbers(x, y, subtract)
        return arith
    return lambda item: _value(node, item)


def _compile_top_level(tree: Update):
    """[(action class, attribute name, value function or operand)] when
    every action names a top-level attribute; None otherwise."""
    out = []
    for a in tree.actions:
        if len(a.path.elements) != 1:
            return None
        kind = type(a)
        if kind is SetAction:
            arg = _compile_value(a.value)
        elif kind is RemoveAction:
            arg = None
        else:
            arg = a.value.value
        out.append((kind, a.path.elements[0], arg))
    return out


def _apply_top_level(actions: list, item: dict | None, key: dict | None) -> dict:
    """apply_update for the common case where every action names a
    top-level attribute: no parent to check, no container to copy. Same
    order of evaluation and of errors as the general case."""
    exists = item is not None
    base = item if exists else (key or {})
    values = [arg(base) if kind is SetAction else None for kind, _, arg in actions]
    out = dict(base)
    for (kind, name, arg), v in zip(actions, values):
        if kind is SetAction:
            out[name] = v
        elif kind is RemoveAction:
            out.pop(name, None)
        elif kind is AddAction:
            out[name] = _add(base.get(name), arg)
        else:
            existing = base.get(name)
            if existing is not None:
                left = _delete(existing, arg)
                if left is None:
                    out.pop(name, None)
                else:
                    out[name] = left
    return out
