"""Conditions against items: one row per operator, function and edge, with
DynamoDB's answer.

Sources: [S] ScyllaDB's alternator test_condition_expression.py (run against
AWS; test name given), [X] live captures quoted in other emulators' issue
threads, [D] dynalite, [I] inferred. Rows without a tag are plain documented
behaviour.
"""
import copy

import pytest

from dyncore.expr import (
    Call, Path, Value, compile_condition, evaluate, parse_condition, parse_filter,
    parse_key_condition,
    resolve_path,
)
from dyncore.expr.evaluate import av_equal, av_order


def S(s):
    return {"S": s}


def N(n):
    return {"N": str(n)}


def B(b):
    return {"B": b}


BOOL_T, BOOL_F, NUL = {"BOOL": True}, {"BOOL": False}, {"NULL": True}

ITEM = {
    "pk": S("k1"),
    "s": S("hello"),
    "u": S("é𝄞"),                       # 2 code points, 3 UTF-16 units, 6 UTF-8 bytes
    "n": N("5"),
    "neg": N("-1.5"),
    "b": B(b"\x01\x02\xff"),
    "t": BOOL_T,
    "f": BOOL_F,
    "nul": NUL,
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2.5", "10"]},
    "bs": {"BS": [b"\x01", b"\x80"]},
    "l": {"L": [N(1), S("x"), {"SS": ["p", "q"]}, {"L": [N(3), N(4)]}, {"M": {"k": S("v")}}]},
    "m": {"M": {"x": N(1), "y": {"L": [N(3), N(5), {"M": {"z": S("deep")}}]}, "e": {"M": {}}}},
}
SNAPSHOT = copy.deepcopy(ITEM)

