"""The expression tree, value helpers, and printers.

Node classes
------------
Frozen dataclasses with __slots__; equality is structural, so tests compare
trees directly. After `dyncore.expr` has parsed and resolved an expression:

- every `Path.elements` item is a `str` (map key / attribute name, placeholders
  already substituted) or an `int` (list index);
- every `Value` carries its placeholder name (":v") and the AttributeValue the
  request supplied for it, in boto3 client wire form ({"S": "x"}, {"N": "1.5"},
  {"B": b"..."}, {"L": [...]}, ...). The parser never looks inside a value
  except where a message needs its type (`value_type`).

Before resolution (inside the parser only) a path element may be a `NameRef`
and a `Value.value` is None.

    condition := Compare | Between | In | Call (boolean function) | And | Or | Not
    operand   := Path | Value | Call("size")
    set value := operand | Arith | Call("if_not_exists" | "list_append")
    Update(actions) with SetAction / RemoveAction / AddAction / DeleteAction
    Projection(paths)

Parentheses leave no node: "(a = b)" and "a = b" give the same tree.

Printers
--------
`dump(node)` is a compact, unambiguous prefix form for tests and debugging:
`(AND (= a :v) (NOT (attribute_exists b.c[1])))`.
`to_text(node)` prints a tree back as expression text plus the
ExpressionAttributeNames/Values it needs, such that parsing the text with them
yields the same tree.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from decimal import Context, InvalidOperation
from typing import Any, Iterator, Union

from dyncore.expr.lexer import KEYWORDS
from dyncore.expr.reserved import RESERVED_WORDS

__all__ = [
    "NameRef", "Path", "Value", "Call", "Compare", "Between", "In", "And", "Or", "Not",
    "Arith", "SetAction", "RemoveAction", "AddAction", "DeleteAction", "Update",
    "Projection", "Node", "COMPARATORS", "TYPE_NAMES", "value_type", "long_type_name",
    "format_value", "compare_values", "iter_nodes", "iter_paths", "dump", "to_text",
]

COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")

# AttributeValue type codes, in the order DynamoDB lists them in "valid types:
# {...}" (a Java set's order; any order is correct, this one matches a capture).
TYPE_NAMES = ("NS", "SS", "L", "BS", "N", "M", "B", "BOOL", "NULL", "S")

# Type names ADD/DELETE use in "operand type: ..." messages.
_LONG_TYPE_NAMES = {
    "S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL",
    "M": "MAP", "L": "LIST", "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET",
}


# --------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NameRef:
    """An unresolved `#placeholder` path element (parser-internal)."""

    name: str


@dataclass(frozen=True, slots=True)
class Path:
    """A document path: attribute name, then map keys (str) and list indexes
    (int)."""

    elements: tuple

    def describe(self) -> str:
        """DynamoDB's form in messages: a.b[1] -> "[a, b, [1]]"."""
        parts = [f"[{e}]" if isinstance(e, int) else str(e) for e in self.elements]
        return "[" + ", ".join(parts) + "]"

    @property
    def name(self) -> str:
        """The top-level attribute name."""
        return self.elements[0]


@dataclass(frozen=True, slots=True)
class Value:
    """A `:placeholder` operand and the AttributeValue it stands for."""

    name: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class Call:
    """A function call. `name` is as written (function names are
    case-sensitive); `args` is a tuple of operands."""

    name: str
    args: tuple


@dataclass(frozen=True, slots=True)
class Compare:
    op: str          # one of COMPARATORS
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Between:
    operand: Any
    low: Any
    high: Any


@dataclass(frozen=True, slots=True)
class In:
    operand: Any
    choices: tuple


@dataclass(frozen=True, slots=True)
class And:
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Or:
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Not:
    operand: Any


@dataclass(frozen=True, slots=True)
class Arith:
    """`left + right` or `left - right` in a SET value."""

    op: str          # "+" or "-"
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class SetAction:
    path: Path
    value: Any


@dataclass(frozen=True, slots=True)
class RemoveAction:
    path: Path


@dataclass(frozen=True, slots=True)
class AddAction:
    path: Path
    value: Value


@dataclass(frozen=True, slots=True)
class DeleteAction:
    path: Path
    value: Value


_CLAUSE_OF = {SetAction: "SET", RemoveAction: "REMOVE", AddAction: "ADD", DeleteAction: "DELETE"}


@dataclass(frozen=True, slots=True)
class Update:
    """An UpdateExpression: its actions in textual order (each clause keyword
    appears at most once, so a clause's actions are contiguous)."""

    actions: tuple

    @property
    def set_actions(self) -> tuple:
        return tuple(a for a in self.actions if isinstance(a, SetAction))

    @property
    def remove_actions(self) -> tuple:
        return tuple(a for a in self.actions if isinstance(a, RemoveAction))

    @property
    def add_actions(self) -> tuple:
        return tuple(a for a in self.actions if isinstance(a, AddAction))

    @property
    def delete_actions(self) -> tuple:
        return tuple(a for a in self.actions if isinstance(a, DeleteAction))


