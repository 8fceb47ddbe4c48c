"""Evaluation of condition trees (ConditionExpression, FilterExpression,
KeyConditionExpression) against items in boto3 client wire form.

Use
---
    test = compile_condition(tree, "Filter")     # once per request
    keep = [it for it in items if test(it)]      # once per item

`evaluate(tree, item, kind)` is the one-shot form (it keeps a small cache of
compiled trees keyed by object identity, so evaluating the same tree object
again costs one dict lookup).

Compilation turns the tree into nested closures, specialised by node type and
by what is known before any item is seen (a path of one element, a comparison
with a `:value` constant whose type, number or bytes are prepared once), so a
call does no isinstance dispatch. Chains of AND / OR are flattened and NOT NOT
folded, so evaluation depth stays small.

Semantics (DynamoDB's; sources in brackets: [S] ScyllaDB's alternator test
suite test/alternator/test_condition_expression.py, whose tests run against
AWS; [D] dynalite db/index.js and test/; [X] live captures recorded in other
emulators' issue threads; [I] inferred)
---------
- An operand is a path (resolved in the item; a missing item is an empty
  item), a `:value`, or size(operand). A path is missing when any step is
  missing, indexes a non-list, names into a non-map or is past a list's end.
- `a = b`: false if either operand is missing, else deep equality: same type;
  N numerically; sets irrespective of order; L element-wise; M key-wise [S].
- `a <> b`: true if either operand is missing (even both) [S
  test_update_condition_ne_two_unset, X, D compare()], else not equal.
  Different types are not equal [S].
- `<`, `<=`, `>`, `>=`: false if an operand is missing or the two are not the
  same one of S (code point = UTF-8 byte order), N (numeric), B (unsigned
  bytes) [S test_condition_expression_unsigned_bytes]; no run-time error for
  other item types (a list in the item is simply false) [S].
- `a BETWEEN lo AND hi`: lo <= a <= hi, all three present and of one of those
  types; false otherwise [S].
- `a IN (x, ...)`: a present and equal to some present choice [S].
- attribute_exists / attribute_not_exists(path); attribute_type(x, :t): x
  present and of type t [S].
- begins_with(x, y): both present, both S or both B, x starts with y; else
  false (the operands may be in any order) [S].
- contains(x, y): x S and y S: substring; x B and y B: byte substring; x a
  set and y a scalar of the set's element type: membership; x a list: some
  element equal to y (y of any type, nested sets and lists included); false
  otherwise [S test_update_condition_contains].
- size(x): S: length in UTF-16 code units (Java String.length) [X ExtendDB
  #60/#67, "é𝄞" -> 3 verified against DynamoDB]; B: bytes; SS/NS/BS/L:
  elements; M: entries. N, BOOL, NULL have no size: like a missing operand,
  the comparison is false, not an error [S test_update_condition_size:
  size(number) = :v fails the condition]; so `size(x) <> :v` is true then,
  as for any missing operand [I].
- No run-time ValidationException exists for conditions: the type errors
  DynamoDB reports are those knowable from the expression alone (a `:value`
  of a type the operator cannot take), which are the parser's to report.
"""
from __future__ import annotations

import base64
import operator
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from dyncore.expr.ast import (
    And, Between, Call, Compare, In, Not, Or, Path, Value,
)

__all__ = [
    "compile_condition", "evaluate", "resolve_path", "compile_path", "av_equal",
    "av_order", "av_size", "av_type", "to_bytes", "CONDITION_KINDS",
]

CONDITION_KINDS = frozenset({"Condition", "KeyCondition", "Filter"})

Item = dict
Operand = Callable[[Item], Any]     # item -> AttributeValue or None (missing)
Test = Callable[[Item], bool]

_EMPTY: dict = {}


# --------------------------------------------------------------------------
# AttributeValue helpers (shared with update.py and project.py)
# --------------------------------------------------------------------------

def av_type(av: dict) -> str:
    """The type code of a well-formed AttributeValue (its only key)."""
    for t in av:
        return t
    raise ValueError("empty AttributeValue")