# (condition, ExpressionAttributeValues, expected)
CASES = [
    # -- = ---------------------------------------------------------------------
    ("s = :v", {":v": S("hello")}, True),
    ("s = :v", {":v": S("Hello")}, False),
    ("n = :v", {":v": N("5.00")}, True),                       # numeric, not textual
    ("n = :v", {":v": S("5")}, False),                         # types differ [S eq]
    ("b = :v", {":v": B(b"\x01\x02\xff")}, True),
    ("b = :v", {":v": B(b"\x01\x02")}, False),
    ("t = :v", {":v": BOOL_T}, True),
    ("f = :v", {":v": BOOL_T}, False),
    ("nul = :v", {":v": NUL}, True),
    ("ss = :v", {":v": {"SS": ["c", "a", "b"]}}, True),        # order irrelevant [S eq_set]
    ("ss = :v", {":v": {"SS": ["a", "b"]}}, False),
    ("ns = :v", {":v": {"NS": ["10", "1", "2.50"]}}, True),
    ("bs = :v", {":v": {"BS": [b"\x80", b"\x01"]}}, True),
    ("l = :v", {":v": copy.deepcopy(ITEM["l"])}, True),
    ("l = :v", {":v": {"L": [S("x"), N(1)]}}, False),          # list order matters
    ("m = :v", {":v": {"M": {"e": {"M": {}}, "x": N("1.0"),
                             "y": {"L": [N(3), N(5), {"M": {"z": S("deep")}}]}}}}, True),
    ("m = :v", {":v": {"M": {"e": {"M": {}}, "x": N(1),
                             "y": {"L": [N(3), N(5), {"M": {"z": S("DEEP")}}]}}}}, False),
    ("l[2] = :v", {":v": {"SS": ["q", "p"]}}, True),           # nested set [S eq_nested_set]
    ("nope = :v", {":v": S("x")}, False),                   # [S eq_unequal]
    ("nope = nada", {}, False),                            # two missing [S eq_two_unset]
    ("m.x = l[0]", {}, True),
    ("m.x = n", {}, False),
    # -- <> --------------------------------------------------------------------
    ("s <> :v", {":v": S("hello")}, False),
    ("s <> :v", {":v": S("bye")}, True),
    ("n <> :v", {":v": S("5")}, True),                         # types differ [S ne]
    ("nope <> :v", {":v": S("x")}, True),                   # [S ne; X extenddb #5]
    ("nope <> nada", {}, True),                            # [S ne_two_unset]
    (":v <> nope", {":v": S("x")}, True),
    ("ss <> :v", {":v": {"SS": ["b", "c", "a"]}}, False),      # [S ne_set]
    # -- < <= > >= -------------------------------------------------------------
    ("n < :v", {":v": N(10)}, True),                           # numeric ("5" > "10" as text)
    ("n < :v", {":v": N(5)}, False),
    ("n <= :v", {":v": N("5.0")}, True),
    ("n > :v", {":v": N("4.99")}, True),
    ("n >= :v", {":v": N(6)}, False),
    ("neg < :v", {":v": N(-1)}, True),
    (":v < n", {":v": N(4)}, True),                            # constant first
    (":v >= n", {":v": N(4)}, False),
    ("s < :v", {":v": S("help")}, True),
    ("s > :v", {":v": S("Hello")}, True),                      # "h" > "H"
    ("u > :v", {":v": S("z")}, True),                          # code point / UTF-8 order
    ("b < :v", {":v": B(b"\x02")}, True),
    ("b > :v", {":v": B(b"\x01\x02\x7f")}, True),              # unsigned bytes [S unsigned_bytes]
    ("n < :v", {":v": S("9")}, False),                         # types differ [S lt]
    ("l < :v", {":v": N(1)}, False),                           # list in the item: false [S lt]
    (":v < l", {":v": N(1)}, False),
    ("t < :v", {":v": N(1)}, False),
    ("nope < :v", {":v": N(1)}, False),                     # [S lt]
    (":v < nope", {":v": N(1)}, False),
    ("nope <= nada", {}, False),                           # [S comparison_two_unset]
    ("nope > nada", {}, False),
    ("nope >= nada", {}, False),
    ("m.x < n", {}, True),                                     # two paths
    ("m.y[0] > m.x", {}, True),                                # [S nested_attributes]
    ("m.y[9] > m.x", {}, False),
    # -- BETWEEN ---------------------------------------------------------------
    ("n BETWEEN :lo AND :hi", {":lo": N(1), ":hi": N(5)}, True),   # inclusive [S between]
    ("n BETWEEN :lo AND :hi", {":lo": N(5), ":hi": N(5)}, True),
    ("n BETWEEN :lo AND :hi", {":lo": N(6), ":hi": N(7)}, False),
    ("n BETWEEN :lo AND :hi", {":lo": S("0"), ":hi": S("9")}, False),  # types differ [S]
    ("s BETWEEN :lo AND :hi", {":lo": S("a"), ":hi": S("i")}, True),
    ("b BETWEEN :lo AND :hi", {":lo": B(b"\x01"), ":hi": B(b"\x01\x03")}, True),
    ("nope BETWEEN :lo AND :hi", {":lo": N(1), ":hi": N(5)}, False),
    ("l BETWEEN :lo AND :hi", {":lo": N(1), ":hi": N(5)}, False),
    ("n BETWEEN m.x AND m.y[1]", {}, True),                   # bounds from the item [S]
    ("n BETWEEN m.x AND l[3]", {}, False),                    # a list bound: false [S]
    ("n BETWEEN :lo AND nope", {":lo": N(1)}, False),
    ("nope BETWEEN nada AND zilch", {}, False),           # [S comparison_two_unset]
    # -- IN --------------------------------------------------------------------
    ("n IN (:a, :b)", {":a": S("5"), ":b": N("5.0")}, True),  # mixed types allowed [S in]
    ("s IN (:a)", {":a": S("x")}, False),
    ("nope IN (:a)", {":a": S("x")}, False),               # [S in]
    ("l IN (:a, :b)", {":a": N(1), ":b": copy.deepcopy(ITEM["l"])}, True),
    ("nul IN (:a)", {":a": NUL}, True),
    ("t IN (:a, :b)", {":a": N(1), ":b": BOOL_T}, True),
    ("b IN (:a)", {":a": B(b"\x01\x02\xff")}, True),
    ("ss IN (:a)", {":a": {"SS": ["c", "b", "a"]}}, True),
    ("m.x IN (s, l[0])", {}, True),                           # choices from the item
    ("n IN (nope, :a)", {":a": N(5)}, True),
    ("n IN (nope, nada)", {}, False),
    # -- attribute_exists / attribute_not_exists ------------------------------
    ("attribute_exists(s)", {}, True),
    ("attribute_exists(nope)", {}, False),                 # [S attribute_exists]
    ("attribute_exists(nul)", {}, True),                      # a NULL value exists
    ("attribute_exists(m.y[2].z)", {}, True),
    ("attribute_exists(m.y[3])", {}, False),                  # past the end
    ("attribute_exists(s.x)", {}, False),                     # into a string
    ("attribute_exists(m[0])", {}, False),                    # index into a map
    ("attribute_exists(l.x)", {}, False),                     # name into a list
    ("attribute_exists(m.e)", {}, True),                      # an empty map exists
    ("attribute_not_exists(nope)", {}, True),              # [S attribute_not_exists]
    ("attribute_not_exists(s)", {}, False),
    ("attribute_not_exists(m.y[5])", {}, True),
    # -- attribute_type (all ten types) [S attribute_type] --------------------
    ("attribute_type(s, :t)", {":t": S("S")}, True),
    ("attribute_type(n, :t)", {":t": S("N")}, True),
    ("attribute_type(b, :t)", {":t": S("B")}, True),
    ("attribute_type(t, :t)", {":t": S("BOOL")}, True),
    ("attribute_type(nul, :t)", {":t": S("NULL")}, True),
    ("attribute_type(ss, :t)", {":t": S("SS")}, True),
    ("attribute_type(ns, :t)", {":t": S("NS")}, True),
    ("attribute_type(bs, :t)", {":t": S("BS")}, True),
    ("attribute_type(l, :t)", {":t": S("L")}, True),
    ("attribute_type(m, :t)", {":t": S("M")}, True),
    ("attribute_type(s, :t)", {":t": S("SS")}, False),
    ("attribute_type(ss, :t)", {":t": S("L")}, False),
    ("attribute_type(nope, :t)", {":t": S("NULL")}, False),
    # -- begins_with -----------------------------------------------------------
    ("begins_with(s, :v)", {":v": S("hel")}, True),           # [S begins_with]
    ("begins_with(s, :v)", {":v": S("hello")}, True),
    ("begins_with(s, :v)", {":v": S("ell")}, False),
    ("begins_with(s, :v)", {":v": S("dog")}, False),          # [S]
    ("begins_with(b, :v)", {":v": B(b"\x01")}, True),         # [S]
    ("begins_with(b, :v)", {":v": B(b"\x02")}, False),
    ("begins_with(s, :v)", {":v": B(b"he")}, False),          # S vs B: false
    ("begins_with(n, s)", {}, False),                         # item type N: false [S]
    ("begins_with(nope, :v)", {":v": S("x")}, False),      # [S]
    ("begins_with(:v, s)", {":v": S("hellohi")}, True),       # operands swapped [S]
    ("begins_with(l[1], :v)", {":v": S("x")}, True),
    ("begins_with(u, :v)", {":v": S("é")}, True),
    # -- contains [S contains] --------------------------------------------------
    ("contains(s, :v)", {":v": S("ell")}, True),
    ("contains(s, :v)", {":v": S("xyz")}, False),
    ("contains(b, :v)", {":v": B(b"\x02\xff")}, True),        # byte substring [S]
    ("contains(b, :v)", {":v": B(b"\x03")}, False),
    ("contains(b, :v)", {":v": {"NS": ["1", "2"]}}, False),   # [S]
    ("contains(ss, :v)", {":v": S("b")}, True),
    ("contains(ss, :v)", {":v": S("z")}, False),
    ("contains(ss, :v)", {":v": N(1)}, False),
    ("contains(ns, :v)", {":v": N("2.50")}, True),            # numeric membership [S]
    ("contains(ns, :v)", {":v": S("1")}, False),
    ("contains(bs, :v)", {":v": B(b"\x80")}, True),
    ("contains(l, :v)", {":v": N(1)}, True),                  # list element [S]
    ("contains(l, :v)", {":v": S("x")}, True),
    ("contains(l, :v)", {":v": {"SS": ["q", "p"]}}, True),    # nested set [S]
    ("contains(l, :v)", {":v": {"L": [N(3), N(4)]}}, True),   # nested list [S]
    ("contains(l, :v)", {":v": {"M": {"k": S("v")}}}, True),
    ("contains(l, :v)", {":v": N(2)}, False),
    ("contains(m, :v)", {":v": S("x")}, False),               # map keys are not searched [I]
    ("contains(n, :v)", {":v": N(5)}, False),
    ("contains(nope, :v)", {":v": S("x")}, False),
    ("contains(s, nope)", {}, False),
    ("contains(ss, l[1])", {}, False),                        # "x" not in ss
    ("contains(l, m.x)", {}, True),                           # 1 in l
    # -- size() ------------------------------------------------------------------
    ("size(s) = :v", {":v": N(5)}, True),                     # [S size]
    ("size(u) = :v", {":v": N(3)}, True),                     # UTF-16 units [X extenddb #60]
    ("size(b) = :v", {":v": N(3)}, True),                     # bytes [S]
    ("size(ss) = :v", {":v": N(3)}, True),                    # [S]
    ("size(ns) = :v", {":v": N(3)}, True),
    ("size(bs) = :v", {":v": N(2)}, True),
    ("size(l) = :v", {":v": N(5)}, True),                     # [S]
    ("size(m) = :v", {":v": N(3)}, True),                     # entries [S]
    ("size(m.e) = :v", {":v": N(0)}, True),
    ("size(n) = :v", {":v": N(1)}, False),                    # no size for N: false [S]
    ("size(t) = :v", {":v": N(1)}, False),                    # [S]
    ("size(nul) = :v", {":v": N(1)}, False),                  # [S]
    ("size(n) <> :v", {":v": N(1)}, True),                    # [I] like a nope operand
    ("size(nope) = :v", {":v": N(0)}, False),
    ("size(nope) < :v", {":v": N(1)}, False),
    ("size(nope) <> :v", {":v": N(0)}, True),              # [I]
    ("size(s) = :v", {":v": S("5")}, False),                  # non-number: false [S]
    ("size(s) = n", {}, True),                                # compared to an attribute [S]
    ("size(s) <> :v", {":v": N(4)}, True),                    # [S]
    ("size(s) < :v", {":v": N(7)}, True),                     # [S]
    ("size(s) <= :v", {":v": N(5)}, True),
    ("size(s) > :v", {":v": N(2)}, True),                     # [S]
    ("size(s) >= :v", {":v": N(6)}, False),
    ("size(l) BETWEEN :lo AND :hi", {":lo": N(1), ":hi": N(5)}, True),
    ("size(ss) IN (:a, :b)", {":a": N(2), ":b": N(3)}, True),
    ("size(:v) = :n", {":v": S("abc"), ":n": N(3)}, True),
    ("size(m.y[2]) = m.x", {}, True),
    # -- AND / OR / NOT ------------------------------------------------------------
    ("n = :v AND s = :s", {":v": N(5), ":s": S("hello")}, True),
    ("n = :v AND s = :s", {":v": N(5), ":s": S("bye")}, False),
    ("n = :v OR s = :s", {":v": N(6), ":s": S("hello")}, True),
    ("n = :v OR s = :s", {":v": N(6), ":s": S("bye")}, False),
    ("NOT n = :v", {":v": N(5)}, False),
    ("NOT NOT NOT NOT n = :v", {":v": N(5)}, True),           # [S not]
    ("NOT NOT NOT n = :v", {":v": N(5)}, False),
    ("NOT nope = :v", {":v": N(5)}, True),
    ("NOT nope <> :v", {":v": N(5)}, False),
    # AND binds tighter than OR, NOT tighter than AND [S and_before_or, not_before_and]
    ("m.x < n OR n < m.x AND n < m.x", {}, True),
    ("NOT m.x < n AND n < m.x", {}, False),
    ("(attribute_exists(nope) OR n = :v) AND s = :s", {":v": N(5), ":s": S("hello")}, True),
    ("attribute_exists(nope) OR n = :v AND s = :s", {":v": N(5), ":s": S("bye")}, False),
    ("n BETWEEN m.x AND m.y[1] AND m.x < n", {}, True),       # [S between_before_and]
    ("attribute_exists(s) AND attribute_exists(n) AND attribute_exists(b) AND "
     "attribute_exists(nope)", {}, False),
    ("attribute_exists(nope) OR attribute_exists(nada) OR attribute_exists(zilch) OR "
     "attribute_exists(s)", {}, True),
]