@dataclass(frozen=True, slots=True)
class Projection:
    paths: tuple


Node = Union[Path, Value, Call, Compare, Between, In, And, Or, Not, Arith,
             SetAction, RemoveAction, AddAction, DeleteAction, Update, Projection]


# --------------------------------------------------------------------------
# AttributeValue helpers (the "hook" for value-dependent messages)
# --------------------------------------------------------------------------

def value_type(av: Any) -> str | None:
    """The type code of an AttributeValue ("S", "N", ..., "BOOL"), or None if
    `av` is not a one-key AttributeValue mapping."""
    if isinstance(av, dict) and len(av) == 1:
        (key,) = av
        if key in _LONG_TYPE_NAMES:
            return key
    return None


def long_type_name(code: str | None) -> str:
    """"S" -> "STRING" etc., as ADD/DELETE messages spell types."""
    return _LONG_TYPE_NAMES.get(code or "", str(code))


def _binary(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        try:
            return base64.b64decode(data, validate=True)
        except ValueError:
            return data.encode("utf-8")
    return b""


def format_value(av: Any) -> str:
    """An AttributeValue the way DynamoDB prints it inside messages:
    "{S:abc}", "{N:5}". Binary is shown base64-encoded; other types are a
    best guess (only S, N and B occur in the messages we know)."""
    code = value_type(av)
    if code is None:
        return "{}"
    data = av[code]
    if code in ("S", "N"):
        shown = str(data)
    elif code == "B":
        shown = base64.b64encode(_binary(data)).decode("ascii")
    elif code in ("BOOL", "NULL"):
        shown = "true" if data else "false"
    elif code == "BS":
        shown = "[" + ", ".join(base64.b64encode(_binary(d)).decode("ascii") for d in data) + "]"
    elif code in ("SS", "NS"):
        shown = "[" + ", ".join(str(d) for d in data) + "]"
    elif code == "L":
        shown = "[" + ", ".join(format_value(d) for d in data) + "]"
    else:  # M
        shown = "{" + ", ".join(f"{k}={format_value(v)}" for k, v in data.items()) + "}"
    return "{" + code + ":" + shown + "}"


_DECIMAL = Context(prec=60)


def compare_values(a: Any, b: Any) -> int | None:
    """-1/0/1 comparing two AttributeValues of the same scalar type (S by code
    point = UTF-8 byte order, N numerically, B bytewise); None if they are not
    both S, both N or both B, or a number does not parse."""
    ta, tb = value_type(a), value_type(b)
    if ta != tb or ta not in ("S", "N", "B"):
        return None
    x, y = a[ta], b[tb]
    if ta == "N":
        try:
            x, y = _DECIMAL.create_decimal(str(x)), _DECIMAL.create_decimal(str(y))
        except InvalidOperation:
            return None
        if not (x.is_finite() and y.is_finite()):
            return None
    elif ta == "B":
        x, y = _binary(x), _binary(y)
    else:
        x, y = str(x), str(y)
    return (x > y) - (x < y)


# --------------------------------------------------------------------------
# Walking
# --------------------------------------------------------------------------

def _children(node: Any) -> tuple:
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Between):
        return (node.operand, node.low, node.high)
    if isinstance(node, In):
        return (node.operand, *node.choices)
    if isinstance(node, (And, Or, Arith)):
        return (node.left, node.right)
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (SetAction, AddAction, DeleteAction)):
        return (node.path, node.value)
    if isinstance(node, RemoveAction):
        return (node.path,)
    if isinstance(node, Update):
        return node.actions
    if isinstance(node, Projection):
        return node.paths
    return ()