def to_bytes(data: Any) -> bytes:
    """A B value's bytes (bytes-like as is; a str is taken as base64)."""
    if type(data) is bytes:
        return data
    if isinstance(data, str):
        return base64.b64decode(data)
    return bytes(data)


def _str_len(s: str) -> int:
    """Length in UTF-16 code units, as DynamoDB (Java) counts a string."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _scalar_key(t: str, x: Any) -> Any:
    """A hashable, comparable key for a set element or scalar of type t."""
    if t == "N" or t == "NS":
        return Decimal(x)
    if t == "B" or t == "BS":
        return to_bytes(x)
    return x


def av_equal(a: dict, b: dict) -> bool:
    """DynamoDB equality of two AttributeValues: same type, N numerically,
    sets as sets, L and M element-wise."""
    ta = av_type(a)
    y = b.get(ta)
    if y is None or len(b) != 1:
        return False
    x = a[ta]
    if ta == "S" or ta == "BOOL" or ta == "NULL":
        return x == y
    if ta == "N":
        return x == y or Decimal(x) == Decimal(y)
    if ta == "B":
        return to_bytes(x) == to_bytes(y)
    if ta == "SS":
        return len(x) == len(y) and set(x) == set(y)
    if ta == "NS" or ta == "BS":
        if len(x) != len(y):
            return False
        return ({_scalar_key(ta, e) for e in x} == {_scalar_key(ta, e) for e in y})
    if ta == "L":
        if len(x) != len(y):
            return False
        for p, q in zip(x, y):
            if not av_equal(p, q):
                return False
        return True
    if ta == "M":
        if len(x) != len(y):
            return False
        for k, p in x.items():
            q = y.get(k)
            if q is None or not av_equal(p, q):
                return False
        return True
    return False


def av_order(a: dict, b: dict) -> int | None:
    """-1/0/1 comparing two S, two N or two B values; None otherwise."""
    ta = av_type(a)
    y = b.get(ta)
    if y is None:
        return None
    x = a[ta]
    if ta == "S":
        pass
    elif ta == "N":
        x, y = Decimal(x), Decimal(y)
    elif ta == "B":
        x, y = to_bytes(x), to_bytes(y)
    else:
        return None
    return (x > y) - (x < y)


def av_size(av: dict) -> int | None:
    """size(): None for the types without a size (N, BOOL, NULL)."""
    t = av_type(av)
    x = av[t]
    if t == "S":
        return _str_len(x)
    if t == "B":
        return len(to_bytes(x))
    if t in ("SS", "NS", "BS", "L", "M"):
        return len(x)
    return None


def _contains(a: dict, b: dict) -> bool:
    ta = av_type(a)
    x = a[ta]
    if ta == "S":
        y = b.get("S")
        return y is not None and y in x
    if ta == "B":
        y = b.get("B")
        return y is not None and to_bytes(y) in to_bytes(x)
    if ta == "SS":
        y = b.get("S")
        return y is not None and y in x
    if ta == "NS":
        y = b.get("N")
        if y is None:
            return False
        if y in x:
            return True
        d = Decimal(y)
        return any(Decimal(e) == d for e in x)
    if ta == "BS":
        y = b.get("B")
        if y is None:
            return False
        y = to_bytes(y)
        return any(to_bytes(e) == y for e in x)
    if ta == "L":
        return any(av_equal(e, b) for e in x)
    return False


def _begins_with(a: dict, b: dict) -> bool:
    ta = av_type(a)
    y = b.get(ta)
    if y is None:
        return False
    if ta == "S":
        return a[ta].startswith(y)
    if ta == "B":
        return to_bytes(a[ta]).startswith(to_bytes(y))
    return False


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------

def resolve_path(item: dict | None, path: Any) -> dict | None:
    """The AttributeValue at `path` (a Path or a tuple of elements) in
    `item`, or None if it is missing: a str step needs a map (the item
    itself at the top), an int step a list long enough."""
    elements = path.elements if isinstance(path, Path) else path
    if not item:
        return None
    cur = item.get(elements[0])
    for e in elements[1:]:
        if cur is None:
            return None
        if type(e) is int:
            seq = cur.get("L")
            if seq is None or e >= len(seq):
                return None
            cur = seq[e]
        else:
            m = cur.get("M")
            if m is None:
                return None
            cur = m.get(e)
    return cur


def compile_path(elements: tuple) -> Operand:
    """item (a dict, never None) -> the AttributeValue at the path or None."""
    head = elements[0]
    rest = elements[1:]
    if not rest:
        return lambda item: item.get(head)
    if len(rest) == 1:
        (e,) = rest
        if type(e) is int:
            def get_index(item):
                v = item.get(head)
                if v is not None:
                    seq = v.get("L")
                    if seq is not None and e < len(seq):
                        return seq[e]
                return None
            return get_index

        def get_key(item):
            v = item.get(head)
            if v is not None:
                m = v.get("M")
                if m is not None:
                    return m.get(e)
            return None
        return get_key
    return lambda item: resolve_path(item, elements)


# --------------------------------------------------------------------------
# Compilation
# --------------------------------------------------------------------------

_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
_ORDER_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class _Const:
    """A `:value` operand prepared for fast comparisons."""

    __slots__ = ("av", "type", "raw", "key")

    def __init__(self, av: dict):
        self.av = av
        self.type = av_type(av)
        self.raw = av[self.type]
        try:
            self.key = _scalar_key(self.type, self.raw) if self.type in ("S", "N", "B") else None
        except (InvalidOperation, ValueError, TypeError):  # malformed: use the generic path
            self.key = None


def _compile_operand(node: Any) -> Operand:
    if isinstance(node, Path):
        return compile_path(node.elements)
    if isinstance(node, Value):
        av = node.value
        return lambda item: av
    if isinstance(node, Call) and node.name == "size" and len(node.args) == 1:
        inner = _compile_operand(node.args[0])

        def size(item):
            v = inner(item)
            if v is None:
                return None
            n = av_size(v)
            return None if n is None else {"N": str(n)}
        return size
    raise TypeError(f"not a condition operand: {node!r}")


def _size_number(node: Any) -> Callable[[dict], int | None] | None:
    """For size(x): item -> the size as an int (None: no size), so that
    comparisons with number constants skip building an AttributeValue."""
    if isinstance(node, Call) and node.name == "size" and len(node.args) == 1:
        inner = _compile_operand(node.args[0])

        def size_number(item):
            v = inner(item)
            return None if v is None else av_size(v)
        return size_number
    return None


def _const_of(node: Any) -> _Const | None:
    if isinstance(node, Value) and isinstance(node.value, dict) and len(node.value) == 1:
        return _Const(node.value)
    return None


def _eq_const(c: _Const) -> Callable[[dict], bool]:
    """av (present) -> av equals the constant."""
    t, raw, key = c.type, c.raw, c.key
    if t == "S":
        return lambda av: av.get("S") == raw
    if t == "N" and key is not None:
        def eq_n(av):
            x = av.get("N")
            return x is not None and (x == raw or Decimal(x) == key)
        return eq_n
    if t == "B" and key is not None:
        def eq_b(av):
            x = av.get("B")
            return x is not None and to_bytes(x) == key
        return eq_b
    if t == "BOOL":
        def eq_bool(av):
            x = av.get("BOOL")
            return x is not None and x == raw
        return eq_bool
    if t == "NULL":
        return lambda av: "NULL" in av
    cav = c.av
    return lambda av: av_equal(av, cav)


def _compile_compare(node: Compare) -> Test:
    op, left, right = node.op, node.left, node.right
    lc, rc = _const_of(left), _const_of(right)
    if lc is not None and rc is None:          # ":v < a" -> "a > :v"
        op, left, right, lc, rc = _MIRROR[op], right, left, None, lc
    if rc is not None and lc is None and rc.type == "N" and rc.key is not None:
        size = _size_number(left)
        if size is not None:
            return _size_with_const(op, size, rc.key)
    get = _compile_operand(left)
    if rc is not None and lc is None:
        return _compare_with_const(op, get, rc)
    other = _compile_operand(right)
    if op == "=":
        def eq(item):
            a = get(item)
            b = other(item)
            return a is not None and b is not None and av_equal(a, b)
        return eq
    if op == "<>":
        def ne(item):
            a = get(item)
            b = other(item)
            return a is None or b is None or not av_equal(a, b)
        return ne
    cmp = _ORDER_OPS[op]

    def order(item):
        a = get(item)
        if a is None:
            return False
        b = other(item)
        if b is None:
            return False
        c = av_order(a, b)
        return c is not None and cmp(c, 0)
    return order


def _size_with_const(op: str, size: Callable[[dict], int | None], key: Decimal) -> Test:
    if op == "<>":
        def ne(item):
            n = size(item)
            return n is None or n != key
        return ne
    cmp = operator.eq if op == "=" else _ORDER_OPS[op]

    def compare(item):
        n = size(item)
        return n is not None and cmp(n, key)
    return compare


def _compare_with_const(op: str, get: Operand, c: _Const) -> Test:
    if op == "=":
        match = _eq_const(c)

        def eq(item):
            a = get(item)
            return a is not None and match(a)
        return eq
    if op == "<>":
        match = _eq_const(c)

        def ne(item):
            a = get(item)
            return a is None or not match(a)
        return ne
    cmp = _ORDER_OPS[op]
    t, key = c.type, c.key
    if key is None:                    # not S/N/B: never ordered
        return lambda item: False
    if t == "S":
        def order_s(item):
            a = get(item)
            if a is None:
                return False
            x = a.get("S")
            return x is not None and cmp(x, key)
        return order_s
    conv = Decimal if t == "N" else to_bytes

    def order(item):
        a = get(item)
        if a is None:
            return False
        x = a.get(t)
        return x is not None and cmp(conv(x), key)
    return order


def _compile_between(node: Between) -> Test:
    lo, hi = _const_of(node.low), _const_of(node.high)
    size = _size_number(node.operand)
    if (size is not None and lo is not None and hi is not None and lo.type == hi.type == "N"
            and lo.key is not None and hi.key is not None):
        lk, hk = lo.key, hi.key

        def size_between(item):
            n = size(item)
            return n is not None and lk <= n <= hk
        return size_between
    get = _compile_operand(node.operand)
    if (lo is not None and hi is not None and lo.type == hi.type
            and lo.key is not None and hi.key is not None):
        t, lk, hk = lo.type, lo.key, hi.key
        conv = Decimal if t == "N" else to_bytes if t == "B" else None

        def between_const(item):
            a = get(item)
            if a is None:
                return False
            x = a.get(t)
            if x is None:
                return False
            if conv is not None:
                x = conv(x)
            return lk <= x <= hk
        return between_const
    low, high = _compile_operand(node.low), _compile_operand(node.high)

    def between(item):
        a = get(item)
        if a is None:
            return False
        b = low(item)
        c = high(item)
        if b is None or c is None:
            return False
        x = av_order(a, b)
        if x is None or x < 0:
            return False
        y = av_order(a, c)
        return y is not None and y <= 0
    return between


def _compile_in(node: In) -> Test:
    consts = [_const_of(c) for c in node.choices]
    size = _size_number(node.operand)
    if size is not None and all(c is not None for c in consts):
        numbers = frozenset(c.key for c in consts if c.type == "N" and c.key is not None)

        def size_in(item):
            n = size(item)
            return n is not None and n in numbers
        return size_in
    get = _compile_operand(node.operand)
    if all(c is not None for c in consts):
        fast: dict[str, set] = {}
        slow: list[dict] = []
        for c in consts:
            if c.key is not None or c.type == "BOOL":
                fast.setdefault(c.type, set()).add(c.key if c.key is not None else c.raw)
            else:
                slow.append(c.av)
        convs = {"N": Decimal, "B": to_bytes}

        def in_const(item):
            a = get(item)
            if a is None:
                return False
            t = av_type(a)
            keys = fast.get(t)
            if keys is not None:
                x = a[t]
                conv = convs.get(t)
                if (conv(x) if conv is not None else x) in keys:
                    return True
            for s in slow:
                if av_equal(a, s):
                    return True
            return False
        return in_const
    choices = tuple(_compile_operand(c) for c in node.choices)

    def in_any(item):
        a = get(item)
        if a is None:
            return False
        for choice in choices:
            b = choice(item)
            if b is not None and av_equal(a, b):
                return True
        return False
    return in_any


def _compile_call(node: Call) -> Test:
    name, args = node.name, node.args
    if name in ("attribute_exists", "attribute_not_exists") and len(args) == 1:
        get = _compile_operand(args[0])
        if name == "attribute_exists":
            return lambda item: get(item) is not None
        return lambda item: get(item) is None
    if name == "attribute_type" and len(args) == 2:
        get = _compile_operand(args[0])
        c = _const_of(args[1])
        if c is None or c.type != "S":
            raise TypeError(f"attribute_type needs a :value of type S: {node!r}")
        wanted = c.raw

        def attribute_type(item):
            a = get(item)
            return a is not None and wanted in a
        return attribute_type
    if name in ("begins_with", "contains") and len(args) == 2:
        first = _compile_operand(args[0])
        test = _begins_with if name == "begins_with" else _contains
        c = _const_of(args[1])
        if name == "begins_with" and c is not None and c.key is not None and c.type in ("S", "B"):
            t, prefix = c.type, c.key

            def begins_with_const(item):
                a = first(item)
                if a is None:
                    return False
                x = a.get(t)
                if x is None:
                    return False
                return (x if t == "S" else to_bytes(x)).startswith(prefix)
            return begins_with_const
        second = _compile_operand(args[1])

        def function(item):
            a = first(item)
            if a is None:
                return False
            b = second(item)
            return b is not None and test(a, b)
        return function
    raise TypeError(f"not a condition function: {node!r}")


def _flatten(node: Any, cls: type, out: list) -> list:
    # iterative over the left spine (parsers build left-deep chains)
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cls):
            stack.append(n.right)
            stack.append(n.left)
        else:
            out.append(n)
    return out


def _compile(node: Any) -> Test:
    if isinstance(node, Compare):
        return _compile_compare(node)
    if isinstance(node, (And, Or)):
        cls = type(node)
        parts = tuple(_compile(n) for n in _flatten(node, cls, []))
        if cls is And:
            if len(parts) == 2:
                a, b = parts
                return lambda item: a(item) and b(item)

            def all_of(item):
                for p in parts:
                    if not p(item):
                        return False
                return True
            return all_of
        if len(parts) == 2:
            a, b = parts
            return lambda item: a(item) or b(item)

        def any_of(item):
            for p in parts:
                if p(item):
                    return True
            return False
        return any_of
    if isinstance(node, Not):
        negate = True
        inner = node.operand
        while isinstance(inner, Not):
            negate = not negate
            inner = inner.operand
        f = _compile(inner)
        if not negate:
            return f
        return lambda item: not f(item)
    if isinstance(node, Between):
        return _compile_between(node)
    if isinstance(node, In):
        return _compile_in(node)
    if isinstance(node, Call):
        return _compile_call(node)
    raise TypeError(f"not a condition: {node!r}")


def compile_condition(tree: Any, kind: str = "Condition") -> Callable[[dict | None], bool]:
    """A function item -> bool for a resolved Condition / Filter /
    KeyCondition tree. `item` may be None (no such item: an empty item).
    `kind` names the expression parameter; DynamoDB reports no run-time
    errors for conditions, so it only guards against misuse."""
    if kind not in CONDITION_KINDS:
        raise ValueError(f"not a condition kind: {kind!r}")
    test = _compile(tree)

    def condition(item):
        return test(item if item is not None else _EMPTY)
    condition.__doc__ = f"compiled {kind}Expression"
    return condition


# Compiled trees by identity. The entry holds the tree, so its id cannot be
# reused while cached. Bounded: cleared when full.
_COMPILED: dict[int, tuple[Any, str, Callable]] = {}
_COMPILED_MAX = 1024


def evaluate(tree: Any, item: dict | None, kind: str = "Condition") -> bool:
    """Whether `item` (None: no such item) satisfies the condition `tree`."""
    entry = _COMPILED.get(id(tree))
    if entry is not None and entry[0] is tree and entry[1] == kind:
        return entry[2](item)
    fn = compile_condition(tree, kind)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[id(tree)] = (tree, kind, fn)
    return fn(item)