@pytest.mark.parametrize("text,values,expected", CASES, ids=[c[0] + " " + str(c[1]) for c in CASES])
def test_condition(text, values, expected):
    tree = parse_condition(text, None, values or None)
    assert evaluate(tree, ITEM) is expected
    assert compile_condition(tree, "Filter")(ITEM) is expected
    assert ITEM == SNAPSHOT


# On a missing item (None) every path is missing.
NO_ITEM = [
    ("attribute_not_exists(pk)", {}, True),                   # [S key_attribute_not_exists]
    ("attribute_exists(pk)", {}, False),
    ("pk <> :p", {":p": S("k1")}, True),                      # [S update_item_condition_key_ne]
    ("pk = :p", {":p": S("k1")}, False),
    ("size(pk) <> :n", {":n": N(2)}, True),
    ("NOT contains(pk, :p)", {":p": S("k")}, True),
]


@pytest.mark.parametrize("text,values,expected", NO_ITEM, ids=[c[0] for c in NO_ITEM])
def test_condition_on_missing_item(text, values, expected):
    tree = parse_condition(text, None, values or None)
    assert evaluate(tree, None) is expected
    assert evaluate(tree, {}) is expected


def test_names_and_kinds():
    names = {"#s": "s", "#k": "pk", "#d": "a.b"}
    tree = parse_filter("#s = :v AND attribute_not_exists(#d)", names, {":v": S("hello")})
    assert evaluate(tree, ITEM, "Filter") is True
    assert evaluate(tree, {**ITEM, "a.b": N(1)}, "Filter") is False   # a dotted name is one name
    key = parse_key_condition("#k = :p AND begins_with(s, :pre)", {"#k": "pk"},
                              {":p": S("k1"), ":pre": S("he")})
    assert evaluate(key, ITEM, "KeyCondition") is True
    assert evaluate(key, {**ITEM, "s": S("bye")}, "KeyCondition") is False


