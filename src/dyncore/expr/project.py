"""ProjectionExpression: the part of an item a list of document paths selects.

Semantics (DynamoDB's; [S] ScyllaDB alternator
test/alternator/test_projection_expression.py, run against AWS; [D]
dynalite test/updateItem.js "should update nested attributes", the
UPDATED_NEW answer recorded against DynamoDB)
---------
- A selected nested value keeps its place: "a.b" gives {"a": {"M": {"b":
  ...}}}; "a.b[2].y" gives {"a": {"M": {"b": {"L": [{"M": {"y": ...}}]}}}} [S].
- List indexes select elements, which come back in a list in index order,
  without gaps: "a.b[0], a.b[1]" gives [a.b[0], a.b[1]] [S]; c[1], c[2], c[4]
  of a longer list give a three-element list [D].
- Several paths merge into one result: "a.b[0], a.c" gives {"a": {"M": {"b":
  {"L": [...]}, "c": ...}}} [S].
- A missing path (absent attribute, index past the end, a step into a value
  of the wrong type) is skipped [S]; nothing found gives {}.

Overlapping and conflicting paths are refused by the parser; if they reach
`project` anyway, a whole value wins over parts of it.

The result shares the selected sub-values with the item (nothing is copied
but the containers built on the way).
"""
from __future__ import annotations

from typing import Any, Iterable

from dyncore.expr.ast import Path, Projection
from dyncore.expr.evaluate import resolve_path

__all__ = ["project"]


class _Part:
    """A partly selected map (children by key) or list (children by index)."""

    __slots__ = ("is_list", "children")

    def __init__(self, is_list: bool):
        self.is_list = is_list
        self.children: dict = {}


def _final(x: Any) -> Any:
    if type(x) is not _Part:
        return x
    if x.is_list:
        return {"L": [_final(x.children[i]) for i in sorted(x.children)]}
    return {"M": {k: _final(v) for k, v in x.children.items()}}


def project(item: dict | None, paths: Projection | Iterable[Path]) -> dict:
    """The projection of `item` on `paths` (a Projection tree, or Paths)."""
    if isinstance(paths, Projection):
        paths = paths.paths
    if not item:
        return {}
    out: dict = {}
    nested = False
    for p in paths:
        elements = p.elements if isinstance(p, Path) else tuple(p)
        value = resolve_path(item, elements)
        if value is None:
            continue
        if len(elements) == 1:
            out[elements[0]] = value
            continue
        nested = True
        children, key = out, elements[0]
        for e in elements[1:]:
            child = children.get(key)
            want_list = type(e) is int
            if child is None:
                child = children[key] = _Part(want_list)
            elif type(child) is not _Part or child.is_list != want_list:
                break          # a whole value is already there (or a conflict)
            children, key = child.children, e
        else:
            children[key] = value
    if not nested:
        return out
    return {k: _final(v) for k, v in out.items()}
