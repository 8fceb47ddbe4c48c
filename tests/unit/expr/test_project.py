"""ProjectionExpression over items: one row per shape of path, with
DynamoDB's answer.

Sources: [S] ScyllaDB's alternator test_projection_expression.py (run against
AWS; the item below is that test's), [D] dynalite test/updateItem.js "should
update nested attributes" (UPDATED_NEW recorded against DynamoDB), [I]
inferred.
"""
import copy

import pytest

from dyncore.expr import Path, parse_projection, project


def S(s):
    return {"S": s}


def N(n):
    return {"N": str(n)}


def L(*xs):
    return {"L": list(xs)}


def M(**kw):
    return {"M": kw}


XY = M(x=S("hi"), y=S("yo"))
ITEM = {
    "p": S("key"),
    "a": M(b=L(N(2), N(4), XY), c=N(5)),
    "b": S("hello"),
    "l": L(S("l0"), S("l1"), S("l2"), S("l3"), S("l4")),
    "a.b": S("dotted"),
}
SNAPSHOT = copy.deepcopy(ITEM)

# (ProjectionExpression, ExpressionAttributeNames, expected)
CASES = [
    ("a", None, {"a": ITEM["a"]}),                                     # [S path]
    ("a.b", None, {"a": M(b=L(N(2), N(4), XY))}),                      # nesting kept [S]
    ("a.b[0]", None, {"a": M(b=L(N(2)))}),                             # [S]
    ("a.b[2]", None, {"a": M(b=L(XY))}),                               # [S]
    ("a.b[2].y", None, {"a": M(b=L(M(y=S("yo"))))}),                   # [S]
    ("p, b", None, {"p": S("key"), "b": S("hello")}),                  # [S toplevel]
    ("nope", None, {}),                                                # [S]
    ("a.b[3]", None, {}),                                              # past the end [S]
    ("a.x", None, {}),                                                 # [S]
    ("a.x.y", None, {}),                                               # [S]
    ("a.b[3].x", None, {}),                                            # [S]
    ("a.b.x", None, {}),                                               # list as map [S]
    ("a[0]", None, {}),                                                # map as list [S]
    ("a.b[0].x", None, {}),                                            # number as map [S]
    ("a.b[0][0]", None, {}),                                           # number as list [S]
    ("a.b[0],a.b[1]", None, {"a": M(b=L(N(2), N(4)))}),                # merged [S]
    ("a.b[1],a.b[0]", None, {"a": M(b=L(N(2), N(4)))}),                # index order [D]
    ("a.b[0],a.c", None, {"a": M(b=L(N(2)), c=N(5))}),                 # [S]
    ("a.c,b", None, {"a": M(c=N(5)), "b": S("hello")}),                # [S]
    ("a.x, a.b[0], nope, a.b[3].x", None, {"a": M(b=L(N(2)))}),        # missing skipped [S]
    ("a.b[2].x, a.b[2].y", None, {"a": M(b=L(XY))}),                   # one element, two keys
    ("a.b[2].x, a.b[0]", None, {"a": M(b=L(N(2), M(x=S("hi"))))}),
    ("l[4], l[1], l[3]", None, {"l": L(S("l1"), S("l3"), S("l4"))}),   # compacted, in order [D]
    ("l[1], l[9]", None, {"l": L(S("l1"))}),
    ("#n", {"#n": "a.b"}, {"a.b": S("dotted")}),                       # a dotted name [S path_dot]
    ("#a.#b", {"#a": "a", "#b": "b"}, {"a": M(b=L(N(2), N(4), XY))}),   # [S path_references]
    ("a.b, #n", {"#n": "a.b"}, {"a": M(b=L(N(2), N(4), XY)), "a.b": S("dotted")}),
]


@pytest.mark.parametrize("text,names,expected", CASES, ids=[c[0] for c in CASES])
def test_project(text, names, expected):
    tree = parse_projection(text, names)
    assert project(ITEM, tree) == expected
    assert project(ITEM, tree.paths) == expected                       # Paths work too
    assert ITEM == SNAPSHOT


def test_no_item():
    tree = parse_projection("a, b.c")
    assert project(None, tree) == {}
    assert project({}, tree) == {}


def test_shares_selected_values():
    out = project(ITEM, parse_projection("b, a.b[2]"))
    assert out["b"] is ITEM["b"]
    assert out["a"]["M"]["b"]["L"][0] is ITEM["a"]["M"]["b"]["L"][2]


@pytest.mark.parametrize("paths", [
    [("a",), ("a", "c")],
    [("a", "c"), ("a",)],
    [("a", "b", 1), ("a",), ("a", "b", 0)],
])
def test_overlapping_paths_whole_value_wins(paths):
    # The parser refuses overlapping paths [S path_overlap]; given them anyway,
    # the whole value wins over parts of it [I].
    assert project(ITEM, [Path(p) for p in paths]) == {"a": ITEM["a"]}