def iter_nodes(node: Any) -> Iterator[Any]:
    """Every node of the tree, pre-order, in textual order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(_children(n)))


def iter_paths(node: Any) -> Iterator[Path]:
    """Every Path in the tree, in textual order."""
    return (n for n in iter_nodes(node) if isinstance(n, Path))


# --------------------------------------------------------------------------
# Printers
# --------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _plain_name(name: Any) -> bool:
    """True if `name` can be written bare in an expression."""
    return (isinstance(name, str) and bool(_BARE.match(name))
            and name.upper() not in RESERVED_WORDS and name.upper() not in KEYWORDS)


def _dump_path(p: Path) -> str:
    out = []
    for i, e in enumerate(p.elements):
        if isinstance(e, int):
            out.append(f"[{e}]")
        else:
            text = e.name if isinstance(e, NameRef) else (e if _BARE.match(e) else repr(e))
            out.append(text if i == 0 else "." + text)
    return "".join(out)


def dump(node: Any) -> str:
    """Compact prefix form of a tree (values shown by placeholder name)."""
    if isinstance(node, Path):
        return _dump_path(node)
    if isinstance(node, Value):
        return node.name
    if isinstance(node, Call):
        return "(" + " ".join([node.name, *(dump(a) for a in node.args)]) + ")"
    if isinstance(node, (Compare, Arith)):
        return f"({node.op} {dump(node.left)} {dump(node.right)})"
    if isinstance(node, Between):
        return f"(BETWEEN {dump(node.operand)} {dump(node.low)} {dump(node.high)})"
    if isinstance(node, In):
        return "(IN " + " ".join(dump(x) for x in (node.operand, *node.choices)) + ")"
    if isinstance(node, And):
        return f"(AND {dump(node.left)} {dump(node.right)})"
    if isinstance(node, Or):
        return f"(OR {dump(node.left)} {dump(node.right)})"
    if isinstance(node, Not):
        return f"(NOT {dump(node.operand)})"
    if isinstance(node, Projection):
        return ", ".join(dump(p) for p in node.paths)
    if isinstance(node, Update):
        groups: list[tuple[str, list[str]]] = []
        for a in node.actions:
            clause = _CLAUSE_OF[type(a)]
            if isinstance(a, SetAction):
                text = f"{dump(a.path)}={dump(a.value)}"
            elif isinstance(a, RemoveAction):
                text = dump(a.path)
            else:
                text = f"{dump(a.path)} {dump(a.value)}"
            if groups and groups[-1][0] == clause:
                groups[-1][1].append(text)
            else:
                groups.append((clause, [text]))
        return "; ".join(c + " " + ", ".join(items) for c, items in groups)
    raise TypeError(f"not an expression node: {node!r}")


class _Printer:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}     # placeholder -> attribute name
        self.by_name: dict[str, str] = {}   # attribute name -> placeholder
        self.values: dict[str, Any] = {}

    def name(self, element: Any) -> str:
        if isinstance(element, NameRef):
            return element.name
        if _plain_name(element):
            return element
        ph = self.by_name.get(element)
        if ph is None:
            ph = f"#n{len(self.by_name)}"
            self.by_name[element] = ph
            self.names[ph] = element
        return ph

    def path(self, p: Path) -> str:
        out = []
        for i, e in enumerate(p.elements):
            if isinstance(e, int):
                out.append(f"[{e}]")
            else:
                out.append(("." if i else "") + self.name(e))
        return "".join(out)

    def operand(self, node: Any) -> str:
        if isinstance(node, Path):
            return self.path(node)
        if isinstance(node, Value):
            if node.value is not None:
                self.values[node.name] = node.value
            return node.name
        if isinstance(node, Call):
            return node.name + "(" + ", ".join(self.operand(a) for a in node.args) + ")"
        if isinstance(node, Arith):
            return f"{self.operand(node.left)} {node.op} {self.operand(node.right)}"
        raise TypeError(f"not an operand: {node!r}")

    # Condition precedence: OR 1 < AND 2 < NOT 3 < predicates 4.
    @staticmethod
    def _prec(node: Any) -> int:
        if isinstance(node, Or):
            return 1
        if isinstance(node, And):
            return 2
        if isinstance(node, Not):
            return 3
        return 4

    def cond(self, node: Any, need: int = 1) -> str:
        if self._prec(node) < need:
            return "(" + self.cond(node) + ")"
        if isinstance(node, Or):
            return f"{self.cond(node.left, 1)} OR {self.cond(node.right, 2)}"
        if isinstance(node, And):
            return f"{self.cond(node.left, 2)} AND {self.cond(node.right, 3)}"
        if isinstance(node, Not):
            return "NOT " + self.cond(node.operand, 3)
        if isinstance(node, Compare):
            return f"{self.operand(node.left)} {node.op} {self.operand(node.right)}"
        if isinstance(node, Between):
            return (f"{self.operand(node.operand)} BETWEEN {self.operand(node.low)}"
                    f" AND {self.operand(node.high)}")
        if isinstance(node, In):
            items = ", ".join(self.operand(c) for c in node.choices)
            return f"{self.operand(node.operand)} IN ({items})"
        if isinstance(node, Call):
            return self.operand(node)
        raise TypeError(f"not a condition: {node!r}")

    def update(self, node: Update) -> str:
        groups: list[tuple[str, list[str]]] = []
        for a in node.actions:
            clause = _CLAUSE_OF[type(a)]
            if isinstance(a, SetAction):
                text = f"{self.path(a.path)} = {self.operand(a.value)}"
            elif isinstance(a, RemoveAction):
                text = self.path(a.path)
            else:
                text = f"{self.path(a.path)} {self.operand(a.value)}"
            for c, items in groups:
                if c == clause:
                    items.append(text)
                    break
            else:
                groups.append((clause, [text]))
        return " ".join(c + " " + ", ".join(items) for c, items in groups)


def to_text(node: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(expression text, ExpressionAttributeNames, ExpressionAttributeValues)
    that parse back to `node`. Names that cannot be written bare get
    placeholders #n0, #n1, ...; values keep their own placeholder names."""
    p = _Printer()
    if isinstance(node, Projection):
        text = ", ".join(p.path(x) for x in node.paths)
    elif isinstance(node, Update):
        text = p.update(node)
    else:
        text = p.cond(node)
    return text, p.names, p.values