def test_attribute_type_of_a_value():
    # DynamoDB accepts attribute_type(:v, :t) [S test_update_condition_attribute_type]
    tree = parse_condition("attribute_type(:v, :t)", None, {":v": N(0), ":t": S("N")})
    assert tree == Call("attribute_type", (Value(":v", N(0)), Value(":t", S("N"))))
    assert evaluate(tree, ITEM) is True
    tree = Call("attribute_type", (Value(":v", N(0)), Value(":t", S("S"))))
    assert evaluate(tree, None) is False


def test_compile_rejects_other_kinds():
    tree = parse_condition("n = :v", None, {":v": N(5)})
    with pytest.raises(ValueError):
        compile_condition(tree, "Update")


def test_same_tree_many_items():
    tree = parse_condition("n > :v", None, {":v": N(2)})
    items = [{"n": N(i)} for i in range(6)]
    assert [evaluate(tree, it) for it in items] == [False, False, False, True, True, True]
    test = compile_condition(tree)
    assert [it["n"]["N"] for it in items if test(it)] == ["3", "4", "5"]


def test_deep_and_long_expressions():
    # 150 NOTs and a 150-term AND chain stay shallow once compiled.
    tree = parse_condition("NOT " * 150 + "n = :v", None, {":v": N(5)})
    assert evaluate(tree, ITEM) is True
    tree = parse_condition("NOT " * 151 + "n = :v", None, {":v": N(5)})
    assert evaluate(tree, ITEM) is False
    text = " AND ".join(f"n <> :v{i}" for i in range(150))
    values = {f":v{i}": N(i + 10) for i in range(150)}
    assert evaluate(parse_condition(text, None, values), ITEM) is True
    values[":v149"] = N(5)
    assert evaluate(parse_condition(text, None, values), ITEM) is False


# resolve_path: (path elements, expected AttributeValue or None)
PATHS = [
    (("s",), S("hello")),
    (("nope",), None),
    (("m", "x"), N(1)),
    (("m", "y", 2, "z"), S("deep")),
    (("m", "y", 3), None),
    (("m", 0), None),
    (("l", "x"), None),
    (("s", "x"), None),
    (("s", 0), None),
    (("l", 3, 1), N(4)),
    (("l", 4, "k"), S("v")),
    (("m", "e", "x"), None),
]


@pytest.mark.parametrize("elements,expected", PATHS, ids=[str(p[0]) for p in PATHS])
def test_resolve_path(elements, expected):
    assert resolve_path(ITEM, Path(elements)) == expected
    assert resolve_path(ITEM, elements) == expected
    assert resolve_path(None, elements) is None


@pytest.mark.parametrize("a,b,equal,order", [
    (N("1"), N("1.000"), True, 0),
    (N("-0"), N("0"), True, 0),
    (N("2"), N("10"), False, -1),
    (S("b"), S("a"), False, 1),
    (S("\uffff"), S("\U00010000"), False, -1),               # code point = UTF-8 byte order
    (B(b"\x80"), B(b"\x7f"), False, 1),
    (B(bytearray(b"ab")), B(b"ab"), True, 0),
    ({"NS": ["1", "2"]}, {"NS": ["2.0", "1"]}, True, None),
    ({"L": []}, {"M": {}}, False, None),
    (NUL, BOOL_F, False, None),
    (BOOL_T, BOOL_T, True, None),
])
def test_value_helpers(a, b, equal, order):
    assert av_equal(a, b) is equal
    assert av_equal(b, a) is equal
    assert av_order(a, b) == order
